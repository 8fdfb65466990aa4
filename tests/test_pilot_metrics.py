"""The pilots' metrics (DOMAIN.md §4, issue 16 §1–2) on a cohort whose every answer is worked
out by hand: on Polku's own Rovaniemi paths, and on records built by hand for the cohort rules
(which date puts a client in the period)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from engine.analytics import pilot_metrics as pm
from engine.analytics.stalls import Scope
from engine.errors import Forbidden, InvalidInput
from engine.persistence.tables import PilotTarget
from engine.services import dashboards, employment_events, instances, ips_fidelity, pilot_targets
from engine.services.access import Actor
from engine.services.demo import SAMPLE_FORM_DATA, sample
from tests.conftest import Services
from tests.test_analytics import admin, manager  # noqa: F401  (fixtures)

WALKS = json.loads((Path(__file__).parent / "walks" / "rovaniemi.json").read_text("utf-8"))
EMPLOYMENT_WALK, _TRIAL, PENSION_WALK, URGENT_WALK = (w["steps"] for w in WALKS["walks"])


def _index(steps: list[dict[str, Any]], task: str) -> int:
    return next(i for i, step in enumerate(steps) if step.get("task") == task)


FIRST_COACHING = _index(EMPLOYMENT_WALK, "Task_ips_coaching")  # the first IPS coaching step
UNCLEAR_PLAN = _index(PENSION_WALK, "Task_support_plan")  # the pension walk's "unclear" plan
CONSULTATION = _index(EMPLOYMENT_WALK, "Task_consultation_hour")
PLAN_DAY = _index(EMPLOYMENT_WALK, "Task_support_plan") + 1  # a day per step


def _replay(
    services: Services,
    iid: int,
    steps: list[dict[str, Any]],
    overrides: dict[int, dict[str, Any]] | None = None,
) -> None:
    """The walk's steps, a day apart (a timer: 400 days), with some steps' data changed."""
    for number, original in enumerate(steps):
        step = copy.deepcopy(original)
        step.setdefault("data", {}).update((overrides or {}).get(number, {}))
        if step.get("timer"):
            services.clock.advance(days=400)
            instances.fire_due_timers(services.uow, services.engine, services.clock)
            continue
        services.clock.advance(days=1)
        if "task" in step:
            _steps_between(services, iid, step["task"])
            task = services.open_task(iid, step["task"])
            instances.complete_task(
                services.uow(), services.engine, services.clock, services.doer(task), task.id,
                step["data"],
            )  # fmt: skip
        else:
            instances.deliver_message(
                services.uow(), services.engine, services.clock, services.actors["kerttu"], iid,
                step["message"], step.get("data", {}),
            )  # fmt: skip


def _steps_between(services: Services, iid: int, wanted: str) -> None:
    """Steps a model gained that the walk does not name (e.g. the client's own view before the
    plan): each done with its sample answers (without Kykyviisari: the answers below count the
    walk's) until the walk's next step is open."""
    for _attempt in range(3):
        open_now = services.open_tasks(iid)
        if not open_now or any(t.bpmn_id == wanted for t in open_now):
            return
        task = open_now[0]
        data = sample(task.bpmn_id) if task.bpmn_id in SAMPLE_FORM_DATA else {}
        data = {k: v for k, v in data.items() if not k.startswith("kykyviisari")}
        instances.complete_task(
            services.uow(), services.engine, services.clock, services.doer(task), task.id, data
        )


def _path(services: Services, client_id: int | None = None) -> tuple[int, int]:
    client = client_id or services.new_client()
    iid = instances.start_instance(
        services.uow(), services.engine, services.clock, services.actors["kaisa"], client,
        "rovaniemi",
    )  # fmt: skip
    return client, iid


def _employment(services: Services, iid: int, kind: str, **values: Any) -> None:
    employment_events.record_employment(
        services.uow(), services.clock, services.actors["aino"], iid, kind=kind,
        started_on=values.pop("started_on", "2026-04-15"), **values,
    )  # fmt: skip


def _cohort(services: Services) -> None:
    """Eight persons, nine paths (the answers: test_every_figure_on_polkus_own_paths).

    A: a whole employment path (an employment, company, with wage subsidy, recorded before the
       closing), then a second path to coaching (a work trial; Kykyviisari 9; the consultation
       hour on 4 March);
    B (referred by Kela): to coaching, an employment in the city;
    C (by social services): to coaching, an apprenticeship;
    D: to coaching, nothing recorded;
    E: a whole path closed "employment, company" although the closing says none started;
    F: the pension path, its plan first concluded "unclear", then approved;
    G: urgent care at once (contacted only);
    H: the pension path to its "unclear" plan only (enrolled, no approved plan)."""
    a, a1 = _path(services)
    _replay(services, a1, EMPLOYMENT_WALK[:-1])
    _employment(services, a1, "employment", sector="company", wage_subsidy=True)
    _replay(services, a1, EMPLOYMENT_WALK[-1:])
    _a, a2 = _path(services, a)
    changes: dict[int, dict[str, Any]] = {
        0: {"kykyviisari_work_ability": 9},
        CONSULTATION: {"consultation_date": "2026-03-04"},
    }
    _replay(services, a2, EMPLOYMENT_WALK[: FIRST_COACHING + 1], changes)
    _employment(services, a2, "work_trial", sector="company", started_on="2026-05-02")
    for channel, kind, sector in (("kela", "employment", "city"),
                                  ("social_services", "apprenticeship", "company"),
                                  (None, None, None)):  # fmt: skip
        _c, iid = _path(services)
        entry = {0: {"entry_channel": channel}} if channel else {}
        _replay(services, iid, EMPLOYMENT_WALK[: FIRST_COACHING + 1], entry)
        if kind:
            _employment(services, iid, kind, sector=sector)
    _e, e = _path(services)
    closing = len(EMPLOYMENT_WALK) - 1
    _replay(services, e, EMPLOYMENT_WALK, {closing: {
        "outcome": "employment_company", "employment_started": False,
        "employment_relationships": 0}})  # fmt: skip
    _f, f = _path(services)
    _replay(services, f, PENSION_WALK)
    _g, g = _path(services)
    _replay(services, g, URGENT_WALK)
    _h, h = _path(services)
    _replay(services, h, PENSION_WALK[: UNCLEAR_PLAN + 1])


def test_every_figure_on_polkus_own_paths(services: Services, manager: Actor) -> None:  # noqa: F811
    _cohort(services)
    with services.uow() as uow:
        for key, value in (("rovaniemi", "social_services"), ("eksote", "social_services")):
            uow.session.add(PilotTarget(
                model_key=key, label=f"Sosiaalihuolto {key}", bpmn_id="Task_encounter",
                group_field="entry_channel", group_value=value, target_min=2, target_max=4,
            ))  # fmt: skip
        uow.commit()
    m = dashboards.pilot_metrics(
        services.uow(), services.clock, manager, Scope(model_key="rovaniemi")
    )
    # distinct clients, not paths: A's two paths are one person
    assert (m.contacted, m.enrolled) == (8, 7)
    # F's plan counts (approved the second time); H's "unclear" one does not
    assert (m.plan_coverage.numerator, m.plan_coverage.denominator) == (6, 7)
    assert (m.case_manager_coverage.numerator, m.case_manager_coverage.denominator) == (7, 7)
    # 5 coached; A, B and C employed (E's closing said no employment started)
    assert (m.coached, m.employed, m.relationships) == (5, 3, 4)
    assert (m.employment_rate.value, m.relationship_rate.value) == (0.6, 0.8)
    table = {r.category: (r.count, r.percent) for r in m.referrals}
    assert table == {
        "employment_company": (0, 0.0), "employment_company_wage_subsidy": (1, 25.0),
        "employment_city": (1, 25.0), "employment_city_wage_subsidy": (0, 0.0),
        "employment_third_sector": (0, 0.0), "employment_third_sector_wage_subsidy": (0, 0.0),
        "apprenticeship": (1, 25.0), "work_trial": (1, 25.0), "study": (0, 0.0),
    }  # fmt: skip
    assert m.all_relationships == 4 and m.all_referrals == m.referrals
    # six paths passed the consultation hour, on two days (18 February, A's second on 4 March)
    assert (m.consultation_sessions, m.consultation_cases, m.cases_per_session) == (2, 6, 3.0)
    # per person over their paths: A 5 → 9, E 5 → 8, F 5 → 2 (the others answered once)
    k = m.kykyviisari
    assert (k.clients, k.improved, k.unchanged, k.worsened, k.total_change) == (3, 2, 0, 1, 4)
    assert k.mean_change == 1.33
    assert m.referred_by == {"employment_services": 6, "kela": 1, "social_services": 1}
    # three contacts on each whole path's two coaching forms (A1, E), two on the others' one
    c = m.employer_contacts
    assert (c.total, c.coaches, c.clients, c.per_client) == (14, 1, 5, 2.8)
    assert c.by_result == {"employment_agreed": 2, "follow_up_agreed": 6, "no_vacancy": 6}
    # a day per step: the plan on the day of its step (F: its second plan, not the "unclear")
    plan = m.lead_times["contact->plan"]
    approved = _index(PENSION_WALK[UNCLEAR_PLAN + 1 :], "Task_support_plan") + UNCLEAR_PLAN + 2
    assert (plan.count, plan.median, plan.maximum) == (7, PLAN_DAY, approved)
    assert m.lead_times["enrolment->outcome"].count == 3  # A's first path, E and F closed
    assert [(t.label, t.actual) for t in m.targets] == [("Sosiaalihuolto rovaniemi", 1)]
    every = dashboards.pilot_metrics(services.uow(), services.clock, manager, Scope())
    assert [(t.model_key, t.actual) for t in every.targets] == [("eksote", 0), ("rovaniemi", 1)]


def _at(day: int) -> datetime:
    return datetime(2026, 1, 1, 9, tzinfo=UTC) + timedelta(days=day)


def test_cohort_rules_choose_the_period_by_their_own_date() -> None:
    """Built by hand: which date puts each person in a period of January–February 2026."""
    period = pm.Period(_at(0), _at(59))  # 1 January – 1 March
    records = [
        # contacted in December, enrolled and coached in January, employed twice
        pm.PathRecord("1", "p1", "m", contact_at=_at(-20), enrolled_at=_at(5), plan_at=_at(9),
                      coached_at=_at(20), outcome_at=_at(70),
                      placements=[pm.Placement("employment_city", date(2026, 3, 5)),
                                  pm.Placement("study", date(2026, 1, 20))],
                      responses=[pm.Response(_at(-20), 1, {"work_ability": 4, "skills": 3}),
                                 pm.Response(_at(40), 2, {"work_ability": 6})]),
        # the same person's second path: contacted in the period
        pm.PathRecord("2", "p1", "m", contact_at=_at(30), consultations=[date(2026, 2, 2)]),
        # contacted in the period, enrolled in March (outside), coached never
        pm.PathRecord("3", "p2", "m", contact_at=_at(10), enrolled_at=_at(65),
                      responses=[pm.Response(_at(11), 3, {"work_ability": 5, "skills": 5}),
                                 pm.Response(_at(80), 4, {"work_ability": 3, "skills": 7})],
                      consultations=[date(2026, 2, 2), date(2026, 3, 2)],
                      referred_by="kela"),
    ]  # fmt: skip
    m = pm.compute(records, period)
    assert (m.contacted, m.enrolled) == (2, 1)  # p1 (second path) and p2; p1 only enrolled
    assert m.plan_coverage.value == 1.0 and m.case_manager_coverage.value == 0.0
    # p1 coached in the period: both placements count, whatever their date
    assert (m.coached, m.employed, m.relationships) == (1, 1, 2)
    # every client's relationships started in the period: the study place only
    assert m.all_relationships == 1
    assert (m.consultation_sessions, m.consultation_cases) == (1, 2)  # 2 February, twice
    changes = {c.measure: c for c in m.kykyviisari_changes}
    # p1's first response was in December: not of this period; p2's: -2 and +2
    assert (changes["work_ability"].clients, changes["work_ability"].total_change) == (1, -2)
    assert (changes["skills"].clients, changes["skills"].improved) == (1, 1)
    assert m.referred_by == {"": 1, "kela": 1}
    assert m.lead_times["contact->plan"].count == 0  # p1's contact was in December
    assert m.lead_times["enrolment->outcome"].median == 65.0


def test_pilot_targets_are_set_by_an_administrator(
    services: Services,
    admin: Actor,  # noqa: F811
    manager: Actor,  # noqa: F811
) -> None:
    values: dict[str, Any] = dict(model_key="eksote", label="P4", bpmn_id="Task_encounter",
                  group_field="track", group_value="p4", target_min=40, target_max=40)  # fmt: skip
    with pytest.raises(Forbidden):
        pilot_targets.set_target(services.uow(), services.engine, manager, **values)
    first = pilot_targets.set_target(services.uow(), services.engine, admin, **values)
    again = pilot_targets.set_target(
        services.uow(), services.engine, admin, **{**values, "target_min": 30}
    )
    assert first == again  # one per model and label
    [row] = pilot_targets.list_targets(services.uow(), manager)
    assert (row.model_key, row.target_min, row.target_max) == ("eksote", 30, 40)
    with pytest.raises(InvalidInput) as info:
        wrong = {**values, "bpmn_id": "Task_nowhere", "target_max": 1}
        pilot_targets.set_target(services.uow(), services.engine, admin, **wrong)
    assert set(info.value.errors) == {"bpmn_id", "target_max"}
    pilot_targets.remove_target(services.uow(), admin, first)
    assert pilot_targets.list_targets(services.uow(), manager) == []


def test_ips_fidelity_rounds_total_and_items_over_time(
    services: Services,
    manager: Actor,  # noqa: F811
) -> None:
    own = min(manager.organisations)
    first = [3] * 25
    second = [4] * 20 + [5] * 5
    for day, scores in (("2026-01-15", first), ("2026-06-15", second)):
        ips_fidelity.record_round(
            services.uow(), services.clock, manager, model_key="rovaniemi",
            assessed_on=day, scores=scores, organisation_id=own,
        )  # fmt: skip
    rounds = ips_fidelity.list_rounds(services.uow(), manager, "rovaniemi")
    assert [(r.assessed_on, r.total) for r in rounds] == [
        (date(2026, 1, 15), 75), (date(2026, 6, 15), 105),
    ]  # fmt: skip
    assert [r.scores[24] for r in rounds] == [3, 5]  # an item over time
    with pytest.raises(InvalidInput) as info:
        ips_fidelity.record_round(services.uow(), services.clock, manager, model_key="rovaniemi",
                                  assessed_on="2026-13-01", scores=[6] * 25,
                                  organisation_id=own)  # fmt: skip
    assert set(info.value.errors) == {"assessed_on", "scores"}
    with pytest.raises(Forbidden):  # not her organisation
        ips_fidelity.record_round(services.uow(), services.clock, manager, model_key="rovaniemi",
                                  assessed_on="2026-01-01", scores=first,
                                  organisation_id=max(manager.organisations) + 100)  # fmt: skip
    with pytest.raises(Forbidden):  # a job coach does not see the dashboards
        ips_fidelity.list_rounds(services.uow(), services.actors["ari"])
