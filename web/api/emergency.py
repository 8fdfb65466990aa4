"""Emergency access over the API: `POST /api/v1/instances/<id>/emergency-access` opens a path
with a reason; supervisors list the openings (`GET /api/v1/emergency-access`) and review them
(`POST /api/v1/emergency-access/<id>/review`)."""

from __future__ import annotations

from flask import Response, jsonify, request, url_for
from marshmallow import Schema, fields, validate

from engine.services import emergency_access
from web.api import blueprint
from web.api.auth import actor, token_required
from web.api.views import _body
from web.context import polku


class EmergencyAccessSchema(Schema):
    id = fields.Integer()
    username = fields.String(metadata={"description": "who opened the path"})
    display_name = fields.String()
    opened_at = fields.DateTime()
    reason = fields.String()
    instance_id = fields.Integer()
    client_pseudonym = fields.String(metadata={"description": "never the client's name"})
    model_name = fields.String()
    organisation = fields.String(allow_none=True, metadata={"description": "the path's owner"})
    expires_at = fields.DateTime()
    expired = fields.Boolean()
    reviewed = fields.Boolean()
    reviewed_by = fields.String(allow_none=True)
    reviewed_at = fields.DateTime(allow_none=True)
    review_note = fields.String(allow_none=True)


class EmergencyAccessOpenSchema(Schema):
    reason = fields.String(
        required=True,
        metadata={"description": "why the path is opened: 10 to 500 characters, reviewed"},
    )


class EmergencyAccessReviewSchema(Schema):
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


@blueprint.post("/instances/<int:instance_id>/emergency-access")
@token_required
def open_emergency_access(instance_id: int) -> Response:
    body = EmergencyAccessOpenSchema().load(_body())
    ctx = polku()
    emergency_access.open_emergency_access(
        ctx.uow(), ctx.clock, actor(), instance_id, body["reason"]
    )
    opening = emergency_access.current_opening(ctx.uow(), ctx.clock, actor(), instance_id)
    response = jsonify(EmergencyAccessSchema().dump(opening))
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_instance", instance_id=instance_id)
    return response


@blueprint.get("/emergency-access")
@token_required
def list_emergency_access() -> Response:
    include = request.args.get("reviewed", "").lower() in ("1", "true", "yes")
    ctx = polku()
    items = emergency_access.reviews(ctx.uow(), ctx.clock, actor(), include_reviewed=include)
    return jsonify(EmergencyAccessSchema(many=True).dump(items))


@blueprint.post("/emergency-access/<int:access_id>/review")
@token_required
def review_emergency_access(access_id: int) -> Response:
    body = EmergencyAccessReviewSchema().load(_body())
    ctx = polku()
    opening = emergency_access.review(ctx.uow(), ctx.clock, actor(), access_id, body["note"])
    return jsonify(EmergencyAccessSchema().dump(opening))
