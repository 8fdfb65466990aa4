"""The notifications time makes (issue 14 §4), run by the timer worker about once an hour:
a held task due tomorrow or overdue, and a running path of a case manager's caseload without
events for N working days. Each kind is one indexed statement or two; a notice already made
(the same key) is left as it is, so running again, or on several workers, repeats nothing.

Then, about every few minutes, the daily e-mail digests (`digest.send_digests`)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, and_, func, literal, select

from engine.analytics import workdays
from engine.analytics.workdays import FINLAND, day_start, is_working_day
from engine.clock import Clock
from engine.persistence.tables import HumanTask, ProcessInstance, UtcDateTime
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import notifications as n
from engine.services.digest import DigestSettings, Mailer, send_digests

log = logging.getLogger("polku.notifications")
TIMED_EVERY = timedelta(hours=1)
DIGEST_EVERY = timedelta(minutes=5)
# an overdue task older than this that never got its notice (the worker was away) gets none
OVERDUE_LOOKBACK = timedelta(days=30)


def quiet_since(now: datetime, working_days: int) -> datetime:
    """A path whose last event is before this moment has had no event for `working_days`
    working days (weekends and Finnish public holidays not counted), today included."""
    day, counted = now.astimezone(FINLAND).date(), 0
    while counted < working_days:
        if is_working_day(day):
            counted += 1
        day -= timedelta(days=1)
    return day_start(day + timedelta(days=1))


def _held_tasks(kind: str, now: datetime, *where: Any) -> Any:
    """Notices of `kind` for the holder (who claimed it, else its assignee) of each open task
    `where` names, as a SELECT of the notification's columns."""
    holder = func.coalesce(HumanTask.claimed_by_id, HumanTask.assignee_id)
    return select(
        holder,
        literal(kind),
        literal(f"{kind}:", String()) + HumanTask.id,
        HumanTask.instance_id,
        HumanTask.id,
        literal({}, n.JSON),
        literal(now, UtcDateTime()),
    ).where(HumanTask.state == "open", holder.is_not(None), *where)


def timed_notices(uow: UnitOfWork, clock: Clock, quiet_days: int) -> None:
    """Due tomorrow, overdue and quiet caseload notices as of now, in one transaction."""
    now = clock()
    tomorrow, after = workdays.tomorrow(now)
    with uow:
        n.insert_ignoring(
            uow,
            _held_tasks(n.TASK_DUE_TOMORROW, now, HumanTask.due_at >= tomorrow,
                        HumanTask.due_at < after),
        )  # fmt: skip
        n.insert_ignoring(
            uow,
            _held_tasks(n.TASK_OVERDUE, now, HumanTask.due_at < now,
                        HumanTask.due_at >= now - OVERDUE_LOOKBACK),
        )  # fmt: skip
        pi = ProcessInstance
        last = func.coalesce(pi.last_activity_at, pi.created_at)
        quiet = uow.session.execute(
            select(pi.id, pi.case_manager_id, last).where(
                and_(pi.status == "running", pi.case_manager_id.is_not(None)),
                last < quiet_since(now, quiet_days),
            )
        ).all()
        n.insert_ignoring(
            uow,
            [
                {
                    "user_id": manager, "kind": n.CASELOAD_QUIET,
                    # quiet again after a later event: a new notice
                    "key": f"{n.CASELOAD_QUIET}:{instance_id}:{_stamp(since)}",
                    "instance_id": instance_id, "task_id": None,
                    "params": {"days": quiet_days}, "created_at": now,
                }
                for instance_id, manager, since in quiet
            ],
        )  # fmt: skip
        uow.commit()


def _stamp(value: datetime | None) -> str:
    return value.strftime("%Y%m%dT%H%M%S") if value else "-"


@dataclass
class NotificationRounds:
    """What the timer worker runs after firing timers: the timed notices at most every
    TIMED_EVERY, the digests at most every DIGEST_EVERY. A failure is logged (no client data
    in the line) and tried again next time; it never stops the worker."""

    uow_factory: Callable[[], UnitOfWork]
    clock: Clock
    settings: DigestSettings
    mailer: Mailer | None = None
    timed_at: datetime | None = None
    digests_at: datetime | None = None

    def __call__(self) -> None:
        now = self.clock()
        if self.timed_at is None or now - self.timed_at >= TIMED_EVERY:
            try:
                timed_notices(self.uow_factory(), self.clock, self.settings.quiet_days)
                self.timed_at = now
            except Exception as exc:
                log.warning("notifications: the timed notices failed (%s)", type(exc).__name__)
        if self.digests_at is None or now - self.digests_at >= DIGEST_EVERY:
            try:
                send_digests(self.uow_factory, self.clock, self.settings, self.mailer)
                self.digests_at = now
            except Exception as exc:
                log.warning("notifications: the digests failed (%s)", type(exc).__name__)


__all__ = ["NotificationRounds", "quiet_since", "timed_notices"]
