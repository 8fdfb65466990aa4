"""Logging in and out (with a password, or through the organisation's OpenID provider: see
docs/single-sign-on.md), the signed-in user of each request, and the language switch."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from urllib.parse import urlsplit

from flask import abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from engine.errors import Unauthenticated
from engine.persistence.tables import User
from engine.services import access_log, sessions, single_sign_on, users
from engine.services.access import Actor
from web import sso, throttle
from web.context import polku
from web.ui import blueprint
from web.ui.errors import error_page

PUBLIC_ENDPOINTS = frozenset(
    {"ui.login", "ui.set_language", "ui.vendor", "ui.sso_start", "ui.sso_callback"}
)
USER_KEY = "user_id"
SESSION_KEY = "sid"
LANGUAGE_KEY = "lang"
SSO_NEXT_KEY = "sso_next"

# SignInFailed.kind -> (status, explanation); SignInRefused.reason -> explanation (403)
_SSO_FAILURES: dict[str, tuple[int, object]] = {
    sso.PROVIDER_ERROR: (
        400,
        _l("Your organisation's sign-in service did not sign you in. Nothing was changed."),
    ),
    sso.STATE: (
        400,
        _l(
            "This sign-in was not started in this browser, or it had expired. Nothing was "
            "changed. Start again from the login page."
        ),
    ),
    sso.TOKEN: (
        400,
        _l(
            "The answer of your organisation's sign-in service could not be verified. Nothing "
            "was changed."
        ),
    ),
    # the provider is down, not the request wrong: 503, as when the database is away
    sso.UNREACHABLE: (
        503,
        _l("Your organisation's sign-in service cannot be reached at the moment. Try again later."),
    ),
}
_SSO_REFUSALS: dict[str, object] = {
    "no_role": _l(
        "Your organisation's account has no role in Polku. Ask your organisation's "
        "administrator to add you to a group that gives one."
    ),
    "closed": _l("Your account in Polku has been closed. Ask Polku's administrator."),
    "role_map": _l("Polku's single sign-on is configured wrongly. Tell Polku's administrator."),
}


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site (never another host), else None."""
    if not target:
        return None
    target = target.strip()
    if (
        not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(ch) < 32 for ch in target)
    ):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def current_path() -> str:
    """The path and query of this request, to come back to."""
    return request.full_path.removesuffix("?")


@blueprint.before_request
def load_user() -> Response | None:
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    ctx, token = polku(), session.get(SESSION_KEY)
    user = (
        sessions.resume(ctx.uow(), ctx.clock, token, session_policy())
        if isinstance(token, str)
        else None
    )
    if user is None or user.id != session.get(USER_KEY):
        session.pop(USER_KEY, None)
        session.pop(SESSION_KEY, None)
        target = current_path() if request.method == "GET" else None
        if target in (None, "/"):
            return redirect(url_for("ui.login"))
        return redirect(url_for("ui.login", next=target))
    g.actor = Actor.from_user(user)
    g.user_language = user.language
    access_log.join_request(f"session:{hashlib.sha256(str(token).encode()).hexdigest()[:16]}")
    return None


@blueprint.route("/login", methods=["GET", "POST"])
@throttle.per_address()
@throttle.per_account()
def login() -> Response | tuple[str, int] | str:
    next_page = safe_next(request.values.get("next"))
    if request.method == "GET":
        if isinstance(session.get(USER_KEY), int):
            return redirect(next_page or url_for("ui.worklist"))
        return render_template("login.html", next_page=next_page, username="", **_sso_offer())
    if not _password_login():
        error = _("Sign in with your organisation's account.")
        return render_template("login.html", next_page=next_page, error=error, **_sso_offer()), 403
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    if not username or not password:
        error = _("Enter your username and password.")
    else:
        ctx = polku()
        try:
            user = users.authenticate(ctx.uow(), username, password)
        except Unauthenticated:
            users.record_sign_in(ctx.uow(), ctx.clock, username, "wrong username or password",
                                 success=False)  # fmt: skip
            error = _("Wrong username or password.")
        else:
            users.record_sign_in(ctx.uow(), ctx.clock, username, "signed in", success=True)
            _start_session(user)
            return redirect(next_page or url_for("ui.worklist"))
    return render_template(
        "login.html", next_page=next_page, username=username, error=error, **_sso_offer()
    ), 200


