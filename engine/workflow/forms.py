"""Task forms: JSON Schema documents referenced from user tasks."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError

USER_FORMAT = "polku-user"  # a string naming a Polku user (e.g. the case manager)

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


def validate(schema: dict[str, Any], data: Any) -> dict[str, list[str]]:
    """Validate data; return field path -> messages (empty when valid)."""
    validator = Draft202012Validator(schema, format_checker=_format_checker)
    errors: dict[str, list[str]] = {}
    for error in validator.iter_errors(data):
        path = [str(p) for p in error.absolute_path]
        if error.validator == "required":
            missing = error.message.split("'")[1] if "'" in error.message else ""
            path.append(missing)
            message = "This field is required."
        elif error.validator == "additionalProperties":
            message = error.message
        else:
            message = error.message
        errors.setdefault(".".join(path) or "_form", []).append(message)
    return errors


def user_fields(schema: dict[str, Any]) -> list[str]:
    """Top-level properties that name a Polku user."""
    props = schema.get("properties", {})
    return [name for name, prop in props.items() if prop.get("format") == USER_FORMAT]
