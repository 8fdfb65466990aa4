"""The pilots' own outcome metrics (DOMAIN.md §4), computed from the history: milestones,
completed-task events (their choice values) and path outcomes."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.analytics.stalls import Scope
from engine.analytics.workdays import FINLAND
from engine.persistence.tables import (
    Event,
    Milestone,
    PilotTarget,
    ProcessInstance,
    ProcessModel,
    ProcessModelVersion,
)

COACHING_STEPS = ("Task_ips_coaching",)
CONSULTATION_STEPS = ("Task_consultation_hour",)
CLOSING_STEPS = ("Task_closing",)
KYKYVIISARI_FIELD = "kykyviisari_work_ability"
# the steps whose forms ask for a Kykyviisari score (first contact and the follow-up reviews)
KYKYVIISARI_STEPS = ("Task_encounter", "Task_follow_up_review")
# The Rovaniemi onward-referral table, in its order.
REFERRAL_CATEGORIES = (
    "employment_company",
    "employment_company_wage_subsidy",
    "employment_city",
    "employment_city_wage_subsidy",
    "employment_third_sector",
    "employment_third_sector_wage_subsidy",
    "apprenticeship",
    "work_trial",
    "study",
)


@dataclass
class Ratio:
    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return round(self.numerator / self.denominator, 2) if self.denominator else None


@dataclass
class ReferralRow:
    category: str
    count: int
    percent: float | None


@dataclass
class TargetRow:
    model_key: str
    label: str
    target_min: int
    target_max: int
    actual: int


@dataclass
class Metrics:
    contacted: int = 0
    enrolled: int = 0
    plan_coverage: Ratio = field(default_factory=lambda: Ratio(0, 0))
    case_manager_coverage: Ratio = field(default_factory=lambda: Ratio(0, 0))
    coached: int = 0
    employed: int = 0
    relationships: int = 0
    employment_rate: Ratio = field(default_factory=lambda: Ratio(0, 0))
    relationship_rate: Ratio = field(default_factory=lambda: Ratio(0, 0))
    referrals: list[ReferralRow] = field(default_factory=list)
    consultation_sessions: int = 0
    consultation_cases: int = 0
    kykyviisari: list[tuple[int, int, int]] = field(
        default_factory=list
    )  # (instance, first, latest)
    targets: list[TargetRow] = field(default_factory=list)

    @property
    def cases_per_session(self) -> float | None:
        return Ratio(self.consultation_cases, self.consultation_sessions).value

    @property
    def kykyviisari_mean_change(self) -> float | None:
        if not self.kykyviisari:
            return None
        return round(sum(b - a for _, a, b in self.kykyviisari) / len(self.kykyviisari), 2)


def cohort(scope: Scope) -> Any:
    """A subquery of the instances whose first contact falls in the scope."""
    query = (
        select(ProcessInstance.id)
        .join(ProcessModelVersion, ProcessModelVersion.id == ProcessInstance.model_version_id)
        .join(ProcessModel, ProcessModel.id == ProcessModelVersion.model_id)
    )
    if scope.model_key:
        query = query.where(ProcessModel.key == scope.model_key)
    if scope.version:
        query = query.where(ProcessModelVersion.number == scope.version)
    if scope.since:
        query = query.where(ProcessInstance.created_at >= scope.since)
    if scope.until:
        query = query.where(ProcessInstance.created_at < scope.until)
    return query


def compute(session: Session, scope: Scope) -> Metrics:
    members = cohort(scope)
    metrics = Metrics(
        contacted=session.scalar(select(func.count()).select_from(members.subquery())) or 0
    )
    reached: dict[str, set[int]] = defaultdict(set)
    for instance_id, name in session.execute(
        select(Milestone.instance_id, Milestone.name).where(
            Milestone.instance_id.in_(members), Milestone.name.in_(("team", "plan", "case_manager"))
        )
    ):
        reached[name].add(instance_id)
    enrolled = reached["team"]
    metrics.enrolled = len(enrolled)
    metrics.plan_coverage = Ratio(len(enrolled & reached["plan"]), len(enrolled))
    metrics.case_manager_coverage = Ratio(len(enrolled & reached["case_manager"]), len(enrolled))

    targets = list(
        session.scalars(
            select(PilotTarget).where(PilotTarget.model_key == scope.model_key)
            if scope.model_key
            else select(PilotTarget)
        )
    )
    unscoped = not (scope.model_key or scope.version or scope.since or scope.until)
    done = (Event.kind == "task_completed",) + (
        () if unscoped else (Event.instance_id.in_(members),)
    )
    choice = Event.data["choices"]
    coached = set(
        session.scalars(
            select(Event.instance_id).distinct().where(*done, Event.bpmn_id.in_(COACHING_STEPS))
        )
    )
    sessions: set[str] = set()
    consultation_cases = 0
    for (occurred,) in session.execute(
        select(Event.occurred_at).where(*done, Event.bpmn_id.in_(CONSULTATION_STEPS))
    ):
        consultation_cases += 1
        sessions.add(occurred.astimezone(FINLAND).date().isoformat())
    employed: set[int] = set()
    relationships = 0
    for instance_id, started, count in session.execute(
        select(
            Event.instance_id,
            choice["employment_started"].as_boolean(),
            choice["employment_relationships"].as_integer(),
        ).where(*done, Event.bpmn_id.in_(CLOSING_STEPS))
    ):
        if started is True:
            employed.add(instance_id)
        if isinstance(count, int) and count > 0:
            relationships += count
    scores: dict[int, list[tuple[int, int]]] = defaultdict(list)
    score = choice[KYKYVIISARI_FIELD].as_integer()
    for instance_id, event_id, value in session.execute(
        select(Event.instance_id, Event.id, score).where(
            *done, Event.bpmn_id.in_(KYKYVIISARI_STEPS), score.is_not(None)
        )
    ):
        scores[instance_id].append((event_id, value))
    groups: dict[tuple[str, str], int] = {}
    for t in targets:
        groups[(t.group_field, t.group_value)] = (
            session.scalar(
                select(func.count(Event.instance_id.distinct())).where(
                    *done,
                    Event.bpmn_id == t.bpmn_id,
                    choice[t.group_field].as_string() == t.group_value,
                )
            )
            or 0
        )
    outcomes = dict(
        session.execute(
            select(ProcessInstance.id, ProcessInstance.outcome).where(
                ProcessInstance.id.in_(members), ProcessInstance.status == "completed"
            )
        ).all()
    )
    for instance_id, outcome in outcomes.items():
        if outcome and outcome.startswith("employment_") and instance_id not in employed:
            employed.add(instance_id)
            relationships += 1
    metrics.coached, metrics.employed = len(coached), len(employed)
    metrics.relationships = relationships
    metrics.employment_rate = Ratio(len(employed & coached), len(coached))
    metrics.relationship_rate = Ratio(relationships, len(coached))
    counts = {c: 0 for c in REFERRAL_CATEGORIES}
    for outcome in outcomes.values():
        if outcome in counts:
            counts[outcome] += 1
    total = sum(counts.values())
    metrics.referrals = [
        ReferralRow(c, n, round(100 * n / total, 1) if total else None) for c, n in counts.items()
    ]
    metrics.consultation_sessions, metrics.consultation_cases = len(sessions), consultation_cases
    metrics.kykyviisari = sorted(
        (i, min(s)[1], max(s)[1]) for i, s in scores.items() if len(s) >= 2
    )
    metrics.targets = [
        TargetRow(
            t.model_key,
            t.label,
            t.target_min,
            t.target_max,
            groups.get((t.group_field, t.group_value), 0),
        )
        for t in sorted(targets, key=lambda t: (t.model_key, t.label))
    ]
    return metrics
