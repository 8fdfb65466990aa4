"""Bearer-token authentication for the API."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import g, request

from engine.errors import Unauthenticated
from engine.services import access_log, users
from engine.services.access import Actor
from web.context import polku

F = TypeVar("F", bound=Callable[..., Any])


def token_required(view: F) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated(
                "send 'Authorization: Bearer <token>' (POST /api/v1/tokens)", code="token_missing"
            )
        ctx = polku()
        user = users.user_for_token(ctx.uow(), ctx.clock, token.strip())
        g.actor = Actor.from_user(user)
        g.api_token = token.strip()
        access_log.join_request(f"token:{hashlib.sha256(token.strip().encode()).hexdigest()[:16]}")
        return view(*args, **kwargs)

    return cast(F, wrapper)


def actor() -> Actor:
    return cast(Actor, g.actor)
