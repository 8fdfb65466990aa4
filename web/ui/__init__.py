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
# a day as each locale writes it: 1.12.2026 in Finnish and Swedish, 1 Dec 2026 in English
DAY_FORMATS = {"sv_FI": "short"}  # sv_FI's medium is "1 dec. 2026"


def current_lang() -> str:
    from flask_babel import get_locale

    locale = get_locale()
    return locale.language if locale is not None else "fi"


def format_locale() -> str:
    """The locale the reader's dates and numbers are written in (fi_FI, sv_FI, en_GB)."""
    from web.extensions import regional

    return regional(current_lang())


def _timezone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("POLKU_TIMEZONE") or DEFAULT_TIMEZONE)


@blueprint.app_template_filter("when")
def format_when(value: datetime | date | None, style: str = "short") -> str:
    """A date and time in the reader's language, in Finnish time."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_datetime(value, format=style, tzinfo=_timezone(), locale=format_locale())
    return format_date(value, format=style, locale=format_locale())


@blueprint.app_template_filter("day")
def format_day(value: datetime | date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(_timezone()).date()
    locale = format_locale()
    return format_date(value, format=DAY_FORMATS.get(locale, "medium"), locale=locale)


@blueprint.app_template_filter("days")
def format_days(value: float | None) -> str:
    """A length of time in days, with one decimal (e.g. "3,5 vrk")."""
    if value is None:
        return ""
    number = format_decimal(value, format="#,##0.#", locale=format_locale())
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
    decision_tables,
    designer,
    designer_migration,
    designer_properties,
    designer_texts,
    diagrams,
    emergency,
    employment,
    errors,
    event_log,
    form_editor,
    ips_fidelity_page,
    metrics_page,
    model_texts,
    notes,
    people_admin,
    pilot_targets_page,
    plan,
    sla_targets,
    start_path,
    team,
    vendor,
    version_diff,
    worklist,
)

from web.ui import notifications_page  # noqa: E402,F401  # isort: skip  (notifications, settings)
from web.ui import conformance_page  # noqa: E402,F401  # isort: skip  (conformance)
from web.ui import feedback_page  # noqa: E402,F401  # isort: skip  (client feedback)
from web.ui import cost_benefit_page  # noqa: E402,F401  # isort: skip  (cost and benefit)
