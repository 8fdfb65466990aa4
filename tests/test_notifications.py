"""Notifications (issue 14 §4): each kind made when it happens, one per thing, read and
unread, hidden once the thing is no longer the person's to see, the counts and the API."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, time, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import make_transient

from engine.analytics.workdays import FINLAND
from engine.clock import FrozenClock
from engine.errors import NotFound
from engine.persistence.daily_work import Notification
from engine.persistence.tables import AccessLog, HumanTask, User
from engine.services import instances, notifications, users, waits, workspace
from engine.services.access import Actor
from engine.services.demo import TO_PLAN
from engine.services.notification_jobs import quiet_since, timed_notices
from tests.conftest import PASSWORD, STAFF, Services
from tests.test_api import Api, make_app


def _notices(services: Services, who: str) -> list[notifications.Notice]:
    return notifications.list_notices(services.uow(), services.clock, services.actors[who])


def _kinds(services: Services, who: str) -> list[tuple[str, str | None]]:
    return [(n.kind, n.task_name) for n in _notices(services, who)]


def _rows(services: Services) -> int:
    with services.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(Notification)) or 0)


def _to_plan(services: Services) -> int:
    path = services.start()
    services.walk(path, *TO_PLAN)
    return path


def test_a_task_ready_in_my_queue_is_offered_to_me_once(services: Services) -> None:
    path = services.start()
    services.walk(path, "Task_encounter", "Task_initial_interview")
    lauri = _notices(services, "lauri")
    physician = services.open_task(path, "Task_physician_assessment")
    offered = [n for n in lauri if n.task_id == physician.id]
    assert [(n.kind, n.unread) for n in offered] == [("task_offered", True)]
    pseudonym = offered[0].client_pseudonym
    assert pseudonym and pseudonym.startswith("A-") and offered[0].task_name == physician.name
    # the one who made it happen is not told; other roles are not told
    assert not [n for n in _notices(services, "kaisa") if n.task_id == physician.id]
    assert not [n for n in _notices(services, "ari") if n.task_id == physician.id]
    # once per thing: making the same notices again changes nothing and fails nothing
    before = _rows(services)
    with services.uow() as uow:
        task = uow.session.get(HumanTask, physician.id)
        assert task is not None
        uow.session.expunge(task)
        make_transient(task)
        with uow.session.no_autoflush:
            uow.session.add(task)  # pending again, as synchronise leaves a new row
            notifications.tasks_ready(uow, services.clock(), "kaisa")
            uow.session.expunge(task)
        uow.commit()
    assert _rows(services) == before


def test_nothing_is_offered_across_organisation_lines(services: Services) -> None:
    other = users.create_user(
        services.uow(), services.engine.roles, username="olli", display_name="Olli",
        password=PASSWORD, roles=["physician"], organisations=["hva-kainuu"],
    )  # fmt: skip
    path = services.start()
    services.walk(path, "Task_encounter", "Task_initial_interview")
    physician = services.open_task(path, "Task_physician_assessment")
    # North Savo's physician is offered it (so a notice was made), Kainuu's is not
    assert [n.kind for n in _notices(services, "lauri") if n.task_id == physician.id] == [
        "task_offered"
    ]
    with services.uow() as uow:
        mine = uow.session.scalars(select(Notification).where(Notification.user_id == other))
        assert list(mine) == []
    olli = users.get_user(services.uow(), other)
    assert olli is not None
    actor = Actor.from_user(olli)
    assert notifications.list_notices(services.uow(), services.clock, actor) == []
    assert notifications.unread_count(services.uow(), services.clock, actor) == 0


def test_the_case_managers_task_is_assigned_and_a_hand_over_tells_the_new_holder(
    services: Services,
) -> None:
    path = _to_plan(services)
    task = services.open_task(path, "Task_arrange_services")
    assert ("task_assigned", task.name) in _kinds(services, "aino")
    workspace.hand_over(services.uow(), services.clock, services.actors["timo"], task.id,
                        "ari", "Lomalla")  # fmt: skip
    [notice] = [n for n in _notices(services, "ari") if n.task_id == task.id]
    assert notice.kind == "task_handed_over" and notice.params == {"by": "timo"}
    # the task is no longer aino's: her notice about it is hidden, and refused when opened
    assert not [n for n in _notices(services, "aino") if n.task_id == task.id]
    with services.uow() as uow:
        old = uow.session.scalar(
            select(Notification.id).where(
                Notification.user_id == services.actors["aino"].user_id,
                Notification.task_id == task.id,
            )
        )
    assert old is not None
    with pytest.raises(NotFound):
        notifications.mark_read(services.uow(), services.clock, services.actors["aino"], old)


def test_a_message_on_my_clients_path_tells_the_case_manager(services: Services) -> None:
    path = _to_plan(services)
    services.complete(path, "Task_arrange_services", awaits_external_decision=True)
    instances.deliver_message(
        services.uow(), services.engine, services.clock, services.actors["kaisa"], path,
        "kela_decision", {"decision": "approved"},
    )  # fmt: skip
    arrived = [n for n in _notices(services, "aino") if n.kind == "message_arrived"]
    assert [n.params for n in arrived] == [{"message": "kela_decision"}]
    assert arrived[0].instance_id == path and arrived[0].task_id is None


def test_a_decision_recorded_from_the_worklist_tells_the_case_manager_too(
    services: Services,
) -> None:
    path = _to_plan(services)
    services.complete(path, "Task_arrange_services", awaits_external_decision=True)
    [wait] = services.open_tasks(path, kind="wait")
    waits.record_decision(
        services.uow(), services.engine, services.clock, services.actors["kaisa"], wait.id,
        {"decision": "approved", "decision_date": "2026-12-01"},
    )  # fmt: skip
    arrived = [n for n in _notices(services, "aino") if n.kind == "message_arrived"]
    assert [(n.instance_id, n.params) for n in arrived] == [(path, {"message": "kela_decision"})]


def test_read_unread_counts_and_mark_all(services: Services) -> None:
    path = _to_plan(services)
    aino = services.actors["aino"]
    count = notifications.unread_count(services.uow(), services.clock, aino)
    notices = _notices(services, "aino")
    assert count == len(notices) >= 1
    first = notices[0]
    # another person's notice is not found, and their try marks nothing read
    with pytest.raises(NotFound):
        notifications.mark_read(services.uow(), services.clock, services.actors["ari"], first.id)
    assert notifications.unread_count(services.uow(), services.clock, aino) == count
    assert _notices(services, "aino")[0].unread
    opened = notifications.mark_read(services.uow(), services.clock, aino, first.id)
    assert opened.read_at is not None and opened.task_id == first.task_id
    assert notifications.unread_count(services.uow(), services.clock, aino) == count - 1
    assert not _notices(services, "aino")[0].unread
    notifications.mark_all_read(services.uow(), services.clock, aino)
    assert notifications.unread_count(services.uow(), services.clock, aino) == 0
    assert not any(n.unread for n in _notices(services, "aino"))
    assert {n.instance_id for n in _notices(services, "aino")} == {path}


def test_reading_the_list_is_logged_per_client_shown(services: Services) -> None:
    path = _to_plan(services)
    _notices(services, "aino")
    with services.uow() as uow:
        rows = list(
            uow.session.scalars(select(AccessLog).where(AccessLog.resource == "notifications"))
        )
    assert rows and {r.instance_id for r in rows} == {path}
    assert all(r.username == "aino" and r.basis == "own notifications" for r in rows)


def test_a_completed_task_leaves_the_list(services: Services) -> None:
    path = services.start()
    services.walk(path, "Task_encounter", "Task_initial_interview")
    physician = services.open_task(path, "Task_physician_assessment")
    assert [n for n in _notices(services, "lauri") if n.task_id == physician.id]
    services.complete(path, "Task_physician_assessment")
    assert not [n for n in _notices(services, "lauri") if n.task_id == physician.id]


def _due(services: Services, task_id: str, delta: timedelta) -> None:
    with services.uow() as uow:
        uow.session.execute(
            update(HumanTask).where(HumanTask.id == task_id).values(due_at=services.clock() + delta)
        )
        uow.commit()


def test_due_tomorrow_overdue_and_a_quiet_caseload_come_from_the_job(services: Services) -> None:
    path = _to_plan(services)
    task = services.open_task(path, "Task_arrange_services")
    other = _to_plan(services)
    late = services.open_task(other, "Task_arrange_services")
    local = services.clock().astimezone(FINLAND)
    noon_tomorrow = datetime.combine(local.date() + timedelta(days=1), time(12), FINLAND)
    _due(services, task.id, noon_tomorrow - services.clock())
    _due(services, late.id, -timedelta(hours=2))
    timed_notices(services.uow(), services.clock, quiet_days=10)
    kinds = {(n.kind, n.task_id) for n in _notices(services, "aino")}
    assert {("task_overdue", late.id), ("task_due_tomorrow", task.id)} <= kinds
    before = _rows(services)
    timed_notices(services.uow(), services.clock, quiet_days=10)  # again: nothing new
    assert _rows(services) == before
    assert not [n for n in _notices(services, "aino") if n.kind == "caseload_quiet"]
    services.clock.advance(days=20)
    timed_notices(services.uow(), services.clock, quiet_days=10)
    quiet = [n for n in _notices(services, "aino") if n.kind == "caseload_quiet"]
    assert {n.instance_id for n in quiet} == {path, other}
    assert quiet[0].params == {"days": 10}


def test_quiet_counts_working_days() -> None:
    # Monday 7.12.2026 noon: ten working days back (Independence Day 6.12. is a Sunday)
    now = datetime(2026, 12, 7, 10, 0, tzinfo=FINLAND)
    since = quiet_since(now, 10)
    assert since.isoformat().startswith("2026-11-24")


def test_administrators_and_roles_without_client_work_see_none(services: Services) -> None:
    _to_plan(services)
    assert _notices(services, "aino")  # with her own roles aino has some
    nobody = Actor(services.actors["aino"].user_id, "aino", "Aino", frozenset({"manager"}))
    assert notifications.list_notices(services.uow(), services.clock, nobody) == []
    assert notifications.unread_count(services.uow(), services.clock, nobody) == 0


# --- through the web: the header, the page, the API, the settings -------------------------


@pytest.fixture
def web_app(database_url: str, clock: FrozenClock) -> Iterator[Flask]:
    app = make_app(database_url, clock)
    ctx = app.extensions["polku"]
    for username, roles in STAFF.items():
        users.create_user(
            ctx.uow(), ctx.engine.roles, username=username, display_name=username.title(),
            password=PASSWORD, roles=roles,
        )  # fmt: skip
    yield app
    ctx.db.dispose()


@pytest.fixture
def web_api(web_app: Flask) -> Api:
    return Api(web_app.test_client())


def _browser(app: Flask, username: str) -> FlaskClient:
    browser = app.test_client()
    signed = browser.post("/login", data={"username": username, "password": PASSWORD})
    assert signed.status_code == 302
    return browser


def _to_physician(api: Api) -> int:
    path = api.start_path()
    for step in ("Task_encounter", "Task_initial_interview"):
        api.complete("kaisa", path, step)
    return path


def test_the_header_counts_the_page_lists_and_a_click_leads_to_the_task(
    web_app: Flask, web_api: Api
) -> None:
    app, api = web_app, web_api
    path = _to_physician(api)
    task = api.task_of("lauri", path, "Task_physician_assessment")
    lauri = _browser(app, "lauri")
    page = lauri.get("/").get_data(as_text=True)
    assert 'id="unread-count">1<' in page
    listed = lauri.get("/notifications").get_data(as_text=True)
    assert "Lääkärin työkykyarvio" in listed and "A-" in listed
    assert "Maija Mehiläinen" not in listed and "131052-308T" not in listed
    [notice] = api.get("/notifications", "lauri").json
    assert notice["task_id"] == task and notice["unread"] and notice["link"] == f"/tasks/{task}"
    assert lauri.get(f"/notifications/{notice['id']}").status_code == 405  # a GET changes nothing
    assert api.get("/notifications", "lauri").json[0]["unread"]
    opened = lauri.post(f"/notifications/{notice['id']}")
    assert opened.status_code == 302 and opened.headers["Location"] == f"/tasks/{task}"
    assert 'id="unread-count"' not in lauri.get("/").get_data(as_text=True)
    assert not api.get("/notifications", "lauri").json[0]["unread"]
    # another person cannot open it, nor learn of it
    fanni = _browser(app, "fanni")
    assert fanni.post(f"/notifications/{notice['id']}").status_code == 404
    assert notice["id"] not in [n["id"] for n in api.get("/notifications", "fanni").json]
    # the list and its links name the client by pseudonym only
    links = re.findall(r'(?:href|action)="([^"]*)"', listed)
    assert not [link for link in links if "Mehil" in link or "131052" in link]


def test_the_api_marks_read_and_refuses_bad_input(web_api: Api) -> None:
    api = web_api
    _to_physician(api)
    [notice] = api.get("/notifications", "lauri", query_string={"unread": "true"}).json
    read = api.post(f"/notifications/{notice['id']}/read", "lauri")
    assert read.status_code == 200 and read.json["read_at"] and not read.json["unread"]
    assert api.get("/notifications", "lauri", query_string={"unread": "true"}).json == []
    assert api.post("/notifications/999999/read", "lauri").status_code == 404
    for bad in ("abc", "0", "201"):
        refused = api.get("/notifications", "lauri", query_string={"limit": bad})
        assert refused.status_code == 400 and "limit" in refused.json["errors"]
    assert api.post(f"/notifications/{notice['id']}/read", "fanni").status_code == 404
    [still] = api.get("/notifications", "lauri").json
    assert still["id"] == notice["id"] and not still["unread"]


def test_mark_all_read(web_app: Flask, web_api: Api) -> None:
    app, api = web_app, web_api
    _to_physician(api)
    assert [n["unread"] for n in api.get("/notifications", "lauri").json] == [True]
    lauri = _browser(app, "lauri")
    done = lauri.post("/notifications/read-all")
    assert done.status_code == 302
    assert [n["unread"] for n in api.get("/notifications", "lauri").json] == [False]
    assert 'id="unread-count"' not in lauri.get("/").get_data(as_text=True)


def test_own_settings_and_the_administrators_person_page(web_app: Flask) -> None:
    app = web_app
    ctx = app.extensions["polku"]
    users.create_user(ctx.uow(), ctx.engine.roles, username="admin", display_name="Admin",
                      password=PASSWORD, roles=[], is_admin=True)  # fmt: skip
    lauri = _browser(app, "lauri")

    def stored() -> tuple[str | None, bool]:
        with ctx.uow() as uow:
            user = uow.session.scalar(select(User).where(User.username == "lauri"))
            assert user is not None
            return user.email, user.email_digest

    before = stored()
    for bad in ("not an address", "a@b", "x@example.fi\r\nBcc: y@example.fi", "a" * 250 + "@x.fi"):
        refused = lauri.post("/settings", data={"email": bad, "email_digest": ""})
        assert refused.status_code == 400
        assert 'aria-invalid="true"' in refused.get_data(as_text=True)
        assert stored() == before  # neither the address nor the switch was saved
    saved = lauri.post("/settings", data={"email": " lauri@example.fi ", "email_digest": ""})
    assert saved.status_code == 302
    with ctx.uow() as uow:
        user = uow.session.scalar(select(User).where(User.username == "lauri"))
        assert user is not None
        assert (user.email, user.email_digest) == ("lauri@example.fi", False)
        lauri_id = user.id
    assert "lauri@example.fi" in lauri.get("/settings").get_data(as_text=True)
    admin = _browser(app, "admin")
    assert "lauri@example.fi" in admin.get(f"/admin/people/{lauri_id}").get_data(as_text=True)
    bad = admin.post(f"/admin/people/{lauri_id}/email", data={"email": "nope"})
    assert bad.status_code == 400
    assert stored() == ("lauri@example.fi", False)
    good = admin.post(f"/admin/people/{lauri_id}/email", data={"email": "l.l@example.fi"})
    assert good.status_code == 302
    assert stored() == ("l.l@example.fi", False)
    refused = lauri.post(f"/admin/people/{lauri_id}/email", data={"email": "x@y.fi"})
    assert refused.status_code == 403
    assert stored() == ("l.l@example.fi", False)


def test_opening_a_notice_is_logged(web_app: Flask, web_api: Api) -> None:
    path = _to_physician(web_api)
    [notice] = web_api.get("/notifications", "lauri").json
    lauri = _browser(web_app, "lauri")
    for open_it in (
        lambda: lauri.post(f"/notifications/{notice['id']}"),
        lambda: web_api.post(f"/notifications/{notice['id']}/read", "lauri"),
    ):
        with web_app.extensions["polku"].uow() as uow:
            before = uow.session.scalar(select(func.max(AccessLog.id))) or 0
        assert open_it().status_code in (200, 302)
        with web_app.extensions["polku"].uow() as uow:
            rows = list(uow.session.scalars(select(AccessLog).where(AccessLog.id > before)))
        assert [(r.instance_id, r.resource, r.basis) for r in rows] == [
            (path, "notifications", "own notifications")
        ]
        assert rows[0].client_id is not None and rows[0].session_ref


def test_a_new_case_manager_is_told_of_the_tasks_they_now_hold(services: Services) -> None:
    path = _to_plan(services)
    task = services.open_task(path, "Task_arrange_services")
    instances.change_case_manager(
        services.uow(), services.clock, services.actors["timo"], path, "ari", "Vaihto"
    )
    assert ("task_assigned", task.id) in {(n.kind, n.task_id) for n in _notices(services, "ari")}
    assert not [n for n in _notices(services, "aino") if n.task_id == task.id]
