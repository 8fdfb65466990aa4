"""Finding clients and notes between colleagues over the API:
`POST /api/v1/clients/search` (POST, so the text — a name or an identity code — stays out of
addresses and server logs) and `GET` / `POST /api/v1/instances/<id>/notes`."""

from __future__ import annotations

from flask import Response, jsonify, url_for
from marshmallow import Schema, fields, validate

from engine.services import client_search, path_notes
from engine.workflow.forms import VISIBILITY_CLASSES
from web.api import blueprint
from web.api.auth import actor, token_required
from web.api.views import _body
from web.context import polku


class ClientSearchSchema(Schema):
    q = fields.String(
        load_default="",
        validate=validate.Length(max=client_search.MAX_TEXT),
        metadata={
            "description": "a name or parts of it, a pseudonym (A-…), or a whole personal "
            "identity code (matched exactly, never in part); empty: every client"
        },
    )
    limit = fields.Integer(
        load_default=client_search.PAGE_SIZE,
        strict=True,
        validate=validate.Range(min=1, max=client_search.MAX_LIMIT),
    )
    cursor = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=12),
        metadata={"description": "next_cursor or prev_cursor of the page before"},
    )  # fmt: skip


class ClientRowSchema(Schema):
    id = fields.Integer()
    pseudonym = fields.String()
    full_name = fields.String()
    municipality = fields.String(allow_none=True)
    created_at = fields.DateTime()
    instance_id = fields.Integer(allow_none=True, metadata={"description": "the latest path"})
    status = fields.String(allow_none=True)


class ClientPageSchema(Schema):
    items = fields.List(fields.Nested(ClientRowSchema))
    total = fields.Integer()
    offset = fields.Integer()
    limit = fields.Integer()
    kind = fields.String(
        allow_none=True, metadata={"description": "name, pseudonym or identity_code; null: all"}
    )
    next_cursor = fields.String(allow_none=True)
    prev_cursor = fields.String(allow_none=True)


class NoteCreateSchema(Schema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=path_notes.MAX_TEXT))
    visibility = fields.String(
        load_default=path_notes.DEFAULT_VISIBILITY, validate=validate.OneOf(VISIBILITY_CLASSES)
    )


class NoteSchema(Schema):
    id = fields.Integer()
    instance_id = fields.Integer()
    author = fields.String()
    author_name = fields.String()
    created_at = fields.DateTime()
    visibility = fields.String()
    text = fields.String()


@blueprint.post("/clients/search")
@token_required
def search_clients() -> Response:
    """A page of the clients the caller may see in a list, matching `q` (logged)."""
    body = ClientSearchSchema().load(_body())
    ctx = polku()
    page = client_search.search_clients(
        ctx.uow(), ctx.clock, actor(), body["q"], limit=body["limit"], cursor=body["cursor"]
    )
    return jsonify(ClientPageSchema().dump(page))


@blueprint.get("/instances/<int:instance_id>/notes")
@token_required
def list_notes(instance_id: int) -> Response:
    """The path's notes the caller may see, oldest first."""
    ctx = polku()
    found = path_notes.list_notes(ctx.uow(), ctx.clock, actor(), instance_id)
    return jsonify(NoteSchema(many=True).dump(found))


@blueprint.post("/instances/<int:instance_id>/notes")
@token_required
def add_note(instance_id: int) -> Response:
    body = NoteCreateSchema().load(_body())
    ctx = polku()
    note_id = path_notes.add_note(
        ctx.uow(), ctx.clock, actor(), instance_id, body["text"], body["visibility"]
    )
    response = jsonify({"id": note_id})
    response.status_code = 201
    response.headers["Location"] = url_for("api.list_notes", instance_id=instance_id)
    return response