@blueprint.errorhandler(429)
def throttled(exc: Exception) -> tuple[str, int, dict[str, str]]:
    """Too many sign-in attempts: the login page says when to try again."""
    seconds = throttle.retry_after()
    error = _("Too many sign-in attempts. Try again in %(seconds)s seconds.", seconds=seconds)
    page = render_template(
        "login.html", next_page=None, username=request.form.get("username", ""), error=error,
        **_sso_offer(),
    )  # fmt: skip
    return page, 429, {"Retry-After": str(seconds)}


def session_policy() -> sessions.SessionPolicy:
    config = current_app.config
    return sessions.SessionPolicy(
        idle=timedelta(minutes=config.get("SESSION_IDLE_MINUTES", 30)),
        lifetime=timedelta(hours=config.get("SESSION_LIFETIME_HOURS", 10)),
    )


def _start_session(user: User) -> None:
    """A fresh server-side session: nothing from before the login carries over (no fixation);
    the cookie holds only the session's token and the language."""
    ctx = polku()
    token = sessions.start(ctx.uow(), ctx.clock, user.id, session_policy())
    language = session.get(LANGUAGE_KEY)
    session.clear()
    session[SESSION_KEY] = token
    session[USER_KEY] = user.id
    if language:
        session[LANGUAGE_KEY] = language
    session.permanent = False


def _password_login() -> bool:
    return sso.password_login_allowed()


def _sso_offer() -> dict[str, object]:
    """What the login page needs to offer single sign-on and the password form."""
    settings = sso.settings()
    return {
        "sso_label": (settings.get("label") or _("Sign in with your organisation's account"))
        if settings
        else None,
        "password_login": _password_login(),
    }


@blueprint.get("/login/sso")
def sso_start() -> Response | tuple[str, int]:
    """Off to the organisation's OpenID provider; it sends the person back to the callback."""
    if sso.settings() is None:
        abort(404)
    next_page = safe_next(request.args.get("next"))
    if isinstance(session.get(USER_KEY), int):
        return redirect(next_page or url_for("ui.worklist"))
    try:
        response = sso.start()
    except sso.SignInFailed as failure:
        return _sso_failure_page(failure.kind)
    if next_page:
        session[SSO_NEXT_KEY] = next_page
    else:
        session.pop(SSO_NEXT_KEY, None)
    return response


@blueprint.get("/login/sso/callback")
def sso_callback() -> Response | tuple[str, int]:
    """The provider's answer: verified, turned into the person's account, signed in."""
    settings = sso.settings()
    if settings is None:
        abort(404)
    try:
        identity = sso.finish()
    except sso.SignInFailed as failure:
        return _sso_failure_page(failure.kind)
    ctx = polku()
    try:
        user = single_sign_on.sign_in(
            ctx.uow(),
            ctx.engine.roles,
            identity,
            settings.get("role_map") or {},
            language=session.get(LANGUAGE_KEY),
        )
    except single_sign_on.SignInRefused as refusal:
        sso.log.warning(
            "single sign-on refused: %s",
            refusal.reason,
            extra={"fields": {"sso_refusal": refusal.reason}},
        )
        explanation = _SSO_REFUSALS.get(refusal.reason, _SSO_REFUSALS["no_role"])
        return error_page(403, _("Access denied"), explanation)
    next_page = safe_next(session.get(SSO_NEXT_KEY))
    _start_session(user)
    return redirect(next_page or url_for("ui.worklist"))


def _sso_failure_page(kind: str) -> tuple[str, int]:
    status, explanation = _SSO_FAILURES.get(kind, _SSO_FAILURES[sso.PROVIDER_ERROR])
    return error_page(status, _("Sign-in failed"), explanation)


@blueprint.post("/logout")
def logout() -> Response:
    token = session.get(SESSION_KEY)
    if isinstance(token, str):
        sessions.end(polku().uow(), polku().clock, token)
    language = session.get(LANGUAGE_KEY)
    session.clear()
    if language:
        session[LANGUAGE_KEY] = language
    flash(_("You have logged out."), "info")
    return redirect(url_for("ui.login"))


@blueprint.get("/lang/<code>")
def set_language(code: str) -> Response:
    if code not in current_app.config.get("LANGUAGES", ["fi", "en"]):
        abort(404)
    session[LANGUAGE_KEY] = code
    return redirect(safe_next(request.args.get("next")) or url_for("ui.worklist"))
