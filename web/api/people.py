"""Administering people over the API: `GET/POST /api/v1/users`, `GET/PATCH /api/v1/users/<id>`
(administrators only)."""

from __future__ import annotations

from flask import Response, jsonify, url_for
from marshmallow import Schema, fields, validate

from engine.services import people
from web.api import blueprint
from web.api.auth import actor, token_required
from web.api.views import _body
from web.context import polku

LANGUAGES = validate.OneOf(["fi", "sv", "en"])


class PersonSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    roles = fields.List(fields.String())
    is_admin = fields.Boolean()
    active = fields.Boolean()
    single_sign_on = fields.Boolean()
    language = fields.String()
    open_work = fields.List(fields.Dict(), metadata={"description": "open tasks they hold"})


class PersonCreateSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=80))
    display_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    roles = fields.List(fields.String(validate=validate.Length(max=60)), load_default=list)
    password = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=500),
        metadata={"description": "none: the person signs in through single sign-on only"},
    )  # fmt: skip
    is_admin = fields.Boolean(load_default=False)
    language = fields.String(load_default="fi", validate=LANGUAGES)


class PersonUpdateSchema(Schema):
    display_name = fields.String(validate=validate.Length(min=1, max=200))
    roles = fields.List(fields.String(validate=validate.Length(max=60)))
    password = fields.String(validate=validate.Length(max=500))
    is_admin = fields.Boolean()
    active = fields.Boolean()
    language = fields.String(validate=LANGUAGES)


@blueprint.get("/users")
@token_required
def list_users() -> Response:
    return jsonify(PersonSchema(many=True).dump(people.list_people(polku().uow(), actor())))


@blueprint.post("/users")
@token_required
def add_user() -> Response:
    body = PersonCreateSchema().load(_body())
    ctx = polku()
    user_id = people.add_person(ctx.uow(), ctx.clock, actor(), ctx.engine.roles, **body)
    response = jsonify(PersonSchema().dump(people.get_person(ctx.uow(), actor(), user_id)))
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_user", user_id=user_id)
    return response


@blueprint.get("/users/<int:user_id>")
@token_required
def get_user(user_id: int) -> Response:
    return jsonify(PersonSchema().dump(people.get_person(polku().uow(), actor(), user_id)))


@blueprint.patch("/users/<int:user_id>")
@token_required
def update_user(user_id: int) -> Response:
    changes = PersonUpdateSchema().load(_body())
    ctx = polku()
    person = people.update_person(ctx.uow(), ctx.clock, actor(), ctx.engine.roles, user_id, changes)
    return jsonify(PersonSchema().dump(person))
