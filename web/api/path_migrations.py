"""Moving running paths to another model version (process designers): choosing the paths,
mapping steps, the dry run and the confirmed move; the model's migrations and undoing the last.
The service is `engine.services.path_migration`."""

from __future__ import annotations

from flask import Response, jsonify, request
from marshmallow import Schema, fields

from engine.services import path_migration
from web.api import blueprint
from web.api import schemas as s
from web.api.auth import actor, token_required
from web.api.views import _body
from web.context import polku


class UndoRequestSchema(Schema):
    dry_run = fields.Boolean(load_default=True)
    # the migration the dry run showed: if another is the last one now, nothing moves (409)
    migration_id = fields.Integer(strict=True, load_default=None, validate=s.ID_RANGE)


class UndoRowSchema(Schema):
    instance_id = fields.Integer()
    client_pseudonym = fields.String()
    undoable = fields.Boolean()
    undone = fields.Boolean()
    reasons = fields.List(fields.String())


class UndoResultSchema(Schema):
    migration_id = fields.Integer()
    key = fields.String()
    from_version = fields.Integer(metadata={"description": "the paths go back to this version"})
    to_version = fields.Integer()
    dry_run = fields.Boolean()
    will_undo = fields.Integer()
    undone = fields.Integer()
    rows = fields.List(fields.Nested(UndoRowSchema))


class MigrationRecordSchema(Schema):
    id = fields.Integer()
    key = fields.String()
    from_version = fields.Integer()
    to_version = fields.Integer()
    migrated_at = fields.DateTime()
    migrated_by = fields.String()
    step_map = fields.Dict(keys=fields.String(), values=fields.String())
    instance_ids = fields.List(fields.Integer())
    outcomes = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "per path id: moved, undone or kept (not undoable)"},
    )
    undone_at = fields.DateTime(allow_none=True)
    undone_by = fields.String(allow_none=True)
    undoable = fields.Boolean()


@blueprint.post("/processes/<key>/migrations")
@token_required
def migrate_instances(key: str) -> Response:
    """The chosen paths (`instances`, `steps`), mapped steps (`step_map`), a dry run (default)
    or the move (`dry_run: false`, with `expect`: the count the dry run showed)."""
    body = s.MigrationRequestSchema().load(_body())
    ctx = polku()
    selection = path_migration.Selection(
        frozenset(body["instances"]) if body["instances"] is not None else None,
        frozenset(body["steps"]) if body["steps"] is not None else None,
    )
    plan = path_migration.plan_migration(
        ctx.uow(), ctx.engine, ctx.clock, actor(), key, body["from_version"], body["to_version"],
        dry_run=body["dry_run"], selection=selection, step_map=body["step_map"],
        expect=body["expect"],
    )  # fmt: skip
    response = jsonify(s.MigrationCandidateSchema(many=True).dump(plan.candidates))
    response.headers["Polku-Paths-Will-Move"] = str(plan.will_move)
    if plan.migration_id is not None:
        response.headers["Polku-Migration"] = str(plan.migration_id)
    return response


@blueprint.get("/processes/<key>/migrations")
@token_required
def list_migrations(key: str) -> Response:
    records = path_migration.history(polku().uow(), actor(), key)
    rows = MigrationRecordSchema(many=True).dump(records)
    for row in rows:
        row["outcomes"] = {str(k): v for k, v in row["outcomes"].items()}
    return jsonify(rows)


@blueprint.post("/processes/<key>/migrations/undo")
@token_required
def undo_migration(key: str) -> Response:
    body = UndoRequestSchema().load(_body() if request.data else {})
    ctx = polku()
    result = path_migration.undo_last(
        ctx.uow(), ctx.engine, ctx.clock, actor(), key,
        dry_run=body["dry_run"], migration_id=body["migration_id"],
    )  # fmt: skip
    return jsonify(UndoResultSchema().dump(result))
