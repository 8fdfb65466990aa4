"""The timer worker's loop: fire due timers, report a heartbeat, back off while the database
is away. Several workers may run against one PostgreSQL: each timer is claimed with
`FOR UPDATE SKIP LOCKED` (see `instances.fire_due_timers`), so it fires exactly once."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import DBAPIError, OperationalError

from engine.clock import Clock
from engine.persistence.tables import WorkerHeartbeat
from engine.persistence.unit_of_work import UnitOfWork
from engine.services.instances import fire_due_timers
from engine.services.telemetry import WORKER_ROUNDS
from engine.workflow.engine import WorkflowEngine

log = logging.getLogger("polku.worker")
MAX_BACKOFF = 60.0
# a worker silent this long is gone (killed without signing off): its row is removed
FORGET_AFTER = timedelta(days=1)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def beat(
    uow: UnitOfWork, name: str, started_at: datetime, now: datetime, fired: int, error: str | None
) -> None:
    with uow:
        row = uow.session.get(WorkerHeartbeat, name)
        if row is None:
            row = WorkerHeartbeat(name=name, started_at=started_at, timers_fired=0)
            uow.session.add(row)
        row.beat_at = now
        row.timers_fired = (row.timers_fired or 0) + fired
        row.last_error = error[:500] if error else None
        uow.session.execute(
            delete(WorkerHeartbeat).where(WorkerHeartbeat.beat_at < now - FORGET_AFTER)
        )
        uow.commit()


def sign_off(uow: UnitOfWork, name: str) -> None:
    """A worker stopping cleanly removes its row, so it is not reported as silent."""
    with uow:
        uow.session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.name == name))
        uow.commit()


def heartbeats(uow: UnitOfWork) -> list[WorkerHeartbeat]:
    with uow:
        rows = list(uow.session.scalars(select(WorkerHeartbeat).order_by(WorkerHeartbeat.name)))
        for row in rows:
            uow.session.expunge(row)
        return rows


def run(
    uow_factory: Callable[[], UnitOfWork],
    engine: WorkflowEngine,
    clock: Clock,
    stop: threading.Event,
    interval: float,
    name: str | None = None,
    after_round: Callable[[], None] | None = None,
) -> None:
    """Rounds until `stop` is set. A lost database connection is retried after 1, 2, 4 … up to
    60 seconds; a failed timer stays due and is tried again next round. `after_round` runs
    after each round's timers (the notifications' jobs, `notification_jobs.NotificationRounds`:
    they catch their own failures)."""
    name = name or worker_name()
    started = clock()
    backoff = 0.0
    log.info("timer worker %s started (every %gs)", name, interval)
    while not stop.is_set():
        try:
            fired = fire_due_timers(uow_factory, engine, clock)
            if after_round is not None:
                after_round()
            beat(uow_factory(), name, started, clock(), fired, None)
            WORKER_ROUNDS.labels(outcome="ok").inc()
            if fired:
                log.info("timer worker: fired %d timer(s)", fired)
            if backoff:
                log.info("timer worker: the database is back")
            backoff = 0.0
            stop.wait(interval)
        except (OperationalError, DBAPIError) as exc:
            WORKER_ROUNDS.labels(outcome="error").inc()
            backoff = min(MAX_BACKOFF, max(1.0, backoff * 2))
            log.warning(
                "timer worker: the database is not reachable (%s); next try in %gs",
                type(exc.orig).__name__ if exc.orig is not None else type(exc).__name__,
                backoff,
            )
            stop.wait(backoff)
        except Exception as exc:  # keep the worker alive; the failed instance stays due
            WORKER_ROUNDS.labels(outcome="error").inc()
            log.exception("timer worker: a timer could not be fired")
            try:
                beat(uow_factory(), name, started, clock(), 0, type(exc).__name__)
            except Exception:
                log.debug("timer worker: heartbeat failed too", exc_info=True)
            stop.wait(interval)
    try:
        sign_off(uow_factory(), name)
    except Exception:
        log.debug("timer worker: could not sign off", exc_info=True)
    log.info("timer worker %s stopped", name)
