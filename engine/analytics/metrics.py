"""The pilots' own outcome metrics (DOMAIN.md §4), computed from the history: milestones,
completed-task events (their choice values) and path outcomes. Only the paths the reader may
count (`paths`: the access policy's condition, passed in by the services) are counted."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session, aliased

from engine.analytics.report_paths import ReportPaths
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
class KykyviisariChange:
    """Change in the work ability score between each client's first and latest response,
    over the clients who answered at least twice."""

    clients: int = 0
    improved: int = 0
    unchanged: int = 0
    worsened: int = 0
    total_change: int = 0

    @property
    def mean_change(self) -> float | None:
        return round(self.total_change / self.clients, 2) if self.clients else None


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
    kykyviisari: KykyviisariChange = field(default_factory=lambda: KykyviisariChange())
    targets: list[TargetRow] = field(default_factory=list)

    @property
    def cases_per_session(self) -> float | None:
        return Ratio(self.consultation_cases, self.consultation_sessions).value

    @property
    def kykyviisari_mean_change(self) -> float | None:
        return self.kykyviisari.mean_change


def in_scope(scope: Scope) -> list[ColumnElement[bool]]:
    """Conditions on `ProcessInstance` rows: the path's model and version, and its first
    contact (the path's start) in the scope's period."""
    conditions: list[ColumnElement[bool]] = []
    if scope.model_key or scope.version:
        versions = select(ProcessModelVersion.id).join(
            ProcessModel, ProcessModel.id == ProcessModelVersion.model_id
        )
        if scope.model_key:
            versions = versions.where(ProcessModel.key == scope.model_key)
        if scope.version:
            versions = versions.where(ProcessModelVersion.number == scope.version)
        conditions.append(ProcessInstance.model_version_id.in_(versions))
    if scope.since:
        conditions.append(ProcessInstance.created_at >= scope.since)
    if scope.until:
        conditions.append(ProcessInstance.created_at < scope.until)
    return conditions


def cohort(scope: Scope, admitted: ColumnElement[bool]) -> Any:
    """A subquery of the instances `admitted` (a condition on `ProcessInstance` rows: the
    paths the reader may count) whose first contact falls in the scope."""
    return select(ProcessInstance.id).where(admitted, *in_scope(scope)).correlate(None)


def compute(session: Session, scope: Scope, paths: ReportPaths) -> Metrics:
    scoped = in_scope(scope)
    metrics = Metrics(
        contacted=session.scalar(
            select(func.count(ProcessInstance.id)).where(paths.condition, *scoped)
        )
        or 0
    )

    def member(column: Any, *, by_other_index: bool = False) -> ColumnElement[bool]:
        """The row belongs to a path of the cohort (checked by the database as it reads the
        row: `ReportPaths.holds`, within the scope)."""
        return paths.holds(column, by_other_index=by_other_index, within=scoped)

    # enrolled paths (the team milestone) of the cohort, and how many have a plan and a case
    # manager: one pass, each milestone found by its primary key (path, name)
    team, plan, manager = aliased(Milestone), aliased(Milestone), aliased(Milestone)
    enrolled, planned, managed = session.execute(
        select(func.count(), func.count(plan.instance_id), func.count(manager.instance_id))
        .select_from(team)
        .outerjoin(plan, and_(plan.instance_id == team.instance_id, plan.name == "plan"))
        .outerjoin(
            manager, and_(manager.instance_id == team.instance_id, manager.name == "case_manager")
        )
        .where(team.name == "team", member(team.instance_id))
    ).one()
    metrics.enrolled = enrolled
    metrics.plan_coverage = Ratio(planned, enrolled)
    metrics.case_manager_coverage = Ratio(managed, enrolled)

    targets = list(
        session.scalars(
            select(PilotTarget).where(PilotTarget.model_key == scope.model_key)
            if scope.model_key
            else select(PilotTarget)
        )
    )
    # the rare steps' history rows are found by kind and step (ix_event_kind_element), then
    # checked against the cohort
    done = (Event.kind == "task_completed", member(Event.instance_id, by_other_index=True))
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
    # the Kykyviisari steps are on every path: their rows are found through the cohort's paths
    metrics.kykyviisari = kykyviisari_change(
        session, (Event.kind == "task_completed", member(Event.instance_id))
    )
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
                paths.condition, *scoped, ProcessInstance.status == "completed"
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


def kykyviisari_change(session: Session, done: tuple[Any, ...]) -> KykyviisariChange:
    """First and latest Kykyviisari score per path, compared in the database."""
    score = Event.data["choices"][KYKYVIISARI_FIELD].as_integer()
    answered = (
        select(
            Event.instance_id,
            func.min(Event.id).label("first_id"),
            func.max(Event.id).label("latest_id"),
        )
        .where(*done, Event.bpmn_id.in_(KYKYVIISARI_STEPS), score.is_not(None))
        .group_by(Event.instance_id)
        .having(func.count() >= 2)
        .subquery()
    )
    first, latest = aliased(Event), aliased(Event)
    change = (
        latest.data["choices"][KYKYVIISARI_FIELD].as_integer()
        - first.data["choices"][KYKYVIISARI_FIELD].as_integer()
    )
    row = session.execute(
        select(
            func.count(),
            func.sum(case((change > 0, 1), else_=0)),
            func.sum(case((change == 0, 1), else_=0)),
            func.sum(case((change < 0, 1), else_=0)),
            func.sum(change),
        )
        .select_from(answered)
        .join(first, first.id == answered.c.first_id)
        .join(latest, latest.id == answered.c.latest_id)
    ).one()
    return KykyviisariChange(*(int(v or 0) for v in row))
