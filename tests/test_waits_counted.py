"""Where clients wait (issue 16 §4), on the real national path and on constructed rows whose
answers are worked out by hand: awaited decisions and timers are rows and diagram badges of
their own, attributed to the party waited for; what the engine does on its own does not
reset "working days without events"; shares are rounded once, as shown (33,3 %); the period
filters every figure it is shown with; the stalled list pages and counts truthfully; weeks
start on Monday in Finnish time on SQLite and on PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text, true
from sqlalchemy.orm import Session

from engine.analytics import stall_list, weeks
from engine.analytics.report_paths import ReportPaths
from engine.analytics.stalls import Scope
from engine.analytics.workdays import FINLAND, working_days_between
from engine.clock import FrozenClock
from engine.persistence import schema
from engine.persistence.database import make_engine, make_session_factory
from engine.persistence.tables import (
    Client,
    HumanTask,
    ProcessInstance,
    ProcessModel,
    ProcessModelVersion,
)
from engine.services import dashboards, instances
from engine.services.demo import TO_PLAN
from tests.conftest import Services
from tests.test_dashboard_ui import app, csv_rows, manager, svc  # noqa: F401
from tests.test_waits import AWAITING
from tests.test_workspace_ui import login, text_of

HELSINKI_SUNDAY_LATE = datetime(2026, 11, 29, 22, 30, tzinfo=UTC)  # Mon 00:30 in Helsinki


def _at_kela_wait(svc: Services) -> int:  # noqa: F811
    iid = svc.start()
    svc.walk(iid, *TO_PLAN, AWAITING)  # the plan names Aino the case manager
    return iid


def _at_follow_up_timer(svc: Services) -> int:  # noqa: F811
    iid = svc.start()
    svc.walk(iid, *TO_PLAN, "Task_arrange_services")
    return iid


def _steps(client: FlaskClient, query: str = "model=national") -> dict[str, list[str]]:
    rows = csv_rows(client, f"/dashboard?{query}&download=steps")
    return {r[0]: r for r in rows[1:]}


def test_a_kela_wait_and_a_timer_are_rows_and_badges_of_their_own(
    app: Flask,  # noqa: F811
    svc: Services,  # noqa: F811
    manager: FlaskClient,  # noqa: F811
) -> None:
    _at_kela_wait(svc)
    _at_follow_up_timer(svc)
    _at_follow_up_timer(svc)
    steps = _steps(manager)
    waiting_for = {name: row[-1] for name, row in steps.items()}
    # the Kela decision is the Kela advisor's worklist item; the timer has no item at all
    kela = [r for r in steps.values() if r[-1] == "Kela"]
    calendar = [r for r in steps.values() if r[-1] == "the calendar (a timer)"]
    assert len(kela) == 1 and kela[0][5] == "1", waiting_for
    assert len(calendar) == 1 and calendar[0][5] == "2", waiting_for
    assert all(r[-1] == "" for r in steps.values() if r not in kela + calendar)  # the team's
    heat = manager.get("/dashboard/diagram.json?model=national").get_json()
    cells = {c["id"]: c for c in heat["cells"]}
    assert cells["Event_follow_up_timer"]["waited_for"] == "calendar"
    timer = cells["Event_follow_up_timer"]["label"]
    assert timer == "2 waiting for: the calendar (a timer), 0 overdue"
    [decision] = [c for c in heat["cells"] if c["waited_for"] == "kela"]
    assert decision["waiting"] == 1 and "waiting for: Kela" in decision["label"]
    # the stalled list names what a quiet path waits for
    page = dashboards.stalled(svc.uow(), svc.clock, _maija(svc), Scope(), quiet_days=1)
    assert page.total == 0  # nobody is quiet yet
    svc.clock.advance(days=8)
    page = dashboards.stalled(svc.uow(), svc.clock, _maija(svc), Scope(), quiet_days=1)
    assert sorted(tuple(r.waiting_for) for r in page) == [("calendar",), ("calendar",), ("kela",)]


def _maija(svc: Services) -> Any:  # noqa: F811
    return svc.actors["maija"]


def test_a_timer_firing_is_not_activity_on_the_path(
    svc: Services,  # noqa: F811
) -> None:
    iid = _at_follow_up_timer(svc)
    with svc.uow() as uow:
        before = uow.session.get(ProcessInstance, iid).last_activity_at  # type: ignore[union-attr]
    svc.clock.advance(days=45)  # past the 30-day follow-up timer
    assert instances.fire_due_timers(svc.uow, svc.engine, svc.clock) == 1
    assert {t.bpmn_id for t in svc.open_tasks(iid)} == {"Task_follow_up_review"}
    with svc.uow() as uow:
        after = uow.session.get(ProcessInstance, iid).last_activity_at  # type: ignore[union-attr]
    assert after == before  # the engine moved the path; nobody did anything with the client
    [row] = dashboards.stalled(svc.uow(), svc.clock, _maija(svc), Scope(), quiet_days=10)
    assert row.instance_id == iid
    assert row.quiet_working_days == working_days_between(before, svc.clock())


def test_one_of_three_overdue_reads_33_3_percent_in_finnish(
    app: Flask,  # noqa: F811
    svc: Services,  # noqa: F811
    clock: FrozenClock,
) -> None:
    svc.start()
    clock.advance(days=30)  # due in five working days: this one is overdue
    svc.start()
    svc.start()
    finnish = login(app, "maija")
    finnish.get("/lang/fi")
    page = text_of(finnish.get("/dashboard?model=national").text)
    assert "33,3 %" in page and "33,0 %" not in page
    english = login(app, "maija")
    english.get("/lang/en")
    assert "33.3 %" in text_of(english.get("/dashboard?model=national").text)
    # the diagram's share is the exact fraction; the page rounds it once
    heat = english.get("/dashboard/diagram.json?model=national").get_json()
    [cell] = [c for c in heat["cells"] if c["id"] == "Task_encounter"]
    assert cell["share"] == pytest.approx(1 / 3)


def test_the_heading_names_the_diagram_it_shows(
    manager: FlaskClient,  # noqa: F811
    svc: Services,  # noqa: F811
) -> None:
    svc.start()
    html = text_of(manager.get("/dashboard").text)
    assert "On the diagram:" in html and "No model is chosen, so the diagram shows" in html
    assert "Choose a process model above to see its diagram." not in html
    chosen = text_of(manager.get("/dashboard?model=national").text)
    assert "No model is chosen" not in chosen


def test_the_period_filters_every_figure(
    svc: Services,  # noqa: F811
    manager: FlaskClient,  # noqa: F811
    clock: FrozenClock,
) -> None:
    clock.now = datetime(2026, 10, 5, 9, tzinfo=UTC)  # a Monday
    old = svc.start()
    svc.walk(old, "Task_encounter")
    clock.advance(days=21)
    svc.start()  # a step opened three weeks later
    clock.advance(days=21)
    everything = _steps(manager)
    assert everything["Encounter and raising the subject"][5] == "1"
    assert everything["Initial interview and advice"][5] == "1"
    late = _steps(manager, "model=national&since=2026-10-20")
    assert late["Encounter and raising the subject"][5] == "1"  # opened 26 October
    assert "Initial interview and advice" not in late  # opened 5 October: before the period
    early = _steps(manager, "model=national&until=2026-10-10")
    assert set(early) == {"Initial interview and advice"}
    heat = manager.get("/dashboard/diagram.json?model=national&since=2026-10-20").get_json()
    assert [c["id"] for c in heat["cells"]] == ["Task_encounter"]
    # the weekly trend shows the period's weeks only, and counts inside it only
    trend = csv_rows(manager, "/dashboard?model=national&since=2026-10-05&until=2026-10-18"
                     "&download=weekly-trend")  # fmt: skip
    assert [r[0] for r in trend[1:]] == ["2026-10-05", "2026-10-12"]
    assert trend[1][1:3] == ["2", "1"]  # two steps opened (encounter, interview), one done
    # the stalled list: the paths started in the period
    svc.clock.advance(days=1)
    rows = csv_rows(manager, "/dashboard/stalled?since=2026-10-20&download=stalled-clients")
    assert len(rows) == 2  # the heading and the one path started on 26 October
    assert len(csv_rows(manager, "/dashboard/stalled?download=stalled-clients")) == 3


def test_the_stalled_list_pages_and_counts_them_all(
    svc: Services,  # noqa: F811
    manager: FlaskClient,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(stall_list, "STALL_PAGE", 2)
    for _ in range(3):  # each ten days after the one before: the first the most overdue
        svc.start()
        svc.clock.advance(days=10)
    svc.clock.advance(days=20)
    first = text_of(manager.get("/dashboard/stalled").text)
    assert "3 stalled clients" in first and "Showing 1–2 of 3: the most overdue first" in first
    html = manager.get("/dashboard/stalled").text
    assert 'href="/dashboard/stalled?quiet_days=10&amp;start=2"' in html
    second = manager.get("/dashboard/stalled?start=2")
    assert "Showing 3–3 of 3" in text_of(second.text)
    first_rows = csv_rows(manager, "/dashboard/stalled?download=stalled-clients")[1:]
    [last] = csv_rows(manager, "/dashboard/stalled?start=2&download=stalled-clients")[1:]
    over = [int(r[4]) for r in first_rows]  # working days over target
    assert over == sorted(over, reverse=True) and min(over) > int(last[4])
    page = dashboards.stalled(svc.uow(), svc.clock, _maija(svc), Scope(), offset=2)
    assert (len(page), page.total, page.offset) == (1, 3, 2)


# ---------------------------------------------------------------- weeks on both databases


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    db = make_engine(database_url)
    schema.upgrade(db)
    factory = make_session_factory(db)
    with factory() as s:
        yield s
    db.dispose()


def _task(session: Session, version_id: int, instance_id: int, n: int, at: datetime) -> None:
    session.add(
        HumanTask(
            id=f"t{n}", instance_id=instance_id, kind="task", model_version_id=version_id,
            bpmn_id="Task_encounter", name="Kohtaaminen", phase="encounter", state="completed",
            created_at=at, completed_at=at + timedelta(minutes=10), due_at=at,
        )
    )  # fmt: skip


def test_weeks_start_on_monday_in_finnish_time_on_both_databases(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":  # a session time zone of its own
        session.execute(text("SET TIME ZONE 'America/New_York'"))
    model = ProcessModel(key="m", name="M", region=None)
    session.add(model)
    session.flush()
    version = ProcessModelVersion(
        model_id=model.id, number=1, process_id="p", content_hash="h", files={},
        deployed_at=HELSINKI_SUNDAY_LATE, deployed_by="test", main_file="m.bpmn",
    )  # fmt: skip
    client = Client(pseudonym="P-1", full_name="X", created_at=HELSINKI_SUNDAY_LATE,
                    created_by="test")  # fmt: skip
    session.add_all([version, client])
    session.flush()
    path = ProcessInstance(
        client_id=client.id, model_version_id=version.id, status="running",
        created_at=HELSINKI_SUNDAY_LATE, updated_at=HELSINKI_SUNDAY_LATE, state="{}",
        serializer_version="1", lock_version=1,
    )  # fmt: skip
    session.add(path)
    session.flush()
    # Sunday 22:30 UTC is Monday 00:30 in Helsinki (winter): the new week's, in Finnish time;
    # Sunday 21:30 UTC is Sunday 23:30 there: the week before
    _task(session, version.id, path.id, 1, HELSINKI_SUNDAY_LATE)
    _task(session, version.id, path.id, 2, HELSINKI_SUNDAY_LATE - timedelta(hours=1))
    # summer time: Sunday 21:30 UTC is Monday 00:30 in Helsinki (UTC+3)
    _task(session, version.id, path.id, 3, datetime(2026, 6, 7, 21, 30, tzinfo=UTC))
    session.flush()
    now = datetime(2026, 12, 2, 12, tzinfo=UTC)
    everyone = ReportPaths(true())
    trend = {r.week_start: r for r in weeks.weekly_trend(session, now, Scope(), everyone)}
    assert trend["2026-11-30"].opened == 1 and trend["2026-11-30"].completed == 1
    assert trend["2026-11-23"].opened == 1 and trend["2026-11-23"].completed == 1
    assert list(trend)[-1] == "2026-11-30" and len(trend) == 13
    summer = Scope(
        since=datetime(2026, 6, 1, tzinfo=FINLAND), until=datetime(2026, 6, 15, tzinfo=FINLAND)
    )
    rows = weeks.weekly_trend(session, now, summer, everyone)
    assert [(r.week_start, r.opened) for r in rows] == [("2026-06-01", 0), ("2026-06-08", 1)]
    # the stalled list's order and count are the database's on both too
    session.add(HumanTask(
        id="t4", instance_id=path.id, kind="task", model_version_id=version.id,
        bpmn_id="Task_encounter", name="Kohtaaminen", phase="encounter", state="open",
        created_at=HELSINKI_SUNDAY_LATE, due_at=HELSINKI_SUNDAY_LATE,
    ))  # fmt: skip
    session.flush()
    page = stall_list.stalled_clients(session, now, Scope(), 10, everyone)
    assert page.total == 1 and page[0].days_over_target == 2  # Mon 30 Nov to Wed 2 Dec


def test_week_limits_keep_helsinki_midnight_through_daylight_saving() -> None:
    limits = weeks.week_limits(
        datetime(2026, 4, 1, tzinfo=UTC),
        Scope(
            since=datetime(2026, 3, 23, tzinfo=FINLAND), until=datetime(2026, 4, 6, tzinfo=FINLAND)
        ),
    )
    assert [d.astimezone(UTC).isoformat() for d in limits] == [
        "2026-03-22T22:00:00+00:00",  # Monday 23 March 00:00, UTC+2
        "2026-03-29T21:00:00+00:00",  # Monday 30 March 00:00, UTC+3 (clocks moved on the 29th)
        "2026-04-05T21:00:00+00:00",
    ]
