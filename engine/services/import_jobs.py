"""Event-log imports in the background, for files too big to import while the browser waits.

`start_job` checks the choices and records the job; the web layer keeps the file and runs
`run_job` in a thread of its own. The import itself is `event_import.import_events`, one
transaction; its progress goes to the job's row (`import_job`) in short transactions of its
own, so any app process (a poll may reach another gunicorn worker) can answer the page that
follows it. The job is marked done in the import's own transaction, so a job is never done
without its rows, nor the rows kept without the job saying so.

A job is shown only to the person who started it; everyone else is told it does not exist.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from engine.analytics.import_mapping import ImportMapping
from engine.clock import Clock
from engine.errors import InvalidInput, NotFound, Text
from engine.persistence.tables import ImportJob
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import access
from engine.services.dashboards import require_dashboard
from engine.services.event_import import (
    BATCH_ROWS,
    Imported,
    checked_name,
    import_events,
    require_model,
)

logger = logging.getLogger(__name__)

# A running job not heard from for this long was cut short (its process ended): nothing of
# it was kept, since its transaction never committed. Progress is written every second or so.
STALE_AFTER = timedelta(minutes=10)
KEEP_JOBS = timedelta(days=30)


@dataclass(frozen=True)
class JobStatus:
    """An import job as its page shows it. `state`: running, done, failed, or interrupted (a
    running job whose process ended: nothing was imported)."""

    id: str
    state: str
    name: str
    model_key: str
    started_at: datetime
    lines_done: int
    bytes_done: int
    total_bytes: int | None
    dataset_id: int | None
    rows: int | None
    cases: int | None
    error: str | None

    @property
    def percent(self) -> int | None:
        """How much of the file is read and checked, rounded down (100: saving, or done)."""
        if self.state == "done":
            return 100
        if not self.total_bytes:
            return None
        return min(100, self.bytes_done * 100 // self.total_bytes)


def start_job(
    uow: UnitOfWork,
    clock: Clock,
    actor: access.Actor,
    *,
    name: str,
    model_key: str,
    total_bytes: int | None,
) -> str:
    """Record a background import about to start, its choices checked now, and return its id
    (random, hard to guess). Jobs not heard from for a month are forgotten."""
    require_dashboard(actor)
    name = checked_name(name)
    now = clock()
    with uow:
        require_model(uow, model_key)
        uow.session.execute(delete(ImportJob).where(ImportJob.updated_at < now - KEEP_JOBS))
        job = ImportJob(
            id=secrets.token_urlsafe(16), started_by=actor.username, started_at=now,
            updated_at=now, name=name, model_key=model_key, state="running", lines_done=0,
            bytes_done=0, total_bytes=total_bytes,
        )  # fmt: skip
        uow.session.add(job)
        uow.commit()
        return job.id


def record_progress(
    uow: UnitOfWork, clock: Clock, job_id: str, lines_done: int, bytes_done: int
) -> None:
    with uow:
        uow.session.execute(
            update(ImportJob)
            .where(ImportJob.id == job_id, ImportJob.state == "running")
            .values(lines_done=lines_done, bytes_done=bytes_done, updated_at=clock())
        )
        uow.commit()


def fail_job(uow: UnitOfWork, clock: Clock, job_id: str, error: str | None) -> None:
    """The job ended without importing anything; `error` says why (a line and its problem),
    or is None for a failure of Polku's own (logged, not shown)."""
    with uow:
        uow.session.execute(
            update(ImportJob)
            .where(ImportJob.id == job_id, ImportJob.state == "running")
            .values(state="failed", error=_stored(error), updated_at=clock())
        )
        uow.commit()


