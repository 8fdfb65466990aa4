"""The services' refusals as error pages in the reader's language."""

from __future__ import annotations

from flask import current_app, g, jsonify, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.wrappers import Response

from engine.errors import Conflict, Forbidden, InvalidInput, NotFound, PolkuError, Unauthenticated
from web.ui import blueprint, labels

_PAGES = {
    NotFound: (404, _l("Not found"), _l("The page or the item you looked for does not exist.")),
    Forbidden: (
        403,
        _l("Access denied"),
        _l("Your roles do not give you access to this. The attempt has been logged."),
    ),
    Conflict: (
        409,
        _l("Conflict"),
        _l("This could not be done in the current state of the client's path."),
    ),
    InvalidInput: (400, _l("Invalid input"), _l("The information given has errors.")),
}

_HTTP = {
    400: (_l("Bad request"), _l("The request could not be understood.")),
    403: (_l("Access denied"), _l("Your roles do not give you access to this.")),
    404: (_l("Not found"), _l("The page or the item you looked for does not exist.")),
    405: (_l("Method not allowed"), _l("This address does not accept that kind of request.")),
    413: (_l("Too large"), _l("The data sent was too large.")),
    500: (
        _l("Something went wrong"),
        _l("The page could not be shown because of an error in Polku. The error has been "
           "recorded; try again in a moment, and tell your support if it happens again."),
    ),  # fmt: skip
}


def error_page(
    status: int,
    title: object,
    explanation: object,
    *,
    detail: str | None = None,
    original: str | None = None,
    messages: list[str] | None = None,
) -> tuple[str, int]:
    return render_template(
        "error.html",
        status=status,
        title=title,
        explanation=explanation,
        detail=detail,
        original=original,
        messages=messages or [],
    ), status


@blueprint.errorhandler(PolkuError)
def domain_error(exc: PolkuError) -> Response | tuple[str, int]:
    if isinstance(exc, Unauthenticated):
        return redirect(url_for("ui.login"))
    status, title, explanation = next(
        (page for cls, page in _PAGES.items() if isinstance(exc, cls)),
        (500, _l("Error"), _l("Something went wrong.")),
    )
    detail = labels.detail(exc.message)
    messages = []
    if isinstance(exc, InvalidInput):
        messages = [m for msgs in labels.messages(exc.errors).values() for m in msgs]
    return error_page(
        status,
        title,
        explanation,
        detail=detail,
        original=None if detail or messages else exc.message,
        messages=messages,
    )


@blueprint.errorhandler(CSRFError)
def csrf_error(exc: CSRFError) -> tuple[str, int] | tuple[Response, int]:
    if request.is_json:  # the modeller's save: answer in kind
        message = _l("The page has expired. Reload it and try again.")
        return jsonify({"error": str(message)}), 400
    return error_page(
        400, _l("The form has expired"), _l("Go back, reload the page and send the form again.")
    )


@blueprint.errorhandler(HTTPException)
def http_error(exc: HTTPException) -> HTTPException | tuple[str, int]:
    code = exc.code or 500
    if code < 400 or code not in _HTTP:
        return exc
    title, explanation = _HTTP[code]
    return error_page(code, title, explanation)


# ---------------------------------------------------------------- errors outside the pages
# An address no route matches, an abort() anywhere, an unhandled exception: a styled page in
# the reader's language (the API under /api/ answers with its problem documents). The 500
# page never shows the exception: Flask has logged it already.


def _api_request() -> bool:
    return request.path.startswith("/api/")


def identify_reader() -> None:
    """Who is asking, when no page of the blueprint has said so (an unknown address): their
    name in the header and their language on the page; nobody when there is no session."""
    if g.get("actor") is not None:
        return
    from flask_babel import refresh

    from engine.services import sessions
    from engine.services.access import Actor
    from web.context import polku
    from web.ui.auth import SESSION_KEY, USER_KEY, session_policy

    token = session.get(SESSION_KEY)
    if not isinstance(token, str):
        return
    try:
        ctx = polku()
        user = sessions.resume(ctx.uow(), ctx.clock, token, session_policy())
    except Exception:  # the database itself may be what failed
        return
    if user is None or user.id != session.get(USER_KEY):
        return
    g.actor = Actor.from_user(user)
    g.user_language = user.language
    refresh()


def page_anywhere(exc: HTTPException) -> Response | HTTPException | tuple[str, int]:
    if _api_request():
        from web.api.errors import problem

        return problem(exc.code or 500, exc.name, exc.description or exc.name)
    identify_reader()
    try:
        return http_error(exc)
    except Exception:  # e.g. the database is gone: the plain page rather than none
        current_app.logger.exception("the error page could not be shown")
        return exc


@blueprint.app_errorhandler(400)
@blueprint.app_errorhandler(403)
@blueprint.app_errorhandler(413)
def _http_error_anywhere(exc: HTTPException) -> Response | HTTPException | tuple[str, int]:
    return page_anywhere(exc)


@blueprint.app_errorhandler(InternalServerError)
def server_error(exc: InternalServerError) -> Response | HTTPException | tuple[str, int]:
    """An unhandled exception (or abort(500)): the styled page, without the exception's text."""
    if _api_request():
        from web.api.errors import problem

        detail = "the server could not answer the request: the error has been recorded"
        return problem(500, "Internal Server Error", detail)
    return page_anywhere(InternalServerError())
