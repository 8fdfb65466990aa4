"""The access log: every read, change and disclosure of a client's data, every refusal, and
every administrative change, with who, when, what and on what basis. Rows are only added."""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from engine.errors import Forbidden, Param
from engine.persistence.unit_of_work import UnitOfWork


class _Someone(Protocol):
    @property
    def username(self) -> str: ...


@dataclass(frozen=True)
class Request:
    """Where a command came from: the session or token (a reference, never the secret) and
    the address. The web layer sets it for each request; jobs leave it empty."""

    session_ref: str | None = None
    address: str | None = None


REQUEST: ContextVar[Request | None] = ContextVar("polku_request", default=None)


def join_request(session_ref: str) -> None:
    """The request is made in this session (or with this token): its rows say so."""
    current = REQUEST.get() or Request()
    REQUEST.set(Request(session_ref=session_ref[:80], address=current.address))


def log(
    uow: UnitOfWork,
    now: datetime,
    actor: _Someone,
    action: str,
    resource: str,
    *,
    client_id: int | None,
    instance_id: int | None = None,
    basis: str,
    success: bool = True,
    detail: str | None = None,
) -> None:
    """Add a row inside the caller's unit of work: it is chained to the one before it and
    written when the command commits (engine/persistence/audit_chain.py)."""
    request = REQUEST.get() or Request()
    roles = sorted(getattr(actor, "roles", ()) or ())
    organisations = sorted(getattr(actor, "organisation_codes", ()) or ())
    uow.add_access_log(
        {
            "occurred_at": now,
            "username": actor.username[:80],
            "action": action,
            "resource": resource[:100],
            "client_id": client_id,
            "instance_id": instance_id,
            "basis": basis[:200],
            "success": success,
            "detail": detail[:500] if detail else None,
            "actor_roles": ",".join(roles)[:300] or None,
            "actor_organisations": ",".join(organisations)[:300] or None,
            "session_ref": request.session_ref,
            "address": request.address,
        }
    )


def log_administration(
    uow: UnitOfWork, now: datetime, actor: _Someone, action: str, resource: str, what: str
) -> None:
    """An administrator's change (a person, a setting), inside the caller's unit of work."""
    log(uow, now, actor, action, resource, client_id=None, basis=f"administrator: {what}")


def refuse(
    uow: UnitOfWork,
    now: datetime,
    actor: _Someone,
    action: str,
    resource: str,
    client_id: int | None,
    instance_id: int | None,
    reason: str,
    detail: str | None = None,
    *,
    code: str = "access_refused",
    params: Mapping[str, Param] | None = None,
) -> Forbidden:
    """Record a refused access in its own transaction and return the error to raise: nothing
    the command did before is kept."""
    uow.rollback()
    log(
        uow,
        now,
        actor,
        action,
        resource,
        client_id=client_id,
        instance_id=instance_id,
        basis=reason,
        success=False,
        detail=detail,
    )
    uow.commit()
    return Forbidden(reason, code=code, params=params)
