"""What is kept of a client over the API: `GET /api/v1/clients/<id>/export` (everything, for
the client: GDPR art. 15 and 20; logged as a disclosure) and the retention hold that keeps a
client's record past its period (`POST` / `DELETE /api/v1/clients/<id>/retention-hold`,
administrators)."""

from __future__ import annotations

from flask import Response, jsonify
from marshmallow import Schema, fields

from engine.services import client_export, retention
from web.api import blueprint
from web.api.auth import actor, token_required
from web.api.views import _body
from web.context import polku


class ClientExportSchema(Schema):
    """The export's parts (documented; the answer is the service's data as it is)."""

    format = fields.String(metadata={"description": "polku-client-export/1"})
    exported_at = fields.DateTime()
    exported_by = fields.String()
    basis = fields.String(metadata={"description": "the basis the export was made on, as logged"})
    client = fields.Dict(metadata={"description": "identity: name, identity code, pseudonym…"})
    consents = fields.List(fields.Dict())
    paths = fields.List(
        fields.Dict(),
        metadata={
            "description": "each path: model, version, status, owner, case manager, dates, "
            "tasks, waiting, history, milestones, submissions (with form titles), "
            "plan_revisions, drafts, members, emergency_openings"
        },
    )
    retention_holds = fields.List(fields.Dict())
    access_log = fields.List(fields.Dict(), metadata={"description": "oldest first"})
    forms = fields.Dict(metadata={"description": "the forms' JSON Schemas, by submission 'form'"})
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())


class RetentionHoldSchema(Schema):
    id = fields.Integer()
    client_id = fields.Integer()
    client_pseudonym = fields.String(metadata={"description": "never the client's name"})
    reason = fields.String()
    placed_by = fields.String()
    placed_at = fields.DateTime()
    lifted_by = fields.String(allow_none=True)
    lifted_at = fields.DateTime(allow_none=True)
    in_force = fields.Boolean()


class RetentionHoldCreateSchema(Schema):
    reason = fields.String(
        required=True, metadata={"description": "why the record is kept: 10 to 500 characters"}
    )


@blueprint.get("/clients/<int:client_id>/export")
@token_required
def export_client(client_id: int) -> Response:
    ctx = polku()
    found = client_export.export_client(ctx.uow(), ctx.engine, ctx.clock, actor(), client_id)
    response = jsonify(found)
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.post("/clients/<int:client_id>/retention-hold")
@token_required
def place_retention_hold(client_id: int) -> Response:
    body = RetentionHoldCreateSchema().load(_body())
    ctx = polku()
    hold = retention.place_hold(ctx.uow(), ctx.clock, actor(), client_id, body["reason"])
    response = jsonify(RetentionHoldSchema().dump(hold))
    response.status_code = 201
    return response


@blueprint.delete("/clients/<int:client_id>/retention-hold")
@token_required
def lift_retention_hold(client_id: int) -> Response:
    ctx = polku()
    hold = retention.lift_hold(ctx.uow(), ctx.clock, actor(), client_id)
    return jsonify(RetentionHoldSchema().dump(hold))
