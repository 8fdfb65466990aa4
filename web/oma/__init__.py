"""The client's own pages (issue 17): /oma/… — my path in plain language, my support plan,
my own tasks, my consent, who has processed my data, my data as a download, a correction
request. Finnish by default, Swedish and English selectable (`/lang/<code>`), made for a
phone first.

A client signs in with strong identification (web/client_sso.py; in demo mode also the
marked demo sign-in) and gets a session of their own: its token is in a cookie of its own
(`polku_oma`, only sent to /oma), kept in `client_session`. The professionals' session (the
`sid` in Flask's session, `user_session`) opens none of these pages, and this cookie opens no
professional's page or endpoint. Every page asks the access policy through the engine's
services with the client as the actor (`access.Actor.for_client`), so a client reaches only
what is theirs; each read is logged with the basis "the client themself".
"""

from __future__ import annotations

from flask import Blueprint, current_app, g, redirect, request, url_for
from werkzeug.wrappers import Response

from engine.errors import Forbidden, NotFound, PolkuError
from engine.services import access_log, client_sessions
from engine.services.access import Actor
from web.context import polku

blueprint = Blueprint("oma", __name__, url_prefix="/oma")

COOKIE = "polku_oma"
PUBLIC = frozenset(
    {"oma.sign_in_page", "oma.sign_in_start", "oma.sign_in_callback", "oma.demo_sign_in"}
)


def client_policy() -> client_sessions.SessionPolicy:
    from web.ui.auth import session_policy

    return session_policy()


def actor() -> Actor:
    found: Actor = g.client_actor
    return found


def set_cookie(response: Response, token: str) -> Response:
    response.set_cookie(
        COOKIE,
        token,
        path="/oma",
        httponly=True,
        samesite="Lax",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
    )
    return response


def clear_cookie(response: Response) -> Response:
    response.delete_cookie(COOKIE, path="/oma")
    return response


@blueprint.before_request
def load_client() -> Response | None:
    g.client_page = True  # the templates' base: the client's own, never the staff menus
    if request.endpoint in PUBLIC:
        return None
    token = request.cookies.get(COOKIE)
    ctx = polku()
    client = client_sessions.resume(ctx.uow(), ctx.clock, token, client_policy()) if token else None
    if client is None or token is None:
        return clear_cookie(redirect(url_for("oma.sign_in_page")))
    g.client_actor = Actor.for_client(client)
    g.client_name = client.full_name
    access_log.join_request(client_sessions.session_ref(token))
    return None


@blueprint.after_request
def no_store(response: Response) -> Response:
    """Nothing of a client's pages is kept by the browser or a proxy."""
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.errorhandler(PolkuError)
def refused(exc: PolkuError) -> tuple[str, int]:
    from web.oma.words import error_page

    if isinstance(exc, NotFound | Forbidden):
        return error_page(404 if isinstance(exc, NotFound) else 403)
    return error_page(409)


import web.oma.pages  # noqa: E402,F401  (registers routes)
import web.oma.sign_in  # noqa: E402,F401
