"""Awaited decisions and the follow-up review over the API.

- `POST /api/v1/tasks/<id>/decision` {data}: record an awaited decision (a worklist item of
  kind `wait`) with its form's data; the path goes on. (`POST /instances/<id>/messages` keeps
  working and completes the item too.)
- `POST /api/v1/instances/<id>/review-date` {due, reason}: the path's case manager brings the
  follow-up review forward or postpones it (`due` a date, today or later; 09:00 Finnish time).
- A second running path of the same model: 409 with `code` "duplicate_path", the running
  path's id and start date, and whether the caller may start one anyway (`override_reason`).
"""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from marshmallow import Schema, fields, validate

from engine.services import queries, reviews, waits
from engine.services.duplicates import DuplicatePath
from web.api import blueprint
from web.api import schemas as s
from web.api.auth import actor, token_required
from web.api.errors import problem
from web.api.views import _body
from web.context import polku


class ReviewDateSchema(Schema):
    due = fields.Date(required=True, metadata={"description": "the new review day, YYYY-MM-DD"})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class DecisionSchema(Schema):
    data = fields.Dict(keys=fields.String(), required=True)


@blueprint.post("/tasks/<task_id>/decision")
@token_required
def record_decision(task_id: str) -> Response:
    body = DecisionSchema().load(_body())
    ctx = polku()
    instance_id = waits.record_decision(
        ctx.uow(), ctx.engine, ctx.clock, actor(), task_id, body["data"]
    )
    view = queries.get_instance(ctx.uow(), ctx.clock, actor(), instance_id)
    return jsonify(s.InstanceSchema().dump(view))


@blueprint.post("/instances/<int:instance_id>/review-date")
@token_required
def reschedule_review(instance_id: int) -> Response:
    body = ReviewDateSchema().load(_body())
    ctx = polku()
    reviews.reschedule_review(
        ctx.uow(), ctx.engine, ctx.clock, actor(), instance_id, body["due"], body["reason"]
    )
    view = queries.get_instance(ctx.uow(), ctx.clock, actor(), instance_id)
    return jsonify(s.InstanceSchema().dump(view))


@blueprint.errorhandler(DuplicatePath)
def _duplicate_path(exc: DuplicatePath) -> Response:
    return problem(
        409,
        "Conflict",
        exc.message,
        code=exc.code,
        duplicate_of=exc.running_instance_id,
        started=exc.started_on,
        may_override=exc.may_override,
    )


def openapi_paths(spec: Any) -> None:
    """This module's endpoints in the OpenAPI document (web/api/openapi.py calls it)."""
    from web.api.openapi import _op, _path_param

    for name in ("ReviewDate", "Decision"):
        spec.components.schema(name, schema=globals()[f"{name}Schema"])
    spec.path(
        "/api/v1/tasks/{task_id}/decision",
        operations={
            "post": _op("Record an awaited decision (a worklist item of kind 'wait') with its "
                        "form's data; the path goes on", 200, "Instance", "Decision",
                        (400, 401, 403, 404, 409), params=[_path_param("task_id")]),
        },
    )  # fmt: skip
    spec.path(
        "/api/v1/instances/{instance_id}/review-date",
        operations={
            "post": _op("Bring the follow-up review forward or postpone it (the path's case "
                        "manager): due that day at 09:00 Finnish time, today or later, with a "
                        "reason", 200, "Instance", "ReviewDate", (400, 401, 403, 404, 409),
                        params=[_path_param("instance_id", "integer")]),
        },
    )  # fmt: skip
