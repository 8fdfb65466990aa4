"""Administering people over the API: `GET/POST /api/v1/users`, `GET/PATCH /api/v1/users/<id>`
(the PATCH also sets the e-mail address the digest goes to) and the access policy's settings,
`GET/PUT /api/v1/settings/access` (administrators only); the organisations,
`GET /api/v1/organisations` (anyone signed in)."""

from __future__ import annotations

from dataclasses import replace

from flask import Response, jsonify, url_for
from marshmallow import Schema, fields, validate

from engine.services import people, personal_settings, policy_settings
from web.api import blueprint
from web.api.auth import actor, token_required
from web.api.views import _body
from web.context import polku

LANGUAGES = validate.OneOf(["fi", "sv", "en"])
ORGANISATION_CODE = fields.String(validate=validate.Length(min=1, max=60))
ORGANISATIONS_HELP = {"description": "organisation codes (GET /api/v1/organisations)"}


class PersonSchema(Schema):
    id = fields.Integer()
    username = fields.String()
    display_name = fields.String()
    roles = fields.List(fields.String())
    organisations = fields.List(fields.String(), metadata=ORGANISATIONS_HELP)
    is_admin = fields.Boolean()
    active = fields.Boolean()
    single_sign_on = fields.Boolean(metadata={"description": "signed in through a provider"})
    has_password = fields.Boolean(metadata={"description": "false: single sign-on only"})
    language = fields.String()
    email = fields.String(allow_none=True, metadata={"description": "where the digest goes"})
    open_work = fields.List(fields.Dict(), metadata={"description": "open tasks they hold"})
    case_managed = fields.List(
        fields.Dict(), metadata={"description": "running paths whose case manager they are"}
    )


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
    organisations = fields.List(ORGANISATION_CODE, load_default=list, metadata=ORGANISATIONS_HELP)


class PersonUpdateSchema(Schema):
    display_name = fields.String(validate=validate.Length(min=1, max=200))
    roles = fields.List(fields.String(validate=validate.Length(max=60)))
    organisations = fields.List(ORGANISATION_CODE, metadata=ORGANISATIONS_HELP)
    password = fields.String(validate=validate.Length(max=500))
    is_admin = fields.Boolean()
    active = fields.Boolean()
    language = fields.String(validate=LANGUAGES)
    email = fields.String(
        allow_none=True, metadata={"description": "where the digest goes; empty or null: none"}
    )


class OrganisationSchema(Schema):
    code = fields.String()
    name = fields.String()
    names = fields.Dict(keys=fields.String(), values=fields.String(),
                        metadata={"description": "the name by language (fi, sv, en)"})  # fmt: skip
    kind = fields.String(metadata={"description": "wellbeing_county, employment_services, kela"})
    region = fields.String(allow_none=True, metadata={"description": "null: every region"})


class AccessSettingsSchema(Schema):
    days_after_closing = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(
            policy_settings.MIN_DAYS_AFTER_CLOSING, policy_settings.MAX_DAYS_AFTER_CLOSING
        ),
        metadata={"description": "days a closed path stays readable for its former team"},
    )
    changed_by = fields.String(dump_only=True, allow_none=True)
    changed_at = fields.DateTime(dump_only=True, allow_none=True)


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
    response = jsonify(
        PersonSchema().dump(people.get_person(ctx.uow(), ctx.clock, actor(), user_id))
    )
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_user", user_id=user_id)
    return response


@blueprint.get("/users/<int:user_id>")
@token_required
def get_user(user_id: int) -> Response:
    return jsonify(
        PersonSchema().dump(people.get_person(polku().uow(), polku().clock, actor(), user_id))
    )


@blueprint.patch("/users/<int:user_id>")
@token_required
def update_user(user_id: int) -> Response:
    changes = PersonUpdateSchema().load(_body())
    ctx = polku()
    if "email" not in changes:
        person = people.update_person(
            ctx.uow(), ctx.clock, actor(), ctx.engine.roles, user_id, changes
        )
        return jsonify(PersonSchema().dump(person))
    email = changes.pop("email")
    personal_settings.check_email(email)  # a bad address is 400 before anything changes
    if changes:
        person = people.update_person(
            ctx.uow(), ctx.clock, actor(), ctx.engine.roles, user_id, changes
        )
    # its own service, as on the person page: administrators only, and it logs the change
    address = personal_settings.set_email(ctx.uow(), ctx.clock, actor(), user_id, email)
    if changes:
        person = replace(person, email=address)
    else:
        person = people.get_person(ctx.uow(), ctx.clock, actor(), user_id)
    return jsonify(PersonSchema().dump(person))


@blueprint.get("/organisations")
@token_required
def list_organisations() -> Response:
    return jsonify(OrganisationSchema(many=True).dump(people.list_organisations(polku().uow())))


@blueprint.get("/settings/access")
@token_required
def get_access_settings() -> Response:
    policy_settings.require_admin(actor())
    found = policy_settings.get_access_settings(polku().uow())
    return jsonify(AccessSettingsSchema().dump(found))


@blueprint.put("/settings/access")
@token_required
def set_access_settings() -> Response:
    policy_settings.require_admin(actor())
    body = AccessSettingsSchema().load(_body())
    ctx = polku()
    saved = policy_settings.set_days_after_closing(
        ctx.uow(), ctx.clock, actor(), body["days_after_closing"]
    )
    return jsonify(AccessSettingsSchema().dump(saved))
