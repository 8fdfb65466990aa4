"""The access policy's settings an administrator changes without a deploy: how many days after
a path closes its former team may still read it (`access.days_after_closing` reads it).
Administrators only; every change is in the access log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from engine.clock import Clock
from engine.errors import Forbidden, InvalidInput, Text
from engine.persistence.relationships import PolicySetting
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import access
from engine.services.access_log import log_administration

MIN_DAYS_AFTER_CLOSING = 0
MAX_DAYS_AFTER_CLOSING = 3650  # ten years


@dataclass(frozen=True)
class AccessSettings:
    days_after_closing: int
    changed_by: str | None = None  # None: the default, never changed
    changed_at: datetime | None = None


def require_admin(actor: access.Actor) -> None:
    if not actor.is_admin:
        raise Forbidden(
            "only administrators change the access policy's settings",
            code="policy_settings_refused",
        )


def get_access_settings(uow: UnitOfWork) -> AccessSettings:
    with uow:
        row = uow.session.get(PolicySetting, access.DAYS_AFTER_CLOSING)
        if row is None:
            return AccessSettings(access.DEFAULT_DAYS_AFTER_CLOSING)
        return AccessSettings(row.value, row.changed_by, row.changed_at)


def set_days_after_closing(
    uow: UnitOfWork, clock: Clock, actor: access.Actor, days: int
) -> AccessSettings:
    """How many days after a path closes the people who worked on it may still read it."""
    require_admin(actor)
    if (
        isinstance(days, bool)
        or not isinstance(days, int)
        or not MIN_DAYS_AFTER_CLOSING <= days <= MAX_DAYS_AFTER_CLOSING
    ):
        raise InvalidInput(
            "the number of days is out of range",
            {
                "days_after_closing": [
                    Text(
                        "days_after_closing_range",
                        "A whole number from {low} to {high}.",
                        low=MIN_DAYS_AFTER_CLOSING,
                        high=MAX_DAYS_AFTER_CLOSING,
                    )
                ]
            },
            code="days_after_closing_invalid",
            params={"low": MIN_DAYS_AFTER_CLOSING, "high": MAX_DAYS_AFTER_CLOSING},
        )
    now = clock()
    with uow:
        before = access.days_after_closing(uow)
        row = uow.session.get(PolicySetting, access.DAYS_AFTER_CLOSING)
        if row is None:
            row = PolicySetting(key=access.DAYS_AFTER_CLOSING)
            uow.session.add(row)
        row.value, row.changed_by, row.changed_at = days, actor.username[:80], now
        log_administration(
            uow, now, actor, "update", f"setting {access.DAYS_AFTER_CLOSING}",
            f"days after closing {before} -> {days}",
        )  # fmt: skip
        uow.commit()
        return AccessSettings(days, row.changed_by, now)
