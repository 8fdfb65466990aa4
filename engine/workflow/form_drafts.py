"""A task form as the designer's form editor edits it: its top-level fields in order, each with a
name, title, kind, help text, choices, visibility class and translations, and the way back to
the JSON Schema.

The way back is lossless: each field starts from the property it was read from, and only what
the designer changed is written into it (in place, so the keys keep their order); every keyword
the editor does not know (`maxLength`, `x-prefill`, a repeating group's `items`, …) stays as it
was. A form read and written with no change is the same schema.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from engine.workflow.forms import USER_FORMAT, VISIBILITY_KEYWORD
from engine.workflow.model_texts import ENUM_NAMES, TRANSLATED

# what the editor offers; "other" is a field it keeps as it is (a repeating group, a list)
KINDS = ("text", "textarea", "number", "integer", "boolean", "date", "choice", "multi", "user")
OTHER = "other"
NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
MAX_FIELDS = 200
MAX_CHOICES = 200
MAX_TITLE = 500
MAX_TEXT = 5000
MAX_VALUE = 100
_TYPE_KEYS = ("type", "format", "enum", ENUM_NAMES, "items", "uniqueItems")


@dataclass
class Choice:
    value: str
    label: str | None = None  # the Finnish label (None: the value is shown)


@dataclass
class FieldTexts:
    """A field's texts in one other language (empty: no translation)."""

    title: str = ""
    description: str = ""
    choices: list[str] = field(default_factory=list)


@dataclass
class FieldEdit:
    name: str
    original: str | None = None  # the property it was read from (None: a new field)
    title: str = ""
    kind: str = "text"
    required: bool = False
    description: str = ""
    visibility: str = ""  # "" = the form's class
    choices: list[Choice] = field(default_factory=list)
    translations: dict[str, FieldTexts] = field(default_factory=dict)

    def texts(self, lang: str) -> FieldTexts:
        return self.translations.setdefault(lang, FieldTexts())


@dataclass
class FormEdit:
    path: str
    based_on: int  # the version number the draft was read from
    title: str = ""
    title_translations: dict[str, str] = field(default_factory=dict)
    fields: list[FieldEdit] = field(default_factory=list)


# ---------------------------------------------------------------- schema -> edit


def kind_of(prop: dict[str, Any]) -> str:
    type_ = prop.get("type")
    if type_ == "array":
        items = prop.get("items")
        if isinstance(items, dict) and items.get("type") == "string" and _string_enum(items):
            return "multi"
        return OTHER
    if "enum" in prop:
        return "choice" if type_ in ("string", None) and _string_enum(prop) else OTHER
    if type_ in ("boolean", "integer", "number"):
        return str(type_)
    if type_ == "string":
        fmt = prop.get("format")
        if fmt == USER_FORMAT:
            return "user"
        if fmt in ("textarea", "date"):
            return str(fmt)
        return "text"
    return OTHER


def _string_enum(node: dict[str, Any]) -> bool:
    values = node.get("enum")
    return isinstance(values, list) and all(isinstance(v, str) for v in values)


def _choices_of(prop: dict[str, Any], kind: str) -> list[Choice]:
    node = prop.get("items") if kind == "multi" else prop
    if kind not in ("choice", "multi") or not isinstance(node, dict):
        return []
    names = node.get(ENUM_NAMES)
    names = names if isinstance(names, list) else []
    return [
        Choice(v, names[i] if i < len(names) and isinstance(names[i], str) else None)
        for i, v in enumerate(node.get("enum") or [])
    ]


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def read_field(
    name: str, prop: dict[str, Any], required: bool, catalogues: dict[str, dict[str, str]]
) -> FieldEdit:
    kind = kind_of(prop)
    edit = FieldEdit(
        name=name,
        original=name,
        title=_text(prop.get("title")),
        kind=kind,
        required=required,
        description=_text(prop.get("description")),
        visibility=_text(prop.get(VISIBILITY_KEYWORD)),
        choices=_choices_of(prop, kind),
    )
    for lang in TRANSLATED:
        cat = catalogues.get(lang, {})
        edit.translations[lang] = FieldTexts(
            cat.get(edit.title.strip(), ""),
            cat.get(edit.description.strip(), ""),
            [cat.get((c.label or "").strip(), "") for c in edit.choices],
        )
    return edit


