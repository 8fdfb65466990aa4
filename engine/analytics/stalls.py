"""Where clients wait: per step, region and model version; the stalled clients; lead times
between milestones; the weekly trend. Reads the worklist, waiting and milestone tables."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session, aliased

from engine.analytics.sqltime import week_start
from engine.analytics.stats import Distribution
from engine.analytics.workdays import FINLAND, is_working_day, working_days_between
from engine.persistence.tables import (
    Client,
    HumanTask,
    Milestone,
    ProcessInstance,
    ProcessModel,
    ProcessModelVersion,
    User,
)

DAY = 86400.0
MILESTONE_PAIRS = (
    ("contact", "team"),
    ("contact", "plan"),
    ("plan", "first_service"),
    ("contact", "closed"),
)
# milestone -> the milestone its lead time is counted from (noted when it is reached)
LEAD_FROM = {second: first for first, second in MILESTONE_PAIRS}


@dataclass
class Scope:
    """Which part of the data a figure covers."""

    model_key: str | None = None
    version: int | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass
class StepStat:
    model_key: str
    region: str | None
    version: int
    bpmn_id: str
    name: str
    phase: str | None
    waiting: int
    overdue: int
    median_days: float | None
    p90_days: float | None
    oldest_days: float | None


@dataclass
class StalledClient:
    instance_id: int
    client_id: int
    pseudonym: str
    name: str | None  # only for those who may see the client
    model_key: str
    steps: list[str]
    held_by: list[str]
    days_over_target: int | None
    quiet_working_days: int
    reasons: list[str] = field(default_factory=list)


@dataclass
class WeekRow:
    week_start: str
    opened: int
    completed: int
    overdue_completed: int


def _scoped(query, scope: Scope):  # type: ignore[no-untyped-def]
    if scope.model_key:
        query = query.where(ProcessModel.key == scope.model_key)
    if scope.version:
        query = query.where(ProcessModelVersion.number == scope.version)
    return query


@dataclass(frozen=True)
class VersionInfo:
    model_key: str
    region: str | None
    number: int


def versions_in_scope(session: Session, scope: Scope) -> dict[int, VersionInfo]:
    """The model versions a scope covers (a handful of rows): the worklist and milestone rows
    carry their version's id, so figures filter on it without joining the instances."""
    query = _scoped(
        select(
            ProcessModelVersion.id,
            ProcessModel.key,
            ProcessModel.region,
            ProcessModelVersion.number,
        ).join(ProcessModel, ProcessModel.id == ProcessModelVersion.model_id),
        scope,
    )
    return {row[0]: VersionInfo(*row[1:]) for row in session.execute(query)}


def _age_quantile(session: Session, where: list, count: int, share: float, now: datetime) -> float:
    """The waiting time (days) at a quantile of one step's open rows, interpolated as
    `statistics.quantiles(method="inclusive")` does: two rows read through the index."""
    position = (count - 1) * share
    offset = int(position)
    rows = list(
        session.scalars(
            select(HumanTask.created_at)
            .where(*where)
            .order_by(HumanTask.created_at.desc())  # the shortest wait first
            .limit(2)
            .offset(offset)
        )
    )
    ages = [(now - created).total_seconds() / DAY for created in rows]
    if len(ages) == 2:
        return ages[0] + (ages[1] - ages[0]) * (position - offset)
    return ages[0]


def step_stats(session: Session, now: datetime, scope: Scope) -> list[StepStat]:
    """Clients waiting now at each step: count, overdue, median/90th percentile/oldest wait.
    The database counts per step from one covering index; each percentile is an indexed
    look-up at its offset, so no open row travels to Python."""
    versions = versions_in_scope(session, scope)
    open_rows = [HumanTask.state == "open"]
    if scope.model_key or scope.version:
        open_rows.append(HumanTask.model_version_id.in_(list(versions)))
    overdue = func.sum(case((HumanTask.due_at < now, 1), else_=0))
    result = []
    for version_id, bpmn_id, waiting, late, oldest in session.execute(
        select(
            HumanTask.model_version_id,
            HumanTask.bpmn_id,
            func.count(),
            overdue,
            func.min(HumanTask.created_at),
        )
        .where(*open_rows)
        .group_by(HumanTask.model_version_id, HumanTask.bpmn_id)
    ):
        version = versions.get(version_id)
        if version is None:
            continue
        step = [
            HumanTask.state == "open",
            HumanTask.model_version_id == version_id,
            HumanTask.bpmn_id == bpmn_id,
        ]
        name, phase = session.execute(
            select(HumanTask.name, HumanTask.phase).where(*step).limit(1)
        ).one()
        result.append(
            StepStat(
                version.model_key,
                version.region,
                version.number,
                bpmn_id,
                name,
                phase,
                waiting,
                int(late or 0),
                round(_age_quantile(session, step, waiting, 0.5, now), 1),
                round(_age_quantile(session, step, waiting, 0.9, now), 1),
                round((now - oldest).total_seconds() / DAY, 1),
            )
        )
    return sorted(result, key=lambda s: (-s.overdue, -s.waiting, s.model_key, s.name))


def working_days_before(moment: datetime, days: int) -> datetime:
    """The same time of day `days` working days earlier."""
    current, left = moment.astimezone(FINLAND), days
    while left > 0:
        current -= timedelta(days=1)
        if is_working_day(current.date()):
            left -= 1
    return current


