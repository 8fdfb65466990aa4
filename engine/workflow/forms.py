"""Task forms: JSON Schema documents referenced from user tasks."""

from __future__ import annotations

import json
import re
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError

from engine.errors import Text

USER_FORMAT = "polku-user"  # a string naming a Polku user (e.g. the case manager)
# Who may read a field: its visibility class, named by `x-visibility` on a top-level property,
# or on the form's top level for its fields by default; a field with neither is "shared". The
# access policy (engine.services.access) says which roles see which class.
VISIBILITY_KEYWORD = "x-visibility"
VISIBILITY_CLASSES = ("shared", "health", "social", "employment", "benefits")
# A field that starts filled with what an earlier step recorded: `x-prefill` on a top-level
# property, "<earlier step's BPMN id>.<field>" or "<field>" (the latest entry holding that
# field). The loader checks that the step exists in the model (engine.workflow.loader).
PREFILL_KEYWORD = "x-prefill"
_NAME = r"[A-Za-z_][A-Za-z0-9_-]*"
PREFILL_PATTERN = re.compile(rf"^(?:(?P<step>{_NAME})\.)?(?P<field>{_NAME})$")

_format_checker = FormatChecker()


@_format_checker.checks(USER_FORMAT)
def _is_username(value: object) -> bool:
    # Whether the user exists is checked by the service layer, which can see the database.
    return isinstance(value, str) and 0 < len(value) <= 80


def check_schema(schema: Any) -> None:
    """Raise SchemaError if `schema` is not a valid JSON Schema (draft 2020-12)."""
    if not isinstance(schema, dict):
        raise SchemaError(Text("form_not_object", "a form must be a JSON object"))
    Draft202012Validator.check_schema(schema)
    if schema.get("type") != "object":
        raise SchemaError(
            Text("form_not_object_type", 'a form\'s top-level "type" must be "object"')
        )
    _check_visibility(schema)
    prefills(schema)


def prefills(schema: dict[str, Any]) -> dict[str, tuple[str | None, str]]:
    """The form's prefilled fields: field -> (earlier step or None, its field). Raises
    SchemaError for an `x-prefill` of the wrong shape or place."""
    found: dict[str, tuple[str | None, str]] = {}
    for name, prop in (schema.get("properties") or {}).items():
        if not isinstance(prop, dict) or PREFILL_KEYWORD not in prop:
            continue
        value = prop[PREFILL_KEYWORD]
        match = PREFILL_PATTERN.match(value) if isinstance(value, str) else None
        if match is None:
            raise SchemaError(
                Text(
                    "form_prefill_shape",
                    "the field '{field}' has {keyword} {value}: write "
                    "\"<step id>.<field>\" (an earlier user task's BPMN id and its form's field) "
                    'or "<field>"',
                    field=name,
                    keyword=PREFILL_KEYWORD,
                    value=json.dumps(value),
                )
            )
        found[name] = (match.group("step"), match.group("field"))
    return found


def _check_visibility(schema: dict[str, Any]) -> None:
    """`x-visibility` names a known class, on the form or on its top-level fields only (the
    class of a top-level field covers everything under it)."""
    allowed = ", ".join(VISIBILITY_CLASSES)

    def check(value: Any, field: str | None) -> None:
        if value in VISIBILITY_CLASSES:
            return
        shown = {"keyword": VISIBILITY_KEYWORD, "value": json.dumps(value), "allowed": allowed}
        if field is None:
            raise SchemaError(
                Text(
                    "form_visibility_unknown",
                    "the form has {keyword} {value}: use one of {allowed}",
                    **shown,
                )
            )
        raise SchemaError(
            Text(
                "field_visibility_unknown",
                "the field '{field}' has {keyword} {value}: use one of {allowed}",
                field=field,
                **shown,
            )
        )

    if VISIBILITY_KEYWORD in schema:
        check(schema[VISIBILITY_KEYWORD], None)
    properties = schema.get("properties") or {}
    for name, prop in properties.items():
        if not isinstance(prop, dict):
            continue
        if VISIBILITY_KEYWORD in prop:
            check(prop[VISIBILITY_KEYWORD], name)
        nested = {k: v for k, v in prop.items() if k != VISIBILITY_KEYWORD}
        if _mentions_visibility(nested):
            raise SchemaError(
                Text(
                    "field_visibility_nested",
                    "the field '{field}' has {keyword} inside it: only a form and its "
                    "top-level fields carry a visibility class",
                    field=name,
                    keyword=VISIBILITY_KEYWORD,
                )
            )
    rest = {k: v for k, v in schema.items() if k not in ("properties", VISIBILITY_KEYWORD)}
    if _mentions_visibility(rest):
        raise SchemaError(
            Text(
                "form_visibility_place",
                "{keyword} is allowed only on the form and its top-level fields",
                keyword=VISIBILITY_KEYWORD,
            )
        )


