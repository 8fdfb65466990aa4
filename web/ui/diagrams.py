"""Where a client's path is, as data for the diagram on the client page (drawn by bpmn-js)."""

from __future__ import annotations

from typing import Any

from flask import g, jsonify
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from engine.errors import Forbidden, NotFound
from engine.services import queries
from web.context import polku
from web.ui import blueprint, labels


def json_error(status: int, message: str) -> tuple[Response, int]:
    response = jsonify({"error": message})
    response.headers["Cache-Control"] = "no-store"
    return response, status


@blueprint.get("/paths/<int:instance_id>/diagram.json")
def path_diagram(instance_id: int) -> Response | tuple[Response, int]:
    """The BPMN XML of the path's model version and the elements the client is at and has
    passed. Reading it is a read of client data: the service checks the basis and logs it."""
    ctx = polku()
    try:
        state = queries.diagram_state(ctx.uow(), ctx.engine, ctx.clock, g.actor, instance_id)
    except NotFound as exc:
        return json_error(404, labels.detail(exc.message) or _("Not found"))
    except Forbidden as exc:
        return json_error(403, labels.detail(exc.message) or _("Access denied"))
    body: dict[str, Any] = {
        "instance_id": instance_id,
        "model_key": state.model_key,
        "version": state.version,
        "xml": state.xml,
        "current": list(state.current),
        "done": list(state.done),
    }
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response
