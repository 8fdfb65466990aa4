"""A person's own settings for notifications: the e-mail address the daily digest goes to,
and whether they want the digest at all. An administrator may set anyone's address (the
person page). Each change is in the access log (no client's data: `client_id` is empty)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from engine.clock import Clock
from engine.errors import Forbidden, InvalidInput, NotFound, Text
from engine.persistence.tables import User
from engine.persistence.unit_of_work import UnitOfWork
from engine.services.access import Actor
from engine.services.access_log import log, log_administration

MAX_EMAIL = 254
# one address, no display name: local part and a domain with a dot, nothing that could end a
# mail header (the address goes into To:)
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
EMAIL_MESSAGE = Text("email_one_address", "Give one e-mail address, e.g. name@example.fi.")


@dataclass(frozen=True)
class PersonalSettings:
    email: str | None
    email_digest: bool
    digest_sent_at: datetime | None


def check_email(value: str | None) -> str | None:
    """The address, trimmed (empty: none), or InvalidInput naming the field `email`."""
    text = (value or "").strip()
    if not text:
        return None
    if len(text) > MAX_EMAIL or not _EMAIL.match(text) or ".." in text:
        raise InvalidInput(
            "not an e-mail address", {"email": [EMAIL_MESSAGE]}, code="email_invalid"
        )
    return text


def _settings(user: User) -> PersonalSettings:
    return PersonalSettings(user.email, bool(user.email_digest), user.digest_sent_at)


def get_settings(uow: UnitOfWork, actor: Actor) -> PersonalSettings:
    with uow:
        user = uow.session.get(User, actor.user_id)
        if user is None:
            raise NotFound("your account does not exist", code="account_not_found")
        return _settings(user)


def save_settings(
    uow: UnitOfWork, clock: Clock, actor: Actor, email: str | None, email_digest: bool
) -> PersonalSettings:
    """The actor's own address and digest choice."""
    address = check_email(email)
    now = clock()
    with uow:
        user = uow.session.get(User, actor.user_id)
        if user is None:
            raise NotFound("your account does not exist", code="account_not_found")
        changed = []
        if address != user.email:
            changed.append("e-mail address")
        if email_digest != user.email_digest:
            changed.append(f"daily digest {'on' if email_digest else 'off'}")
        user.email, user.email_digest = address, email_digest
        if changed:
            log(
                uow, now, actor, "update", "own_settings", client_id=None,
                basis="own account", detail="changed: " + ", ".join(changed),
            )  # fmt: skip
        uow.commit()
        return _settings(user)


def set_email(
    uow: UnitOfWork, clock: Clock, actor: Actor, user_id: int, email: str | None
) -> str | None:
    """An administrator sets a person's address (empty: none)."""
    if not actor.is_admin:
        raise Forbidden("only administrators manage people", code="people_refused")
    address = check_email(email)
    now = clock()
    with uow:
        user = uow.session.get(User, user_id)
        if user is None:
            raise NotFound(
                f"user {user_id} does not exist", code="user_not_found", params={"user": user_id}
            )
        if address != user.email:
            user.email = address
            log_administration(uow, now, actor, "update", "user", f"e-mail of {user.username}")
        uow.commit()
        return address
