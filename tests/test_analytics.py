"""Service-level targets in working days, stalls, lead times, the pilots' metrics on a cohort
whose right answers are known by hand, and the event log out (to pm4py) and in."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from engine.analytics.stalls import Scope
from engine.analytics.workdays import add_working_days, due_at, working_days_between
from engine.errors import Forbidden, InvalidInput
from engine.services import dashboards, instances, sla, users
from engine.services.access import Actor
from engine.services.demo import DEMO_COUNTIES
from tests.conftest import PASSWORD, Services
from tests.test_regional_walks import test_walk as replay

WALKS = Path(__file__).parent / "walks"


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2026, 6, 18), 1, date(2026, 6, 22)),  # midsummer eve and day, then a weekend
        (date(2026, 6, 18), 2, date(2026, 6, 23)),
        (date(2026, 12, 23), 1, date(2026, 12, 28)),  # Christmas eve, day, Boxing Day, Sunday
        (date(2026, 12, 30), 2, date(2027, 1, 4)),  # New Year's Day and a weekend
        (date(2027, 1, 5), 1, date(2027, 1, 7)),  # Epiphany
        (date(2026, 11, 23), 5, date(2026, 11, 30)),  # an ordinary week
    ],
)
def test_working_days_skip_weekends_and_finnish_holidays(
    start: date, days: int, expected: date
) -> None:
    assert add_working_days(start, days) == expected


def test_working_days_between_and_due_time() -> None:
    a = datetime(2026, 12, 23, 10, tzinfo=UTC)
    assert working_days_between(a, datetime(2026, 12, 31, 10, tzinfo=UTC)) == 4
    assert due_at(a, 1) == datetime(2026, 12, 28, 14, 0, tzinfo=UTC)  # 16:00 in Helsinki


@pytest.fixture
def admin(services: Services) -> Actor:
    uid = users.create_user(
        services.uow(),
        services.engine.roles,
        username="root",
        display_name="Admin",
        password=PASSWORD,
        roles=[],
        is_admin=True,
    )
    return Actor.from_user(users.get_user(services.uow(), uid))  # type: ignore[arg-type]


@pytest.fixture
def manager(services: Services) -> Actor:
    uid = users.create_user(
        services.uow(),
        services.engine.roles,
        username="maija",
        display_name="Maija Manageri",
        password=PASSWORD,
        roles=["manager"],
        organisations=DEMO_COUNTIES,  # she oversees every demo region's paths
    )
    return Actor.from_user(users.get_user(services.uow(), uid))  # type: ignore[arg-type]


def test_targets_give_due_dates_and_a_stalled_client_comes_and_goes(
    services: Services, admin: Actor, manager: Actor
) -> None:
    sla.set_target(
        services.uow(),
        services.clock,
        admin,
        model_key="national",
        bpmn_id="Task_encounter",
        phase=None,
        working_days=2,
    )
    with pytest.raises(Forbidden):
        sla.set_target(
            services.uow(),
            services.clock,
            manager,
            model_key=None,
            bpmn_id=None,
            phase="referral",
            working_days=5,
        )
    with pytest.raises(InvalidInput):
        sla.set_target(
            services.uow(),
            services.clock,
            admin,
            model_key=None,
            bpmn_id=None,
            phase="lunch",
            working_days=5,
        )
    iid = services.start()
    task = services.open_task(iid, "Task_encounter")
    assert task.due_at == due_at(services.clock(), 2)
    scope = Scope(model_key="national")
    assert dashboards.stalled(services.uow(), services.clock, manager, scope) == []

    services.clock.now = task.due_at + timedelta(days=3)
    [row] = dashboards.stalled(services.uow(), services.clock, manager, scope)
    assert row.instance_id == iid and "overdue" in row.reasons
    assert row.days_over_target is not None and row.days_over_target >= 1
    assert row.name is None and row.pseudonym.startswith("A-")  # no names for managers
    assert row.held_by == ["work_ability_coordinator"]
    named = dashboards.stalled(services.uow(), services.clock, services.actors["kaisa"], scope)
    assert named[0].name == "Testi Asiakas"  # a coordinator may see the client
    board = dashboards.dashboard(services.uow(), services.clock, manager, scope)
    [step] = [s for s in board.steps if s.bpmn_id == "Task_encounter"]
    assert (step.waiting, step.overdue) == (1, 1)

    services.walk(iid, "Task_encounter")
    assert dashboards.stalled(services.uow(), services.clock, manager, scope) == []
    # No event for ten working days makes a path stall too.
    services.clock.advance(days=20)
    [quiet] = dashboards.stalled(services.uow(), services.clock, manager, scope)
    assert quiet.reasons == ["quiet"]


def test_changing_a_target_moves_open_due_dates(services: Services, admin: Actor) -> None:
    iid = services.start()
    assert services.open_task(iid, "Task_encounter").due_at is None
    sla.set_target(
        services.uow(),
        services.clock,
        admin,
        model_key=None,
        bpmn_id=None,
        phase="encounter",
        working_days=5,
    )
    task = services.open_task(iid, "Task_encounter")
    assert task.due_at == due_at(task.created_at, 5)


def _rovaniemi_cohort(services: Services) -> None:
    doc = json.loads((WALKS / "rovaniemi.json").read_text(encoding="utf-8"))
    for walk in doc["walks"]:
        replay(services, "rovaniemi", walk)


def test_pilot_metrics_on_a_cohort_known_by_hand(services: Services, manager: Actor) -> None:
    _rovaniemi_cohort(services)  # four clients, see tests/walks/rovaniemi.json
    result = dashboards.pilot_metrics(
        services.uow(), services.clock, manager, Scope(model_key="rovaniemi")
    )
    assert (result.contacted, result.enrolled) == (4, 3)  # the urgent-care exit never enrolled
    assert (result.plan_coverage.numerator, result.plan_coverage.denominator) == (3, 3)
    assert result.case_manager_coverage.value == 1.0
    assert (result.coached, result.employed, result.relationships) == (1, 1, 1)
    assert result.employment_rate.value == 1.0 and result.relationship_rate.value == 1.0
    table = {r.category: (r.count, r.percent) for r in result.referrals}
    # by relationship, of the persons coached: the work trial closed a path without coaching
    assert table["employment_company_wage_subsidy"] == (1, 100.0)
    assert table["work_trial"] == (0, 0.0)
    every = {r.category: r.count for r in result.all_referrals}
    assert every["work_trial"] == 1 and every["employment_company_wage_subsidy"] == 1
    assert table["study"] == (0, 0.0)
    assert (result.consultation_sessions, result.consultation_cases) == (1, 1)
    # first and latest scores (5, 2), (5, 6), (5, 8): one worse, two better, mean +1/3
    change = result.kykyviisari
    assert (change.clients, change.improved, change.unchanged, change.worsened) == (3, 2, 0, 1)
    assert result.kykyviisari_mean_change == 0.33
    lead = dashboards.dashboard(
        services.uow(), services.clock, manager, Scope(model_key="rovaniemi")
    ).lead_times
    assert lead["contact->plan"].count == 3 and lead["contact->closed"].count == 4
    empty = dashboards.pilot_metrics(
        services.uow(), services.clock, manager, Scope(model_key="kainuu")
    )
    assert empty.contacted == 0 and empty.plan_coverage.value is None


def test_export_reads_in_pm4py_and_discovers_a_model(
    services: Services, manager: Actor, tmp_path: Path
) -> None:
    pm4py = pytest.importorskip("pm4py")
    _rovaniemi_cohort(services)
    xes = "".join(
        dashboards.export_log(services.uow(), services.clock, manager, Scope(), "secret", "xes")
    )
    assert "Testi Asiakas" not in xes and "A-" not in xes  # no names, no client pseudonyms
    (tmp_path / "log.xes").write_text(xes, encoding="utf-8")
    log = pm4py.read_xes(str(tmp_path / "log.xes"))
    assert log["case:concept:name"].nunique() == 4
    net, initial, final = pm4py.discover_petri_net_inductive(log)
    assert len(net.transitions) > 5
    csv_text = "".join(
        dashboards.export_log(services.uow(), services.clock, manager, Scope(), "secret", "csv")
    )
    (tmp_path / "log.csv").write_text(csv_text, encoding="utf-8")
    import pandas

    frame = pandas.read_csv(tmp_path / "log.csv")
    frame = pm4py.format_dataframe(
        frame, case_id="case_id", activity_key="activity", timestamp_key="timestamp"
    )
    assert pm4py.discover_dfg(frame)[0]  # directly-follows graph from the CSV


def test_importing_an_event_log(services: Services, manager: Actor) -> None:
    good = (
        "case_id,activity,timestamp,resource,lifecycle,outcome\n"
        "p-1,Kohtaaminen ja puheeksiotto,2024-01-02T09:00:00+02:00,nurse,complete,\n"
        "p-1,Lääkärin työkykyarvio,2024-01-09T09:00:00+02:00,physician,complete,\n"
        "p-1,Työkyvyn tuen suunnitelma ja asiakasvastaavasta sopiminen,"
        "2024-01-20T09:00:00Z,case_coordinator,complete,\n"
        "p-1,Asiakkuuden päättäminen,2024-05-01T09:00:00Z,case_manager,complete,"
        "work_trial\n"
        "p-2,Kohtaaminen ja puheeksiotto,2024-02-01T09:00:00Z,nurse,complete,\n"
    )
    dataset_id = dashboards.import_log(
        services.uow(),
        services.clock,
        manager,
        name="Pilotti",
        model_key="national",
        content=good.encode(),
    )
    result = dashboards.imported_metrics(services.uow(), services.engine, manager, dataset_id)
    assert (result.contacted, result.enrolled, result.plan_coverage.value) == (2, 1, 1.0)
    # nobody was coached: the work trial is one of every client's relationships
    assert {r.category: r.count for r in result.all_referrals}["work_trial"] == 1
    assert result.relationships == 0 and result.all_relationships == 1


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "line 1: the file is empty"),
        (b"case,activity\nx,y\n", "line 1: the header must be"),
        (
            b"case_id,activity,timestamp,resource,lifecycle\nc,a,2024-01-01T00:00:00Z,r,complete\n"
            b"c,a,yesterday,r,complete\n",
            "line 3: timestamp 'yesterday' is not ISO 8601",
        ),
        (
            b"case_id,activity,timestamp,resource,lifecycle\nc,a,2024-01-01T00:00:00,r,complete\n",
            "line 2: timestamp '2024-01-01T00:00:00' has no time zone",
        ),
        (
            b"case_id,activity,timestamp,resource,lifecycle\nc,a,2024-01-01T00:00:00Z,r,done\n",
            "line 2: lifecycle 'done'",
        ),
        (
            b"case_id,activity,timestamp,resource,lifecycle\nc,,2024-01-01T00:00:00Z,r,start\n",
            "line 2: activity is empty",
        ),
        (
            b"case_id,activity,timestamp,resource,lifecycle\nc,a,2024-01-01T00:00:00Z\n",
            "line 2: expected 5 fields, found 3",
        ),
        (b"\xff\xfe\x00binary", "Not UTF-8"),
    ],
)
def test_a_malformed_log_is_refused_naming_the_line(
    services: Services, manager: Actor, content: bytes, problem: str
) -> None:
    with pytest.raises(InvalidInput) as info:
        dashboards.import_log(
            services.uow(), services.clock, manager, name="x", model_key="national", content=content
        )
    assert problem in info.value.errors["file"][0]
    assert dashboards.list_datasets(services.uow(), manager) == []


def test_only_managers_auditors_and_coordinators_see_dashboards(services: Services) -> None:
    with pytest.raises(Forbidden):
        dashboards.dashboard(services.uow(), services.clock, services.actors["lauri"], Scope())
    assert instances is not None


def test_fast_working_day_count_agrees_with_counting_day_by_day() -> None:
    import random

    from engine.analytics.workdays import FINLAND, is_working_day

    rng = random.Random(3)
    for _ in range(300):
        a = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=rng.uniform(0, 800))
        b = a + timedelta(days=rng.uniform(0, 400))
        first, last = a.astimezone(FINLAND).date(), b.astimezone(FINLAND).date()
        slow = sum(
            1
            for i in range(1, (last - first).days + 1)
            if is_working_day(first + timedelta(days=i))
        )
        assert working_days_between(a, b) == slow


def test_step_waits_are_the_median_and_90th_percentile_of_the_open_steps(
    services: Services, manager: Actor
) -> None:
    from engine.analytics.stats import Distribution

    started = []
    for days in (0, 1, 2, 4, 7, 11, 16):  # seven clients, reached the step days apart
        services.clock.advance(days=days)
        started.append(services.clock())
        services.start()
    ages = [(services.clock() - t).total_seconds() / 86400 for t in started]
    expected = Distribution.of(ages)
    board = dashboards.dashboard(
        services.uow(), services.clock, manager, Scope(model_key="national")
    )
    [step] = [s for s in board.steps if s.bpmn_id == "Task_encounter"]
    assert step.waiting == 7
    assert (step.median_days, step.p90_days, step.oldest_days) == (
        expected.median,
        expected.p90,
        expected.maximum,
    )
    # by hand: waits 0, 16, 27, 34, 38, 40, 41 days; the 90th percentile lies 0.4 of the way
    # from the sixth to the seventh
    assert (step.median_days, step.p90_days, step.oldest_days) == (34.0, 40.4, 41.0)
