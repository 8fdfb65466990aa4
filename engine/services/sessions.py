"""Signed-in browser sessions kept on the server: started at sign-in, ended by logging out,
by closing the account, after an idle time and after an absolute lifetime."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from engine.clock import Clock
from engine.persistence.tables import User, UserSession
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import access_log

# last_seen_at is written at most this often (a page view need not be a write)
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta = timedelta(minutes=30)
    lifetime: timedelta = timedelta(hours=10)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(uow: UnitOfWork, clock: Clock, user_id: int, policy: SessionPolicy) -> str:
    """A new session for the user; returns the token for the cookie (shown once)."""
    token = secrets.token_urlsafe(32)
    now = clock()
    with uow:
        uow.session.add(
            UserSession(
                id=_digest(token),
                user_id=user_id,
                created_at=now,
                last_seen_at=now,
                expires_at=now + policy.lifetime,
            )
        )
        uow.commit()
    return token


def resume(uow: UnitOfWork, clock: Clock, token: str, policy: SessionPolicy) -> User | None:
    """The session's user while the session holds; None (and the session ended, with the
    reason) once it has idled too long, outlived its lifetime or the account was closed."""
    now = clock()
    with uow:
        # the session and its user with the user's roles and organisations: one statement
        found = (
            uow.session.execute(
                select(UserSession, User)
                .outerjoin(User, User.id == UserSession.user_id)
                .where(UserSession.id == _digest(token))
                .options(joinedload(User.roles), joinedload(User.organisations))
            )
            .unique()
            .one_or_none()
        )
        if found is None or found[0].ended_at is not None:
            return None
        row, user = found
        reason = None
        if user is None or not user.active:
            reason = "closed"
        elif now - row.last_seen_at > policy.idle:
            reason = "idle"
        elif now >= row.expires_at:
            reason = "lifetime"
        if reason is not None:
            row.ended_at, row.ended_because = now, reason
            uow.commit()
            return None
        if now - row.last_seen_at >= TOUCH_EVERY:
            row.last_seen_at = now
            uow.commit()
        assert user is not None
        uow.session.expunge(user)
        return user


@dataclass(frozen=True)
class _Named:
    username: str


def end(uow: UnitOfWork, clock: Clock, token: str, reason: str = "logout") -> None:
    """End a session (signing out); the access log says who signed out, when, from where."""
    now = clock()
    with uow:
        row = uow.session.get(UserSession, _digest(token))
        if row is None or row.ended_at is not None:
            return
        row.ended_at, row.ended_because = now, reason
        user = uow.session.get(User, row.user_id)
        access_log.log(
            uow, now, _Named(user.username if user else "-"), "sign-out", "account",
            client_id=None, basis=reason, detail=f"session {row.id[:16]}",
        )  # fmt: skip
        uow.commit()


def end_all(uow: UnitOfWork, now: datetime, user_ids: list[int], reason: str) -> None:
    """End every open session of these users, inside the caller's unit of work."""
    uow.session.execute(
        update(UserSession)
        .where(UserSession.user_id.in_(user_ids), UserSession.ended_at.is_(None))
        .values(ended_at=now, ended_because=reason)
    )


# where a search is kept with the session: the worklist's client filter, the client list's
# search box; each its own, so one never changes the other
SearchOf = Literal["worklist", "clients"]
_SEARCH_COLUMNS = {"worklist": "client_search", "clients": "client_list_search"}


def client_search(uow: UnitOfWork, token: str, of: SearchOf = "worklist") -> str:
    column = getattr(UserSession, _SEARCH_COLUMNS[of])
    with uow:
        return uow.session.scalar(select(column).where(UserSession.id == _digest(token))) or ""


def set_client_search(uow: UnitOfWork, token: str, text: str, of: SearchOf = "worklist") -> None:
    """Keep the worklist's client filter, or the client list's search, with the session
    (empty: none)."""
    with uow:
        uow.session.execute(
            update(UserSession)
            .where(UserSession.id == _digest(token))
            .values({_SEARCH_COLUMNS[of]: text.strip()[:100] or None})
        )
        uow.commit()


def open_sessions(uow: UnitOfWork, user_id: int) -> list[UserSession]:
    with uow:
        rows = list(
            uow.session.scalars(
                select(UserSession)
                .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
                .order_by(UserSession.created_at)
            )
        )
        for row in rows:
            uow.session.expunge(row)
        return rows
