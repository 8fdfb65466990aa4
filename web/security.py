"""What every response and request goes through: security headers, and input that would
otherwise reach the database or the JSON parser in a shape they fail on (answered 400, with the
problem named, instead of 500)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, g, jsonify, request
from werkzeug.routing import IntegerConverter

# SQLite and PostgreSQL keep 64-bit integers; a larger id is simply not found.
MAX_ID = 2**63 - 1
MAX_JSON_DEPTH = 64
# Scripts only from Polku itself (no inline script anywhere); bpmn-js sets style attributes.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'{sign_in}; frame-ancestors 'none'"
)


def content_security_policy(
    oidc: dict[str, Any] | None, client_oidc: dict[str, Any] | None = None
) -> str:
    """The policy; with single sign-on (the staff's or the clients') the sign-in form may
    lead on to the provider."""
    sign_in = ""
    for settings in (oidc, client_oidc):
        if settings:
            parts = urlsplit(settings["issuer"])
            sign_in += f" {parts.scheme}://{parts.netloc}"
    return CONTENT_SECURITY_POLICY.format(sign_in=sign_in)


# For files a designer uploaded, shown as they are: nothing in them may run.
SANDBOX_POLICY = "default-src 'none'; sandbox"


def safe_file_stem(filename: str, fallback: str) -> str:
    """A file name's stem fit for a Content-Disposition header: letters, digits, `._-`."""
    stem = filename.replace("\\", "/").rsplit("/", 1)[-1].removesuffix(".bpmn")
    cleaned = "".join(
        ch if (ch.isascii() and ch.isalnum()) or ch in "._-" else "_" for ch in stem
    ).strip("._")
    return cleaned[:100] or fallback


class BoundedIntConverter(IntegerConverter):
    """`<int:…>` in routes, but never beyond what the database can hold."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


class BadInput(ValueError):
    """The request has a shape Polku refuses before reading it further."""


def json_depth(raw: bytes) -> int:
    """How deeply the arrays and objects of a JSON text nest (strings skipped), without
    parsing it: Python's parser would fail on a deep one with RecursionError."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def _check_request() -> Response | None:
    """NUL characters (PostgreSQL cannot store them) and very deep JSON are refused."""
    problem = None
    values = list(request.args.values())
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        values += list(request.form.values())
    if any("\x00" in value for value in values):
        problem = "the request contains a NUL character (\\u0000), which no field may hold"
    elif request.is_json:
        raw = request.get_data(cache=True)
        if b"\\u0000" in raw or b"\x00" in raw:
            problem = "the JSON body contains a NUL character (\\u0000), which no field may hold"
        elif json_depth(raw) > MAX_JSON_DEPTH:
            problem = f"the JSON body nests deeper than {MAX_JSON_DEPTH} levels"
    if problem is None:
        return None
    response = jsonify({"type": "about:blank", "title": "Invalid input", "status": 400,
                        "detail": problem})  # fmt: skip
    response.status_code = 400
    response.content_type = "application/problem+json"
    return response


def _headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", current_app.config["CONTENT_SECURITY_POLICY"])
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    # nothing a signed-in person saw (client data) is kept by the browser or a proxy
    if g.get("actor") is not None and "Cache-Control" not in headers:
        headers["Cache-Control"] = "no-store"
    return response


def _overflow(exc: OverflowError) -> tuple[Response, int]:
    body = jsonify({"type": "about:blank", "title": "Invalid input", "status": 400,
                    "detail": "a number in the request is too large"})  # fmt: skip
    body.content_type = "application/problem+json"
    return body, 400


def init_app(app: Flask) -> None:
    app.config["CONTENT_SECURITY_POLICY"] = content_security_policy(
        app.config.get("OIDC"), app.config.get("CLIENT_OIDC")
    )
    app.url_map.converters["int"] = BoundedIntConverter
    app.before_request(_check_request)
    app.after_request(_headers)
    app.register_error_handler(OverflowError, _overflow)
