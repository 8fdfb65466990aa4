"""Filled-in forms as readable documents: each answer under its label from the form's JSON
Schema, choices by their names (`x-enumNames`), dates and people in words, repeating groups as
tables. The support plan is arranged in the sections a–e of the national pathway."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from web.ui import format_day, person

# The support plan's structure (Iisalmi; DOMAIN.md §1, phase 3): section code, title, fields.
PLAN_SECTIONS: list[tuple[str, Any, list[str]]] = [
    (
        "a",
        _l("Starting situation"),
        ["partial_work_ability_types", "strengths", "challenges", "client_view"],
    ),
    ("b", _l("Main goal and sub-goals"), ["main_goal", "sub_goals"]),
    ("c", _l("Services, means and benefits"), ["services", "benefits"]),
    ("d", _l("Schedule"), ["schedule", "next_review_date"]),
    (
        "e",
        _l("Roles, coordination and follow-up"),
        ["roles_and_coordination", "follow_up_plan", "case_manager"],
    ),
]
CONCLUSION_FIELDS = ["conclusion"]


@dataclass
class Table:
    columns: list[str]
    rows: list[list[str]]


@dataclass
class Item:
    key: str
    label: str
    kind: str  # text | longtext | list | table | empty
    text: str = ""
    items: list[str] = field(default_factory=list)
    table: Table | None = None
    help: str | None = None


@dataclass
class Section:
    code: str
    title: str
    items: list[Item]


def item(key: str, prop: Mapping[str, Any], value: Any) -> Item:
    """One answer of a form, ready to show."""
    label = str(prop.get("title") or key)
    if value is None or value == "" or value == []:
        return Item(key, label, "empty", help=prop.get("description"))
    type_ = prop.get("type")
    if type_ == "array":
        items_schema = prop.get("items") or {}
        values = value if isinstance(value, list) else [value]
        if items_schema.get("type") == "object":
            props = items_schema.get("properties") or {}
            columns = [str(p.get("title") or k) for k, p in props.items()]
            rows = [
                [scalar(p, row.get(k)) for k, p in props.items()]
                for row in values
                if isinstance(row, Mapping)
            ]
            return Item(key, label, "table", table=Table(columns, rows))
        return Item(key, label, "list", items=[scalar(items_schema, v) for v in values])
    kind = "longtext" if prop.get("format") == "textarea" else "text"
    return Item(key, label, kind, text=scalar(prop, value))


def scalar(prop: Mapping[str, Any], value: Any) -> str:
    """One value in words."""
    if value is None or value == "":
        return ""
    if "enum" in prop:
        names = prop.get("x-enumNames") or []
        for member, name in zip(prop["enum"], names, strict=False):
            if member == value:
                return str(name)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    fmt = prop.get("format")
    if fmt == "date" and isinstance(value, str):
        try:
            return format_day(date.fromisoformat(value))
        except ValueError:
            return value
    if fmt == "polku-user" and isinstance(value, str):
        return person(value)
    if isinstance(value, list):
        return ", ".join(scalar(prop.get("items") or {}, v) for v in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


def plan_sections(schema: Mapping[str, Any] | None, data: Mapping[str, Any]) -> list[Section]:
    """The support plan in sections a–e, its conclusion, and anything else the form asked."""
    props: Mapping[str, Any] = (schema or {}).get("properties") or {}
    used: set[str] = set()
    sections = []
    for code, title, keys in [
        *PLAN_SECTIONS,
        ("conclusion", _l("Conclusion"), CONCLUSION_FIELDS),
    ]:
        present = [k for k in keys if k in props or k in data]
        used.update(keys)
        if present:
            items = [item(k, props.get(k) or {}, data.get(k)) for k in present]
            sections.append(Section(code, str(title), items))
    rest = [k for k in props if k not in used]
    rest += [k for k in data if k not in props and k not in used]
    if rest:
        items = [item(k, props.get(k) or {}, data.get(k)) for k in rest]
        sections.append(Section("other", _("Other information"), items))
    return sections
