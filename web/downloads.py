"""The pseudonymised event log as a streamed download, for the API and the pages alike."""

from __future__ import annotations

from flask import Response, current_app, stream_with_context

from engine.analytics.stalls import Scope
from engine.services import dashboards
from engine.services.access import Actor
from web.context import polku

MIMETYPES = {"csv": "text/csv", "xes": "application/xml"}


def event_log_response(actor: Actor, scope: Scope, fmt: str) -> Response:
    """The service checks the reader and the format and logs the export before any row."""
    ctx = polku()
    chunks = dashboards.export_log(
        ctx.uow(), ctx.clock, actor, scope, current_app.config["SECRET_KEY"], fmt
    )
    response = Response(stream_with_context(chunks), mimetype=MIMETYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="polku-event-log.{fmt}"'
    response.headers["Cache-Control"] = "no-store"
    return response
