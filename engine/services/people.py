"""Administering people: add a colleague, change their name, roles or password, close or
reopen an account. Administrators only; every change is in the access log; closing an account
ends its sessions and tokens at once and lists its open work for hand-over."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, or_, select

from engine.clock import Clock
from engine.errors import Forbidden, InvalidInput, NotFound
from engine.persistence.tables import AccessLog, ApiToken, HumanTask, User, UserRole
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import sessions, users
from engine.services.access import Actor
from engine.workflow.roles import RoleCatalog


@dataclass(frozen=True)
class Person:
    id: int
    username: str
    display_name: str
    roles: list[str]
    is_admin: bool
    active: bool
    single_sign_on: bool
    language: str
    # open tasks held by them (assigned or claimed): to hand over when the account closes
    open_work: list[dict[str, Any]] = field(default_factory=list)


def _require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden("only administrators manage people")


def _person(uow: UnitOfWork, user: User, with_work: bool = False) -> Person:
    work = []
    if with_work:
        rows = uow.session.scalars(
            select(HumanTask).where(
                HumanTask.state == "open",
                or_(HumanTask.assignee_id == user.id, HumanTask.claimed_by_id == user.id),
            )
        )
        work = [{"task_id": t.id, "instance_id": t.instance_id, "name": t.name} for t in rows]
    return Person(
        user.id, user.username, user.display_name, user.role_codes, user.is_admin, user.active,
        user.oidc_subject is not None, user.language, work,
    )  # fmt: skip


def list_people(uow: UnitOfWork, actor: Actor) -> list[Person]:
    _require_admin(actor)
    with uow:
        rows = uow.session.scalars(select(User).order_by(User.active.desc(), User.display_name))
        return [_person(uow, u) for u in rows]


def get_person(uow: UnitOfWork, actor: Actor, user_id: int) -> Person:
    _require_admin(actor)
    with uow:
        user = uow.session.get(User, user_id)
        if user is None:
            raise NotFound(f"there is no user {user_id}")
        return _person(uow, user, with_work=True)


def add_person(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    catalog: RoleCatalog,
    *,
    username: str,
    display_name: str,
    roles: list[str],
    password: str | None,
    is_admin: bool = False,
    language: str = "fi",
) -> int:
    """A new account; without a password it can sign in only through single sign-on."""
    _require_admin(actor)
    if not display_name.strip():
        raise InvalidInput("the name is missing", {"display_name": ["Give the person's name."]})
    user_id = users.create_user(
        uow, catalog, username=username, display_name=display_name.strip(),
        password=password or secrets.token_urlsafe(32), roles=roles, is_admin=is_admin,
        language=language,
    )  # fmt: skip
    _log(uow, clock, actor, user_id, "create", f"roles {','.join(sorted(roles)) or '-'}")
    return user_id


def update_person(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    catalog: RoleCatalog,
    user_id: int,
    changes: dict[str, Any],
) -> Person:
    """Change what `changes` names: display_name, roles, is_admin, password, language, active.
    Closing (active False) ends the person's sessions and tokens at once."""
    _require_admin(actor)
    unknown = [r for r in changes.get("roles") or [] if r not in catalog.codes]
    if unknown:
        raise InvalidInput("unknown role", {"roles": [f"Unknown role: {', '.join(unknown)}"]})
    password = changes.get("password")
    if password is not None and len(password) < users.MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            "the password is too short",
            {"password": [f"At least {users.MIN_PASSWORD_LENGTH} characters."]},
        )
    own = user_id == actor.user_id
    if own and (changes.get("active") is False or changes.get("is_admin") is False):
        raise InvalidInput(
            "administrators cannot close their own account or remove their own rights",
            {"active": ["Ask another administrator."]},
        )
    now = clock()
    with uow:
        user = uow.session.get(User, user_id)
        if user is None:
            raise NotFound(f"there is no user {user_id}")
        done = []
        if "display_name" in changes and changes["display_name"].strip():
            user.display_name = changes["display_name"].strip()
            done.append("name")
        if "roles" in changes:
            user.roles = [UserRole(role=r) for r in sorted(set(changes["roles"]))]
            done.append(f"roles {','.join(sorted(set(changes['roles']))) or '-'}")
        if "is_admin" in changes:
            user.is_admin = bool(changes["is_admin"])
            done.append(f"administrator {user.is_admin}")
        if "language" in changes:
            user.language = changes["language"]
        if password is not None:
            user.password_hash = users.hash_password(password)
            done.append("password")
        if password is not None or changes.get("active") is False:
            # a new password or a closed account: whoever holds a session or token is out
            sessions.end_all(uow, now, [user.id], "changed by an administrator")
            uow.session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
        if "active" in changes:
            user.active = bool(changes["active"])
            done.append("opened" if user.active else "closed")
        uow.session.add(_row(now, actor, user.id, "update", "; ".join(done) or "nothing"))
        uow.commit()
        return _person(uow, user, with_work=not user.active)


def _row(now: Any, actor: Actor, user_id: int, action: str, what: str) -> AccessLog:
    return AccessLog(
        occurred_at=now, username=actor.username, action=action, resource=f"user {user_id}",
        client_id=None, basis=f"administrator: {what}"[:200], success=True,
    )  # fmt: skip


def _log(uow: UnitOfWork, clock: Clock, actor: Actor, user_id: int, action: str, what: str) -> None:
    with uow:
        uow.session.add(_row(clock(), actor, user_id, action, what))
        uow.commit()