def job_status(uow: UnitOfWork, clock: Clock, actor: access.Actor, job_id: str) -> JobStatus:
    """A job, for the person who started it (to anyone else it does not exist)."""
    require_dashboard(actor)
    with uow:
        job = uow.session.get(ImportJob, job_id[:32])
        if job is None or job.started_by != actor.username:
            raise NotFound(
                f"import job {job_id} does not exist",
                code="import_job_not_found",
                params={"job_id": job_id},
            )
        state = job.state
        if state == "running" and job.updated_at < clock() - STALE_AFTER:
            state = "interrupted"
        return JobStatus(
            job.id, state, job.name, job.model_key, job.started_at, job.lines_done,
            job.bytes_done, job.total_bytes, job.dataset_id, job.rows, job.cases,
            _read(job.error),
        )  # fmt: skip


def run_job(
    new_uow: Callable[[], UnitOfWork],
    clock: Clock,
    actor: access.Actor,
    job_id: str,
    path: Path,
    *,
    batch_rows: int = BATCH_ROWS,
    interval: float = 1.0,
    file_format: str = "csv",
    mapping: ImportMapping | None = None,
    renames: Mapping[str, str] | None = None,
) -> None:
    """Import a started job's file (a standard CSV, or with the wizard's `mapping` a CSV, XLSX
    or XES), writing its progress at most every `interval` seconds, then remove the file.
    Meant for a thread of its own, so it never raises: how the import ended
    is the job's state (a bad line: failed, naming it)."""
    written = time.monotonic()

    def progress(lines_done: int, bytes_done: int, _total: int | None) -> None:
        nonlocal written
        if time.monotonic() - written >= interval:
            record_progress(new_uow(), clock, job_id, lines_done, bytes_done)
            written = time.monotonic()

    def done(session: Session, imported: Imported) -> None:
        session.execute(
            update(ImportJob)
            .where(ImportJob.id == job_id)
            .values(
                state="done", dataset_id=imported.dataset_id, rows=imported.rows,
                cases=imported.cases, lines_done=imported.lines, bytes_done=imported.bytes,
                updated_at=clock(),
            )
        )  # fmt: skip

    try:
        with new_uow() as uow:
            job = uow.session.get(ImportJob, job_id)
            if job is None:
                raise NotFound(
                    f"import job {job_id} does not exist",
                    code="import_job_not_found",
                    params={"job_id": job_id},
                )
            name, model_key, total = job.name, job.model_key, job.total_bytes
        with path.open("rb") as source:
            import_events(
                new_uow(), clock, actor, name=name, model_key=model_key, source=source,
                total_bytes=total, progress=progress, finish=done, batch_rows=batch_rows,
                file_format=file_format, mapping=mapping, renames=renames,
            )  # fmt: skip
    except InvalidInput as exc:
        _fail_quietly(new_uow, clock, job_id, _first_message(exc))
    except Exception:
        logger.exception("the event-log import %s failed", job_id)
        _fail_quietly(new_uow, clock, job_id, None)
    finally:
        path.unlink(missing_ok=True)


def _stored(error: str | None) -> str | None:
    """The job's error as import_job.error keeps it: a coded message as JSON (its code, params
    and English text), a plain one as it is; at most 500 characters either way."""
    if not error:
        return None
    if isinstance(error, Text):
        coded = json.dumps({"code": error.code, "params": error.params, "message": str(error)})
        if len(coded) <= 500:
            return coded
    return str(error)[:500]


def _read(stored: str | None) -> str | None:
    """A stored error back as a message (a `Text` when it was stored with its code)."""
    if not stored or not stored.startswith("{"):
        return stored
    try:
        raw = json.loads(stored)
        return Text.made(str(raw["message"]), str(raw["code"]), raw.get("params"))
    except (ValueError, KeyError, TypeError):
        return stored


def _first_message(exc: InvalidInput) -> str:
    for messages in exc.errors.values():
        if messages:
            return messages[0]
    return exc.message


def _fail_quietly(
    new_uow: Callable[[], UnitOfWork], clock: Clock, job_id: str, error: str | None
) -> None:
    try:
        fail_job(new_uow(), clock, job_id, error)
    except Exception:  # the database is gone too: the job shows as interrupted later
        logger.exception("the event-log import %s could not be marked failed", job_id)
