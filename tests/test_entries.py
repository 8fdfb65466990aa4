"""Reading the path and correcting entries (issue 14 §1-2): a completed task's entry cut to the
reader's field classes, its revisions, corrections by the author or their supervisor, the
flag of a correction to data a gateway had decided on, and the corrected value in the
running path's data (a later gateway sees it). Services on the real BPMN, then the API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.clock import FrozenClock
from engine.errors import Conflict, Forbidden, InvalidInput
from engine.persistence.tables import AccessLog, Event, FormSubmission, ProcessInstance
from engine.services import access, client_page, corrections, entries, instances, records, users
from engine.services.demo import TO_PLAN, demo_organisations, sample
from engine.workflow.loader import load_model
from tests.conftest import PASSWORD, STAFF, Services
from tests.test_api import Api, make_app
from tests.test_authorization_matrix import DOERS

WALKS = Path(__file__).parent / "walks"


def _submission(services: Services, iid: int, bpmn_id: str) -> FormSubmission:
    with services.uow() as uow:
        row = uow.session.scalar(
            select(FormSubmission)
            .where(FormSubmission.instance_id == iid, FormSubmission.bpmn_id == bpmn_id)
            .order_by(FormSubmission.id.desc())
            .limit(1)
        )
        assert row is not None
        uow.session.expunge(row)
        return row


def _to_plan(services: Services) -> int:
    iid = services.start()
    services.walk(iid, *TO_PLAN)
    return iid


def _supervisor(services: Services, *roles: str) -> access.Actor:
    """A team leader of North Savo: the manager role and a role of client work."""
    ctx_roles = ["manager", *roles]
    user_id = users.create_user(
        services.uow(), services.engine.roles, username="maija", display_name="Maija",
        password=PASSWORD, roles=ctx_roles, organisations=demo_organisations(list(roles)),
    )  # fmt: skip
    user = users.get_user(services.uow(), user_id)
    assert user is not None
    return access.Actor.from_user(user)


def _stored(services: Services, iid: int) -> list[tuple[int, str, dict[str, Any]]]:
    """The path's recorded rows (id, who, data) and, last, how many corrections the history
    holds: what a refused correction must leave as it was."""
    with services.uow() as uow:
        rows = [
            (r.id, r.submitted_by, dict(r.data))
            for r in uow.session.scalars(
                select(FormSubmission)
                .where(FormSubmission.instance_id == iid)
                .order_by(FormSubmission.id)
            )
        ]
        events = uow.session.scalars(
            select(Event.id).where(Event.instance_id == iid, Event.kind == "submission_corrected")
        ).all()
    return [*rows, (len(events), "submission_corrected", {})]


def _correct(services: Services, actor: access.Actor, row: FormSubmission, **changes: Any) -> int:
    return corrections.correct_entry(
        services.uow(), services.engine, services.clock, actor, row.id,
        {**row.data, **changes}, "Kirjoitusvirhe korjattu",
    )  # fmt: skip


def test_a_colleague_reads_an_assessment_cut_to_their_field_classes(services: Services) -> None:
    iid = _to_plan(services)
    row = _submission(services, iid, "Task_physician_assessment")  # health data
    read = entries.read_entry(
        services.uow(), services.engine, services.clock, services.actors["sanna"],
        task_id=row.task_id,
    )  # fmt: skip
    # the social worker sees no health data: the fields are left out, and said to be
    assert read.current.data == {}
    assert "diagnosis_summary" in read.current.hidden and read.current.hidden_classes == ["health"]
    assert not read.may_correct
    fanni = entries.read_entry(
        services.uow(), services.engine, services.clock, services.actors["fanni"],
        submission_id=row.id,
    )  # fmt: skip
    assert fanni.current.data["diagnosis_summary"] == "Pitkäaikainen selkäkipu."
    assert fanni.current.phase == "assessment" and len(fanni.revisions) == 1
    with services.uow() as uow:
        logged = list(
            uow.session.scalars(select(AccessLog).where(AccessLog.resource == "submission"))
        )
    assert [(r.username, r.action, r.client_id is not None) for r in logged] == [
        ("sanna", "read", True),
        ("fanni", "read", True),
    ]
    # the log says which field classes each was shown, and holds no value
    assert "health" not in (logged[0].detail or "") and "health" in (logged[1].detail or "")
    assert all("selkäkipu" not in (r.detail or "") for r in logged)


def test_the_author_corrects_and_the_original_stays_as_a_revision(services: Services) -> None:
    iid = _to_plan(services)
    row = _submission(services, iid, "Task_physician_assessment")
    lauri = services.actors["lauri"]
    new_id = _correct(services, lauri, row, diagnosis_summary="Pitkäaikainen niskakipu.")
    read = entries.read_entry(
        services.uow(), services.engine, services.clock, lauri, submission_id=row.id
    )
    assert read.current.id == new_id and read.current.original_id == row.id
    assert read.current.data["diagnosis_summary"] == "Pitkäaikainen niskakipu."
    assert [r.entry.data["diagnosis_summary"] for r in read.revisions] == [
        "Pitkäaikainen selkäkipu.",
        "Pitkäaikainen niskakipu.",
    ]
    assert read.revisions[1].reason == "Kirjoitusvirhe korjattu"
    assert read.revisions[1].changed == ["diagnosis_summary"]
    assert read.revisions[1].decided_fields == []
    with services.uow() as uow:
        stored = uow.session.get(FormSubmission, new_id)
        assert stored is not None and stored.corrects_id == row.id
        [event] = uow.session.scalars(select(Event).where(Event.kind == "submission_corrected"))
        assert event.data == {
            "submission_id": new_id, "corrects_id": row.id,
            "fields": ["diagnosis_summary"], "decided_fields": [],
        }  # fmt: skip
        [log] = uow.session.scalars(
            select(AccessLog).where(
                AccessLog.action == "update", AccessLog.resource == "submission"
            )
        )
        assert log.username == "lauri" and "niskakipu" not in (log.detail or "")
    # everything reading submissions shows the current revision, once
    shown = records.submissions(
        services.uow(), services.engine, services.clock, services.actors["aino"], iid
    )
    [physician] = [s for s in shown if s.bpmn_id == "Task_physician_assessment"]
    assert physician.data["diagnosis_summary"] == "Pitkäaikainen niskakipu."
    assert physician.corrected and physician.corrected_by == "lauri"
    assert len(shown) == len(TO_PLAN)


def test_a_corrected_plan_is_no_new_plan_revision(services: Services) -> None:
    iid = _to_plan(services)
    row = _submission(services, iid, "Task_support_plan")
    _correct(services, services.actors["timo"], row, main_goal="Työkokeilu kaupassa")
    plans = records.support_plan_revisions(
        services.uow(), services.engine, services.clock, services.actors["aino"], iid
    )
    assert [p.data["main_goal"] for p in plans] == ["Työkokeilu kaupassa"]


def test_the_supervisor_may_correct_others_may_not(services: Services) -> None:
    iid = _to_plan(services)
    row = _submission(services, iid, "Task_initial_interview")  # kaisa's
    before = _stored(services, iid)
    with pytest.raises(Forbidden) as denied:
        _correct(services, services.actors["sanna"], row, interview_summary="Muu")
    assert denied.value.code == "correction_refused"
    assert _stored(services, iid) == before  # no new revision, no history event
    with services.uow() as uow:
        refused = uow.session.scalar(
            select(AccessLog).where(AccessLog.success.is_(False), AccessLog.username == "sanna")
        )
        assert refused is not None
        assert (refused.action, refused.resource, refused.instance_id) == (
            "update", "submission", iid,
        )  # fmt: skip
        path = uow.session.get(ProcessInstance, iid)
        assert path is not None and refused.client_id == path.client_id
    maija = _supervisor(services, "case_coordinator")
    _correct(services, maija, row, interview_summary="Tarkennettu yhteenveto.")
    assert _submission(services, iid, "Task_initial_interview").submitted_by == "maija"


def test_correcting_an_entry_does_not_open_its_other_fields(services: Services) -> None:
    iid = services.start()
    services.walk(iid, *TO_PLAN[:3])  # the functional assessment is offered to physiotherapists
    row = _submission(services, iid, "Task_initial_interview")  # kaisa's; benefits advice
    coach = _supervisor(services, "physiotherapist")  # sees no benefits data
    seen = {k: v for k, v in row.data.items() if k != "benefits_advice_given"}
    corrections.correct_entry(
        services.uow(), services.engine, services.clock, coach, row.id,
        {**seen, "interview_summary": "Tarkennettu yhteenveto."}, "Tarkennus",
    )  # fmt: skip
    read = entries.read_entry(
        services.uow(), services.engine, services.clock, coach, submission_id=row.id
    )
    # the corrector is not the entry's author: the benefits field stays hidden from them,
    # and the value they did not see is kept as it was
    assert "benefits_advice_given" in read.current.hidden
    assert "benefits_advice_given" not in read.current.data
    assert read.current.data["interview_summary"] == "Tarkennettu yhteenveto."
    kept = _submission(services, iid, "Task_initial_interview").data
    assert kept["benefits_advice_given"] is True
    before = _stored(services, iid)
    with pytest.raises(InvalidInput) as refused:  # nor may they write it in a second one
        corrections.correct_entry(
            services.uow(), services.engine, services.clock, coach, read.current.id,
            {**seen, "benefits_advice_given": False}, "Tarkennus",
        )  # fmt: skip
    assert "benefits_advice_given" in refused.value.errors
    assert _stored(services, iid) == before  # the refused correction kept nothing
    author = entries.read_entry(
        services.uow(), services.engine, services.clock, services.actors["kaisa"],
        submission_id=row.id,
    )  # fmt: skip
    assert author.current.data["benefits_advice_given"] is True and not author.current.hidden


def test_a_supervisor_without_client_work_may_not(services: Services) -> None:
    iid = _to_plan(services)
    row = _submission(services, iid, "Task_initial_interview")
    manager = _supervisor(services)  # the manager role alone opens no client data
    before = _stored(services, iid)
    with pytest.raises(Forbidden):
        _correct(services, manager, row, interview_summary="Muu")
    assert _stored(services, iid) == before


def test_the_reason_is_required_and_the_data_checked(services: Services) -> None:
    iid = _to_plan(services)
    row = _submission(services, iid, "Task_physician_assessment")
    lauri = services.actors["lauri"]
    before = _stored(services, iid)
    for reason, data, field in [
        ("", row.data, "reason"),
        ("x" * 501, row.data, "reason"),
        ("Korjaus", {**row.data, "physician_work_ability": 11}, "physician_work_ability"),
        ("Korjaus", row.data, "_form"),  # nothing changed
    ]:
        with pytest.raises(InvalidInput) as caught:
            corrections.correct_entry(
                services.uow(), services.engine, services.clock, lauri, row.id, data, reason
            )
        assert field in caught.value.errors, (reason[:10], caught.value.errors)
    assert _stored(services, iid) == before  # none of the refused ones kept anything
    new_id = _correct(services, lauri, row, physician_work_ability=4)
    corrected = _stored(services, iid)
    with pytest.raises(Conflict) as stale:  # the original is no longer the current revision
        _correct(services, lauri, row, physician_work_ability=3)
    assert (stale.value.code, stale.value.params["current_id"]) == ("correction_stale", new_id)
    assert _stored(services, iid) == corrected
    read = entries.read_entry(
        services.uow(), services.engine, services.clock, lauri, submission_id=row.id
    )
    assert read.current.id == new_id and read.current.data["physician_work_ability"] == 4


def test_a_correction_may_not_name_a_closed_account(services: Services) -> None:
    iid = _to_plan(services)
    row = _submission(services, iid, "Task_support_plan")  # names the case manager
    users.close_account(services.uow(), services.clock, "kerttu")
    for name in ("kerttu", "nobody"):  # closed as an account that never was
        with pytest.raises(InvalidInput) as caught:
            _correct(services, services.actors["timo"], row, case_manager=name)
        assert "case_manager" in caught.value.errors


def test_a_field_a_passed_gateway_decided_on_is_flagged(services: Services) -> None:
    iid = _to_plan(services)
    row = _submission(services, iid, "Task_support_plan")  # Gateway_conclusion has decided
    _correct(services, services.actors["timo"], row, conclusion="treatment_first")
    fixed = _submission(services, iid, "Task_support_plan")
    assert fixed.decided_fields == ["conclusion"]
    # the path is not re-routed: the employment track's task stays open
    assert [t.bpmn_id for t in services.open_tasks(iid)] == ["Task_arrange_services"]
    client_id = services.open_tasks(iid)[0].client_id
    page = client_page.read_client_page(
        services.uow(), services.engine, services.clock, services.actors["aino"], client_id
    )
    [flag] = page.flags[iid]
    assert (flag.field, flag.corrected_by) == ("conclusion", "timo")
    assert flag.gateways and flag.label == "Johtopäätös"
    assert [s.bpmn_id for s in page.recorded[iid]] == list(TO_PLAN)


def _walk(services: Services, iid: int, steps: list[dict[str, Any]]) -> None:
    for step in steps:
        if "task" in step:
            task = services.open_task(iid, step["task"])
            instances.complete_task(
                services.uow(), services.engine, services.clock, services.doer(task),
                task.id, step["data"],
            )  # fmt: skip
        else:
            instances.deliver_message(
                services.uow(), services.engine, services.clock, services.actors["kerttu"],
                iid, step["message"], step.get("data", {}),
            )  # fmt: skip


def test_a_later_gateway_sees_the_corrected_value(services: Services) -> None:
    """Rovaniemi: arranging services records whether IPS coaching is wanted; the gateway
    reading it comes after Kela's decision. A correction made while the decision is awaited
    takes the path to IPS coaching."""
    doc = json.loads((WALKS / "rovaniemi.json").read_text(encoding="utf-8"))
    walk = next(w for w in doc["walks"] if w["name"] == "pension_decision")
    iid = services.start("rovaniemi")
    message = next(i for i, s in enumerate(walk["steps"]) if "message" in s)
    _walk(services, iid, walk["steps"][:message])
    row = _submission(services, iid, "Task_arrange_services")
    assert row.data["ips_referral"] is False
    author = next(a for a in services.actors.values() if a.username == row.submitted_by)
    _correct(services, author, row, ips_referral=True)
    assert _submission(services, iid, "Task_arrange_services").decided_fields == []
    _walk(services, iid, [walk["steps"][message]])
    assert "Task_ips_coaching" in [t.bpmn_id for t in services.open_tasks(iid)]


def test_prefill_from_an_earlier_step(services: Services) -> None:
    iid = services.start()
    services.walk(iid, *TO_PLAN[:-2])
    task = services.open_task(iid, "Task_support_plan")
    timo, sanna = services.actors["timo"], services.actors["sanna"]

    def context(actor: access.Actor) -> entries.TaskContext:
        return entries.task_context(services.uow(), services.engine, services.clock, actor,
                                    task.id)  # fmt: skip

    # the physician's entry has no work restrictions in the sample: nothing to prefill
    assert "challenges" not in context(timo).prefill
    assert context(timo).open_phases == ["assessment"]
    row = _submission(services, iid, "Task_physician_assessment")
    _correct(services, services.actors["lauri"], row, work_restrictions="Ei nostoja.")
    # the plan's doer: the health field of their form starts with the physician's health field
    seen = context(timo)
    own_view = sample("Task_client_situation")["client_own_view"]  # the client's own words
    assert seen.prefill == {"challenges": "Ei nostoja.", "client_view": own_view}
    # beside the form the case coordinator does not see the health data itself
    [physician] = [s for s in seen.earlier if s.bpmn_id == "Task_physician_assessment"]
    assert physician.data == {} and physician.hidden
    assert seen.earlier[0].bpmn_id == "Task_client_situation"  # newest first
    # a reader who is not the doer and sees no health data: the shared client's view only
    assert context(sanna).prefill == {"client_view": own_view}


@pytest.mark.parametrize(
    ("prefill", "message"),
    [
        ("Task_nowhere.work_restrictions", "no other user task"),
        ("Task_physician_assessment.no_such_field", "has no 'no_such_field'"),
        ("no_such_field", "which no other user task's form has"),
        ("not valid!", "x-prefill"),
    ],
)
def test_the_loader_checks_prefill(services: Services, prefill: str, message: str) -> None:
    source = services.engine.source("national")
    assert source is not None
    path = "forms/support_plan.schema.json"
    shipped, problems = load_model(source, services.engine.roles)
    assert shipped is not None, [str(p) for p in problems]
    form = json.loads(source.files[path])
    form["properties"]["challenges"]["x-prefill"] = prefill
    model, problems = load_model(
        source.replace(path, json.dumps(form).encode()), services.engine.roles
    )
    assert model is None
    assert any(message in str(p) for p in problems), [str(p) for p in problems]


# ---------------------------------------------------------------- the API and the pages


@pytest.fixture
def site(database_url: str, clock: FrozenClock) -> Iterator[tuple[Flask, Api]]:
    """The web app on a fresh database (SQLite, and PostgreSQL with -m postgres), the staff."""
    app = make_app(database_url, clock)
    ctx = app.extensions["polku"]
    for username, roles in STAFF.items():
        users.create_user(
            ctx.uow(), ctx.engine.roles, username=username, display_name=username.title(),
            password=PASSWORD, roles=roles,
        )  # fmt: skip
    yield app, Api(app.test_client())
    ctx.db.dispose()


def _api_to_plan(api: Api) -> int:
    path = api.start_path()
    for step in TO_PLAN:
        api.complete(DOERS[step], path, step)
    return path


def test_api_reads_and_corrects_an_entry(site: tuple[Flask, Api]) -> None:
    app, api = site
    path = _api_to_plan(api)
    listed = api.get(f"/instances/{path}/submissions", "lauri").json
    [physician] = [s for s in listed if s["bpmn_id"] == "Task_physician_assessment"]
    sid = physician["id"]
    read = api.get(f"/submissions/{sid}", "sanna")  # the social worker: no health data
    assert read.status_code == 200, read.json
    assert read.json["data"] == {} and "diagnosis_summary" in read.json["hidden"]
    assert read.json["may_correct"] is False
    # the hidden value is nowhere in the answer: not in a revision, not in a form
    assert physician["data"]["diagnosis_summary"] not in read.get_data(as_text=True)
    refused = api.post(
        f"/submissions/{sid}/corrections", "sanna",
        json={"data": {"diagnosis_summary": "x"}, "reason": "Korjaus"},
    )  # fmt: skip
    assert refused.status_code == 403 and refused.json["code"] == "correction_refused"
    no_reason = api.post(
        f"/submissions/{sid}/corrections", "lauri",
        json={"data": {**physician["data"], "physician_work_ability": 3}, "reason": " "},
    )  # fmt: skip
    assert no_reason.status_code == 400 and "reason" in no_reason.json["errors"]
    bad = api.post(f"/submissions/{sid}/corrections", "lauri", json={"data": "x", "reason": "r"})
    assert bad.status_code == 400
    # the refused ones made no revision: the entry is still its original alone
    unchanged = api.get(f"/submissions/{sid}", "lauri").json
    assert unchanged["id"] == sid and len(unchanged["revisions"]) == 1
    assert unchanged["data"] == physician["data"]
    made = api.post(
        f"/submissions/{sid}/corrections", "lauri",
        json={"data": {**physician["data"], "physician_work_ability": 3}, "reason": "Väärä luku"},
    )  # fmt: skip
    assert made.status_code == 201, made.json
    again = api.get(made.headers["Location"].removeprefix("/api/v1"), "lauri").json
    assert again["id"] == made.json["id"] and again["original_id"] == sid
    assert again["data"]["physician_work_ability"] == 3
    assert [r["reason"] for r in again["revisions"]] == [None, "Väärä luku"]
    assert again["revisions"][1]["changed"] == ["physician_work_ability"]
    stale = api.post(
        f"/submissions/{sid}/corrections", "lauri",
        json={"data": {**physician["data"], "physician_work_ability": 2}, "reason": "Taas"},
    )  # fmt: skip
    assert stale.status_code == 409
    assert api.get("/submissions/999999", "lauri").status_code == 404
    spec = api.client.get("/api/v1/openapi.json").json
    assert "/api/v1/submissions/{submission_id}/corrections" in spec["paths"]


def _browser(app: Flask, username: str) -> FlaskClient:
    browser = app.test_client()
    signed = browser.post("/login", data={"username": username, "password": PASSWORD})
    assert signed.status_code == 302
    return browser


def _task_id(app: Flask, path: int, bpmn_id: str) -> str:
    with app.extensions["polku"].uow() as uow:
        found = uow.session.scalar(
            select(FormSubmission.task_id).where(
                FormSubmission.instance_id == path, FormSubmission.bpmn_id == bpmn_id
            )
        )
    assert found is not None
    return str(found)


def test_the_pages_show_an_entry_and_correct_it(site: tuple[Flask, Api]) -> None:
    app, api = site
    path = _api_to_plan(api)
    task = _task_id(app, path, "Task_support_plan")
    challenges = sample("Task_support_plan")["challenges"]  # health data
    # the author sees their entry whole; a colleague without health data sees it cut
    assert challenges in _browser(app, "timo").get(f"/tasks/{task}").get_data(as_text=True)
    page = _browser(app, "sanna").get(f"/tasks/{task}").get_data(as_text=True)
    assert challenges not in page and "Motivoitunut, hyvä asiakaspalvelija." in page
    assert _browser(app, "sanna").get(f"/tasks/{task}/correct").status_code == 403
    ctx = app.extensions["polku"]
    users.create_user(
        ctx.uow(), ctx.engine.roles, username="maija", display_name="Maija", password=PASSWORD,
        roles=["manager", "case_coordinator"],
    )  # fmt: skip
    maija = _browser(app, "maija")  # the team leader: corrects, sees no health data either
    form = maija.get(f"/tasks/{task}/correct").get_data(as_text=True)
    assert "Korjauksen syy" in form  # the correction form, in Finnish
    assert challenges not in form
    data = {
        "strengths": "Motivoitunut.", "client_view": "Haluaa kevyeen työhön.",
        "main_goal": "Työllistyminen", "services-0-service": "ips_supported_employment",
        "next_review_date": "2027-01-15", "case_manager": "aino", "conclusion": "treatment_first",
    }  # fmt: skip
    no_reason = maija.post(f"/tasks/{task}/correct", data=data)
    assert no_reason.status_code == 400 and "Kerro korjauksen syy." in no_reason.text
    with ctx.uow() as uow:  # refused: nothing kept
        assert uow.session.scalar(select(FormSubmission.id).where(
            FormSubmission.corrects_id.is_not(None))) is None  # fmt: skip
    saved = maija.post(
        f"/tasks/{task}/correct", data={**data, "correction_reason": "Johtopäätös väärin"}
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)[:3000]
    with ctx.uow() as uow:
        fixed = uow.session.scalar(
            select(FormSubmission).where(FormSubmission.corrects_id.is_not(None))
        )
        assert fixed is not None and fixed.submitted_by == "maija"
        assert fixed.data["challenges"] == challenges  # the field she does not see: kept
        assert fixed.decided_fields == ["conclusion"]
    client = api.get(f"/instances/{path}", "aino").json["client_id"]
    shown = _browser(app, "aino").get(f"/clients/{client}").get_data(as_text=True)
    assert 'id="recorded-' in shown and "correction-flag" in shown


def test_an_open_task_shows_earlier_entries_and_starts_prefilled(site: tuple[Flask, Api]) -> None:
    app, api = site
    path = api.start_path()
    for step in TO_PLAN[:-2]:
        overrides = {"work_restrictions": "Ei nostoja."} if "physician" in step else {}
        api.complete(DOERS[step], path, step, **overrides)
    task = api.task_of("timo", path, "Task_support_plan")
    page = _browser(app, "timo").get(f"/tasks/{task}").get_data(as_text=True)
    assert 'id="earlier-title"' in page
    assert "Ei nostoja.</textarea>" in page  # the challenges field starts with it


def test_a_failed_submit_still_shows_the_earlier_entries(site: tuple[Flask, Api]) -> None:
    app, api = site
    path = api.start_path()
    for step in TO_PLAN[:-2]:
        api.complete(DOERS[step], path, step)
    task = api.task_of("timo", path, "Task_support_plan")
    answered = _browser(app, "timo").post(f"/tasks/{task}", data={})  # required fields missing
    assert answered.status_code == 400
    page = answered.get_data(as_text=True)
    assert 'id="earlier-title"' in page and 'aria-invalid="true"' in page


def test_the_history_names_no_corrected_field_the_reader_does_not_see(services: Services) -> None:
    iid = _to_plan(services)
    row = _submission(services, iid, "Task_physician_assessment")
    _correct(services, services.actors["lauri"], row, diagnosis_summary="Niskakipu.")
    client_id = services.open_tasks(iid)[0].client_id

    def corrected(reader: str) -> dict[str, Any]:
        page = client_page.read_client_page(
            services.uow(), services.engine, services.clock, services.actors[reader], client_id
        )
        [event] = [e for e in page.paths[0].history if e["kind"] == "submission_corrected"]
        return dict(event["data"])

    assert corrected("fanni")["fields"] == ["diagnosis_summary"]  # sees health data
    assert corrected("timo")["fields"] == []  # does not: not even the field's name
