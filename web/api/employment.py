"""Employment events on a path (`GET` / `POST /api/v1/instances/<id>/employment`), the
pilots' client targets (`GET` / `PUT /api/v1/pilot-targets`, `DELETE .../<id>`) and the IPS
fidelity self-assessment rounds (`GET` / `POST /api/v1/ips-fidelity`)."""

from __future__ import annotations

from flask import Response, jsonify, request, url_for
from marshmallow import Schema, fields

from engine.services import employment_events, ips_fidelity, pilot_targets
from web.api import blueprint
from web.api.auth import actor, token_required
from web.api.views import _body
from web.context import polku


class EmploymentCreateSchema(Schema):
    kind = fields.String(required=True)
    sector = fields.String(load_default=None, allow_none=True)
    wage_subsidy = fields.Boolean(load_default=False)
    started_on = fields.String(required=True)
    ended_on = fields.String(load_default=None, allow_none=True)


class EmploymentSchema(Schema):
    id = fields.Integer()
    instance_id = fields.Integer()
    kind = fields.String()
    sector = fields.String(allow_none=True)
    wage_subsidy = fields.Boolean()
    started_on = fields.Date()
    ended_on = fields.Date(allow_none=True)
    category = fields.String()
    recorded_by = fields.String()
    recorded_at = fields.DateTime()


class PilotTargetSchema(Schema):
    id = fields.Integer(dump_only=True)
    model_key = fields.String(required=True)
    label = fields.String(required=True)
    bpmn_id = fields.String(required=True)
    group_field = fields.String(required=True)
    group_value = fields.String(required=True)
    target_min = fields.Integer(required=True)
    target_max = fields.Integer(required=True)


@blueprint.get("/instances/<int:instance_id>/employment")
@token_required
def list_employment(instance_id: int) -> Response:
    """The path's employment events, by start date (logged)."""
    ctx = polku()
    found = employment_events.list_employment(ctx.uow(), ctx.clock, actor(), instance_id)
    return jsonify(EmploymentSchema(many=True).dump(found))


@blueprint.post("/instances/<int:instance_id>/employment")
@token_required
def record_employment(instance_id: int) -> Response:
    """Record an employment relationship started, an apprenticeship, a work trial or a study
    place on a running path (logged)."""
    body = EmploymentCreateSchema().load(_body())
    ctx = polku()
    event_id = employment_events.record_employment(
        ctx.uow(), ctx.clock, actor(), instance_id, **body
    )
    response = jsonify({"id": event_id})
    response.status_code = 201
    response.headers["Location"] = url_for("api.list_employment", instance_id=instance_id)
    return response


@blueprint.get("/pilot-targets")
@token_required
def list_pilot_targets() -> Response:
    return jsonify(
        PilotTargetSchema(many=True).dump(pilot_targets.list_targets(polku().uow(), actor()))
    )


@blueprint.put("/pilot-targets")
@token_required
def set_pilot_target() -> Response:
    """Create or change the target of (model_key, label)."""
    body = PilotTargetSchema().load(_body())
    ctx = polku()
    pilot_targets.set_target(ctx.uow(), ctx.engine, actor(), **body)
    return jsonify(
        PilotTargetSchema(many=True).dump(pilot_targets.list_targets(ctx.uow(), actor()))
    )


@blueprint.delete("/pilot-targets/<int:target_id>")
@token_required
def remove_pilot_target(target_id: int) -> Response:
    ctx = polku()
    pilot_targets.remove_target(ctx.uow(), actor(), target_id)
    return Response(status=204)


class FidelityRoundSchema(Schema):
    id = fields.Integer(dump_only=True)
    organisation_id = fields.Integer(load_default=None, allow_none=True)
    model_key = fields.String(required=True)
    assessed_on = fields.String(required=True)
    scores = fields.List(fields.Raw(), required=True)
    total = fields.Integer(dump_only=True)
    recorded_by = fields.String(dump_only=True)


@blueprint.get("/ips-fidelity")
@token_required
def list_fidelity_rounds() -> Response:
    """The IPS fidelity rounds of the caller's organisations (`?model=` one model's)."""
    model = request.args.get("model") or None
    rounds = ips_fidelity.list_rounds(polku().uow(), actor(), model)
    return jsonify([{**FidelityRoundSchema().dump(r), "assessed_on": r.assessed_on.isoformat(),
                     "scores": r.scores} for r in rounds])  # fmt: skip


@blueprint.post("/ips-fidelity")
@token_required
def record_fidelity_round() -> Response:
    """One round of the team's IPS fidelity self-assessment: 25 items, 1–5 each."""
    body = FidelityRoundSchema().load(_body())
    ctx = polku()
    round_id = ips_fidelity.record_round(ctx.uow(), ctx.clock, actor(), **body)
    response = jsonify({"id": round_id})
    response.status_code = 201
    return response
