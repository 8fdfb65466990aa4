"""API: service-level targets, the stall dashboard, conformance to the national path, the
pilots' metrics, the event log."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict
from typing import IO, Any

from flask import Response, jsonify, request
from marshmallow import Schema, fields, validate

from engine.analytics import pilot_metrics
from engine.errors import InvalidInput
from engine.services import conformance, dashboards, event_import, sla
from web.api import blueprint
from web.api.auth import actor, token_required
from web.context import polku
from web.downloads import event_log_response


class ScopeSchema(Schema):
    model = fields.String(load_default=None)
    version = fields.Integer(load_default=None)
    since = fields.AwareDateTime(load_default=None)
    until = fields.AwareDateTime(load_default=None)
    quiet_days = fields.Integer(load_default=dashboards.DEFAULT_QUIET_DAYS)
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))
    format = fields.String(load_default="csv", validate=validate.OneOf(["csv", "xes"]))


class TargetSchema(Schema):
    model_key = fields.String(load_default=None, allow_none=True)
    bpmn_id = fields.String(load_default=None, allow_none=True)
    phase = fields.String(load_default=None, allow_none=True)
    working_days = fields.Integer(required=True, allow_none=True)
    updated_by = fields.String(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


def _scope() -> tuple[Any, dict[str, Any]]:
    args = ScopeSchema().load(request.args.to_dict())
    return dashboards.scope_from(args), args


def _jsonable(value: Any) -> Any:
    if hasattr(value, "__dataclass_fields__"):
        data = asdict(value)
        for name in ("value",):
            if hasattr(value, name):
                data[name] = getattr(value, name)
        return {k: _jsonable(v) for k, v in data.items()}
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


@blueprint.get("/sla-targets")
@token_required
def list_targets() -> Response:
    return jsonify(TargetSchema(many=True).dump(sla.list_targets(polku().uow())))


@blueprint.put("/sla-targets")
@token_required
def set_target() -> Response:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput("the request body must be a JSON object", code="body_not_object")
    data = TargetSchema().load(body)
    ctx = polku()
    sla.set_target(ctx.uow(), ctx.clock, actor(), **data)
    return jsonify(TargetSchema(many=True).dump(sla.list_targets(ctx.uow())))


@blueprint.get("/dashboard")
@token_required
def dashboard() -> Response:
    scope, _ = _scope()
    ctx = polku()
    board = dashboards.dashboard(ctx.uow(), ctx.clock, actor(), scope)
    return jsonify(_jsonable(board))


@blueprint.get("/dashboard/stalled")
@token_required
def stalled() -> Response:
    scope, args = _scope()
    ctx = polku()
    page = dashboards.stalled(
        ctx.uow(), ctx.clock, actor(), scope, args["quiet_days"], offset=args["offset"]
    )
    response = jsonify(_jsonable(page.rows))  # a page; the headers say how many in all
    response.headers["X-Total-Count"] = str(page.total)
    response.headers["X-Offset"] = str(page.offset)
    return response


@blueprint.get("/dashboard/conformance")
@token_required
def conformance_report() -> Response:
    """Conformance to the national reference path of the closed paths in scope."""
    scope, _ = _scope()
    ctx = polku()
    result = conformance.report(ctx.uow(), ctx.clock, actor(), scope)
    body = _jsonable(result)
    body["fitness"] = result.fitness
    for group, data in zip(result.groups, body["groups"], strict=True):
        data["fitness"] = group.fitness
    return jsonify(body)


@blueprint.get("/metrics")
@token_required
def metrics() -> Response:
    scope, _ = _scope()
    ctx = polku()
    return jsonify(metrics_body(dashboards.pilot_metrics(ctx.uow(), ctx.clock, actor(), scope)))


def metrics_body(result: Any) -> dict[str, Any]:
    """The pilot metrics as JSON, with the derived figures and each figure's cohort rule."""
    body: dict[str, Any] = _jsonable(result)
    body["cases_per_session"] = result.cases_per_session
    body["kykyviisari_mean_change"] = result.kykyviisari_mean_change
    for change, row in zip(result.kykyviisari_changes, body["kykyviisari_changes"], strict=True):
        row["mean_change"] = change.mean_change
    contacts = result.employer_contacts
    body["employer_contacts"].update(per_coach=contacts.per_coach, per_client=contacts.per_client)
    body["cohort_rules"] = dict(pilot_metrics.COHORT_RULES)
    return body


@blueprint.get("/event-log")
@token_required
def event_log() -> Response:
    scope, args = _scope()
    return event_log_response(actor(), scope, args["format"])


@blueprint.url_value_preprocessor
def _room_for_event_logs(endpoint: str | None, _values: dict[str, Any] | None) -> None:
    """An event log may be far bigger than any other request (MAX_CONTENT_LENGTH): its upload
    alone may be up to event_import.MAX_FILE_BYTES. Set before anything reads the body."""
    if endpoint == "api.import_event_log":
        request.max_content_length = event_import.MAX_FILE_BYTES + 64 * 1024


@blueprint.post("/event-log/imports")
@token_required
def import_event_log() -> Response:
    """The CSV as multipart field `file` (with `name` and `model` fields), or as the body itself
    (`Content-Type: text/csv`, with `name` and `model` in the query). Read as it arrives, line
    by line: the answer comes when every line is checked and saved, or the first bad one is
    named and nothing is kept."""
    source: IO[bytes]
    form: Mapping[str, str]
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise InvalidInput(
                "send the CSV as multipart field 'file'", {"file": ["No file."]}, code="csv_missing"
            )
        source, form = upload.stream, request.form
        source.seek(0, os.SEEK_END)
        size: int | None = source.tell()
        source.seek(0)
    elif request.mimetype == "text/csv":
        source, form, size = request.stream, request.args, request.content_length
    else:
        raise InvalidInput(
            "send the CSV as multipart field 'file' or as a text/csv body", {"file": ["No file."]},
            code="csv_missing",
        )
    ctx = polku()
    imported = event_import.import_events(
        ctx.uow(),
        ctx.clock,
        actor(),
        name=form.get("name", ""),
        model_key=form.get("model", "national"),
        source=source,
        total_bytes=size,
    )
    response = jsonify({"id": imported.dataset_id, "rows": imported.rows, "cases": imported.cases})
    response.status_code = 201
    return response


@blueprint.get("/event-log/imports/<int:dataset_id>/metrics")
@token_required
def imported_metrics(dataset_id: int) -> Response:
    ctx = polku()
    return jsonify(
        metrics_body(dashboards.imported_metrics(ctx.uow(), ctx.engine, actor(), dataset_id))
    )


from web.api import event_imports  # noqa: E402,F401  (the import wizard's endpoints)
