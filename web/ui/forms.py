"""Task forms in HTML: a task's JSON Schema becomes field descriptions that the template
`_form.html` renders, and the posted form becomes the JSON data that schema describes.

Field names follow the schema's property names; a repeating group (an array of objects) names
its sub-fields `<group>-<row>-<field>` (e.g. `sub_goals-0-goal`). Error keys are the dotted
paths the engine uses (`sub_goals.0.goal`); rows are counted after empty rows are dropped, so the
rows shown again after an error line up with those paths.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from engine.errors import Text
from engine.workflow.forms import OTHER, USER_FORMAT
from web.ui import labels

EXTRA_ROWS = 2  # empty rows offered under a repeating group's entered rows
RADIO_LIMIT = 4  # a choice of at most this many options is shown as radio buttons
MAX_ROWS = 100  # rows read from one posted group at most
FORM_ERRORS = "_form"
NOT_A_NUMBER = Text("not_a_number", "Enter a number.")  # web.ui.message_texts words it

Raw = dict[str, Any]  # field key -> str | list[str] | list[Raw] (a group's rows)


@dataclass
class Option:
    value: str
    label: str
    id: str


@dataclass
class Row:
    legend: str
    fields: list[Field]
    errors: list[str] = field(default_factory=list)


@dataclass
class Field:
    key: str  # the property name in the schema
    name: str  # the HTML name
    path: str  # the dotted error path
    label: str
    widget: str  # text textarea date number select radios checkboxes lines group unsupported
    required: bool = False
    required_attr: bool = False  # whether the HTML `required` attribute is set
    help: str | None = None
    value: str = ""
    values: list[str] = field(default_factory=list)
    options: list[Option] = field(default_factory=list)
    attrs: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)

    @property
    def id(self) -> str:
        return "f-" + self.name

    @property
    def help_id(self) -> str:
        return self.id + "-help"

    @property
    def error_id(self) -> str:
        return self.id + "-error"

    @property
    def describedby(self) -> str:
        ids = [self.help_id] if self.help else []
        if self.errors:
            ids.append(self.error_id)
        return " ".join(ids)

    @property
    def anchor(self) -> str:
        """The id an error summary links to: the first control of the field."""
        if self.widget in ("radios", "checkboxes") and self.options:
            return self.options[0].id
        if self.widget == "group" and self.rows and self.rows[0].fields:
            return self.rows[0].fields[0].anchor
        return self.id


@dataclass
class SummaryItem:
    anchor: str
    label: str
    message: str


@dataclass
class RenderedForm:
    fields: list[Field]
    summary: list[SummaryItem]
    general: list[str]  # errors that belong to no field

    @property
    def has_errors(self) -> bool:
        return bool(self.summary or self.general)


@dataclass
class Parsed:
    data: dict[str, Any]
    raw: Raw
    errors: dict[str, list[str]]  # dotted path -> English messages (as the engine's)


def kind(prop: Mapping[str, Any]) -> str:
    """How a property is entered: one of the widget families below."""
    type_ = _type(prop)
    if type_ == "array":
        items = prop.get("items") or {}
        if _type(items) == "object":
            return "group"
        if "enum" in items:
            return "checkboxes"
        return "lines"
    if "enum" in prop:
        return "choice"
    if type_ == "boolean":
        return "boolean"
    if type_ in ("integer", "number"):
        return "number"
    if type_ == "object":
        return "unsupported"
    fmt = prop.get("format")
    if fmt == USER_FORMAT:
        return "user"
    if fmt in ("textarea", "date"):
        return str(fmt)
    return "text"


def _type(prop: Mapping[str, Any]) -> str | None:
    type_ = prop.get("type")
    if isinstance(type_, list):
        type_ = next((t for t in type_ if t != "null"), None)
    return type_ if isinstance(type_, str) else None


# ---------------------------------------------------------------- posted form -> JSON data


def parse(
    schema: Mapping[str, Any], form: MultiDict[str, str], *, keep_invalid: bool = False
) -> Parsed:
    """Read the posted fields the schema knows. Empty answers are left out; numbers that do not
    parse give the error "Enter a number." (the service is then not called). With
    `keep_invalid` (a draft) such an answer is kept in the data as the text typed."""
    data, raw, errors = _parse_object(schema, form, "", "", keep_invalid)
    return Parsed(data, raw, errors)


def _parse_object(
    schema: Mapping[str, Any],
    form: MultiDict[str, str],
    name_prefix: str,
    path_prefix: str,
    keep_invalid: bool = False,
) -> tuple[dict[str, Any], Raw, dict[str, list[str]]]:
    data: dict[str, Any] = {}
    raw: Raw = {}
    errors: dict[str, list[str]] = {}
    for key, prop in (schema.get("properties") or {}).items():
        name = f"{name_prefix}-{key}" if name_prefix else key
        path = f"{path_prefix}.{key}" if path_prefix else key
        family = kind(prop)
        if family == "group":
            rows_data, rows_raw, row_errors = _parse_group(prop, form, name, path, keep_invalid)
            raw[key] = rows_raw
            errors.update(row_errors)
            if rows_data:
                data[key] = rows_data
        elif family == "checkboxes":
            chosen = [v.strip() for v in form.getlist(name) if v.strip()]
            raw[key] = chosen
            if chosen:
                data[key] = [_enum_value(prop["items"], v) for v in chosen]
        elif family == "lines":
            text = form.get(name, "")
            raw[key] = text
            lines = [line.strip() for line in text.splitlines() if line.strip()]
            if lines:
                data[key] = lines
        elif family != "unsupported":
            text = form.get(name, "")
            text = text.replace("\r\n", "\n") if family == "textarea" else text.strip()
            raw[key] = text
            if not text.strip():
                continue
            value, error = _convert(family, prop, text)
            if error:
                errors.setdefault(path, []).append(error)
                if keep_invalid:
                    data[key] = text
            else:
                data[key] = value
    return data, raw, errors


def _parse_group(
    prop: Mapping[str, Any],
    form: MultiDict[str, str],
    name: str,
    path: str,
    keep_invalid: bool = False,
) -> tuple[list[dict[str, Any]], list[Raw], dict[str, list[str]]]:
    item = prop.get("items") or {}
    pattern = re.compile(rf"^{re.escape(name)}-(\d+)-")
    indices = sorted({int(m.group(1)) for k in form if (m := pattern.match(k))})[:MAX_ROWS]
    rows_data: list[dict[str, Any]] = []
    rows_raw: list[Raw] = []
    errors: dict[str, list[str]] = {}
    for index in indices:
        row_data, row_raw, row_errors = _parse_object(
            item, form, f"{name}-{index}", f"{path}.{len(rows_raw)}", keep_invalid
        )
        if not any(_filled(v) for v in row_raw.values()):
            continue  # a fully empty row is not an answer
        rows_data.append(row_data)
        rows_raw.append(row_raw)
        errors.update(row_errors)
    return rows_data, rows_raw, errors


def _filled(value: Any) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list):
        return any(_filled(v) for v in value)
    return value is not None


def _convert(family: str, prop: Mapping[str, Any], text: str) -> tuple[Any, str | None]:
    if family == "boolean":
        if text in ("true", "false"):
            return text == "true", None
        return None, OTHER
    if family == "number":
        cleaned = text.replace(",", ".").replace("\u2212", "-").replace(" ", "")
        try:
            if _type(prop) == "integer":
                if re.fullmatch(r"[+-]?\d+", cleaned):
                    return int(cleaned), None
                number = float(cleaned)
                return (int(number), None) if number.is_integer() else (None, NOT_A_NUMBER)
            number = float(cleaned)
        except (ValueError, OverflowError):
            return None, NOT_A_NUMBER
        if number != number or number in (float("inf"), float("-inf")):
            return None, NOT_A_NUMBER
        return (int(number) if number.is_integer() and "." not in cleaned else number), None
    if family == "choice":
        return _enum_value(prop, text), None
    return text, None


def _enum_value(prop: Mapping[str, Any], text: str) -> Any:
    """The enum member whose text form was posted (the posted text if none matches: the
    engine's validation then reports it)."""
    for member in prop.get("enum") or []:
        if _text(member) == text:
            return member
    return text


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def to_raw(schema: Mapping[str, Any], data: Mapping[str, Any] | None) -> Raw:
    """The form fields showing `data` (e.g. a saved draft): the reverse of `parse`. Values the
    schema does not know are left out; text kept from an invalid answer is shown as it is."""
    raw: Raw = {}
    if not isinstance(data, Mapping):
        return raw
    for key, prop in (schema.get("properties") or {}).items():
        if key not in data:
            continue
        value = data[key]
        family = kind(prop)
        if family == "group":
            item = prop.get("items") or {}
            rows = value if isinstance(value, list) else []
            raw[key] = [to_raw(item, row) for row in rows if isinstance(row, Mapping)]
        elif family == "checkboxes":
            raw[key] = [_text(v) for v in value] if isinstance(value, list) else []
        elif family == "lines":
            raw[key] = "\n".join(_text(v) for v in value) if isinstance(value, list) else ""
        elif family != "unsupported":
            raw[key] = _text(value)
    return raw


# ---------------------------------------------------------------- schema -> fields


def build(
    schema: Mapping[str, Any],
    raw: Raw | None = None,
    errors: Mapping[str, list[str]] | None = None,
    users: Iterable[tuple[str, str]] = (),
) -> RenderedForm:
    """Describe the schema's fields for the template, filled with `raw` (what was posted) and
    marked with `errors` (dotted path -> English messages, translated here)."""
    pending = labels.messages(errors)
    builder = _Builder(pending, list(users))
    fields = builder.fields(schema, raw, "", "", in_group=False)
    summary: list[SummaryItem] = []
    for f in fields:
        _collect(f, f.label, summary)
    general = pending.pop(FORM_ERRORS, [])
    for path, msgs in pending.items():  # errors for paths with no field of their own
        general.extend(f"{path}: {m}" for m in msgs)
    return RenderedForm(fields, summary, general)


def _collect(f: Field, label: str, summary: list[SummaryItem]) -> None:
    summary.extend(SummaryItem(f.anchor, label, m) for m in f.errors)
    for row in f.rows:
        summary.extend(SummaryItem(f.anchor, row.legend, m) for m in row.errors)
        for sub in row.fields:
            _collect(sub, f"{row.legend}: {sub.label}", summary)


class _Builder:
    def __init__(self, errors: dict[str, list[str]], users: list[tuple[str, str]]) -> None:
        self.errors = errors
        self.users = users

    def fields(
        self,
        schema: Mapping[str, Any],
        raw: Raw | None,
        name_prefix: str,
        path_prefix: str,
        *,
        in_group: bool,
    ) -> list[Field]:
        required = set(schema.get("required") or [])
        result = []
        for key, prop in (schema.get("properties") or {}).items():
            name = f"{name_prefix}-{key}" if name_prefix else key
            path = f"{path_prefix}.{key}" if path_prefix else key
            value = raw.get(key) if raw is not None else _initial(prop)
            result.append(self.field(key, prop, name, path, value, key in required, in_group))
        return result

    def field(
        self,
        key: str,
        prop: Mapping[str, Any],
        name: str,
        path: str,
        value: Any,
        required: bool,
        in_group: bool,
    ) -> Field:
        f = Field(
            key=key,
            name=name,
            path=path,
            label=str(prop.get("title") or key),
            widget="text",
            required=required,
            help=prop.get("description") or None,
            errors=self.errors.pop(path, []),
        )
        family = kind(prop)
        if family == "group":
            self._group(f, prop, value if isinstance(value, list) else [])
        elif family == "checkboxes":
            f.widget = "checkboxes"
            f.values = [str(v) for v in value] if isinstance(value, list) else []
            f.options = self._options(f, prop["items"])
        else:
            f.value = value if isinstance(value, str) else ""
            self._single(f, family, prop, in_group)
        f.required_attr = (
            required
            and not in_group
            and f.widget in ("text", "textarea", "date", "number", "select", "radios")
        )
        return f

    def _single(self, f: Field, family: str, prop: Mapping[str, Any], in_group: bool) -> None:
        if family == "boolean":
            yes_no = {"enum": [True, False], "x-enumNames": [_("Yes"), _("No")]}
            f.widget = "select" if in_group else "radios"
            f.options = self._options(f, yes_no, blank=in_group or not f.required)
        elif family == "choice":
            count = len(prop.get("enum") or [])
            f.widget = "radios" if count <= RADIO_LIMIT and not in_group else "select"
            blank = f.widget == "select" or not f.required
            f.options = self._options(f, prop, blank=blank)
        elif family == "user":
            f.widget = "select"
            users = list(self.users)
            if f.value and f.value not in {u for u, _n in users}:
                users.append((f.value, f.value))
            f.options = [Option("", _("— Choose —"), f.id + "-0")] + [
                Option(u, n, f"{f.id}-{i}") for i, (u, n) in enumerate(users, 1)
            ]
        elif family == "number":
            f.widget = "number"
            integer = _type(prop) == "integer"
            f.attrs = {
                "min": prop.get("minimum"),
                "max": prop.get("maximum"),
                "step": 1 if integer else "any",
                "inputmode": "numeric" if integer else "decimal",
            }
        elif family in ("textarea", "date", "lines", "unsupported"):
            f.widget = family
        else:
            f.widget = "text"
            f.attrs = {"maxlength": prop.get("maxLength"), "minlength": prop.get("minLength")}
            if prop.get("format") == "email":
                f.attrs["type"] = "email"
        if f.widget == "textarea":
            f.attrs = {"maxlength": prop.get("maxLength"), "minlength": prop.get("minLength")}
        f.attrs = {k: v for k, v in f.attrs.items() if v is not None}

    def _options(self, f: Field, prop: Mapping[str, Any], *, blank: bool = False) -> list[Option]:
        members = list(prop.get("enum") or [])
        names = prop.get("x-enumNames") or []
        options = []
        if blank:
            text = _("— Choose —") if f.widget in ("select", "checkboxes") else _("No answer")
            options.append(Option("", text, ""))
        for member, label in zip(
            members, [*names, *[None] * (len(members) - len(names))], strict=False
        ):
            options.append(Option(_text(member), str(label if label is not None else member), ""))
        if blank and f.widget == "radios":
            options.append(options.pop(0))  # "no answer" goes last among the radios
        for i, option in enumerate(options):
            option.id = f"{f.id}-{i}"
        return options

    def _group(self, f: Field, prop: Mapping[str, Any], rows: list[Raw]) -> None:
        f.widget = "group"
        item = prop.get("items") or {}
        title = str(item.get("title") or f.label)
        for index, row_raw in enumerate([*rows, *[{}] * EXTRA_ROWS]):
            row_path = f"{f.path}.{index}"
            row = Row(
                legend=f"{title} {index + 1}",
                fields=self.fields(item, row_raw, f"{f.name}-{index}", row_path, in_group=True),
                errors=self.errors.pop(row_path, []),
            )
            f.rows.append(row)


def _initial(prop: Mapping[str, Any]) -> Any:
    """The value a field starts with: the schema's default, if it has one."""
    if "default" not in prop:
        return None
    default = prop["default"]
    if isinstance(default, list):
        return [_text(v) for v in default]
    return _text(default)
