"""Sign-in throttling (Flask-Limiter): per address, and per account counting only failed
attempts, so guessing a password is slow while a person who signs in often is never held up.

The counters live in POLKU_RATELIMIT_STORAGE_URI: `memory://` (the default) counts per
process; with several processes or servers use a shared store such as `redis://host:6379`.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Flask, Response, current_app, request
from flask_limiter import Limiter, RequestLimit
from flask_limiter.util import get_remote_address

PER_ADDRESS = "30 per minute"
PER_ACCOUNT = "5 per minute;20 per hour"  # failed attempts only


def _breached(limit: RequestLimit) -> None:
    """Every throttled attempt is logged (the access log names the account tried)."""
    from engine.services import users
    from web.context import polku

    ctx = polku()
    users.record_sign_in(ctx.uow(), ctx.clock, account_key().removeprefix("account:"),
                         "throttled", success=False)  # fmt: skip


limiter = Limiter(
    key_func=get_remote_address, headers_enabled=True, default_limits=[], on_breach=_breached
)


def retry_after() -> int:
    """Seconds until the throttled caller may try again."""
    current = limiter.current_limit
    if current is None:
        return 60
    return max(1, int(current.reset_at - time.time()) + 1)


def account_key() -> str:
    """The account a sign-in attempt names (from the form or the JSON body)."""
    name = request.form.get("username")
    if name is None and request.is_json:
        body = request.get_json(silent=True)
        name = body.get("username") if isinstance(body, dict) else None
    return "account:" + str(name or "").strip().lower()[:80]


def failed(response: Response) -> bool:
    """A sign-in that did not succeed (success is a redirect on the page, 201 on the API)."""
    return response.status_code not in (201, 302)


def off() -> bool:
    """Throttling is per app (POLKU_SIGN_IN_THROTTLE=0 turns it off, e.g. for load tests)."""
    return not current_app.config.get("SIGN_IN_THROTTLE", True)


def per_address() -> Any:
    # shared: the page's login and the API's token endpoint count together
    return limiter.shared_limit(PER_ADDRESS, "sign-in-address", methods=["POST"], exempt_when=off)


def per_account() -> Any:
    return limiter.shared_limit(
        PER_ACCOUNT, "sign-in-account", key_func=account_key, methods=["POST"],
        deduct_when=failed, exempt_when=off,
    )  # fmt: skip


def init_app(app: Flask) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    limiter.init_app(app)
