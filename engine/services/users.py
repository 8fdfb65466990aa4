"""People, passwords (argon2id) and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select

from engine.clock import Clock
from engine.errors import InvalidInput, NotFound, Text, Unauthenticated
from engine.persistence.tables import ApiToken, User, UserRole
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import access_log, sessions
from engine.services.organisations import set_memberships
from engine.workflow.roles import CLIENT, RoleCatalog

_hasher = PasswordHasher()
TOKEN_LIFETIME = timedelta(hours=8)
MIN_PASSWORD_LENGTH = 8


@dataclass(frozen=True)
class _Named:
    username: str


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def create_user(
    uow: UnitOfWork,
    roles_catalog: RoleCatalog,
    *,
    username: str,
    display_name: str,
    password: str,
    roles: list[str],
    is_admin: bool = False,
    language: str = "fi",
    is_demo: bool = False,
    organisations: list[str] | None = None,
) -> int:
    errors: dict[str, list[str]] = {}
    if (
        not username
        or len(username) > 80
        or not username.replace("_", "").replace(".", "").isalnum()
    ):
        errors["username"] = [
            Text("username_characters", "Use 1-80 letters, digits, dots or underscores.")
        ]
    if len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = [
            Text("password_length", "At least {num} characters.", num=MIN_PASSWORD_LENGTH)
        ]
    role_problems = staff_role_errors(roles_catalog, roles)
    if role_problems:
        errors["roles"] = role_problems
    if errors:
        raise InvalidInput("the user is not valid", errors, code="user_invalid")
    with uow:
        if uow.session.scalar(select(User).where(User.username == username)):
            raise InvalidInput(
                "the user exists",
                {"username": [Text("username_taken", "This username is taken.")]},
                code="username_taken",
            )
        user = User(
            username=username,
            display_name=display_name,
            password_hash=hash_password(password),
            is_admin=is_admin,
            is_demo=is_demo,
            language=language,
            roles=[UserRole(role=r) for r in sorted(set(roles))],
        )
        set_memberships(uow, user, organisations or [])
        uow.session.add(user)
        uow.commit()
        return user.id


def staff_role_errors(catalog: RoleCatalog, roles: list[str]) -> list[str]:
    """What is wrong with giving these roles to a staff member: the client's role is no staff
    role (its tasks are the client's own), and every other code must be a known role."""
    problems: list[str] = []
    if CLIENT in roles:
        problems.append(
            Text(
                "role_client_not_for_staff",
                "The client role belongs to clients only: it cannot be given to staff.",
            )
        )
    unknown = [r for r in roles if r != CLIENT and r not in catalog.codes]
    if unknown:
        problems.append(Text("roles_unknown", "Unknown role: {codes}", codes=", ".join(unknown)))
    return problems


def authenticate(uow: UnitOfWork, username: str, password: str) -> User:
    """Return the user for valid credentials; the same error for any wrong part."""
    with uow:
        user = uow.session.scalar(select(User).where(User.username == username))
        if user is None or not user.active:
            _hasher.hash(password)  # spend the same time as for a real user
            raise Unauthenticated("wrong username or password", code="sign_in_failed")
        try:
            _hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            raise Unauthenticated("wrong username or password", code="sign_in_failed") from None
        if not user.password_sign_in:  # single sign-on only
            raise Unauthenticated("wrong username or password", code="sign_in_failed")
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
            uow.commit()
        uow.session.expunge(user)
        return user


def issue_token(uow: UnitOfWork, clock: Clock, user_id: int) -> tuple[str, ApiToken]:
    token = secrets.token_urlsafe(32)
    now = clock()
    with uow:
        uow.session.execute(delete(ApiToken).where(ApiToken.expires_at < now))
        row = ApiToken(
            token_hash=_digest(token),
            user_id=user_id,
            created_at=now,
            expires_at=now + TOKEN_LIFETIME,
        )
        uow.session.add(row)
        uow.session.flush()
        user = uow.session.get(User, user_id)
        access_log.log(
            uow, now, _Named(user.username if user else "-"), "token", "api_token",
            client_id=None, basis="API token issued", detail=f"token {row.id}",
        )  # fmt: skip
        uow.commit()
        return token, row


def user_for_token(uow: UnitOfWork, clock: Clock, token: str) -> User:
    with uow:
        row = uow.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
        if row is None or row.expires_at <= clock():
            raise Unauthenticated("the token is unknown or has expired", code="token_unknown")
        user = uow.session.get(User, row.user_id)
        if user is None or not user.active:
            raise Unauthenticated(
                "the token's user is no longer active", code="token_user_inactive"
            )
        uow.session.expunge(user)
        return user


def list_tokens(uow: UnitOfWork, clock: Clock, user_id: int) -> list[ApiToken]:
    """The user's own tokens that have not expired, newest first."""
    with uow:
        rows = list(
            uow.session.scalars(
                select(ApiToken)
                .where(ApiToken.user_id == user_id, ApiToken.expires_at > clock())
                .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
            )
        )
        for row in rows:
            uow.session.expunge(row)
        return rows


def token_id(uow: UnitOfWork, token: str) -> int | None:
    with uow:
        return uow.session.scalar(select(ApiToken.id).where(ApiToken.token_hash == _digest(token)))


def revoke_token(uow: UnitOfWork, clock: Clock, user_id: int, token_id: int) -> None:
    """Revoke one of the user's own tokens; another person's token is not found."""
    with uow:
        done = uow.session.execute(
            delete(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user_id)
        )
        if not done.rowcount:  # type: ignore[attr-defined]
            raise NotFound("you have no such token", code="token_not_found")
        user = uow.session.get(User, user_id)
        access_log.log(
            uow, clock(), _Named(user.username if user else "-"), "token", "api_token",
            client_id=None, basis="API token revoked by its owner", detail=f"token {token_id}",
        )  # fmt: skip
        uow.commit()


def get_user(uow: UnitOfWork, user_id: int) -> User | None:
    with uow:
        user = uow.session.get(User, user_id)
        if user is not None:
            uow.session.expunge(user)
        return user


def list_users(uow: UnitOfWork) -> list[User]:
    with uow:
        users = list(
            uow.session.scalars(select(User).where(User.active).order_by(User.display_name))
        )
        for u in users:
            uow.session.expunge(u)
        return users


def display_names(uow: UnitOfWork) -> dict[str, str]:
    """Username -> display name of the active users, by display name (one statement: their
    roles and organisations are not read)."""
    with uow:
        rows = uow.session.execute(
            select(User.username, User.display_name).where(User.active).order_by(User.display_name)
        )
        return {username: name for username, name in rows}


def record_sign_in(
    uow: UnitOfWork, clock: Clock, username: str, outcome: str, success: bool
) -> None:
    """A sign-in attempt in the access log: who (the username given), when, how it went
    (`signed in`, `wrong username or password`, `throttled`)."""
    with uow:
        access_log.log(
            uow,
            clock(),
            _Named(username.strip()[:80] or "-"),
            "sign-in",
            "account",
            client_id=None,
            basis=outcome,
            success=success,
        )
        uow.commit()


def demo_accounts(uow: UnitOfWork) -> list[str]:
    """Usernames of the active accounts made by `seed-demo` (their password is public)."""
    with uow:
        return list(
            uow.session.scalars(
                select(User.username).where(User.is_demo, User.active).order_by(User.username)
            )
        )


def close_account(uow: UnitOfWork, clock: Clock, username: str) -> None:
    """Close one account at once: deactivated, its sessions ended, its tokens revoked. The row
    stays, because the history and the access log name it."""
    with uow:
        user = uow.session.scalar(select(User).where(User.username == username))
        if user is None:
            raise NotFound(
                f"there is no user '{username}'", code="user_not_found", params={"user": username}
            )
        user.active = False
        uow.session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
        sessions.end_all(uow, clock(), [user.id], "closed")
        uow.commit()


def close_demo_accounts(uow: UnitOfWork) -> list[str]:
    """Close every demo account: deactivated, its password unusable, its tokens revoked. The
    rows stay, because the history and the access log name them."""
    with uow:
        closing = list(uow.session.scalars(select(User).where(User.is_demo, User.active)))
        for user in closing:
            user.active = False
            user.password_hash = hash_password(secrets.token_urlsafe(32))
        if closing:
            ids = [u.id for u in closing]
            uow.session.execute(delete(ApiToken).where(ApiToken.user_id.in_(ids)))
            sessions.end_all(uow, datetime.now(UTC), ids, "closed")
        uow.commit()
        return sorted(u.username for u in closing)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
