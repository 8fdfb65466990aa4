"""Where clients wait: per step, region and model version; the stalled clients; lead times
between milestones; the weekly trend. Reads the worklist, waiting and milestone tables."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, aliased

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


def step_stats(session: Session, now: datetime, scope: Scope) -> list[StepStat]:
    """Clients waiting now at each step: count, overdue, median/90th percentile/oldest wait."""
    query = _scoped(
        select(
            HumanTask.bpmn_id,
            HumanTask.name,
            HumanTask.phase,
            HumanTask.created_at,
            HumanTask.due_at,
            ProcessModel.key,
            ProcessModel.region,
            ProcessModelVersion.number,
        )
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .join(ProcessModelVersion, ProcessModelVersion.id == ProcessInstance.model_version_id)
        .join(ProcessModel, ProcessModel.id == ProcessModelVersion.model_id)
        .where(HumanTask.state == "open"),
        scope,
    )
    groups: dict[tuple[str, int, str], list[tuple[float, bool]]] = defaultdict(list)
    names: dict[tuple[str, int, str], tuple[str, str | None, str | None]] = {}
    for bpmn_id, name, phase, created, due, key, region, number in session.execute(query):
        group = (key, number, bpmn_id)
        groups[group].append(((now - created).total_seconds() / DAY, due is not None and due < now))
        names[group] = (name, phase, region)
    result = []
    for (key, number, bpmn_id), waits in groups.items():
        days = [w for w, _ in waits]
        dist = Distribution.of(days)
        name, phase, region = names[(key, number, bpmn_id)]
        result.append(
            StepStat(
                key,
                region,
                number,
                bpmn_id,
                name,
                phase,
                len(waits),
                sum(1 for _, late in waits if late),
                dist.median,
                dist.p90,
                dist.maximum,
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
    """Days between milestones, as distributions, for paths whose first milestone is in scope."""
    result = {}
    for first, second in MILESTONE_PAIRS:
        a, b = aliased(Milestone), aliased(Milestone)
        query = _scoped(
            select(a.reached_at, b.reached_at)
            .join(b, and_(b.instance_id == a.instance_id, b.name == second))
            .join(ProcessInstance, ProcessInstance.id == a.instance_id)
            .join(ProcessModelVersion, ProcessModelVersion.id == ProcessInstance.model_version_id)
            .join(ProcessModel, ProcessModel.id == ProcessModelVersion.model_id)
            .where(a.name == first),
            scope,
        )
        if scope.since:
            query = query.where(a.reached_at >= scope.since)
        if scope.until:
            query = query.where(a.reached_at < scope.until)
        days = [(end - start).total_seconds() / DAY for start, end in session.execute(query)]
        result[f"{first}->{second}"] = Distribution.of(days)
    return result


def weekly_trend(session: Session, now: datetime, scope: Scope, weeks: int = 12) -> list[WeekRow]:
    """Per ISO week: steps opened, steps completed, and how many of those were late."""
    start_day = (now.astimezone(FINLAND) - timedelta(weeks=weeks)).date()
    start_day -= timedelta(days=start_day.weekday())
    start = datetime.combine(start_day, datetime.min.time(), tzinfo=FINLAND)
    base = (
        select(HumanTask.created_at, HumanTask.completed_at, HumanTask.due_at)
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .join(ProcessModelVersion, ProcessModelVersion.id == ProcessInstance.model_version_id)
        .join(ProcessModel, ProcessModel.id == ProcessModelVersion.model_id)
    )
    rows: dict[str, WeekRow] = {}
    for offset in range(weeks + 1):
        day = start_day + timedelta(weeks=offset)
        rows[day.isoformat()] = WeekRow(day.isoformat(), 0, 0, 0)

    def week_of(moment: datetime) -> str:
        local = moment.astimezone(FINLAND).date()
        return (local - timedelta(days=local.weekday())).isoformat()

    for (created,) in session.execute(
        _scoped(
            base.with_only_columns(HumanTask.created_at).where(HumanTask.created_at >= start), scope
        )
    ):
        if (w := week_of(created)) in rows:
            rows[w].opened += 1
    for _created, completed, due in session.execute(
        _scoped(base.where(HumanTask.completed_at >= start), scope)
    ):
        if (w := week_of(completed)) in rows:
            rows[w].completed += 1
            if due is not None and completed > due:
                rows[w].overdue_completed += 1
    return list(rows.values())
