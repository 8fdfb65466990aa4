"""The weekly trend of the stall dashboard: per week (Monday, Finnish time), on the paths the
reader may count, the steps opened, the steps completed and how many of those were late.

A week starts at Monday 00:00 in Helsinki on every database: the weeks' limits are worked out
here (in UTC, daylight saving time included) and the database sorts each row into its week by
comparing its time with them, so SQLite (times as UTC text) and PostgreSQL (whatever the
session's time zone) give the same answer."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session

from engine.analytics.report_paths import ReportPaths
from engine.analytics.stalls import Scope, WeekRow, versions_in_scope
from engine.analytics.workdays import FINLAND
from engine.persistence.tables import HumanTask

DEFAULT_WEEKS = 12
MOST_WEEKS = 156  # a longer period shows its last three years


def monday_of(moment: datetime) -> datetime:
    """Monday 00:00 in Finnish time of the week `moment` falls in (an aware datetime)."""
    day = moment.astimezone(FINLAND).date()
    return datetime.combine(day - timedelta(days=day.weekday()), time.min, tzinfo=FINLAND)


def week_limits(now: datetime, scope: Scope, weeks: int = DEFAULT_WEEKS) -> list[datetime]:
    """The Mondays (Finnish time) of the weeks shown, and the Monday after the last: the
    chosen period's weeks (`since`, `until`: the period's limits), else the last `weeks`
    weeks up to now."""
    last = monday_of((scope.until - timedelta(microseconds=1)) if scope.until else now)
    first = monday_of(scope.since) if scope.since else None
    if first is None or first > last:
        first = last - timedelta(weeks=weeks) if first is None else last
    count = min(MOST_WEEKS, round((last.date() - first.date()).days / 7))
    mondays = [last.date() - timedelta(weeks=i) for i in range(count, -1, -1)]
    mondays.append(last.date() + timedelta(weeks=1))
    return [datetime.combine(d, time.min, tzinfo=FINLAND) for d in mondays]


def _week_of(column: Any, limits: list[datetime]) -> Any:
    """The index of the week (0: the first) the column's time falls in, by the database."""
    return case(
        *((column < limit, literal(i)) for i, limit in enumerate(limits[1:])),
        else_=literal(len(limits) - 1),
    )


def weekly_trend(
    session: Session,
    now: datetime,
    scope: Scope,
    paths: ReportPaths,
    weeks: int = DEFAULT_WEEKS,
) -> list[WeekRow]:
    """Counted by the database: the steps opened in the weeks from one covering index
    (`ix_human_task_created`: time, version, path), those completed from another
    (`ix_human_task_completed`: time, due time, version, path). Only the times inside the
    chosen period count (a week cut by the period's start or end counts its part)."""
    limits = week_limits(now, scope, weeks)
    start = max(limits[0], scope.since) if scope.since else limits[0]
    end = min(limits[-1], scope.until) if scope.until else limits[-1]
    rows = [WeekRow(limit.date().isoformat(), 0, 0, 0) for limit in limits[:-1]]
    counted = [paths.holds(HumanTask.instance_id, by_other_index=True)]
    if scope.model_key or scope.version:
        counted.append(HumanTask.model_version_id.in_(list(versions_in_scope(session, scope))))
    # grouped over a subquery: PostgreSQL would not see the same bound limits in GROUP BY
    opened = (
        select(_week_of(HumanTask.created_at, limits).label("week"))
        .where(HumanTask.created_at >= start, HumanTask.created_at < end, *counted)
        .subquery()
    )
    for week, count in session.execute(
        select(opened.c.week, func.count()).group_by(opened.c.week)
    ):
        if 0 <= week < len(rows):
            rows[week].opened += count
    done = (
        select(
            _week_of(HumanTask.completed_at, limits).label("week"),
            case((HumanTask.completed_at > HumanTask.due_at, 1), else_=0).label("late"),
        )
        .where(HumanTask.completed_at >= start, HumanTask.completed_at < end, *counted)
        .subquery()
    )
    for week, count, late_count in session.execute(
        select(done.c.week, func.count(), func.sum(done.c.late)).group_by(done.c.week)
    ):
        if 0 <= week < len(rows):
            rows[week].completed += count
            rows[week].overdue_completed += int(late_count or 0)
    return rows
