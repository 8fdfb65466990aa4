"""Every wait is someone's work (issue 14 §3), on the real BPMN: an awaited Kela decision is an
item in the Kela advisor's worklist, due by its service-level target, recorded with its form;
the follow-up review is due on the plan's next review date and its case manager moves it; a
second running path of the same model is refused unless a coordinator gives a reason; a
claimed task counts as mine."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import select

from engine.clock import FrozenClock
from engine.errors import Conflict, Forbidden, InvalidInput
from engine.persistence.relationships import Organisation
from engine.persistence.tables import AccessLog, Event, HumanTask, ProcessInstance, WaitingEvent
from engine.services import access, instances, reviews, sla, users, waits, worklist
from engine.services.demo import TO_PLAN
from engine.services.duplicates import DuplicatePath
from engine.workflow.loader import load_model
from engine.workflow.model import ModelSource
from tests.conftest import PASSWORD, STAFF, Services
from tests.test_api import Api, make_app
from tests.test_authorization_matrix import DOERS

HELSINKI = ZoneInfo("Europe/Helsinki")
ADMIN = access.Actor(0, "admin", "Admin", frozenset(), is_admin=True)
DECISION = {"decision": "approved", "decision_date": "2026-12-01"}
AWAITING = ("Task_arrange_services", {"awaits_external_decision": True, "decision_source": "kela"})
BEFORE_PLAN = TO_PLAN[:-2]
ACCEPT = TO_PLAN[-1]  # the client accepts the plan


def _at_kela_wait(services: Services, **plan: Any) -> int:
    iid = services.start()
    services.walk(
        iid, *BEFORE_PLAN, ("Task_support_plan", {"case_manager": "aino", **plan}), ACCEPT,
        AWAITING,
    )  # fmt: skip
    return iid


def _at_follow_up(services: Services, **plan: Any) -> int:
    iid = services.start()
    services.walk(
        iid, *BEFORE_PLAN, ("Task_support_plan", {"case_manager": "aino", **plan}), ACCEPT,
        "Task_arrange_services",
    )  # fmt: skip
    return iid


def _waiting(services: Services, iid: int) -> list[WaitingEvent]:
    with services.uow() as uow:
        return list(
            uow.session.scalars(
                select(WaitingEvent).where(
                    WaitingEvent.instance_id == iid, WaitingEvent.settled_at.is_(None)
                )
            )
        )


def _events(services: Services, iid: int, kind: str) -> list[Event]:
    with services.uow() as uow:
        return list(
            uow.session.scalars(
                select(Event).where(Event.instance_id == iid, Event.kind == kind).order_by(Event.id)
            )
        )


def _path_state(services: Services, iid: int) -> tuple[Any, ...]:
    """What a refused action must leave as it was: the open items (who holds them), what the
    path waits for and when, the events of its history."""
    with services.uow() as uow:
        items = uow.session.execute(
            select(HumanTask.id, HumanTask.kind, HumanTask.claimed_by_id)
            .where(HumanTask.instance_id == iid, HumanTask.state == "open")
            .order_by(HumanTask.id)
        ).all()
        events = uow.session.scalars(
            select(Event.kind).where(Event.instance_id == iid).order_by(Event.id)
        ).all()
    waiting = sorted((w.kind, w.task_id, w.due_at) for w in _waiting(services, iid))
    return [tuple(r) for r in items], waiting, list(events)


def _review_day(services: Services, days: int) -> date:
    return (services.clock() + timedelta(days=days)).astimezone(HELSINKI).date()


def _nine(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, tzinfo=HELSINKI).astimezone(UTC)


# ---------------------------------------------------------------- awaited decisions


def test_a_kela_wait_is_the_advisors_worklist_item_due_by_its_target(services: Services) -> None:
    sla.set_target(
        services.uow(), services.clock, ADMIN, model_key=None, bpmn_id="Event_external_decision",
        phase=None, working_days=10,
    )  # fmt: skip
    iid = _at_kela_wait(services)
    assert services.open_tasks(iid) == []  # no user task: the path waits
    [wait] = services.open_tasks(iid, kind="wait")
    [message] = [w for w in _waiting(services, iid) if w.kind == "message"]
    assert (wait.id, wait.bpmn_id, wait.role) == (
        message.task_id,
        "Event_external_decision",
        "kela_advisor",
    )
    # ten working days: two calendar weeks, give or take a holiday
    assert wait.due_at is not None
    now = services.clock()
    assert now + timedelta(days=13) < wait.due_at < now + timedelta(days=17)
    with services.uow() as uow:
        kela = uow.session.scalar(select(Organisation).where(Organisation.code == "kela"))
        assert kela is not None and wait.organisation_id == kela.id
    [item] = worklist.list_tasks(services.uow(), services.clock, services.actors["kerttu"])
    assert (item.id, item.kind, item.name) == (
        wait.id,
        "wait",
        "Kelan tai eläkelaitoksen päätös saapunut",
    )
    counts = worklist.task_counts(services.uow(), services.clock, services.actors["kerttu"])
    assert counts["all"] == 1
    # nobody else's worklist holds it
    assert worklist.list_tasks(services.uow(), services.clock, services.actors["aino"]) == []


def test_recording_the_decision_completes_the_item_and_the_path_goes_on(
    services: Services,
) -> None:
    iid = _at_kela_wait(services)
    [wait] = services.open_tasks(iid, kind="wait")
    kerttu = services.actors["kerttu"]
    data = {**DECISION, "benefit_kind": "rehabilitation_allowance", "decision_note": "Tuki 6 kk"}
    assert (
        waits.record_decision(
            services.uow(), services.engine, services.clock, kerttu, wait.id, data
        )
        == iid
    )
    assert services.open_tasks(iid, kind="wait") == []
    with services.uow() as uow:
        row = uow.session.get(HumanTask, wait.id)
        assert row is not None
        assert (row.state, row.completed_by_id) == ("completed", kerttu.user_id)
        logged = uow.session.scalars(
            select(AccessLog).where(AccessLog.instance_id == iid, AccessLog.username == "kerttu")
        ).all()
        assert any(r.detail and "external decision recorded" in r.detail for r in logged)
    [timer] = _waiting(services, iid)
    assert timer.kind == "timer"  # on to the follow-up
    [arrived] = _events(services, iid, "message_received")
    assert arrived.actor == "kerttu"
    # the history keeps the decision and its date, not the benefit (a narrower class) or text
    assert arrived.data == {
        "message": "kela_decision",
        "fields": sorted(data),
        "values": {"decision": "approved", "decision_date": "2026-12-01"},
    }
    with pytest.raises(Conflict):  # recorded once
        waits.record_decision(
            services.uow(), services.engine, services.clock, kerttu, wait.id, DECISION
        )


def test_a_decision_form_with_errors_changes_nothing(services: Services) -> None:
    iid = _at_kela_wait(services)
    [wait] = services.open_tasks(iid, kind="wait")
    before = _path_state(services, iid)
    with pytest.raises(InvalidInput) as raised:
        waits.record_decision(
            services.uow(), services.engine, services.clock, services.actors["kerttu"], wait.id,
            {"decision": "maybe"},
        )  # fmt: skip
    assert {"decision", "decision_date"} <= set(raised.value.errors)
    assert [w.id for w in services.open_tasks(iid, kind="wait")] == [wait.id]
    # still waiting for the decision: no message in the history, no follow-up timer
    assert _path_state(services, iid) == before
    assert _events(services, iid, "message_received") == []


def test_who_may_record_the_decision(services: Services) -> None:
    iid = _at_kela_wait(services)
    [wait] = services.open_tasks(iid, kind="wait")
    before = _path_state(services, iid)
    with pytest.raises(Forbidden) as refused:  # a job coach has no part in it
        waits.record_decision(
            services.uow(), services.engine, services.clock, services.actors["ari"], wait.id,
            DECISION,
        )  # fmt: skip
    assert refused.value.code == "decision_not_for_you"
    with pytest.raises(Conflict):  # not a user task: its own form
        instances.complete_task(
            services.uow(), services.engine, services.clock, services.actors["kerttu"], wait.id,
            DECISION,
        )  # fmt: skip
    assert _path_state(services, iid) == before  # neither refusal recorded anything
    with services.uow() as uow:
        logged = uow.session.scalars(
            select(AccessLog).where(AccessLog.username == "ari", AccessLog.instance_id == iid)
        ).all()
    assert [(r.action, r.resource, r.success) for r in logged] == [("update", "message", False)]
    # the path's case manager records it from the client page too
    waits.record_decision(
        services.uow(), services.engine, services.clock, services.actors["aino"], wait.id,
        DECISION,
    )  # fmt: skip
    assert services.open_tasks(iid, kind="wait") == []


def test_the_message_endpoint_completes_the_item_too(services: Services) -> None:
    iid = _at_kela_wait(services)
    [wait] = services.open_tasks(iid, kind="wait")
    instances.deliver_message(
        services.uow(), services.engine, services.clock, services.actors["kaisa"], iid,
        "kela_decision", {"decision": "rejected", "note": "vapaa teksti"},
    )  # fmt: skip
    with services.uow() as uow:
        row = uow.session.get(HumanTask, wait.id)
        assert row is not None and row.state == "completed"
    [arrived] = _events(services, iid, "message_received")
    assert arrived.data["values"] == {"decision": "rejected"}


def test_a_claimed_wait_is_held_by_the_claimer(services: Services) -> None:
    iid = _at_kela_wait(services)
    [wait] = services.open_tasks(iid, kind="wait")
    instances.claim_task(services.uow(), services.clock, services.actors["kerttu"], wait.id)
    before = _path_state(services, iid)
    with pytest.raises(Conflict) as held:
        waits.record_decision(
            services.uow(), services.engine, services.clock, services.actors["aino"], wait.id,
            DECISION,
        )  # fmt: skip
    assert held.value.code == "decision_claimed"
    assert _path_state(services, iid) == before  # still kerttu's item, the path still waits
    assert before[0] == [(wait.id, "wait", services.actors["kerttu"].user_id)]


def _national(services: Services) -> ModelSource:
    source = services.engine.source("national")
    assert source is not None
    return source


def _problems(services: Services, source: ModelSource) -> list[str]:
    _model, problems = load_model(source, services.engine.roles)
    return [str(p) for p in problems if p.severity == "error"]


def test_the_validator_checks_who_records_and_the_form(services: Services) -> None:
    source = _national(services)
    bpmn = source.files["national_path.bpmn"]
    wrong_role = bpmn.replace(b'value="kela_advisor"', b'value="kela_robot"')
    assert any("kela_robot" in p for p in _problems(services, source.replace(
        "national_path.bpmn", wrong_role)))  # fmt: skip
    no_form = bpmn.replace(b"common/forms/kela_decision", b"forms/no_such_decision")
    assert any("does not exist" in p for p in _problems(services, source.replace(
        "national_path.bpmn", no_form)))  # fmt: skip
    misplaced = bpmn.replace(
        b'<spiffworkflow:property name="recordedBy"',
        b'<spiffworkflow:property name="dueFromField" value="next_review_date" />'
        b'<spiffworkflow:property name="recordedBy"',
    )
    assert any("timer" in p for p in _problems(services, source.replace(
        "national_path.bpmn", misplaced)))  # fmt: skip
    model, problems = load_model(source, services.engine.roles)
    assert model is not None and model.waits["Event_external_decision"].recorded_by == (
        "kela_advisor"
    )
    assert model.due_from_fields == {"Event_follow_up_timer": "next_review_date"}


# ---------------------------------------------------------------- the follow-up review


def test_the_follow_up_is_due_on_the_plans_next_review_date(services: Services) -> None:
    day = _review_day(services, 12)
    iid = _at_follow_up(services, next_review_date=day.isoformat())
    [timer] = _waiting(services, iid)
    assert timer.due_at == _nine(day)
    fire = lambda: instances.fire_due_timers(services.uow, services.engine, services.clock)  # noqa: E731
    services.clock.advance(days=11)
    assert fire() == 0
    services.clock.advance(days=2)
    assert fire() == 1
    assert {t.bpmn_id for t in services.open_tasks(iid)} == {"Task_follow_up_review"}
    # the review names the next date: the next round is due then
    later = _review_day(services, 45)
    services.walk(iid, ("Task_follow_up_review", {"next_review_date": later.isoformat()}))
    [timer] = _waiting(services, iid)
    assert timer.due_at == _nine(later)


def test_a_plan_date_in_the_past_leaves_the_models_period(services: Services) -> None:
    iid = _at_follow_up(services, next_review_date="2020-01-01")
    [timer] = _waiting(services, iid)
    assert 29 <= (timer.due_at - services.clock()).days <= 30  # P30D


def test_the_case_manager_brings_the_review_forward(services: Services) -> None:
    iid = _at_follow_up(services)
    aino = services.actors["aino"]
    day = _review_day(services, 5)
    due = reviews.reschedule_review(
        services.uow(), services.engine, services.clock, aino, iid, day.isoformat(),
        "Asiakas pyysi aiempaa käyntiä",
    )  # fmt: skip
    assert due == _nine(day)
    [timer] = _waiting(services, iid)
    assert timer.due_at == _nine(day)
    [moved] = _events(services, iid, "review_rescheduled")
    assert moved.actor == "aino" and moved.data["to"] == _nine(day).isoformat()
    assert moved.data["reason_given"] is True
    assert datetime.fromisoformat(moved.data["from"]) > _nine(day)
    services.clock.advance(days=6)
    assert instances.fire_due_timers(services.uow, services.engine, services.clock) == 1
    assert {t.bpmn_id for t in services.open_tasks(iid)} == {"Task_follow_up_review"}


def test_postponing_and_the_refusals(services: Services) -> None:
    iid = _at_follow_up(services)
    aino, timo = services.actors["aino"], services.actors["timo"]

    def move(actor: access.Actor, day: Any, reason: str = "Loma") -> datetime:
        return reviews.reschedule_review(
            services.uow(), services.engine, services.clock, actor, iid, day, reason
        )

    later = _review_day(services, 60)
    assert move(aino, later) == _nine(later)
    moved = _path_state(services, iid)
    with pytest.raises(Forbidden):  # only the case manager
        move(timo, _review_day(services, 3))
    with pytest.raises(InvalidInput) as raised:
        move(aino, _review_day(services, -1), "")
    assert set(raised.value.errors) == {"due", "reason"}
    with pytest.raises(InvalidInput):
        move(aino, "15.1.2027")
    # the refused moves kept nothing: still due on the day aino chose, one move in the history
    assert _path_state(services, iid) == moved
    assert [t.due_at for t in _waiting(services, iid)] == [_nine(later)]
    assert len(_events(services, iid, "review_rescheduled")) == 1
    today = _review_day(services, 0)
    move(aino, today)  # today is allowed: due at nine, so the next round if it is later
    services.clock.advance(hours=24)
    assert instances.fire_due_timers(services.uow, services.engine, services.clock) == 1
    with pytest.raises(Conflict):  # the review is open now: no timer to move
        move(aino, later)


# ---------------------------------------------------------------- a second path


def test_a_second_running_path_of_the_same_model_is_refused(services: Services) -> None:
    client_id = services.new_client()
    kaisa, paula = services.actors["kaisa"], services.actors["paula"]

    def start(actor: access.Actor, model: str = "national", **kw: Any) -> int:
        return instances.start_instance(
            services.uow(), services.engine, services.clock, actor, client_id, model,
            "hva-pohjois-savo" if model == "national" else None, **kw,
        )  # fmt: skip

    first = start(kaisa)
    with pytest.raises(DuplicatePath) as raised:
        start(kaisa)
    refused = raised.value
    assert isinstance(refused, Conflict) and refused.code == "duplicate_path"
    assert refused.running_instance_id == first and refused.may_override
    assert refused.model_name.startswith("Työkyvyn tuen palvelupolku")
    assert f"'{refused.model_name}'" in refused.message and f"path {first}," in refused.message
    assert refused.started_on == services.clock().astimezone(HELSINKI).date().isoformat()
    with pytest.raises(DuplicatePath) as not_allowed:
        start(paula)
    assert not not_allowed.value.may_override
    with pytest.raises(Forbidden):  # a service counsellor may not override
        start(paula, override_reason="Toinen alue")
    with services.uow() as uow:  # none of the refused starts left a path
        assert uow.session.scalars(
            select(ProcessInstance.id).where(ProcessInstance.client_id == client_id)
        ).all() == [first]
    second = start(kaisa, override_reason="Muuttaa toiselle alueelle")
    [started] = [e for e in _events(services, second, "instance_started")]
    assert started.data["duplicate_of"] == first
    assert started.data["override_reason_given"] is True
    with services.uow() as uow:
        row = uow.session.scalar(
            select(AccessLog).where(AccessLog.instance_id == second, AccessLog.action == "create")
        )
        assert row is not None and "Muuttaa toiselle alueelle" in (row.detail or "")
    start(kaisa, "kainuu")  # another model is another path


def test_another_organisations_running_path_is_named_without_its_number(
    services: Services,
) -> None:
    client_id = services.new_client()
    first = instances.start_instance(
        services.uow(), services.engine, services.clock, services.actors["kaisa"], client_id,
        "national", "hva-pohjois-savo",
    )  # fmt: skip
    user_id = users.create_user(
        services.uow(), services.engine.roles, username="kainuu_coordinator", display_name="Kerttu",
        password=PASSWORD, roles=["case_coordinator"], organisations=["hva-kainuu"],
    )  # fmt: skip
    user = users.get_user(services.uow(), user_id)
    assert user is not None
    with pytest.raises(DuplicatePath) as raised:
        instances.start_instance(
            services.uow(), services.engine, services.clock, access.Actor.from_user(user),
            client_id, "national", "hva-kainuu",
        )  # fmt: skip
    # Kainuu's coordinator may not read North Savo's path: told that one runs, not which
    assert raised.value.running_instance_id is None and raised.value.started_on is None
    assert str(first) not in raised.value.message
    with services.uow() as uow:
        told = list(
            uow.session.scalars(
                select(AccessLog).where(AccessLog.instance_id == first, AccessLog.action == "read")
            )
        )
        started = uow.session.scalars(
            select(ProcessInstance.id).where(ProcessInstance.client_id == client_id)
        ).all()
    # the disclosure is logged, and nothing of the refused start is kept
    assert [(r.username, r.success) for r in told] == [("kainuu_coordinator", True)]
    assert "no number or date shown" in (told[0].detail or "")
    assert started == [first]


def test_a_closed_path_does_not_stop_a_new_one(services: Services) -> None:
    iid = services.start()
    services.walk(iid, ("Task_encounter", {"urgent": True}))
    with services.uow() as uow:
        row = uow.session.get(ProcessInstance, iid)
        assert row is not None and row.status == "completed"
        client_id = row.client_id
    new = instances.start_instance(
        services.uow(), services.engine, services.clock, services.actors["kaisa"], client_id,
        "national", "hva-pohjois-savo",
    )  # fmt: skip
    assert new != iid
    assert [t.bpmn_id for t in services.open_tasks(new)] == ["Task_encounter"]
    [started] = _events(services, new, "instance_started")
    assert "duplicate_of" not in started.data  # no second path: nothing to override


# ---------------------------------------------------------------- claimed = mine


def test_a_claimed_task_counts_as_mine(services: Services) -> None:
    iid = services.start()
    services.walk(iid, "Task_encounter", "Task_initial_interview")
    task = services.open_task(iid, "Task_physician_assessment")
    lauri = services.actors["lauri"]
    assert worklist.list_tasks(services.uow(), services.clock, lauri, mine=True) == []
    assert worklist.task_counts(services.uow(), services.clock, lauri)["mine"] == 0
    instances.claim_task(services.uow(), services.clock, lauri, task.id)
    mine = worklist.list_tasks(services.uow(), services.clock, lauri, mine=True)
    assert [t.id for t in mine] == [task.id]
    assert worklist.task_counts(services.uow(), services.clock, lauri)["mine"] == 1
    steps = worklist.task_steps(services.uow(), services.clock, lauri, mine=True)
    assert [s[0] for s in steps] == ["Task_physician_assessment"]


# ---------------------------------------------------------------- the API


@pytest.fixture
def api_app(database_url: str) -> Any:
    """The app on SQLite and (marked postgres) on a real PostgreSQL."""
    clock = FrozenClock()
    app = make_app(database_url, clock)
    ctx = app.extensions["polku"]
    for username, roles in {**STAFF, "paula": ["service_counsellor"]}.items():
        users.create_user(
            ctx.uow(), ctx.engine.roles, username=username, display_name=username.title(),
            password=PASSWORD, roles=roles,
        )  # fmt: skip
    yield app, Api(app.test_client())
    ctx.db.dispose()


def _api_to_kela_wait(app: Flask, api: Api) -> tuple[int, int, str]:
    made = api.post("/clients", "kaisa", json={"full_name": "Asiakas Api"})
    client = made.json["id"]
    started = api.post("/instances", "kaisa", json={"client": client, "process": "national"})
    path = int(started.json["id"])
    for step in TO_PLAN:
        api.complete(DOERS[step], path, step)
    api.complete("aino", path, *AWAITING[:1], **AWAITING[1])
    with app.extensions["polku"].uow() as uow:
        wait = uow.session.scalar(
            select(HumanTask.id).where(
                HumanTask.instance_id == path, HumanTask.kind == "wait", HumanTask.state == "open"
            )
        )
    assert wait is not None
    return client, path, wait


def test_the_api_records_a_decision_and_logs_it(api_app: Any) -> None:
    app, api = api_app
    client, path, wait = _api_to_kela_wait(app, api)
    task = api.get(f"/tasks/{wait}", "kerttu")
    assert task.status_code == 200 and task.json["kind"] == "wait"
    assert task.json["form"]["title"] == "Kelan tai eläkelaitoksen päätös"
    bad = api.post(f"/tasks/{wait}/decision", "kerttu", json={"data": {"decision": "x"}})
    assert bad.status_code == 400 and "decision_date" in bad.json["errors"]
    with app.extensions["polku"].uow() as uow:
        before = uow.session.scalar(select(AccessLog.id).order_by(AccessLog.id.desc()).limit(1))
    done = api.post(f"/tasks/{wait}/decision", "kerttu", json={"data": DECISION})
    assert done.status_code == 200, done.json
    assert [w["kind"] for w in done.json["waiting"]] == ["timer"]
    with app.extensions["polku"].uow() as uow:
        rows = uow.session.scalars(select(AccessLog).where(AccessLog.id > before)).all()
    recorded = [r for r in rows if r.action == "update" and r.resource == "message"]
    assert [(r.client_id, r.instance_id, r.username) for r in recorded] == [
        (client, path, "kerttu")
    ]
    assert recorded[0].basis and recorded[0].session_ref
    again = api.post(f"/tasks/{wait}/decision", "kerttu", json={"data": DECISION})
    assert again.status_code == 409
    completing = api.post(f"/tasks/{wait}/complete", "kerttu", json={"data": DECISION})
    assert completing.status_code == 409


def test_the_api_moves_the_review_and_refuses_a_second_path(api_app: Any) -> None:
    app, api = api_app
    client, path, wait = _api_to_kela_wait(app, api)
    sent = api.post(f"/instances/{path}/messages", "kaisa",
                    json={"name": "kela_decision", "data": DECISION})  # fmt: skip
    assert sent.status_code == 200, sent.json
    day = (datetime.now(UTC) + timedelta(days=9)).astimezone(HELSINKI).date()
    bad = api.post(f"/instances/{path}/review-date", "aino", json={"due": "huomenna"})
    assert bad.status_code == 400 and {"due", "reason"} <= set(bad.json["errors"])
    refused = api.post(f"/instances/{path}/review-date", "timo",
                       json={"due": day.isoformat(), "reason": "Siirto"})  # fmt: skip
    assert refused.status_code == 403
    with app.extensions["polku"].uow() as uow:  # the refusals left the timer where it was
        [(due,)] = uow.session.execute(
            select(WaitingEvent.due_at).where(
                WaitingEvent.instance_id == path, WaitingEvent.settled_at.is_(None)
            )
        ).all()
    assert due is not None and (due if due.tzinfo else due.replace(tzinfo=UTC)) != _nine(day)
    moved = api.post(f"/instances/{path}/review-date", "aino",
                     json={"due": day.isoformat(), "reason": "Siirto"})  # fmt: skip
    assert moved.status_code == 200, moved.json
    [timer] = moved.json["waiting"]
    assert datetime.fromisoformat(timer["due_at"]) == _nine(day)

    second = api.post("/instances", "kaisa", json={"client": client, "process": "national"})
    assert second.status_code == 409
    assert second.json["code"] == "duplicate_path" and second.json["duplicate_of"] == path
    assert second.json["may_override"] is True and "already runs" in second.json["detail"]
    counsellor = api.post("/instances", "paula", json={"client": client, "process": "national"})
    assert counsellor.status_code == 409 and counsellor.json["may_override"] is False
    with app.extensions["polku"].uow() as uow:  # refused twice: still the one path
        assert uow.session.scalars(
            select(ProcessInstance.id).where(ProcessInstance.client_id == client)
        ).all() == [path]
    anyway = api.post("/instances", "kaisa", json={
        "client": client, "process": "national", "override_reason": "Toinen alue"})  # fmt: skip
    assert anyway.status_code == 201


def _signed_in(app: Flask, username: str) -> Any:
    browser = app.test_client()
    signed = browser.post("/login", data={"username": username, "password": PASSWORD})
    assert signed.status_code == 302
    return browser


def test_the_pages_offer_the_decision_and_the_review_date(api_app: Any) -> None:
    app, api = api_app
    client, path, wait = _api_to_kela_wait(app, api)
    aino = _signed_in(app, "aino")
    page = aino.get(f"/clients/{client}")
    assert page.status_code == 200
    assert f"/tasks/{wait}" in page.text and "odotettu päätös" in page.text
    assert "Kelan työkykyneuvoja" in page.text  # whose work the wait is
    form = aino.get(f"/tasks/{wait}")  # the case manager may record it too
    assert form.status_code == 200 and 'name="decision_date"' in form.text
    sent = aino.post(f"/tasks/{wait}", data={"decision": "approved"})
    assert sent.status_code == 400 and "Tämä kenttä on pakollinen" in sent.text
    with app.extensions["polku"].uow() as uow:  # refused: the decision is still awaited
        row = uow.session.get(HumanTask, wait)
        assert row is not None and row.state == "open"
    done = aino.post(f"/tasks/{wait}", data={**DECISION})
    assert done.status_code == 302
    page = aino.get(f"/clients/{client}")
    assert "Aikaista tai siirrä seurantakäyntiä" in page.text  # the case manager's form
    bad = aino.post(f"/clients/{client}/paths/{path}/review-date", data={"due": "2020-01-01"})
    assert bad.status_code == 400
    assert "Päivä on jo mennyt" in bad.text and "Kerro syy." in bad.text
    # the team coordinator sees the timer but not the form (and is refused if they post)
    timo_page = _signed_in(app, "timo").get(f"/clients/{client}")
    assert "Aikaista tai siirrä seurantakäyntiä" not in timo_page.text

    def due() -> list[Any]:
        with app.extensions["polku"].uow() as uow:
            return list(uow.session.scalars(select(WaitingEvent.due_at).where(
                WaitingEvent.instance_id == path, WaitingEvent.settled_at.is_(None))))  # fmt: skip

    before = due()
    refused = _signed_in(app, "timo").post(
        f"/clients/{client}/paths/{path}/review-date", data={"due": "2030-01-02", "reason": "x"}
    )
    assert refused.status_code == 403
    assert due() == before and len(before) == 1  # the follow-up is due as it was


def test_the_openapi_document_has_the_new_endpoints(api_app: Any) -> None:
    _app, api = api_app
    spec = api.client.get("/api/v1/openapi.json").json
    assert "/api/v1/tasks/{task_id}/decision" in spec["paths"]
    assert "/api/v1/instances/{instance_id}/review-date" in spec["paths"]
    assert "override_reason" in spec["components"]["schemas"]["InstanceCreate"]["properties"]


def test_a_path_waiting_since_before_the_upgrade_gets_its_worklist_item(
    services: Services,
) -> None:
    """A path that reached the Kela wait before awaited decisions were worklist items has no
    item; at start-up it gets one, due by the target from when the waiting began, once."""
    iid = _at_kela_wait(services)
    with services.uow() as uow:  # as a path waiting since 0.1.0 stands after the upgrade
        uow.session.query(HumanTask).filter(
            HumanTask.instance_id == iid, HumanTask.kind == "wait"
        ).delete()
        uow.commit()
    assert worklist.list_tasks(services.uow(), services.clock, services.actors["kerttu"]) == []
    services.clock.advance(days=3)
    assert waits.add_missing_wait_rows(services.uow(), services.engine) == 1
    [item] = worklist.list_tasks(services.uow(), services.clock, services.actors["kerttu"])
    [message] = [w for w in _waiting(services, iid) if w.kind == "message"]
    assert (item.id, item.kind, item.created_at) == (message.task_id, "wait", message.created_at)
    assert waits.add_missing_wait_rows(services.uow(), services.engine) == 0
