"""A model's task forms for the designer: list them, read one as the form editor edits it, and
save an edited one as the model's next version (the same service as the editor's page,
`engine.services.form_editing`, so the same checks and the same validator)."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request
from marshmallow import Schema, ValidationError, fields, validate

from engine.errors import InvalidInput, Text
from engine.services import form_editing as service
from engine.workflow.form_drafts import KINDS, Choice, FieldEdit, FieldTexts, FormEdit
from engine.workflow.model_texts import TRANSLATED
from web.api import blueprint
from web.api.auth import actor, token_required
from web.context import polku

MAX_FIELDS = 200


class _TextsSchema(Schema):
    title = fields.String(load_default="", validate=validate.Length(max=2000))
    description = fields.String(load_default="", validate=validate.Length(max=5000))
    choices = fields.List(fields.String(validate=validate.Length(max=500)), load_default=list)


class _ChoiceSchema(Schema):
    value = fields.String(required=True, validate=validate.Length(min=1, max=200))
    label = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


class _FieldSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    original = fields.String(load_default=None, allow_none=True)
    title = fields.String(load_default="", validate=validate.Length(max=2000))
    kind = fields.String(load_default="text", validate=validate.OneOf(KINDS))
    required = fields.Boolean(load_default=False)
    description = fields.String(load_default="", validate=validate.Length(max=5000))
    visibility = fields.String(load_default="")
    choices = fields.List(fields.Nested(_ChoiceSchema), load_default=list)
    translations = fields.Dict(
        keys=fields.String(validate=validate.OneOf(TRANSLATED)),
        values=fields.Nested(_TextsSchema),
        load_default=dict,
    )


class FormEditSchema(Schema):
    """What `PUT /processes/<key>/forms/<path>` takes (and `GET` gives)."""

    based_on = fields.Integer(required=True, strict=True)
    title = fields.String(load_default="", validate=validate.Length(max=2000))
    title_translations = fields.Dict(
        keys=fields.String(validate=validate.OneOf(TRANSLATED)),
        values=fields.String(validate=validate.Length(max=2000)),
        load_default=dict,
    )
    fields_ = fields.List(
        fields.Nested(_FieldSchema),
        data_key="fields",
        required=True,
        validate=validate.Length(max=MAX_FIELDS),
    )


def _edit(path: str, body: dict[str, Any]) -> FormEdit:
    return FormEdit(
        path=path,
        based_on=body["based_on"],
        title=body["title"],
        title_translations=dict(body["title_translations"]),
        fields=[
            FieldEdit(
                name=f["name"].strip(),
                original=f["original"] or None,
                title=f["title"],
                kind=f["kind"],
                required=f["required"],
                description=f["description"],
                visibility=f["visibility"],
                choices=[Choice(c["value"], c["label"]) for c in f["choices"]],
                translations={
                    lang: FieldTexts(t["title"], t["description"], list(t["choices"]))
                    for lang, t in f["translations"].items()
                },
            )
            for f in body["fields_"]
        ],
    )


def _dump_edit(draft: service.FormDraft) -> dict[str, Any]:
    edit = draft.edit
    return {
        "key": draft.key,
        "version": draft.version,
        "path": edit.path,
        "based_on": edit.based_on,
        "title": edit.title,
        "title_translations": edit.title_translations,
        "form_visibility": draft.form_visibility,
        "tasks": [{"bpmn_id": u.bpmn_id, "name": u.name} for u in draft.tasks],
        "fields": [
            {
                "name": f.name,
                "original": f.original,
                "title": f.title,
                "kind": f.kind,
                "required": f.required,
                "description": f.description,
                "visibility": f.visibility,
                "choices": [{"value": c.value, "label": c.label} for c in f.choices],
                "translations": {
                    lang: {
                        "title": f.texts(lang).title,
                        "description": f.texts(lang).description,
                        "choices": f.texts(lang).choices,
                    }
                    for lang in TRANSLATED
                },
            }
            for f in edit.fields
        ],
        "schema": draft.base,
    }


@blueprint.get("/processes/<key>/forms")
@token_required
def list_model_forms(key: str) -> Response:
    ctx = polku()
    view = service.list_forms(ctx.uow(), ctx.engine, actor(), key)
    return jsonify(
        {
            "key": view.key,
            "version": view.version,
            "forms": [
                {
                    "path": f.path,
                    "title": f.title,
                    "fields": f.fields,
                    "tasks": [{"bpmn_id": u.bpmn_id, "name": u.name} for u in f.tasks],
                }
                for f in view.forms
            ],
        }
    )


@blueprint.get("/processes/<key>/forms/<path:form>")
@token_required
def get_model_form(key: str, form: str) -> Response:
    ctx = polku()
    return jsonify(_dump_edit(service.load_draft(ctx.uow(), ctx.engine, actor(), key, form)))


@blueprint.put("/processes/<key>/forms/<path:form>")
@token_required
def put_model_form(key: str, form: str) -> Response:
    """Save the edited form as the model's next version (201; 200 when nothing changed);
    `?dry_run=1` checks everything, the validator included, and stores nothing."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput(
            "the request body must be a JSON object with based_on and fields "
            "(Content-Type: application/json)",
            {"fields": [Text("form_body_not_object", "No form was sent.")]},
            code="form_body_not_object",
        )
    try:
        loaded = FormEditSchema().load(body)
    except ValidationError as exc:
        raise InvalidInput(
            "the form has errors", _messages(exc.messages), code="form_body_invalid"
        ) from None
    ctx = polku()
    dry_run = request.args.get("dry_run") in ("1", "true")
    result = service.save_form(
        ctx.uow(), ctx.engine, ctx.clock, actor(), key, _edit(form, loaded), dry_run=dry_run
    )
    response = jsonify({"key": result.key, "version": result.version, "created": result.created})
    response.status_code = 201 if result.created else 200
    return response


def _messages(found: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages as dotted field -> messages."""
    flat: dict[str, list[str]] = {}
    if isinstance(found, dict):
        for name, inner in found.items():
            key = "fields" if name == "fields_" else str(name)
            flat.update(_messages(inner, f"{prefix}.{key}" if prefix else key))
    elif isinstance(found, list):
        flat[prefix or "_form"] = [str(m) for m in found]
    return flat
