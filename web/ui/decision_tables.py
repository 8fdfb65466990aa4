"""The designer's decision-table editor: a model's DMN tables opened and edited in dmn-js, each
save a new model version through the same validation as a BPMN save.

Open to process designers (the service checks again).
"""

from __future__ import annotations

from typing import Any

from flask import g, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from engine.errors import Forbidden, InvalidInput, NotFound
from engine.services import decision_editing as service
from engine.services import designer as designer_service
from web.context import polku
from web.security import SANDBOX_POLICY
from web.ui import blueprint, labels, vendor
from web.ui.designer import _designer, _rejection_problems, may_design
from web.ui.diagrams import json_error

MAX_XML_CHARS = 2 * 1024 * 1024

# dmn-js (node_modules/dmn-js/dist), served like bpmn-js (web.ui.vendor)
vendor.FILES.update(
    {
        "dmn-js/dmn-modeler.js": ("dmn-js/dist/dmn-modeler.production.min.js", "text/javascript"),
        "dmn-js/dmn-js-shared.css": ("dmn-js/dist/assets/dmn-js-shared.css", "text/css"),
        "dmn-js/dmn-js-decision-table.css": (
            "dmn-js/dist/assets/dmn-js-decision-table.css",
            "text/css",
        ),
        "dmn-js/dmn-js-decision-table-controls.css": (
            "dmn-js/dist/assets/dmn-js-decision-table-controls.css",
            "text/css",
        ),
        "dmn-js/dmn-js-drd.css": ("dmn-js/dist/assets/dmn-js-drd.css", "text/css"),
        "dmn-js/diagram-js.css": ("dmn-js/dist/assets/diagram-js.css", "text/css"),
        "dmn-js/dmn-embedded.css": (
            "dmn-js/dist/assets/dmn-font/css/dmn-embedded.css",
            "text/css",
        ),
    }
)
labels.MODEL_SOURCES.setdefault(service.SOURCE, _l("Decision table editor"))


@blueprint.app_template_global()
def decision_tables_of(key: str, number: int | None = None) -> dict[str, list[str]]:
    """The model page's list: file name -> the decisions it holds ({} for none)."""
    try:
        return service.table_labels(polku().uow(), key, number)
    except NotFound:
        return {}


@blueprint.get("/designer/<key>/decisions/<name>")
def designer_decision(key: str, name: str) -> str:
    _designer()
    ctx = polku()
    number = request.args.get("version", type=int)
    number, _xml = service.decision_xml(ctx.uow(), key, name, number)
    versions = designer_service.model_versions(ctx.uow(), key)
    model = next((m for m in designer_service.list_models(ctx.uow()) if m.key == key), None)
    return render_template(
        "designer_decision.html",
        key=key,
        name=name,
        model=model,
        number=number,
        latest=max(v.number for v in versions),
    )


@blueprint.get("/designer/<key>/decisions/<name>/versions/<int:number>.dmn")
def designer_decision_xml(key: str, name: str, number: int) -> Response:
    _designer()
    _number, xml = service.decision_xml(polku().uow(), key, name, number)
    # shown as text, never as XML a browser would render (as the BPMN files)
    response = Response(xml, mimetype="text/plain")
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = SANDBOX_POLICY
    return response


@blueprint.post("/designer/<key>/decisions/<name>")
def designer_decision_save(key: str, name: str) -> tuple[Response, int]:
    """A new version with one decision table replaced: JSON {xml} in, JSON out."""
    actor = g.actor
    if not may_design(actor):
        return json_error(403, _("Only process designers may change process models."))
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("xml"), str) or not body["xml"]:
        return json_error(400, _("The request has no DMN XML."))
    if len(body["xml"]) > MAX_XML_CHARS:
        return json_error(413, _("The data sent was too large."))
    ctx = polku()
    try:
        result = service.deploy_decision(
            ctx.uow(), ctx.engine, ctx.clock, actor, key, name, body["xml"].encode("utf-8")
        )
    except NotFound as exc:
        return json_error(404, labels.detail(exc.message) or exc.message)
    except Forbidden:
        return json_error(403, _("Only process designers may change process models."))
    except InvalidInput as exc:
        answer: dict[str, Any] = {
            "error": _("The decision table was not saved: the model has problems."),
            "problems": _rejection_problems(exc),
        }
        return jsonify(answer), 400
    if result.created:
        message = _("Saved as version %(number)s.", number=result.version)
    else:
        message = _(
            "The model is the same as version %(number)s: no new version was made.",
            number=result.version,
        )
    return jsonify(
        {
            "version": result.version,
            "created": result.created,
            "message": message,
            "url": url_for("ui.designer_model", key=key, version=result.version),
            "edit_url": url_for("ui.designer_decision", key=key, name=name, version=result.version),
        }
    ), 201 if result.created else 200