def read_form(
    schema: dict[str, Any], path: str, based_on: int, catalogues: dict[str, dict[str, str]]
) -> FormEdit:
    """The form as the editor shows it; `catalogues`: language -> Finnish -> translation."""
    required = set(schema.get("required") or [])
    title = _text(schema.get("title"))
    return FormEdit(
        path=path,
        based_on=based_on,
        title=title,
        title_translations={
            lang: catalogues.get(lang, {}).get(title.strip(), "") for lang in TRANSLATED
        },
        fields=[
            read_field(name, prop, name in required, catalogues)
            for name, prop in (schema.get("properties") or {}).items()
            if isinstance(prop, dict)
        ],
    )


# ---------------------------------------------------------------- edit -> schema


def write_form(base: dict[str, Any], edit: FormEdit) -> dict[str, Any]:
    """The schema the edit makes of `base` (a copy). Check the edit first
    (`engine.workflow.form_draft_checks.check`): this writes what it is given."""
    schema = copy.deepcopy(base)
    _set_text(schema, "title", edit.title, _text(base.get("title")))
    old_props = base.get("properties") or {}
    props: dict[str, Any] = {}
    for f in edit.fields:
        if f.original is not None and isinstance(old_props.get(f.original), dict):
            props[f.name] = _write_field(copy.deepcopy(old_props[f.original]), f, base)
        else:
            props[f.name] = _write_field({}, f, base)
    kept = {k: v for k, v in old_props.items() if not isinstance(v, dict)}  # not fields: kept
    if "properties" in schema or props:
        schema["properties"] = {**props, **kept}
    _write_required(schema, base, edit)
    return schema


def _write_field(prop: dict[str, Any], f: FieldEdit, base: dict[str, Any]) -> dict[str, Any]:
    before = read_field(f.original or "", prop, False, {}) if prop else None
    old_kind = before.kind if before else None
    if f.kind != old_kind and f.kind != OTHER:
        prop = _retyped(prop, f)
    elif before is not None and f.kind in ("choice", "multi") and _changed(f.choices, before):
        node = prop["items"] if f.kind == "multi" else prop
        _write_choices(node, f.choices)
    _set_text(prop, "title", f.title, before.title if before else "")
    _set_text(prop, "description", f.description, before.description if before else "")
    if f.visibility != (before.visibility if before else ""):
        if f.visibility:
            prop[VISIBILITY_KEYWORD] = f.visibility
        else:
            prop.pop(VISIBILITY_KEYWORD, None)
    return prop


def _changed(choices: list[Choice], before: FieldEdit) -> bool:
    return [(c.value, c.label) for c in choices] != [(c.value, c.label) for c in before.choices]


def _set_text(node: dict[str, Any], key: str, value: str, before: str) -> None:
    if value.strip() == before.strip():
        return
    if value.strip():
        node[key] = value.strip()
    else:
        node.pop(key, None)


def _type_block(f: FieldEdit) -> dict[str, Any]:
    blocks: dict[str, dict[str, Any]] = {
        "text": {"type": "string"},
        "textarea": {"type": "string", "format": "textarea"},
        "number": {"type": "number"},
        "integer": {"type": "integer"},
        "boolean": {"type": "boolean"},
        "date": {"type": "string", "format": "date"},
        "user": {"type": "string", "format": USER_FORMAT},
        "choice": {"type": "string"},
        "multi": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
    }
    block = blocks[f.kind]
    if f.kind == "choice":
        _write_choices(block, f.choices)
    elif f.kind == "multi":
        _write_choices(block["items"], f.choices)
    return block


def _retyped(prop: dict[str, Any], f: FieldEdit) -> dict[str, Any]:
    """The property with its type keywords replaced by the new kind's, where the old ones were."""
    block = _type_block(f)
    result: dict[str, Any] = {}
    placed = False
    for key, value in prop.items():
        if key in _TYPE_KEYS:
            if not placed:
                result.update(block)
                placed = True
            continue
        result[key] = value
    if not placed:
        result = {**block, **result}
    return result


def _write_choices(node: dict[str, Any], choices: list[Choice]) -> None:
    node["enum"] = [c.value for c in choices]
    if any(c.label for c in choices):
        node[ENUM_NAMES] = [c.label or c.value for c in choices]
    else:
        node.pop(ENUM_NAMES, None)


def _write_required(schema: dict[str, Any], base: dict[str, Any], edit: FormEdit) -> None:
    old = [r for r in base.get("required") or [] if isinstance(r, str)]
    renamed = {f.original: f for f in edit.fields if f.original is not None}
    old_props = base.get("properties") or {}
    result: list[str] = []
    for name in old:
        if name in renamed:
            if renamed[name].required:
                result.append(renamed[name].name)
        elif name not in old_props:
            result.append(name)  # names no field: kept as it was
    result.extend(f.name for f in edit.fields if f.required and f.name not in result)
    if "required" in base or result:
        schema["required"] = result
