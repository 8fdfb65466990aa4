"""API: service-level targets, the stall dashboard, the pilots' metrics, the event log."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Response, jsonify, request
from marshmallow import Schema, fields, validate

from engine.errors import InvalidInput
from engine.services import dashboards, sla
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
        raise InvalidInput("the request body must be a JSON object")
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
    rows = dashboards.stalled(ctx.uow(), ctx.clock, actor(), scope, args["quiet_days"])
    return jsonify(_jsonable(rows))


@blueprint.get("/metrics")
@token_required
def metrics() -> Response:
    scope, _ = _scope()
    ctx = polku()
    result = dashboards.pilot_metrics(ctx.uow(), ctx.clock, actor(), scope)
    body = _jsonable(result)
    body["cases_per_session"] = result.cases_per_session
    body["kykyviisari_mean_change"] = result.kykyviisari_mean_change
    return jsonify(body)


@blueprint.get("/event-log")
@token_required
def event_log() -> Response:
    scope, args = _scope()
    return event_log_response(actor(), scope, args["format"])


@blueprint.post("/event-log/imports")
@token_required
def import_event_log() -> Response:
    upload = request.files.get("file")
    if upload is None:
        raise InvalidInput("send the CSV as multipart field 'file'", {"file": ["No file."]})
    ctx = polku()
    dataset_id = dashboards.import_log(
        ctx.uow(),
        ctx.clock,
        actor(),
        name=request.form.get("name", ""),
        model_key=request.form.get("model", "national"),
        content=upload.read(),
    )
    response = jsonify({"id": dataset_id})
    response.status_code = 201
    return response


@blueprint.get("/event-log/imports/<int:dataset_id>/metrics")
@token_required
def imported_metrics(dataset_id: int) -> Response:
    ctx = polku()
    return jsonify(
        _jsonable(dashboards.imported_metrics(ctx.uow(), ctx.engine, actor(), dataset_id))
    )
