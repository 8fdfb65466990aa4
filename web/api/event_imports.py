"""API: the import wizard (issue 16 §3), the same steps as its pages.

    POST /event-log/uploads                  multipart `file`, `name`, `model` -> 201, a preview
    GET  /event-log/uploads/<id>             the preview again (remembered or guessed choices)
    POST /event-log/uploads/<id>/preview     JSON choices -> the preview with them
    POST /event-log/uploads/<id>/import      JSON choices -> 201 {id, rows, cases}

A preview: the file's columns, its first rows, the choices to start from (`mapping`, and
`remembered` when they are the last import's of a data set of the same name), the distinct
activity names of its first rows with their counts, the model's steps and Polku's event
kinds. The import is read as it streams and all or nothing: a bad line is a 400 naming it."""

from __future__ import annotations

import os
from typing import Any

from flask import Response, jsonify, request

from engine.analytics.import_mapping import ROLES, ImportMapping
from engine.errors import InvalidInput
from engine.services import event_import, import_wizard
from web.api import blueprint
from web.api.auth import actor, token_required
from web.context import polku
from web.uploads import upload_dir


@blueprint.url_value_preprocessor
def _room_for_uploads(endpoint: str | None, _values: dict[str, Any] | None) -> None:
    if endpoint == "api.upload_event_log":
        request.max_content_length = event_import.MAX_FILE_BYTES + 64 * 1024


def _body(shown: import_wizard.Preview) -> dict[str, Any]:
    up = shown.upload
    return {
        "id": up.id,
        "name": up.name,
        "model": up.model_key,
        "format": up.file_format,
        "filename": up.filename,
        "size": up.size,
        "columns": shown.columns,
        "rows": shown.rows,
        "mapping": shown.mapping.stored(),
        "remembered": shown.remembered,
        "activities": [{"name": n, "count": c} for n, c in shown.activities],
        "steps": [{"id": i, "name": n} for i, n in shown.steps],
        "kinds": shown.kinds,
        "problem": shown.problem,
    }


def _mapping() -> ImportMapping:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput("the request body must be a JSON object", code="body_not_object")
    wrong = [k for k in (*ROLES, "attributes", "activities") if k in body and not _fits(k, body[k])]
    if wrong:
        raise InvalidInput(
            f"these choices have the wrong type: {', '.join(wrong)}",
            {k: ["Wrong type."] for k in wrong},
            code="import_mapping_invalid",
        )
    mapping = ImportMapping.from_stored(body)
    assert mapping is not None
    return mapping


def _fits(key: str, value: Any) -> bool:
    if key == "attributes":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if key == "activities":
        return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
    return value is None or isinstance(value, str)


@blueprint.post("/event-log/uploads")
@token_required
def upload_event_log() -> tuple[Response, int]:
    upload = request.files.get("file")
    if upload is None:
        raise InvalidInput(
            "send the file as multipart field 'file'", {"file": ["No file."]}, code="csv_missing"
        )
    upload.stream.seek(0, os.SEEK_END)
    size = upload.stream.tell()
    upload.stream.seek(0)
    ctx = polku()
    kept = import_wizard.save_upload(
        upload_dir(), ctx.clock, ctx.uow(), actor(), name=request.form.get("name", ""),
        model_key=request.form.get("model", "national"), filename=upload.filename or "",
        stream=upload.stream, size=size,
    )  # fmt: skip
    shown = import_wizard.preview(ctx.uow(), ctx.engine, upload_dir(), actor(), kept.id)
    return jsonify(_body(shown)), 201


@blueprint.get("/event-log/uploads/<upload_id>")
@token_required
def event_log_upload_preview(upload_id: str) -> Response:
    ctx = polku()
    return jsonify(_body(import_wizard.preview(ctx.uow(), ctx.engine, upload_dir(), actor(),
                                               upload_id)))  # fmt: skip


@blueprint.post("/event-log/uploads/<upload_id>/preview")
@token_required
def event_log_upload_choices(upload_id: str) -> Response:
    ctx = polku()
    shown = import_wizard.preview(ctx.uow(), ctx.engine, upload_dir(), actor(), upload_id,
                                  _mapping())  # fmt: skip
    return jsonify(_body(shown))


@blueprint.post("/event-log/uploads/<upload_id>/import")
@token_required
def import_event_log_upload(upload_id: str) -> tuple[Response, int]:
    ctx = polku()
    ready = import_wizard.prepare(ctx.uow(), ctx.engine, upload_dir(), actor(), upload_id,
                                  _mapping())  # fmt: skip
    upload = ready.upload
    with upload.path.open("rb") as source:
        imported = event_import.import_events(
            ctx.uow(), ctx.clock, actor(), name=upload.name, model_key=upload.model_key,
            source=source, total_bytes=upload.size, file_format=upload.file_format,
            mapping=ready.mapping, renames=ready.renames,
        )  # fmt: skip
    import_wizard.forget_upload(upload)
    body = {"id": imported.dataset_id, "rows": imported.rows, "cases": imported.cases}
    return jsonify(body), 201
