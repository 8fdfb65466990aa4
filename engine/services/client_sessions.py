"""Clients' own sign-in and sessions (issue 17 §1).

A client signs in with strong identification (Suomi.fi e-Identification, over OpenID
Connect: the web layer checks the provider's answer). The personal identity code the provider
vouches for is matched to the client record (`client.identity_code`); nobody else's record is
ever found by it, and a client has no password in Polku. The session is the client's own
(`client_session`), never a professional's: a professional's session opens no client page and
a client's opens no professional's page or endpoint.

Every sign-in, refused sign-in and sign-out is an access-log row; a refusal keeps no identity
code (only that none matched)."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select

from engine.clock import Clock
from engine.errors import Forbidden
from engine.persistence.client_sign_in import ClientSession
from engine.persistence.tables import Client
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import access_log
from engine.services.access_client import OWN_BASIS, USERNAME_PREFIX
from engine.services.sessions import TOUCH_EVERY, SessionPolicy

RESOURCE = "client sign-in"
IDENTIFIED = "strong identification"


class ClientNotFound(Forbidden):
    """The identity code the provider vouched for is no client's in Polku."""


class _Named:
    def __init__(self, username: str) -> None:
        self.username = username


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_code(code: str) -> str:
    return code.strip().upper()


def sign_in(
    uow: UnitOfWork, clock: Clock, identity_code: str, policy: SessionPolicy, *, via: str
) -> tuple[Client, str]:
    """The client whose identity code the provider vouched for, and a new session's token (for
    the cookie, shown once). `via` names the provider in the log. Refused (logged, without the
    code) when no client has the code."""
    now = clock()
    code = normalise_code(identity_code)
    with uow:
        client = (
            uow.session.scalar(select(Client).where(Client.identity_code == code)) if code else None
        )
        if client is None:
            access_log.log(
                uow, now, _Named(f"{USERNAME_PREFIX}?"), "sign-in", RESOURCE, client_id=None,
                basis=f"{IDENTIFIED} ({via})", success=False,
                detail="no client has the identity code the provider gave",
            )  # fmt: skip
            uow.commit()
            raise ClientNotFound("no client has this identity code", code="client_not_known")
        token = secrets.token_urlsafe(32)
        uow.session.add(
            ClientSession(
                id=_digest(token),
                client_id=client.id,
                created_at=now,
                last_seen_at=now,
                expires_at=now + policy.lifetime,
            )
        )
        access_log.log(
            uow, now, _Named(f"{USERNAME_PREFIX}{client.pseudonym}"), "sign-in", RESOURCE,
            client_id=client.id, basis=f"{IDENTIFIED} ({via})",
            detail=f"session {_digest(token)[:16]}",
        )  # fmt: skip
        uow.commit()
        uow.session.expunge(client)
        return client, token


def resume(uow: UnitOfWork, clock: Clock, token: str, policy: SessionPolicy) -> Client | None:
    """The session's client while the session holds; None (and the session ended, with the
    reason) once it has idled too long or outlived its lifetime."""
    now = clock()
    with uow:
        row = uow.session.get(ClientSession, _digest(token))
        if row is None or row.ended_at is not None:
            return None
        reason = None
        if now - row.last_seen_at > policy.idle:
            reason = "idle"
        elif now >= row.expires_at:
            reason = "lifetime"
        if reason is not None:
            row.ended_at, row.ended_because = now, reason
            uow.commit()
            return None
        if now - row.last_seen_at >= TOUCH_EVERY:
            row.last_seen_at = now
        client = uow.session.get(Client, row.client_id)
        uow.commit()
        if client is None:
            return None
        uow.session.expunge(client)
        return client


def end(uow: UnitOfWork, clock: Clock, token: str, reason: str = "logout") -> None:
    """Sign the client out; the access log says who signed out and when."""
    now = clock()
    with uow:
        row = uow.session.get(ClientSession, _digest(token))
        if row is None or row.ended_at is not None:
            return
        row.ended_at, row.ended_because = now, reason
        client = uow.session.get(Client, row.client_id)
        name = f"{USERNAME_PREFIX}{client.pseudonym if client else '?'}"
        access_log.log(
            uow, now, _Named(name), "sign-out", RESOURCE, client_id=row.client_id,
            basis=OWN_BASIS, detail=f"session {row.id[:16]}",
        )  # fmt: skip
        uow.commit()


def session_ref(token: str) -> str:
    """How the access log names the session (a hash prefix, never the token)."""
    return f"client-session:{_digest(token)[:16]}"


__all__ = ["ClientNotFound", "SessionPolicy", "end", "resume", "sign_in"]
