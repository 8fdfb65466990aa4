"""Task forms: JSON Schema documents referenced from user tasks."""

from __future__ import annotations

import json
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError

USER_FORMAT = "polku-user"  # a string naming a Polku user (e.g. the case manager)
# Who may read a field: its visibility class, named by `x-visibility` on a top-level property,
# or on the form's top level for its fields by default; a field with neither is "shared". The
# access policy (engine.services.access) says which roles see which class.
VISIBILITY_KEYWORD = "x-visibility"
VISIBILITY_CLASSES = ("shared", "health", "social", "employment", "benefits")

_format_checker = FormatChecker()


@_format_checker.checks(USER_FORMAT)
def _is_username(value: object) -> bool:
    # Whether the user exists is checked by the service layer, which can see the database.
    return isinstance(value, str) and 0 < len(value) <= 80


def check_schema(schema: Any) -> None:
    """Raise SchemaError if `schema` is not a valid JSON Schema (draft 2020-12)."""
    if not isinstance(schema, dict):
        raise SchemaError("a form must be a JSON object")
    Draft202012Validator.check_schema(schema)
    if schema.get("type") != "object":
        raise SchemaError('a form\'s top-level "type" must be "object"')
    _check_visibility(schema)


def _check_visibility(schema: dict[str, Any]) -> None:
    """`x-visibility` names a known class, on the form or on its top-level fields only (the
    class of a top-level field covers everything under it)."""
    allowed = ", ".join(VISIBILITY_CLASSES)

    def check(value: Any, where: str) -> None:
        if value not in VISIBILITY_CLASSES:
            raise SchemaError(
                f"{where} has {VISIBILITY_KEYWORD} {json.dumps(value)}: use one of {allowed}"
            )

    if VISIBILITY_KEYWORD in schema:
        check(schema[VISIBILITY_KEYWORD], "the form")
    properties = schema.get("properties") or {}
    for name, prop in properties.items():
        if not isinstance(prop, dict):
            continue
        if VISIBILITY_KEYWORD in prop:
            check(prop[VISIBILITY_KEYWORD], f"the field '{name}'")
        nested = {k: v for k, v in prop.items() if k != VISIBILITY_KEYWORD}
        if _mentions_visibility(nested):
            raise SchemaError(
                f"the field '{name}' has {VISIBILITY_KEYWORD} inside it: only a form and its "
                "top-level fields carry a visibility class"
            )
    rest = {k: v for k, v in schema.items() if k not in ("properties", VISIBILITY_KEYWORD)}
    if _mentions_visibility(rest):
        raise SchemaError(
            f"{VISIBILITY_KEYWORD} is allowed only on the form and its top-level fields"
        )


def _mentions_visibility(node: Any) -> bool:
    if isinstance(node, dict):
        return VISIBILITY_KEYWORD in node or any(_mentions_visibility(v) for v in node.values())
    if isinstance(node, list):
        return any(_mentions_visibility(v) for v in node)
    return False


# Messages come from this fixed set so that the user interface can translate them.
MESSAGES = {
    "required": "This field is required.",
    "enum": "Choose one of the allowed values.",
    "type": "The value is of the wrong type.",
    "minimum": "The value is too small.",
    "exclusiveMinimum": "The value is too small.",
    "maximum": "The value is too large.",
    "exclusiveMaximum": "The value is too large.",
    "minLength": "The text is too short.",
    "maxLength": "The text is too long.",
    "minItems": "Choose more items.",
    "maxItems": "Choose fewer items.",
    "format": "The value is not in the right format.",
    "additionalProperties": "The form has a field it does not know.",
    "pattern": "The value is not in the right format.",
}
OTHER = "The value is not valid."


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
