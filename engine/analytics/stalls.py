"""Where clients wait: per step, region and model version; the stalled clients; lead times
between milestones; the weekly trend. Reads the worklist, waiting and milestone tables.

Every figure counts only the paths its reader may count: the caller (engine/services) passes
the access policy's condition on `ProcessInstance` rows (`access.report_condition`) wrapped in
`ReportPaths`, and each query applies it; nothing here decides access."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Integer,
    and_,
    bindparam,
    case,
    false,
    func,
    or_,
    select,
)
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


class ReportPaths:
    """The paths a reader's figures may count: the access policy's condition on
    `ProcessInstance` rows (`engine.services.access.report_condition`), passed in by the
    services; nothing here decides access.

    The condition reads every path (their owner, the client's consent, the organisations of
    their tasks), and a figure takes several statements over the tables that carry an instance
    id (worklist, milestones, history); so the ids it admits are read once, on first use, and
    each statement checks its rows against that list (`holds`) instead of evaluating it again.
    Make one per reader and request: the list is not refreshed."""

    def __init__(self, condition: ColumnElement[bool]) -> None:
        self.condition = condition
        self._ids: list[int] | None = None

    def ids(self, session: Session) -> list[int]:
        if self._ids is None:
            self._ids = list(
                session.scalars(
                    select(ProcessInstance.id).where(self.condition).order_by(ProcessInstance.id)
                )
            )
        return self._ids

    def holds(
        self, session: Session, column: Any, *, by_other_index: bool = False
    ) -> ColumnElement[bool]:
        """`column IN (the admitted ids)`, the list bound as one value (an array on PostgreSQL,
        JSON on SQLite). `by_other_index`: the statement's rows are better found through
        another, more selective index (e.g. the history's kind and step), and each is then
        checked against the list; otherwise the database may look the rows up by `column`."""
        ids = self.ids(session)
        if not ids:
            return false()
        listed: Any
        if session.get_bind().dialect.name == "postgresql":
            listed = select(func.unnest(bindparam(None, ids, type_=ARRAY(Integer))))
        else:
            values = func.json_each(bindparam(None, json.dumps(ids))).table_valued("value")
            listed = select(values.c.value)
        return (column + 0 if by_other_index else column).in_(listed)


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
    name: str | None  # only for those who may read the path (filled in by the services)
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


def _age_at(ages: dict[int, float], count: int, share: float) -> float:
    """The waiting time (days) at a quantile of one step's open rows, interpolated as
    `statistics.quantiles(method="inclusive")` does, from the two rows around it (`ages` by
    rank, the shortest wait first)."""
    position = (count - 1) * share
    offset = int(position)
    if offset + 2 in ages:
        low, high = ages[offset + 1], ages[offset + 2]
        return low + (high - low) * (position - offset)
    return ages[offset + 1]


def step_stats(session: Session, now: datetime, scope: Scope, paths: ReportPaths) -> list[StepStat]:
    """Clients waiting now at each step of the paths the reader may count: count, overdue,
    median/90th percentile/oldest wait. One statement: the database ranks each step's open
    rows by age and returns only the rows at the quantiles' ranks (and the oldest), so no
    other open row travels to Python."""
    versions = versions_in_scope(session, scope)
    open_rows = [HumanTask.state == "open", paths.holds(session, HumanTask.instance_id)]
    if scope.model_key or scope.version:
        open_rows.append(HumanTask.model_version_id.in_(list(versions)))
    step = (HumanTask.model_version_id, HumanTask.bpmn_id)
    ranked = (
        select(
            HumanTask.model_version_id.label("version_id"),
            HumanTask.bpmn_id.label("bpmn_id"),
            HumanTask.name.label("name"),
            HumanTask.phase.label("phase"),
            HumanTask.created_at.label("created_at"),
            func.row_number()
            .over(partition_by=step, order_by=(HumanTask.created_at.desc(), HumanTask.id))
            .label("rank"),  # 1: the shortest wait
            func.count().over(partition_by=step).label("waiting"),
            func.sum(case((HumanTask.due_at < now, 1), else_=0))
            .over(partition_by=step)
            .label("late"),
        )
        .where(*open_rows)
        .subquery()
    )
    rank, waiting = ranked.c.rank, ranked.c.waiting
    # the ranks around the median and the 90th percentile ((n - 1) * share, whole part + 1
    # and + 2: integer division, as int() truncates the share in `_age_at`), and the oldest
    median, p90 = (waiting - 1) * 5 // 10 + 1, (waiting - 1) * 9 // 10 + 1
    wanted = or_(
        rank == 1,
        rank == median,
        rank == median + 1,
        rank == p90,
        rank == p90 + 1,
        rank == waiting,
    )
    groups: dict[tuple[int, str], tuple[str, str | None, int, int, dict[int, float]]] = {}
    for version_id, bpmn_id, name, phase, created, at, count, late in session.execute(
        select(
            ranked.c.version_id,
            ranked.c.bpmn_id,
            ranked.c.name,
            ranked.c.phase,
            ranked.c.created_at,
            rank,
            waiting,
            ranked.c.late,
        ).where(wanted)
    ):
        group = groups.setdefault((version_id, bpmn_id), (name, phase, count, int(late or 0), {}))
        group[4][at] = (now - created).total_seconds() / DAY
    result = []
    for (version_id, bpmn_id), (name, phase, count, late, ages) in groups.items():
        version = versions.get(version_id)
        if version is None:
            continue
        result.append(
            StepStat(
                version.model_key,
                version.region,
                version.number,
                bpmn_id,
                name,
                phase,
                count,
                late,
                round(_age_at(ages, count, 0.5), 1),
                round(_age_at(ages, count, 0.9), 1),
                round(ages[count], 1),
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
    paths: ReportPaths,
) -> list[StalledClient]:
    """Running paths the reader may count with an overdue step, or with no event for
    `quiet_days` working days; by pseudonym (`name` None: the services fill in the names the
    reader may see)."""
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
                paths.holds(session, ProcessInstance.id),
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
    pseudonyms: dict[int, str] = (
        {
            client_id: pseudonym
            for client_id, pseudonym in session.execute(
                select(Client.id, Client.pseudonym).where(
                    Client.id.in_([i.client_id for i, _ in rows])
                )
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
        result.append(
            StalledClient(
                instance_id=instance.id,
                client_id=instance.client_id,
                pseudonym=pseudonyms[instance.client_id],
                name=None,
                model_key=key,
                steps=[t.name for t, _ in open_tasks],
                held_by=[u or (t.role or "") for t, u in open_tasks],
                days_over_target=max(working_days_between(d, now) for d in late) if late else None,
                quiet_working_days=quiet,
                reasons=reasons,
            )
        )
    return sorted(result, key=lambda s: (-(s.days_over_target or 0), -s.quiet_working_days))


def lead_times(session: Session, scope: Scope, paths: ReportPaths) -> dict[str, Distribution]:
    """Days between milestones, as distributions, for the paths the reader may count whose
    first milestone is in scope. Each milestone row carries the lead time that ends at it, so
    this reads one index (and the allowed paths' ids)."""
    scoped = bool(scope.model_key or scope.version)
    query = select(Milestone.name, Milestone.lead_days).where(
        Milestone.name.in_(list(LEAD_FROM)),
        Milestone.lead_days.is_not(None),
        paths.holds(session, Milestone.instance_id),
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


def weekly_trend(
    session: Session, now: datetime, scope: Scope, paths: ReportPaths, weeks: int = 12
) -> list[WeekRow]:
    """Per week (Monday, UTC), on the paths the reader may count: steps opened, steps
    completed, and how many of those were late. Counted by the database, in one pass over the
    paths' worklist rows: per (week opened, week completed), either outside the period."""
    start_day = (now.astimezone(UTC) - timedelta(weeks=weeks)).date()
    start_day -= timedelta(days=start_day.weekday())
    start = datetime.combine(start_day, datetime.min.time(), tzinfo=UTC)
    rows = {
        (start_day + timedelta(weeks=i)).isoformat(): WeekRow(
            (start_day + timedelta(weeks=i)).isoformat(), 0, 0, 0
        )
        for i in range(weeks + 1)
    }
    recent = [
        paths.holds(session, HumanTask.instance_id),
        or_(HumanTask.created_at >= start, HumanTask.completed_at >= start),
    ]
    if scope.model_key or scope.version:
        recent.append(HumanTask.model_version_id.in_(list(versions_in_scope(session, scope))))
    opened = case(
        (HumanTask.created_at >= start, week_start(session, HumanTask.created_at)), else_=None
    )
    done = case(
        (HumanTask.completed_at >= start, week_start(session, HumanTask.completed_at)),
        else_=None,
    )
    late = func.sum(
        case((and_(HumanTask.completed_at >= start, HumanTask.completed_at > HumanTask.due_at), 1),
             else_=0)
    )  # fmt: skip
    for opened_week, done_week, count, late_count in session.execute(
        select(opened, done, func.count(), late)
        .select_from(HumanTask)
        .where(*recent)
        .group_by(opened, done)
    ):
        if opened_week in rows:
            rows[opened_week].opened += count
        if done_week in rows:
            rows[done_week].completed += count
            rows[done_week].overdue_completed += int(late_count or 0)
    return list(rows.values())
