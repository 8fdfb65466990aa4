"""What an operator watches: readiness, open and overdue work, timer lag, worker heartbeats.

Read from indexed tables at scrape time, so every app server reports the same figures
whichever workers and servers run elsewhere."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, text

from engine.clock import Clock
from engine.persistence.tables import HumanTask, WaitingEvent, WorkerHeartbeat
from engine.persistence.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class WorkerState:
    name: str
    seconds_since_beat: float
    timers_fired: int
    last_error: str | None


@dataclass(frozen=True)
class OperationsFigures:
    open_tasks: int
    overdue_tasks: int
    due_timers: int
    timer_lag_seconds: float  # now minus the due time of the oldest unfired due timer; 0 if none
    workers: list[WorkerState]


def database_reachable(uow: UnitOfWork) -> None:
    """Raise (the driver's error) unless the database answers."""
    with uow:
        uow.session.execute(text("SELECT 1"))


def figures(uow: UnitOfWork, clock: Clock) -> OperationsFigures:
    now = clock()
    with uow:
        session = uow.session
        open_tasks, overdue = session.execute(
            select(
                func.count(HumanTask.id),
                func.count(HumanTask.id).filter(HumanTask.due_at < now),
            ).where(HumanTask.state == "open")
        ).one()
        due_count, oldest = session.execute(
            select(func.count(WaitingEvent.id), func.min(WaitingEvent.due_at)).where(
                WaitingEvent.kind == "timer",
                WaitingEvent.settled_at.is_(None),
                WaitingEvent.due_at <= now,
            )
        ).one()
        workers = [
            WorkerState(
                row.name,
                max(0.0, (now - _aware(row.beat_at)).total_seconds()),
                row.timers_fired,
                row.last_error,
            )
            for row in session.scalars(select(WorkerHeartbeat).order_by(WorkerHeartbeat.name))
        ]
    lag = max(0.0, (now - _aware(oldest)).total_seconds()) if oldest is not None else 0.0
    return OperationsFigures(int(open_tasks), int(overdue), int(due_count), lag, workers)


def _aware(value: datetime) -> datetime:
    from datetime import UTC

    return value if value.tzinfo else value.replace(tzinfo=UTC)