def _mentions_visibility(node: Any) -> bool:
    if isinstance(node, dict):
        return VISIBILITY_KEYWORD in node or any(_mentions_visibility(v) for v in node.values())
    if isinstance(node, list):
        return any(_mentions_visibility(v) for v in node)
    return False


# Messages come from this fixed set so that the user interface can translate them.
_TOO_SMALL = Text("value_too_small", "The value is too small.")
_TOO_LARGE = Text("value_too_large", "The value is too large.")
_FORMAT = Text("value_format", "The value is not in the right format.")
MESSAGES = {
    "required": Text("field_required", "This field is required."),
    "enum": Text("value_not_allowed", "Choose one of the allowed values."),
    "type": Text("value_wrong_type", "The value is of the wrong type."),
    "minimum": _TOO_SMALL,
    "exclusiveMinimum": _TOO_SMALL,
    "maximum": _TOO_LARGE,
    "exclusiveMaximum": _TOO_LARGE,
    "minLength": Text("text_too_short", "The text is too short."),
    "maxLength": Text("text_too_long", "The text is too long."),
    "minItems": Text("items_too_few", "Choose more items."),
    "maxItems": Text("items_too_many", "Choose fewer items."),
    "format": _FORMAT,
    "additionalProperties": Text("field_unknown", "The form has a field it does not know."),
    "pattern": _FORMAT,
}
OTHER = Text("value_invalid", "The value is not valid.")


def validate(schema: dict[str, Any], data: Any) -> dict[str, list[str]]:
    """Validate data; return field path (dotted) -> messages (empty when valid)."""
    validator = Draft202012Validator(schema, format_checker=_format_checker)
    errors: dict[str, list[str]] = {}
    for error in validator.iter_errors(data):
        path = [str(p) for p in error.absolute_path]
        if error.validator == "required":
            path.append(error.message.split("'")[1] if "'" in error.message else "")
        elif error.validator == "additionalProperties":
            extra = [
                str(k)
                for k in (error.instance or {})
                if k not in error.schema.get("properties", {})
            ]
            path.append(extra[0] if extra else "")
        message = MESSAGES.get(str(error.validator), OTHER)
        key = ".".join(p for p in path if p) or "_form"
        if message not in errors.get(key, []):
            errors.setdefault(key, []).append(message)
    return errors


def named_users(schema: dict[str, Any], data: dict[str, Any]) -> list[str]:
    """Usernames the data names in the schema's user fields, one user or a list of users
    (e.g. the support plan's case manager and team members)."""
    names: list[str] = []
    for name, prop in schema.get("properties", {}).items():
        value = data.get(name)
        if prop.get("format") == USER_FORMAT and isinstance(value, str):
            names.append(value)
        elif (prop.get("items") or {}).get("format") == USER_FORMAT and isinstance(value, list):
            names.extend(v for v in value if isinstance(v, str))
    return list(dict.fromkeys(names))


def user_fields(schema: dict[str, Any]) -> list[str]:
    """Top-level properties that name a Polku user."""
    props = schema.get("properties", {})
    return [name for name, prop in props.items() if prop.get("format") == USER_FORMAT]