def stalled_clients(
    session: Session,
    now: datetime,
    scope: Scope,
    quiet_days: int,
    named: set[int] | None,
) -> list[StalledClient]:
    """Running paths with an overdue step, or with no event for `quiet_days` working days.
    `named` holds the client ids whose names the reader may see (None: nobody's)."""
    cutoff = working_days_before(now, quiet_days)
    overdue_ids = select(HumanTask.instance_id).where(
        HumanTask.state == "open", HumanTask.due_at < now
    )
    query = (
        _scoped(
            select(ProcessInstance, ProcessModel.key)
            .join(ProcessModelVersion, ProcessModelVersion.id == ProcessInstance.model_version_id)
            .join(ProcessModel, ProcessModel.id == ProcessModelVersion.model_id)
            .where(
                ProcessInstance.status == "running",
                or_(ProcessInstance.last_activity_at < cutoff, ProcessInstance.id.in_(overdue_ids)),
            ),
            scope,
        )
        .order_by(ProcessInstance.last_activity_at)
        .limit(500)
    )
    rows = session.execute(query).all()
    ids = [instance.id for instance, _ in rows]
    tasks: dict[int, list[tuple[HumanTask, str | None]]] = defaultdict(list)
    if ids:
        assignee = aliased(User)
        for task, username in session.execute(
            select(HumanTask, assignee.username)
            .outerjoin(assignee, assignee.id == HumanTask.assignee_id)
            .where(HumanTask.instance_id.in_(ids), HumanTask.state == "open")
        ):
            tasks[task.instance_id].append((task, username))
    clients = (
        {
            c.id: c
            for c in session.scalars(
                select(Client).where(Client.id.in_([i.client_id for i, _ in rows]))
            )
        }
        if rows
        else {}
    )
    result = []
    for instance, key in rows:
        open_tasks = tasks.get(instance.id, [])
        late = [t.due_at for t, _ in open_tasks if t.due_at is not None and t.due_at < now]
        quiet = working_days_between(instance.last_activity_at or instance.created_at, now)
        reasons = []
        if late:
            reasons.append("overdue")
        if quiet >= quiet_days:
            reasons.append("quiet")
        client = clients[instance.client_id]
        result.append(
            StalledClient(
                instance_id=instance.id,
                client_id=instance.client_id,
                pseudonym=client.pseudonym,
                name=client.full_name if named is not None and client.id in named else None,
                model_key=key,
                steps=[t.name for t, _ in open_tasks],
                held_by=[u or (t.role or "") for t, u in open_tasks],
                days_over_target=max(working_days_between(d, now) for d in late) if late else None,
                quiet_working_days=quiet,
                reasons=reasons,
            )
        )
    return sorted(result, key=lambda s: (-(s.days_over_target or 0), -s.quiet_working_days))


def lead_times(session: Session, scope: Scope) -> dict[str, Distribution]:
    """Days between milestones, as distributions, for paths whose first milestone is in scope.
    Each milestone row carries the lead time that ends at it, so this reads one index."""
    scoped = bool(scope.model_key or scope.version)
    query = select(Milestone.name, Milestone.lead_days).where(
        Milestone.name.in_(list(LEAD_FROM)), Milestone.lead_days.is_not(None)
    )
    if scoped:
        query = query.where(Milestone.model_version_id.in_(list(versions_in_scope(session, scope))))
    if scope.since:
        query = query.where(Milestone.lead_from_at >= scope.since)
    if scope.until:
        query = query.where(Milestone.lead_from_at < scope.until)
    days: dict[str, list[float]] = defaultdict(list)
    for name, lead in session.execute(query):
        if lead is not None:
            days[name].append(lead)
    return {
        f"{first}->{second}": Distribution.of(days.get(second, []))
        for first, second in MILESTONE_PAIRS
    }


def weekly_trend(session: Session, now: datetime, scope: Scope, weeks: int = 12) -> list[WeekRow]:
    """Per week (Monday, UTC): steps opened, steps completed, and how many of those were late.
    Counted by the database."""
    start_day = (now.astimezone(UTC) - timedelta(weeks=weeks)).date()
    start_day -= timedelta(days=start_day.weekday())
    start = datetime.combine(start_day, datetime.min.time(), tzinfo=UTC)
    rows = {
        (start_day + timedelta(weeks=i)).isoformat(): WeekRow(
            (start_day + timedelta(weeks=i)).isoformat(), 0, 0, 0
        )
        for i in range(weeks + 1)
    }

    scoped = bool(scope.model_key or scope.version)
    versions = list(versions_in_scope(session, scope)) if scoped else []

    def joined(query):  # type: ignore[no-untyped-def]
        return query.where(HumanTask.model_version_id.in_(versions)) if scoped else query

    opened = week_start(session, HumanTask.created_at)
    for week, count in session.execute(
        joined(
            select(opened, func.count()).select_from(HumanTask).where(HumanTask.created_at >= start)
        ).group_by(opened)
    ):
        if week in rows:
            rows[week].opened = count
    done = week_start(session, HumanTask.completed_at)
    late = func.sum(case((HumanTask.completed_at > HumanTask.due_at, 1), else_=0))
    for week, count, late_count in session.execute(
        joined(
            select(done, func.count(), late)
            .select_from(HumanTask)
            .where(HumanTask.completed_at >= start)
        ).group_by(done)
    ):
        if week in rows:
            rows[week].completed, rows[week].overdue_completed = count, int(late_count or 0)
    return list(rows.values())
