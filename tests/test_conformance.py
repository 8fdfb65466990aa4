"""Conformance to the national reference path (issue 16 §5) on constructed closed paths whose
answers are worked out by hand: five paths closed in November (two in the reference order, one
skipping the assessment, one coming back to services, one ended after the referral) and one
out of order closed in October; a running path and another organisation's path do not count.

By hand, for November: fitness 2/5 = 40 %; skipped 1 (assessment), lead time 30 days against
a median of 15 without; repeated 1 (services), 40 against 15; out of order 0 (20 without);
ended early 1 (assessment, services, follow-up), 5 against 25; 4 variants, the reference one
twice (median 15 days). pm4py (AGPL: in tests only) replays the same sequences on the reference
path's Petri net and finds the same share of fitting traces."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.analytics import conformance as figures
from engine.analytics.stalls import Scope
from engine.analytics.workdays import FINLAND
from engine.persistence.relationships import Organisation
from engine.persistence.tables import (
    Client,
    HumanTask,
    ProcessInstance,
    ProcessModel,
    ProcessModelVersion,
)
from engine.services import conformance
from engine.services.access import Actor
from tests.conftest import Services
from tests.test_analytics import manager  # noqa: F401
from tests.test_api import Api
from tests.test_dashboard_ui import app, csv_rows, svc  # noqa: F401
from tests.test_dashboard_ui import manager as manager_browser  # noqa: F401
from tests.test_workspace_ui import login, text_of

E, R, A, S, F = figures.REFERENCE
NOVEMBER = datetime(2026, 11, 2, 9, tzinfo=UTC)
NOVEMBER_PATHS = [  # (phases of the completed steps in order, lead time in days)
    ([E, R, R, A, A, A, S, F], 10),  # in order (three assessments in a row are one visit)
    ([E, R, A, S, F, F], 20),  # in order
    ([E, R, S, F], 30),  # the assessment skipped
    ([E, R, A, S, F, S], 40),  # back to services after the follow-up
    ([E, R], 5),  # closed after the referral
]
OCTOBER_PATH = ([E, R, S, A, F], 50)  # the assessment after the services


def _id(session: Any, model: Any, column: Any, value: str) -> int:
    return int(session.scalar(select(model.id).where(column == value)))


def add_path(
    where: Services,
    phases: list[str],
    days: float,
    closed: datetime | None,
    organisation: str = "hva-pohjois-savo",
) -> int:
    """A path started `days` before `closed` (None: still running), with one completed step
    per phase given, an hour apart."""
    with where.uow() as uow:
        s = uow.session
        version_id = s.scalar(
            select(ProcessModelVersion.id)
            .join(ProcessModel, ProcessModel.id == ProcessModelVersion.model_id)
            .where(ProcessModel.key == "national")
            .order_by(ProcessModelVersion.number.desc())
        )
        start = (closed or NOVEMBER) - timedelta(days=days)
        count = len(s.scalars(select(Client.id)).all())
        client = Client(pseudonym=f"C-{count}", full_name=f"Asiakas {count}", created_at=start,
                        created_by="test")  # fmt: skip
        s.add(client)
        s.flush()
        path = ProcessInstance(
            client_id=client.id, model_version_id=version_id,
            status="completed" if closed else "running", completed_at=closed,
            organisation_id=_id(s, Organisation, Organisation.code, organisation),
            created_at=start, updated_at=start, last_activity_at=start, state="{}",
            serializer_version="1", lock_version=1,
        )  # fmt: skip
        s.add(path)
        s.flush()
        for n, phase in enumerate(phases):
            at = start + timedelta(hours=n + 1)
            s.add(HumanTask(
                id=f"p{path.id}-{n}", instance_id=path.id, kind="task",
                model_version_id=version_id, bpmn_id=f"Task_{phase}", name=phase, phase=phase,
                state="completed", created_at=at, completed_at=at,
            ))  # fmt: skip
        uow.commit()
        return int(path.id)


def build(where: Services) -> None:
    for n, (phases, days) in enumerate(NOVEMBER_PATHS):
        add_path(where, phases, days, NOVEMBER + timedelta(days=n))
    add_path(where, OCTOBER_PATH[0], OCTOBER_PATH[1], datetime(2026, 10, 12, 9, tzinfo=UTC))
    add_path(where, [E, R, A], 3, None)  # running: not judged yet
    add_path(where, [E, S], 3, NOVEMBER, organisation="kela")  # not the manager's to count


def november() -> Scope:
    return Scope(since=datetime(2026, 11, 1, tzinfo=FINLAND))


def test_the_deviations_of_one_sequence() -> None:
    assert figures.deviations([E, R, A, S, F]) == {}
    assert figures.deviations([E, R, S, F]) == {"skipped": {A}}
    assert figures.deviations([E, R, A, S, F, S]) == {"repeated": {S}}
    assert figures.deviations([E, R]) == {"ended_early": {A, S, F}}
    assert figures.deviations([E, R, S, A, F]) == {"out_of_order": {A}}
    assert figures.deviations([E, R], closed=False) == {}  # a running path may go on
    assert figures.collapse([E, E, R, R, E]) == (E, R, E)


def test_conformance_of_constructed_paths_known_by_hand(
    services: Services,
    manager: Actor,  # noqa: F811
) -> None:
    build(services)
    result = conformance.report(services.uow(), services.clock, manager, november())
    assert (result.paths, result.fitting, result.fitness) == (5, 2, 0.4)
    [group] = result.groups
    assert (group.model_key, group.paths, group.fitting) == ("national", 5, 2)
    rows = {d.deviation: d for d in result.deviations}
    assert (rows["skipped"].paths, rows["skipped"].by_phase) == (1, {A: 1})
    assert (rows["skipped"].median_with, rows["skipped"].median_without) == (30.0, 15.0)
    assert (rows["repeated"].paths, rows["repeated"].by_phase) == (1, {S: 1})
    assert (rows["repeated"].median_with, rows["repeated"].median_without) == (40.0, 15.0)
    assert (rows["out_of_order"].paths, rows["out_of_order"].median_with) == (0, None)
    assert rows["out_of_order"].median_without == 20.0
    assert rows["ended_early"].by_phase == {A: 1, S: 1, F: 1}
    assert (rows["ended_early"].median_with, rows["ended_early"].median_without) == (5.0, 25.0)
    assert len(result.variants) == 4
    top = result.variants[0]
    assert (top.phases, top.paths, top.share, top.fits, top.median_days) == (
        (E, R, A, S, F), 2, 0.4, True, 15.0,
    )  # fmt: skip
    phases = {p.phase: p for p in result.phases}
    assert (phases[E].reached, phases[E].deviating) == (5, 0)
    assert (phases[A].reached, phases[A].counts["skipped"], phases[A].deviating) == (3, 1, 2)
    assert (phases[S].reached, phases[S].counts["repeated"], phases[S].deviating) == (4, 1, 2)
    assert (phases[F].reached, phases[F].counts["ended_early"]) == (4, 1)


def test_the_period_changes_the_figures(services: Services, manager: Actor) -> None:  # noqa: F811
    build(services)
    every = conformance.report(services.uow(), services.clock, manager, Scope())
    assert (every.paths, every.fitting) == (6, 2)
    assert {d.deviation: d.paths for d in every.deviations}["out_of_order"] == 1
    october = Scope(
        since=datetime(2026, 10, 1, tzinfo=FINLAND), until=datetime(2026, 11, 1, tzinfo=FINLAND)
    )
    only = conformance.report(services.uow(), services.clock, manager, october)
    assert (only.paths, only.fitting, only.fitness) == (1, 0, 0.0)
    assert [v.phases for v in only.variants] == [(E, R, S, A, F)]
    elsewhere = conformance.report(
        services.uow(), services.clock, manager, Scope(model_key="kainuu")
    )
    assert (elsewhere.paths, elsewhere.fitness) == (0, None)


def test_pm4py_replays_the_same_fitness(services: Services, manager: Actor) -> None:  # noqa: F811
    pm4py = pytest.importorskip("pm4py")
    pd = pytest.importorskip("pandas")
    build(services)
    with services.uow() as uow:
        from engine.analytics.report_paths import ReportPaths
        from engine.services import access

        closed = figures.closed_paths(
            uow.session, november(), ReportPaths(access.report_condition(manager))
        )

    def frame(traces: list[tuple[str, ...]]) -> Any:
        rows = [
            {"case:concept:name": str(n), "concept:name": phase,
             "time:timestamp": NOVEMBER + timedelta(hours=i)}
            for n, trace in enumerate(traces) for i, phase in enumerate(trace)
        ]  # fmt: skip
        return pd.DataFrame(rows)

    net, start, end = pm4py.discover_petri_net_inductive(frame([figures.REFERENCE]))
    replayed = pm4py.fitness_token_based_replay(
        frame([p.sequence for p in closed]), net, start, end
    )
    assert replayed["perc_fit_traces"] == pytest.approx(40.0)
    assert len(pm4py.get_variants(frame([p.sequence for p in closed]))) == 4


# ---------------------------------------------------------------- the page, its CSV, the API


def test_the_page_its_downloads_the_diagram_and_the_api(
    app: Flask,  # noqa: F811
    svc: Services,  # noqa: F811
    manager_browser: FlaskClient,  # noqa: F811
) -> None:
    build(svc)
    query = "since=2026-11-01"
    page = manager_browser.get(f"/dashboard/conformance?{query}")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "5 closed paths counted." in text and "Fitness 40.0 %" in text
    fitness = csv_rows(manager_browser, f"/dashboard/conformance?{query}"
                       "&download=conformance-fitness")  # fmt: skip
    assert fitness[-1][0] == "All" and fitness[-1][3:] == ["5", "2", "40.0"]
    deviations = {r[0]: r for r in csv_rows(
        manager_browser, f"/dashboard/conformance?{query}&download=conformance-deviations")}
    assert deviations["Phase skipped"][1:] == ["1", "Assessment and plan 1", "30.0", "15.0"]
    assert deviations["Ended early"][1] == "1"
    variants = csv_rows(manager_browser, f"/dashboard/conformance?{query}"
                        "&download=conformance-variants")  # fmt: skip
    assert len(variants) == 5 and variants[1][1:4] == ["2", "40.0", "Yes"]
    assert csv_rows(manager_browser, f"/dashboard/conformance?{query}"
                    "&download=conformance-phases")[0][0] == "Phase"  # fmt: skip
    # in Finnish, rounded the same way
    finnish = login(app, "maija")
    finnish.get("/lang/fi")
    assert "40,0 %" in text_of(finnish.get(f"/dashboard/conformance?{query}").text)
    # the diagram: every step of a phase coloured, the phase's first step with its badge
    heat = manager_browser.get(f"/dashboard/conformance/diagram.json?model=national&{query}")
    cells = heat.get_json()["cells"]
    badged = [c for c in cells if c["label"]]
    assert sorted(c["phase"] for c in badged) == sorted(figures.REFERENCE)
    [assessment] = [c for c in badged if c["phase"] == A]
    assert assessment["share"] == pytest.approx(2 / 5)
    assert assessment["label"] == (
        "Assessment and plan: 1 skipped, 0 repeated, 0 out of order, 1 ended before it (of 5)"
    )
    assert all(c["share"] == 0 for c in cells if c["phase"] == E)
    # the dashboards link to it
    assert 'href="/dashboard/conformance"' in manager_browser.get("/dashboard").text
    # the API gives the same figures
    body = Api(app.test_client()).get(
        "/dashboard/conformance?since=2026-11-01T00:00:00%2B02:00", "maija"
    ).json
    assert (body["paths"], body["fitting"], body["fitness"]) == (5, 2, 0.4)
    assert body["groups"][0]["fitness"] == 0.4 and len(body["variants"]) == 4


def test_only_those_who_may_see_dashboards_open_it(app: Flask) -> None:  # noqa: F811
    lauri = login(app, "lauri")  # a physician: no dashboards
    assert lauri.get("/dashboard/conformance").status_code == 403
    assert lauri.get("/dashboard/conformance/diagram.json").status_code == 403
    assert Api(app.test_client()).get("/dashboard/conformance", "lauri").status_code == 403


# ---------------------------------------------------------------- the same on PostgreSQL


def test_the_figures_are_the_same_on_both_databases(database_url: str) -> None:
    from sqlalchemy import true

    from engine.analytics.report_paths import ReportPaths
    from engine.persistence import schema
    from engine.persistence.database import make_engine, make_session_factory

    db = make_engine(database_url)
    schema.upgrade(db)
    with make_session_factory(db)() as s:
        model = ProcessModel(key="national", name="N", region=None)
        s.add(model)
        s.flush()
        version = ProcessModelVersion(
            model_id=model.id, number=1, process_id="p", content_hash="h", files={},
            deployed_at=NOVEMBER, deployed_by="test", main_file="n.bpmn",
        )  # fmt: skip
        s.add(version)
        s.flush()
        for n, (phases, days) in enumerate(NOVEMBER_PATHS):
            closed = NOVEMBER + timedelta(days=n)
            start = closed - timedelta(days=days)
            client = Client(pseudonym=f"C-{n}", full_name="X", created_at=start, created_by="t")
            s.add(client)
            s.flush()
            path = ProcessInstance(
                client_id=client.id, model_version_id=version.id, status="completed",
                completed_at=closed, created_at=start, updated_at=start, state="{}",
                serializer_version="1", lock_version=1,
            )  # fmt: skip
            s.add(path)
            s.flush()
            for i, phase in enumerate(phases):
                at = start + timedelta(hours=i + 1)
                s.add(HumanTask(
                    id=f"p{n}-{i}", instance_id=path.id, kind="task",
                    model_version_id=version.id, bpmn_id=phase, name=phase, phase=phase,
                    state="completed", created_at=at, completed_at=at,
                ))  # fmt: skip
        s.flush()
        result = figures.conformance(s, november(), ReportPaths(true()))
        assert (result.paths, result.fitting, len(result.variants)) == (5, 2, 4)
        medians = {d.deviation: (d.median_with, d.median_without) for d in result.deviations}
        assert medians["ended_early"] == (5.0, 25.0)
    db.dispose()
