"""The form editor's checks of a draft (engine.workflow.form_drafts): each refusal is an
InvalidInput naming the posted field (`field-<i>-<part>`, `form-title`, `fields`)."""

from __future__ import annotations

import keyword
from typing import Any

from engine.errors import InvalidInput, Text
from engine.workflow.form_drafts import (
    KINDS,
    MAX_CHOICES,
    MAX_FIELDS,
    MAX_TEXT,
    MAX_TITLE,
    MAX_VALUE,
    NAME_PATTERN,
    OTHER,
    Choice,
    FieldEdit,
    FormEdit,
    kind_of,
)
from engine.workflow.forms import VISIBILITY_CLASSES


def _refuse(key: str, message: Text, field_message: Text) -> InvalidInput:
    """A refusal naming the posted field `key` (e.g. `field-2-name`)."""
    return InvalidInput(message, {key: [field_message]}, code=message.code, params=message.params)


def check(base: dict[str, Any], edit: FormEdit) -> None:
    """Raise InvalidInput (naming the posted field, `field-<i>-<part>`) for a bad edit."""
    if len(edit.fields) > MAX_FIELDS:
        raise _refuse(
            "fields",
            Text("form_fields_too_many", "a form has at most {limit} fields", limit=MAX_FIELDS),
            Text("form_fields_too_many_field", "The form has too many fields."),
        )
    _check_length("form-title", edit.title, MAX_TITLE)
    for lang, value in edit.title_translations.items():
        _check_length(f"form-{lang}-title", value, MAX_TITLE)
    old_props = base.get("properties") or {}
    seen: set[str] = set()
    for i, f in enumerate(edit.fields):
        _check_field(i, f, old_props)
        if f.name in seen:
            raise _refuse(
                f"field-{i}-name",
                Text(
                    "form_field_duplicate", "the form has two fields named '{field}'", field=f.name
                ),
                Text("form_field_duplicate_field", "Another field has this name."),
            )
        seen.add(f.name)
    originals = [f.original for f in edit.fields if f.original is not None]
    if len(originals) != len(set(originals)):
        raise _refuse(
            "fields",
            Text("form_field_original_twice", "a field of the form was sent twice"),
            Text("form_field_original_twice_field", "A field was sent twice: reload the form."),
        )


def _check_field(i: int, f: FieldEdit, old_props: dict[str, Any]) -> None:
    key = f"field-{i}"
    if f.original is not None and not isinstance(old_props.get(f.original), dict):
        raise _refuse(
            f"{key}-name",
            Text(
                "form_field_not_in_form",
                "the form has no field '{field}' to edit",
                field=f.original[:80],
            ),
            Text("form_field_not_in_form_field", "Reload the form."),
        )
    if f.name != f.original and (
        not NAME_PATTERN.match(f.name) or keyword.iskeyword(f.name) or f.name in ("true", "false")
    ):
        raise _refuse(
            f"{key}-name",
            Text(
                "form_field_name_invalid",
                "'{field}' is not a field name: use letters, digits and '_', starting "
                "with a letter (at most 64)",
                field=f.name[:80],
            ),
            Text(
                "form_field_name_invalid_field",
                "Use letters, digits and _, starting with a letter.",
            ),
        )
    if f.kind not in KINDS and not (f.kind == OTHER and f.original is not None):
        raise _refuse(
            f"{key}-kind",
            Text("form_field_kind_unknown", "'{kind}' is not a kind of field", kind=f.kind[:40]),
            Text("form_field_kind_unknown_field", "Choose the kind of the field."),
        )
    if f.kind == OTHER and kind_of(old_props[f.original or ""]) != OTHER:
        raise _refuse(
            f"{key}-kind",
            Text("form_field_kind_unknown", "'{kind}' is not a kind of field", kind=f.kind),
            Text("form_field_kind_unknown_field", "Choose the kind of the field."),
        )
    if f.visibility and f.visibility not in VISIBILITY_CLASSES:
        raise _refuse(
            f"{key}-visibility",
            Text(
                "form_field_visibility_unknown",
                "'{value}' is not a visibility class: use one of {allowed}",
                value=f.visibility[:40],
                allowed=", ".join(VISIBILITY_CLASSES),
            ),
            Text("form_field_visibility_unknown_field", "Choose a visibility class."),
        )
    _check_length(f"{key}-title", f.title, MAX_TITLE)
    _check_length(f"{key}-description", f.description, MAX_TEXT)
    for lang, texts in f.translations.items():
        _check_length(f"{key}-{lang}-title", texts.title, MAX_TITLE)
        _check_length(f"{key}-{lang}-description", texts.description, MAX_TEXT)
        for choice in texts.choices:
            _check_length(f"{key}-{lang}-choices", choice, MAX_TITLE)
    if f.kind in ("choice", "multi"):
        _check_choices(key, f.choices)


def _check_choices(key: str, choices: list[Choice]) -> None:
    if not choices:
        raise _refuse(
            f"{key}-choices",
            Text("form_field_no_choices", "a choice field needs choices"),
            Text("form_field_no_choices_field", "Write the choices, one per line: value = label."),
        )
    if len(choices) > MAX_CHOICES:
        raise _refuse(
            f"{key}-choices",
            Text(
                "form_field_choices_too_many",
                "a field has at most {limit} choices",
                limit=MAX_CHOICES,
            ),
            Text("form_field_choices_too_many_field", "The field has too many choices."),
        )
    values = [c.value for c in choices]
    for choice in choices:
        if (
            not choice.value
            or len(choice.value) > MAX_VALUE
            or any(ord(ch) < 32 for ch in choice.value)
            or "=" in choice.value
        ):
            raise _refuse(
                f"{key}-choices",
                Text(
                    "form_choice_value_invalid",
                    "the choice value '{value}' is not allowed: 1-100 characters, no '='",
                    value=choice.value[:40],
                ),
                Text("form_choice_value_invalid_field", "Write each choice as value = label."),
            )
        _check_length(f"{key}-choices", choice.label or "", MAX_TITLE)
    if len(set(values)) != len(values):
        twice = next(v for v in values if values.count(v) > 1)
        raise _refuse(
            f"{key}-choices",
            Text(
                "form_choice_value_twice",
                "the choice value '{value}' is given twice",
                value=twice[:40],
            ),
            Text("form_choice_value_twice_field", "Each value only once."),
        )


def _check_length(key: str, value: str, limit: int) -> None:
    if len(value) > limit:
        raise _refuse(
            key,
            Text("form_text_too_long", "a text is longer than {limit} characters", limit=limit),
            Text("form_text_too_long_field", "The text is too long."),
        )
