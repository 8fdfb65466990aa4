"""Professionals who sign in through their organisation's OpenID provider.

The provider has already proved who the person is (the web layer checked the id_token); here
that identity becomes a Polku account. The account is found by (issuer, subject) alone, never
by username: a provider's user named like a local account gets an account of their own, so
nobody at the provider can take over a local account. The roles come from the provider's
groups through the operator's role map, afresh at every sign-in: the provider is the source of
truth, and someone moved out of a group loses the role the next time they sign in.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from engine.errors import Forbidden, InvalidInput
from engine.persistence.tables import User, UserRole
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import users
from engine.services.organisations import set_memberships
from engine.workflow.roles import RoleCatalog

ORGANISATION = "organisation:"  # a role map entry placing people in an organisation (by code)
ADMIN = "admin"  # the role map's name for Polku's administrator flag, not a team role
USERNAME_MAX = 80
DISPLAY_NAME_MAX = 200
_NOT_ALLOWED = re.compile(r"[^\w.]+")  # \w: letters, digits and the underscore (any script)
_RUNS = re.compile(r"_{2,}")


@dataclass(frozen=True)
class Identity:
    """Who the provider says signed in: its claims, already validated."""

    issuer: str
    subject: str
    username: str | None = None  # the username claim (e.g. preferred_username), a hint only
    display_name: str | None = None  # the `name` claim
    groups: tuple[str, ...] = ()


class SignInRefused(Forbidden):
    """The provider knows the person but Polku lets them not in; `reason` says why:
    `no_role` (no group of theirs maps to a role), `closed` (the account is deactivated) or
    `role_map` (the role map names a role Polku does not have)."""

    def __init__(
        self,
        reason: str,
        message: str,
        *,
        code: str,
        params: Mapping[str, str | int | None] | None = None,
    ) -> None:
        super().__init__(message, code=code, params=params)
        self.reason = reason


def role_map_problems(role_map: Mapping[str, Sequence[str]], catalog: RoleCatalog) -> list[str]:
    """The role codes the map names that are neither team roles nor `admin` (sorted)."""
    known = set(catalog.codes) | {ADMIN}
    return sorted(
        {
            code
            for codes in role_map.values()
            for code in codes
            if code not in known and not code.startswith(ORGANISATION)
        }
    )


def mapped_roles(
    groups: Iterable[str], role_map: Mapping[str, Sequence[str]]
) -> tuple[set[str], bool]:
    """The team roles and the administrator flag the person's groups give."""
    codes = {code for group in groups for code in role_map.get(group, ())}
    codes = {c for c in codes if not c.startswith(ORGANISATION)}
    return codes - {ADMIN}, ADMIN in codes


def mapped_organisations(
    groups: Iterable[str], role_map: Mapping[str, Sequence[str]]
) -> set[str] | None:
    """The organisations (codes) the person's groups give, or None when the map names no
    organisation at all (then an administrator places people in organisations)."""
    if not any(c.startswith(ORGANISATION) for codes in role_map.values() for c in codes):
        return None
    return {
        code.removeprefix(ORGANISATION)
        for group in groups
        for code in role_map.get(group, ())
        if code.startswith(ORGANISATION)
    }


def username_from(hint: str | None) -> str:
    """A username made of letters, digits, dots and underscores from the provider's hint."""
    text = unicodedata.normalize("NFKC", hint or "").strip().casefold()
    text = _RUNS.sub("_", _NOT_ALLOWED.sub("_", text)).strip("._")
    return text[: USERNAME_MAX - 8].rstrip("._") or "user"


def sign_in(
    uow: UnitOfWork,
    catalog: RoleCatalog,
    identity: Identity,
    role_map: Mapping[str, Sequence[str]],
    *,
    language: str | None = None,
) -> User:
    """The active account of this identity with the roles its groups map to, made on the
    first sign-in. Refuses (SignInRefused, nothing changed) a closed account, a person none of
    whose groups maps to a role, and a role map naming unknown roles."""
    if not identity.issuer or not identity.subject:
        raise ValueError("an identity needs its issuer and subject")
    unknown = role_map_problems(role_map, catalog)
    if unknown:
        raise SignInRefused(
            "role_map",
            f"the role map names roles Polku does not have: {', '.join(unknown)}",
            code="sign_in_role_map_roles",
            params={"roles": ", ".join(unknown)},
        )
    roles, is_admin = mapped_roles(identity.groups, role_map)
    member_of = mapped_organisations(identity.groups, role_map)
    for attempt in range(2):
        try:
            return _sign_in_once(uow, identity, roles, is_admin, language, member_of)
        except IntegrityError:
            # Someone else made the account (or took the username) at the same moment: the
            # second attempt finds the account, or picks the next free username.
            if attempt:
                raise
    raise AssertionError("unreachable")


def _sign_in_once(
    uow: UnitOfWork,
    identity: Identity,
    roles: set[str],
    is_admin: bool,
    language: str | None,
    member_of: set[str] | None = None,
) -> User:
    with uow:
        user = uow.session.scalar(
            select(User).where(
                User.oidc_issuer == identity.issuer, User.oidc_subject == identity.subject
            )
        )
        if user is not None and not user.active:
            raise SignInRefused("closed", "this account has been closed", code="sign_in_closed")
        if not roles and not is_admin:
            raise SignInRefused(
                "no_role",
                "none of the person's groups gives a role in Polku",
                code="sign_in_no_role",
            )
        name = (identity.display_name or "").strip()[:DISPLAY_NAME_MAX]
        if user is None:
            username = _free_username(uow, username_from(identity.username))
            user = User(
                username=username,
                display_name=name or username,
                # never used: the account signs in only through the provider
                password_hash=users.hash_password(secrets.token_urlsafe(32)),
                password_sign_in=False,
                language=language or "fi",
                is_admin=is_admin,
                oidc_issuer=identity.issuer,
                oidc_subject=identity.subject,
                roles=[UserRole(role=code) for code in sorted(roles)],
            )
            uow.session.add(user)
        else:
            if name:
                user.display_name = name
            user.is_admin = is_admin
            _replace_roles(user, roles)
        if member_of is not None:
            try:
                set_memberships(uow, user, member_of)
            except InvalidInput:
                raise SignInRefused(
                    "role_map",
                    "the role map names organisations Polku does not have",
                    code="sign_in_role_map_organisations",
                ) from None
        uow.commit()
        uow.session.expunge(user)
        return user


def _replace_roles(user: User, roles: set[str]) -> None:
    kept = [row for row in user.roles if row.role in roles]
    have = {row.role for row in kept}
    user.roles = kept + [UserRole(role=code) for code in sorted(roles - have)]


def _free_username(uow: UnitOfWork, base: str) -> str:
    """`base`, or `base_2`, `base_3`… whichever no account has yet."""
    taken = set(
        uow.session.scalars(
            select(User.username).where(
                (User.username == base) | User.username.startswith(f"{base}_", autoescape=True)
            )
        )
    )
    if base not in taken:
        return base
    number = 2
    while f"{base}_{number}" in taken:
        number += 1
    return f"{base}_{number}"
