"""Log lines: plain text or JSON (POLKU_LOG_FORMAT), each request with its id.

A request's line names the method, the path without its query string, the endpoint, the
status, the time taken and the user's id: never a client's name or identity code (searches
carry names in their query strings, so query strings are never logged).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from flask import Flask, g, has_request_context, request
from werkzeug.wrappers import Response

from engine.services import access_log

log = logging.getLogger("polku.request")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, request id, and extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id:
            line["request_id"] = request_id
        line.update(getattr(record, "fields", {}))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = g.get("request_id") if has_request_context() else None
        return True


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = getattr(record, "fields", None)
        if fields:  # the message says the method, path and status already
            text += "".join(
                f" {k}={v}" for k, v in fields.items() if k not in {"method", "path", "status"}
            )
        request_id = getattr(record, "request_id", None)
        return f"{text} [request {request_id}]" if request_id else text


def configure(config: Mapping[str, Any]) -> None:
    """Route Polku's loggers to stderr in the chosen format (once per process)."""
    root = logging.getLogger("polku")
    if getattr(root, "_polku_configured", False):
        return
    handler = logging.StreamHandler(sys.stderr)
    if config.get("LOG_FORMAT") == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RequestIdFilter())
    root.addHandler(handler)
    root.setLevel(config.get("LOG_LEVEL", "INFO"))
    root.propagate = False
    root._polku_configured = True  # type: ignore[attr-defined]
    # werkzeug's development-server line holds the whole URL, query string included
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


def init_app(app: Flask) -> None:
    if not app.config.get("TESTING"):
        configure(app.config)
    app.logger.handlers.clear()
    app.logger.parent = logging.getLogger("polku")

    @app.before_request
    def _start() -> None:
        given = request.headers.get("X-Request-ID", "")
        g.request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        g.request_started = time.perf_counter()
        # the access log's "from where" for this request (the session joins after sign-in)
        access_log.REQUEST.set(access_log.Request(address=(request.remote_addr or "")[:64]))

    @app.after_request
    def _finish(response: Response) -> Response:
        response.headers["X-Request-ID"] = g.get("request_id", "")
        started = g.get("request_started")
        if started is not None and request.endpoint not in {"operations.metrics"}:
            actor = g.get("actor")
            log.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "fields": {
                        "method": request.method,
                        "path": request.path,
                        "endpoint": request.endpoint,
                        "status": response.status_code,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                        "user_id": getattr(actor, "user_id", None),
                    }
                },
            )
        return response
