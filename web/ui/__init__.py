"""Server-rendered pages for professionals: worklist, task forms, clients and their paths.

Finnish by default, English and Swedish selectable (`/lang/<code>`). The views stay thin: each
calls one or two services and renders a template; forms generated from JSON Schema live in
`web.ui.forms`, readable documents of filled-in forms in `web.ui.documents`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from flask import Blueprint, current_app, g, request
from flask_babel import ngettext

from web.ui import labels

blueprint = Blueprint("ui", __name__)

DEFAULT_TIMEZONE = "Europe/Helsinki"


def current_lang() -> str:
    from flask_babel import get_locale

    locale = get_locale()
    return locale.language if locale is not None else "fi"


def _timezone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("POLKU_TIMEZONE") or DEFAULT_TIMEZONE)


@blueprint.app_template_filter("when")
def format_when(value: datetime | date | None, style: str = "short") -> str:
    """A date and time in the reader's language, in Finnish time."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_datetime(value, format=style, tzinfo=_timezone(), locale=current_lang())
    return format_date(value, format=style, locale=current_lang())


@blueprint.app_template_filter("day")
def format_day(value: datetime | date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(_timezone()).date()
    return format_date(value, format="medium", locale=current_lang())


@blueprint.app_template_filter("days")
def format_days(value: float | None) -> str:
    """A length of time in days, with one decimal (e.g. "3,5 vrk")."""
    if value is None:
        return ""
    number = format_decimal(value, format="#,##0.#", locale=current_lang())
    return ngettext("%(days)s day", "%(days)s days", 1 if value == 1 else 2, days=number)


@blueprint.app_context_processor
def _globals() -> dict[str, Any]:
    return {
        "current_lang": current_lang(),
        "actor": g.get("actor"),
        "role_label": role_label,
        "person": person,
        "labels": labels,
        "languages": current_app.config.get("LANGUAGES", ["fi", "en", "sv"]),
        "here": request.full_path.removesuffix("?"),
    }


def role_label(code: str | None) -> str:
    from web.context import polku

    return polku().engine.roles.label(code, current_lang())


def people() -> dict[str, str]:
    """Username -> display name of active users, read once per request."""
    if "people" not in g:
        from engine.services import users
        from web.context import polku

        g.people = users.display_names(polku().uow())
    return dict(g.people)


def person(username: str | None) -> str:
    if not username:
        return ""
    if username == "system":
        return str(labels.SYSTEM)
    return people().get(username, username)


from web.ui import (  # noqa: E402,F401  (registers routes)
    audit_pages,
    auth,
    client_data,
    client_pages,
    dashboard,
    designer,
    diagrams,
    emergency,
    errors,
    event_log,
    metrics_page,
    people_admin,
    plan,
    sla_targets,
    team,
    vendor,
    worklist,
)
