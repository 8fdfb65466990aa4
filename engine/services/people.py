"""Administering people: add a colleague, change their name, roles or password, close or
reopen an account. Administrators only; every change is in the access log; closing an account
ends its sessions and tokens at once and lists its open work for hand-over."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, or_, select

from engine.clock import Clock
from engine.errors import Forbidden, InvalidInput, NotFound, Text
from engine.persistence.relationships import Organisation
from engine.persistence.tables import ApiToken, Client, HumanTask, ProcessInstance, User, UserRole
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import sessions, users
from engine.services.access import Actor, administers
from engine.services.access_log import log, log_administration
from engine.services.organisations import all_organisations, set_memberships
from engine.workflow.roles import CLIENT, RoleCatalog


@dataclass(frozen=True)
class OrganisationInfo:
    code: str
    name: str
    names: dict[str, str]
    kind: str
    region: str | None

    def label(self, language: str = "fi") -> str:
        return self.names.get(language) or self.name


@dataclass(frozen=True)
class Person:
    id: int
    username: str
    display_name: str
    roles: list[str]
    organisations: list[str]
    is_admin: bool
    active: bool
    single_sign_on: bool
    language: str
    # open tasks held by them (assigned or claimed): to hand over when the account closes;
    # each: task_id, instance_id, name, role (who may do it now), lane_role, organisation
    # (code), and the client's pseudonym (never a name: administrators see no client data)
    open_work: list[dict[str, Any]] = field(default_factory=list)
    # running paths whose case manager they are: instance_id, client_pseudonym, organisation
    case_managed: list[dict[str, Any]] = field(default_factory=list)
    has_password: bool = True  # False: signs in through single sign-on only
    email: str | None = None  # where the daily digest goes


def _require_admin(actor: Actor) -> None:
    if not administers(actor):
        raise Forbidden("only administrators manage people", code="people_refused")


def _open_work(uow: UnitOfWork, user_id: int) -> list[dict[str, Any]]:
    rows = uow.session.execute(
        select(
            HumanTask.id,
            HumanTask.instance_id,
            HumanTask.name,
            HumanTask.role,
            HumanTask.lane_role,
            Organisation.code,
            Client.pseudonym,
        )  # fmt: skip
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .join(Client, Client.id == ProcessInstance.client_id)
        .outerjoin(Organisation, Organisation.id == HumanTask.organisation_id)
        .where(
            HumanTask.state == "open",
            or_(HumanTask.assignee_id == user_id, HumanTask.claimed_by_id == user_id),
        )
        .order_by(HumanTask.created_at, HumanTask.id)
    )
    return [
        {"task_id": task_id, "instance_id": instance_id, "name": name, "role": role,
         "lane_role": lane_role, "organisation": organisation, "client_pseudonym": pseudonym}
        for task_id, instance_id, name, role, lane_role, organisation, pseudonym in rows
    ]  # fmt: skip


def _case_managed(uow: UnitOfWork, user_id: int) -> list[dict[str, Any]]:
    rows = uow.session.execute(
        select(ProcessInstance.id, Client.pseudonym, Organisation.code)
        .join(Client, Client.id == ProcessInstance.client_id)
        .outerjoin(Organisation, Organisation.id == ProcessInstance.organisation_id)
        .where(ProcessInstance.case_manager_id == user_id, ProcessInstance.status == "running")
        .order_by(ProcessInstance.id)
    )
    return [
        {"instance_id": instance_id, "client_pseudonym": pseudonym, "organisation": organisation}
        for instance_id, pseudonym, organisation in rows
    ]


def _person(uow: UnitOfWork, user: User, with_work: bool = False) -> Person:
    work = _open_work(uow, user.id) if with_work else []
    managed = _case_managed(uow, user.id) if with_work else []
    return Person(
        user.id, user.username, user.display_name, user.role_codes,
        [o.code for o in user.organisations], user.is_admin, user.active,
        user.oidc_subject is not None, user.language, work, managed, user.password_sign_in,
        user.email,
    )  # fmt: skip


def list_organisations(uow: UnitOfWork) -> list[OrganisationInfo]:
    """Every organisation (for anyone signed in: the catalogue is public knowledge)."""
    with uow:
        return [
            OrganisationInfo(o.code, o.name, dict(o.names or {}), o.kind, o.region)
            for o in all_organisations(uow)
        ]


def list_people(uow: UnitOfWork, actor: Actor) -> list[Person]:
    _require_admin(actor)
    with uow:
        rows = uow.session.scalars(select(User).order_by(User.active.desc(), User.display_name))
        return [_person(uow, u) for u in rows]


def get_person(uow: UnitOfWork, clock: Clock, actor: Actor, user_id: int) -> Person:
    """One person with the work they hold; the paths that work is on are shown by pseudonym
    to the administrator for hand-over, and each is logged."""
    _require_admin(actor)
    with uow:
        user = uow.session.get(User, user_id)
        if user is None:
            raise NotFound(
                f"there is no user {user_id}", code="user_not_found", params={"user": user_id}
            )
        person = _person(uow, user, with_work=True)
        now = clock()
        shown = {w["instance_id"] for w in person.open_work}
        shown |= {p["instance_id"] for p in person.case_managed}
        for instance_id in sorted(shown):
            path = uow.session.get(ProcessInstance, instance_id)
            if path is not None:
                log(
                    uow, now, actor, "read", "hand-over list", client_id=path.client_id,
                    instance_id=instance_id, basis="administrator: hand-over of a person's work",
                    detail=f"pseudonym and open work of {user.username} shown",
                )  # fmt: skip
        uow.commit()
        return person


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
    organisations: list[str] | None = None,
) -> int:
    """A new account; without a password it can sign in only through single sign-on."""
    _require_admin(actor)
    if not display_name.strip():
        raise InvalidInput(
            "the name is missing",
            {"display_name": [Text("name_give", "Give the person's name.")]},
            code="name_missing",
        )
    user_id = users.create_user(
        uow, catalog, username=username, display_name=display_name.strip(),
        password=password or secrets.token_urlsafe(32), roles=roles, is_admin=is_admin,
        language=language, organisations=organisations,
    )  # fmt: skip
    orgs = ",".join(sorted(organisations or [])) or "-"
    what = f"roles {','.join(sorted(roles)) or '-'}; organisations {orgs}"
    _log(uow, clock, actor, user_id, "create", what, no_password=not password)
    return user_id


def update_person(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    catalog: RoleCatalog,
    user_id: int,
    changes: dict[str, Any],
) -> Person:
    """Change what `changes` names: display_name, roles, organisations, is_admin, password,
    language, active.
    Closing (active False) ends the person's sessions and tokens at once."""
    _require_admin(actor)
    asked = list(changes.get("roles") or [])
    role_problems = users.staff_role_errors(catalog, asked)
    if role_problems:
        unknown = [r for r in asked if r not in catalog.codes]
        raise InvalidInput(
            "no staff role" if CLIENT in asked else "unknown role",
            {"roles": role_problems},
            code="role_unknown",
            params={"roles": ", ".join(unknown)},
        )
    password = changes.get("password")
    if password is not None and len(password) < users.MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            "the password is too short",
            {
                "password": [
                    Text(
                        "password_length",
                        "At least {num} characters.",
                        num=users.MIN_PASSWORD_LENGTH,
                    )
                ]
            },
            code="password_too_short",
            params={"min": users.MIN_PASSWORD_LENGTH},
        )
    own = user_id == actor.user_id
    if own and (changes.get("active") is False or changes.get("is_admin") is False):
        raise InvalidInput(
            "administrators cannot close their own account or remove their own rights",
            {"active": [Text("ask_another_admin", "Ask another administrator.")]},
            code="own_account",
        )
    now = clock()
    with uow:
        user = uow.session.get(User, user_id)
        if user is None:
            raise NotFound(
                f"there is no user {user_id}", code="user_not_found", params={"user": user_id}
            )
        done = []
        if "display_name" in changes and changes["display_name"].strip():
            user.display_name = changes["display_name"].strip()
            done.append("name")
        if "roles" in changes:
            user.roles = [UserRole(role=r) for r in sorted(set(changes["roles"]))]
            done.append(f"roles {','.join(sorted(set(changes['roles']))) or '-'}")
        if "organisations" in changes:
            set_memberships(uow, user, changes["organisations"] or [])
            done.append(
                f"organisations {','.join(sorted(set(changes['organisations'] or []))) or '-'}"
            )
        if "is_admin" in changes:
            user.is_admin = bool(changes["is_admin"])
            done.append(f"administrator {user.is_admin}")
        if "language" in changes:
            user.language = changes["language"]
        if password is not None:
            user.password_hash = users.hash_password(password)
            user.password_sign_in = True
            done.append("password")
        if password is not None or changes.get("active") is False:
            # a new password or a closed account: whoever holds a session or token is out
            sessions.end_all(uow, now, [user.id], "changed by an administrator")
            uow.session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
        if "active" in changes:
            user.active = bool(changes["active"])
            done.append("opened" if user.active else "closed")
        log_administration(
            uow, now, actor, "update", f"user {user.id}", "; ".join(done) or "nothing"
        )
        uow.commit()
        return _person(uow, user, with_work=not user.active)


def _log(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    user_id: int,
    action: str,
    what: str,
    *,
    no_password: bool = False,
) -> None:
    with uow:
        if no_password:  # it keeps an unguessable password, and signs in by SSO only
            user = uow.session.get(User, user_id)
            if user is not None:
                user.password_sign_in = False
            what += "; single sign-on only"
        log_administration(uow, clock(), actor, action, f"user {user_id}", what)
        uow.commit()
