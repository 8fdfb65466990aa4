"""The client's sign-in with strong identification, and signing out. In demo mode
(POLKU_DEMO=1) only, the sign-in page also offers the demo clients, clearly marked."""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from engine.services import client_sessions
from engine.services.demo import DEMO_IDENTITY_CODES
from web import client_sso, sso
from web.context import polku
from web.oma import COOKIE, blueprint, clear_cookie, client_policy, set_cookie


def _demo() -> bool:
    return bool(current_app.config.get("DEMO_MODE"))


def _page(error: str | None = None, status: int = 200) -> tuple[str, int]:
    settings = client_sso.settings()
    return render_template(
        "oma/sign_in.html",
        identification=settings is not None,
        label=(settings or {}).get("label"),
        demo_clients=sorted(DEMO_IDENTITY_CODES.items()) if _demo() else [],
        error=error,
    ), status


@blueprint.get("/kirjaudu")
def sign_in_page() -> tuple[str, int]:
    return _page()


@blueprint.get("/kirjaudu/tunnistus")
def sign_in_start() -> Response | tuple[str, int]:
    """Off to strong identification; the provider sends the client back to the callback."""
    if client_sso.settings() is None:
        abort(404)
    try:
        return client_sso.start()
    except sso.SignInFailed:
        return _page(_("Identification is not available at the moment. Try again later."), 503)


@blueprint.get("/kirjaudu/paluu")
def sign_in_callback() -> Response | tuple[str, int]:
    if client_sso.settings() is None:
        abort(404)
    try:
        code = client_sso.finish()
    except sso.SignInFailed as failure:
        status = 503 if failure.kind == sso.UNREACHABLE else 400
        return _page(_("Identification did not succeed. Nothing was changed. Try again."), status)
    return _start(code, "strong identification: OpenID Connect")


@blueprint.post("/kirjaudu/demo")
def demo_sign_in() -> Response | tuple[str, int]:
    """Demo mode only: sign in as a demo client without identification."""
    if not _demo():
        abort(404)
    code = request.form.get("identity_code", "")
    if code not in DEMO_IDENTITY_CODES.values():
        abort(404)
    return _start(code, "demo sign-in (POLKU_DEMO=1)")


def _start(code: str, via: str) -> Response | tuple[str, int]:
    ctx = polku()
    try:
        _client, token = client_sessions.sign_in(ctx.uow(), ctx.clock, code, client_policy(),
                                                 via=via)  # fmt: skip
    except client_sessions.ClientNotFound:
        return _page(
            _(
                "We did not find your information in Polku. If you are a client of the work "
                "ability support, ask your case manager or the coordinator."
            ),
            403,
        )
    return set_cookie(redirect(url_for("oma.home")), token)


@blueprint.post("/ulos")
def sign_out() -> Response:
    token = request.cookies.get(COOKIE)
    if token:
        ctx = polku()
        client_sessions.end(ctx.uow(), ctx.clock, token)
    return clear_cookie(redirect(url_for("oma.sign_in_page", out=1)))
