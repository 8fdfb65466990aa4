"""Where clients wait: per step, region and model version; the stalled clients; lead times
between milestones (the weekly trend: `weeks`; timers and unrecorded messages: `waits`).
Reads the worklist, waiting and milestone tables.

Every figure counts only the paths its reader may count: the caller (engine/services) passes
the access policy's condition on `ProcessInstance` rows (`access.report_condition`) wrapped in
`ReportPaths`, and each query applies it; nothing here decides access."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from engine.analytics.report_paths import ReportPaths
from engine.analytics.stats import Distribution, ranks
from engine.persistence.tables import (
    HumanTask,
    Milestone,
    ProcessModel,
    ProcessModelVersion,
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
    kind: str = "task"  # task | wait (an awaited decision) | timer | message
    waited_for: str | None = None  # the party waited for (`waited_for`); None: the team


@dataclass
class WeekRow:
    week_start: str
    opened: int
    completed: int
    overdue_completed: int


# Who an awaited decision waits for, from its message's or recording role's name.
PARTIES = (
    ("kela", "kela"),
    ("employment", "employment"),
    ("tyollisyys", "employment"),
    ("pension", "pension_insurer"),
    ("elake", "pension_insurer"),
)


def waited_for(kind: str, *names: str | None) -> str | None:
    """The party a wait is attributed to: "calendar" for a timer, the party an awaited
    decision's message or recording role names (Kela, employment services, a pension
    insurer), "other" for another; None for a step of the team's own."""
    if kind == "timer":
        return "calendar"
    if kind not in ("wait", "message"):
        return None
    text = " ".join(n.lower() for n in names if n)
    return next((party for word, party in PARTIES if word in text), "other")


def _period(column: Any, scope: Scope) -> list[ColumnElement[bool]]:
    """The chosen period's conditions on a time column (`until` exclusive)."""
    found: list[ColumnElement[bool]] = []
    if scope.since:
        found.append(column >= scope.since)
    if scope.until:
        found.append(column < scope.until)
    return found


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
    other open row travels to Python.

    The ranking reads one covering index (`ix_human_task_open_steps`: step, age, due time and
    path of every open row), checking each row's path as it goes, so the rows are ranked in
    the index's order (step, then age) without sorting them; rows of equal age tie, and any
    of them gives the same age. The step's name and phase are read for the few rows
    returned, from the open row of that step on the same path."""
    versions = versions_in_scope(session, scope)
    open_rows = [HumanTask.state == "open", paths.holds(HumanTask.instance_id, by_other_index=True)]
    if scope.model_key or scope.version:
        open_rows.append(HumanTask.model_version_id.in_(list(versions)))
    open_rows += _period(HumanTask.created_at, scope)  # the waits begun in the period
    step = (HumanTask.model_version_id, HumanTask.bpmn_id)
    ranked = (
        select(
            HumanTask.model_version_id.label("version_id"),
            HumanTask.bpmn_id.label("bpmn_id"),
            HumanTask.instance_id.label("instance_id"),
            HumanTask.created_at.label("created_at"),
            # in the index's order (the longest wait first); rank 1 below is the shortest
            func.row_number()
            .over(partition_by=step, order_by=HumanTask.created_at)
            .label("from_oldest"),
            func.count().over(partition_by=step).label("waiting"),
            func.sum(case((HumanTask.due_at < now, 1), else_=0))
            .over(partition_by=step)
            .label("late"),
        )
        .where(*open_rows)
        .subquery()
    )
    waiting = ranked.c.waiting
    rank = (waiting + 1 - ranked.c.from_oldest).label("rank")  # 1: the shortest wait
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
    row = aliased(HumanTask)  # the returned row's step, for its name and phase
    groups: dict[tuple[int, str], tuple[str, str | None, int, int, dict[int, float]]] = {}
    kinds: dict[tuple[int, str], tuple[str, str | None]] = {}
    for version_id, bpmn_id, name, phase, kind, role, created, at, count, late in session.execute(
        select(
            ranked.c.version_id,
            ranked.c.bpmn_id,
            row.name,
            row.phase,
            row.kind,
            row.lane_role,
            ranked.c.created_at,
            rank,
            waiting,
            ranked.c.late,
        )
        .join(
            row,
            and_(
                row.instance_id == ranked.c.instance_id,
                row.state == "open",
                row.model_version_id == ranked.c.version_id,
                row.bpmn_id == ranked.c.bpmn_id,
            ),
        )
        .where(wanted)
    ):
        group = groups.setdefault((version_id, bpmn_id), (name, phase, count, int(late or 0), {}))
        group[4][at] = (now - created).total_seconds() / DAY
        kinds[(version_id, bpmn_id)] = (kind, role)
    result = []
    for (version_id, bpmn_id), (name, phase, count, late, ages) in groups.items():
        version = versions.get(version_id)
        if version is None:
            continue
        kind, role = kinds[(version_id, bpmn_id)]
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
                kind,
                waited_for(kind, name, role),
            )
        )
    return sorted(result, key=lambda s: (-s.overdue, -s.waiting, s.model_key, s.name))


def lead_times(session: Session, scope: Scope, paths: ReportPaths) -> dict[str, Distribution]:
    """Days between milestones, as distributions, for the paths the reader may count whose
    first milestone is in scope. Each milestone row carries the lead time that ends at it, so
    this reads one index (`ix_milestone_lead`) joined to the admitted paths; the database
    ranks each lead time's values and returns only the rows the distribution is read from
    (`stats.ranks`), not every path's."""
    scoped = bool(scope.model_key or scope.version)
    counted = [
        Milestone.name.in_(list(LEAD_FROM)),
        Milestone.lead_days.is_not(None),
        paths.holds(Milestone.instance_id, by_other_index=True),
    ]
    if scoped:
        counted.append(Milestone.model_version_id.in_(list(versions_in_scope(session, scope))))
    counted += _period(Milestone.lead_from_at, scope)
    ranked = (
        select(
            Milestone.name.label("name"),
            Milestone.lead_days.label("days"),
            func.row_number()
            .over(partition_by=Milestone.name, order_by=Milestone.lead_days)
            .label("rank"),
            func.count().over(partition_by=Milestone.name).label("count"),
        )
        .where(*counted)
        .subquery()
    )
    rank = ranked.c.rank
    counts: dict[str, int] = {}
    values: dict[str, dict[int, float]] = defaultdict(dict)
    for name, days, at, count in session.execute(
        select(ranked.c.name, ranked.c.days, rank, ranked.c.count).where(
            or_(*(rank == wanted for wanted in ranks(ranked.c.count)))
        )
    ):
        counts[name] = count
        values[name][at] = days
    return {
        f"{first}->{second}": Distribution.at_ranks(counts.get(second, 0), values[second])
        for first, second in MILESTONE_PAIRS
    }
