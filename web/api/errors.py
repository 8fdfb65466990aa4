"""Errors as RFC 9457 problem documents."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from engine.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    ModelRejected,
    NotFound,
    PolkuError,
    Unauthenticated,
)
from web.api import blueprint

_STATUS = {
    NotFound: (404, "Not found"),
    Conflict: (409, "Conflict"),
    Forbidden: (403, "Forbidden"),
    InvalidInput: (400, "Invalid input"),
    Unauthenticated: (401, "Unauthorized"),
}


def problem(status: int, title: str, detail: str, **extra: Any) -> Response:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    response = jsonify(body)
    response.status_code = status
    response.content_type = "application/problem+json"
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="polku"'
    return response


@blueprint.errorhandler(PolkuError)
def _domain_error(exc: PolkuError) -> Response:
    status, title = next(
        (v for k, v in _STATUS.items() if isinstance(exc, k)), (500, "Server error")
    )
    # the stable code and its params beside the English detail: a client translates by them
    extra: dict[str, Any] = {"code": exc.code, "params": exc.params}
    if isinstance(exc, InvalidInput) and exc.errors:
        extra["errors"] = exc.errors
        extra["error_codes"] = exc.field_codes
    if isinstance(exc, ModelRejected):
        extra["problems"] = [
            {
                "file": p.file,
                "element": p.element,
                "message": p.message,
                "severity": p.severity,
                "code": p.code,
                "params": p.params,
            }
            for p in exc.problems
        ]
    return problem(status, title, str(exc.message), **extra)


@blueprint.errorhandler(ValidationError)
def _schema_error(exc: ValidationError) -> Response:
    messages = exc.messages if isinstance(exc.messages, dict) else {"_body": exc.messages}
    return problem(
        400,
        "Invalid input",
        "the request body has errors",
        code="request_body_invalid",
        params={},
        errors=_flatten(messages),
    )


@blueprint.errorhandler(429)
def _throttled(exc: HTTPException) -> Response:
    from web import throttle

    seconds = throttle.retry_after()
    response = problem(429, "Too Many Requests",
                       f"too many sign-in attempts: try again in {seconds} seconds")  # fmt: skip
    response.headers["Retry-After"] = str(seconds)
    return response


@blueprint.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Response:
    return problem(exc.code or 500, exc.name, exc.description or exc.name)


def _flatten(messages: dict[str, Any], prefix: str = "") -> dict[str, list[str]]:
    flat: dict[str, list[str]] = {}
    for key, value in messages.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, path + "."))
        else:
            flat[path] = [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return flat


@blueprint.app_errorhandler(404)
@blueprint.app_errorhandler(405)
def _unrouted(exc: HTTPException) -> Response | tuple[str, int]:
    """An address no route matches: a problem document under /api/, else the error page."""
    from flask import request

    if request.path.startswith(blueprint.url_prefix or "/api/"):
        return _http_error(exc)
    from web.ui.errors import page_anywhere

    return page_anywhere(exc)  # type: ignore[return-value]
