"""Logging in and out, the signed-in user of each request, and the language switch."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from engine.errors import Unauthenticated
from engine.services import users
from engine.services.access import Actor
from web.context import polku
from web.ui import blueprint

PUBLIC_ENDPOINTS = frozenset({"ui.login", "ui.set_language", "ui.vendor"})
USER_KEY = "user_id"
LANGUAGE_KEY = "lang"


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
    user_id = session.get(USER_KEY)
    user = users.get_user(polku().uow(), user_id) if isinstance(user_id, int) else None
    if user is None or not user.active:
        session.pop(USER_KEY, None)
        target = current_path() if request.method == "GET" else None
        if target in (None, "/"):
            return redirect(url_for("ui.login"))
        return redirect(url_for("ui.login", next=target))
    g.actor = Actor.from_user(user)
    g.user_language = user.language
    return None


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> Response | tuple[str, int] | str:
    next_page = safe_next(request.values.get("next"))
    if request.method == "GET":
        if isinstance(session.get(USER_KEY), int):
            return redirect(next_page or url_for("ui.worklist"))
        return render_template("login.html", next_page=next_page, username="")
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    if not username or not password:
        error = _("Enter your username and password.")
    else:
        try:
            user = users.authenticate(polku().uow(), username, password)
        except Unauthenticated:
            error = _("Wrong username or password.")
        else:
            language = session.get(LANGUAGE_KEY)
            session.clear()  # a fresh session: nothing from before the login carries over
            session[USER_KEY] = user.id
            if language:
                session[LANGUAGE_KEY] = language
            session.permanent = False
            return redirect(next_page or url_for("ui.worklist"))
    return render_template("login.html", next_page=next_page, username=username, error=error), 200


@blueprint.post("/logout")
def logout() -> Response:
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
