"""A model's texts in Swedish and English: read them, change them (a new model version)."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from engine.errors import InvalidInput
from engine.services import model_texts as service
from engine.workflow.model_texts import TRANSLATED
from web.api import blueprint
from web.api.auth import actor, token_required
from web.context import polku


@blueprint.get("/processes/<key>/texts")
@token_required
def get_model_texts(key: str) -> Response:
    view = service.model_texts_view(polku().uow(), actor(), key)
    only_missing = request.args.get("missing") in ("1", "true")
    rows = [r for r in view.rows if r.missing] if only_missing else view.rows
    return jsonify(
        {
            "key": view.key,
            "version": view.version,
            "missing": {lang: view.missing_count(lang) for lang in TRANSLATED},
            "texts": [_row(r) for r in rows],
        }
    )


def _row(row: service.TextRow) -> dict[str, Any]:
    return {
        "text": row.source.text,
        "occurrences": [
            {"file": o.file, "element": o.element, "kind": o.kind} for o in row.source.occurrences
        ],
        **{lang: row.translations.get(lang) for lang in TRANSLATED},
    }


@blueprint.put("/processes/<key>/texts")
@token_required
def put_model_texts(key: str) -> Response:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput(
            'the request body must be a JSON object {"sv": {…}, "en": {…}} '
            "(Content-Type: application/json)",
            {"texts": ["No translations were sent."]},
            code="texts_body_not_object",
        )
    ctx = polku()
    result = service.save_texts(ctx.uow(), ctx.engine, ctx.clock, actor(), key, body)
    response = jsonify({"key": result.key, "version": result.version, "created": result.created})
    response.status_code = 201 if result.created else 200
    return response
