"""Notifications over the API: `GET /api/v1/notifications` (the caller's own, newest first;
`unread=true` for the unread only, `limit` up to 200) and
`POST /api/v1/notifications/<id>/read`. Each names the work by task id, step name and the
client's pseudonym, never the client's name; `link` is the page the work is on."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request, url_for
from marshmallow import Schema, fields

from engine.errors import InvalidInput
from engine.services import notifications
from engine.services.notifications import Notice
from web.api import blueprint
from web.api.auth import actor, token_required
from web.context import polku


class NotificationSchema(Schema):
    id = fields.Integer()
    kind = fields.String(metadata={"enum": list(notifications.KINDS)})
    created_at = fields.DateTime()
    read_at = fields.DateTime(allow_none=True)
    unread = fields.Boolean()
    task_id = fields.String(allow_none=True)
    task_name = fields.String(allow_none=True, metadata={"description": "the step's name"})
    due_at = fields.DateTime(allow_none=True)
    instance_id = fields.Integer(allow_none=True)
    client_id = fields.Integer(allow_none=True)
    client_pseudonym = fields.String(
        allow_none=True, metadata={"description": "never the client's name"}
    )
    params = fields.Dict(metadata={"description": "codes and ids the notice is worded from"})
    link = fields.String(metadata={"description": "the page of the work (task or client)"})


def _dump(notice: Notice) -> dict[str, Any]:
    if notice.task_id:
        link = url_for("ui.task_page", task_id=notice.task_id)
    elif notice.client_id is not None:
        link = url_for("ui.client_page", client_id=notice.client_id)
    else:
        link = url_for("ui.notifications_page")
    return dict(NotificationSchema().dump({**notice.__dict__, "unread": notice.unread,
                                           "link": link}))  # fmt: skip


def _limit() -> int:
    raw = request.args.get("limit")
    if raw is None or raw == "":
        return notifications.DEFAULT_LIMIT
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput(
            "limit must be a whole number", {"limit": ["Give a whole number."]},
            code="limit_not_number",
        ) from None
    return notifications.check_limit(value)


@blueprint.get("/notifications")
@token_required
def list_notifications() -> Response:
    unread = request.args.get("unread", "").lower() in ("1", "true", "yes")
    limit = _limit()
    ctx = polku()
    found = notifications.list_notices(ctx.uow(), ctx.clock, actor(), unread_only=unread,
                                       limit=limit)  # fmt: skip
    return jsonify([_dump(n) for n in found])


@blueprint.post("/notifications/<int:notice_id>/read")
@token_required
def read_notification(notice_id: int) -> Response:
    ctx = polku()
    return jsonify(_dump(notifications.mark_read(ctx.uow(), ctx.clock, actor(), notice_id)))


def add_paths(spec: Any, op: Any, path_param: Any) -> None:
    """The endpoints in the OpenAPI document (web/api/openapi.py)."""
    spec.components.schema("Notification", schema=NotificationSchema)
    filters = [
        {"name": "unread", "in": "query", "schema": {"type": "boolean"},
         "description": "only the unread ones"},
        {"name": "limit", "in": "query",
         "schema": {"type": "integer", "minimum": 1, "maximum": notifications.MAX_LIMIT}},
    ]  # fmt: skip
    spec.path(
        "/api/v1/notifications",
        operations={
            "get": op("Your notifications, newest first: work offered, assigned or handed over "
                      "to you, due tomorrow or overdue, quiet paths of your caseload, decisions "
                      "recorded on them", 200, "Notification", errors=(400, 401), many=True,
                      params=filters),
        },
    )  # fmt: skip
    spec.path(
        "/api/v1/notifications/{notice_id}/read",
        operations={
            "post": op("Mark one of your notifications read", 200, "Notification",
                       errors=(401, 404), params=[path_param("notice_id", "integer")]),
        },
    )  # fmt: skip
