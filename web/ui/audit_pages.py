"""The client's access report in the browser (a page that prints well, and CSV) and the
supervisors' list of unusual access. The services decide who may see what and log it; this
module reads the form, asks them and renders."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response as WerkzeugResponse

from engine.errors import InvalidInput
from engine.services import access, access_report, access_review
from engine.services.access import Actor
from engine.services.access_review import Finding
from web.context import polku
from web.ui import blueprint, current_lang, format_day, labels, role_label

FormErrors = dict[str, list[str]]
ACTIONS = {
    "read": _l("Read"),
    "create": _l("Created"),
    "update": _l("Changed"),
    "disclose": _l("Disclosed"),
    "delete": _l("Removed"),
}
KINDS = {
    "emergency": _l("Emergency opening"),
    "burst": _l("Many clients in a short time"),
    "night": _l("Read at night"),
    "closed": _l("Read of a closed path"),
}
SUPERVISOR_ROLE = access.SUPERVISOR_ROLE


def _actor() -> Actor:
    actor: Actor = g.actor
    return actor


def _field_messages(errors: FormErrors) -> FormErrors:
    """The services' field messages in the reader's language (by their codes)."""
    return labels.messages(errors)


@blueprint.app_context_processor
def _audit_globals() -> dict[str, Any]:
    actor: Actor | None = g.get("actor")
    return {
        "reviews_unusual_access": actor is not None and access.reviews_unusual_access(actor),
        "access_action_label": lambda code: ACTIONS.get(code, code),
        "finding_kind_label": lambda code: KINDS.get(code, code),
        "finding_description": finding_description,
    }


def finding_description(f: Finding) -> str:
    if f.kind == "emergency":
        return _("Opened the path in an emergency. Reason: %(reason)s", reason=f.reason or "")
    if f.kind == "burst":
        return _("Read %(clients)s clients within an hour (%(reads)s reads).",
                 clients=len(f.client_pseudonyms), reads=f.reads)  # fmt: skip
    if f.kind == "night":
        return _("Read the client’s records at night, 22–06 Finnish time (%(reads)s reads).",
                 reads=f.reads)  # fmt: skip
    return _("Read the path after it was closed on %(day)s (%(reads)s reads).",
             day=format_day(f.closed_at), reads=f.reads)  # fmt: skip


# ---------------------------------------------------------------- the client's access report


def _period() -> tuple[dict[str, str], date | None, date | None, FormErrors]:
    values = {k: (request.args.get(k) or "").strip() for k in ("from", "to")}
    days: dict[str, date | None] = {}
    errors: FormErrors = {}
    for name, text in values.items():
        try:
            days[name] = date.fromisoformat(text) if text else None
        except ValueError:
            days[name] = None
            errors[name] = [_("Give a date (YYYY-MM-DD).")]
    return values, days["from"], days["to"], errors


def _report(client_id: int) -> tuple[access_report.AccessReport | None, dict[str, str], FormErrors]:
    ctx = polku()
    values, since, until, errors = _period()
    if errors:
        access_report.require_basis(ctx.uow(), ctx.clock, _actor(), client_id)
        return None, values, errors
    try:
        made = access_report.access_report(
            ctx.uow(), ctx.clock, _actor(), client_id, since, until, language=current_lang()
        )
    except InvalidInput as exc:
        return None, values, _field_messages(exc.errors)
    return made, values, {}


@blueprint.get("/clients/<int:client_id>/access-report")
def access_report_page(client_id: int) -> tuple[str, int]:
    made, values, errors = _report(client_id)
    return render_template(
        "access_report.html",
        client_id=client_id,
        report=made,
        values=values,
        errors=errors,
        query={k: v for k, v in values.items() if v},
    ), 400 if errors else 200


@blueprint.get("/clients/<int:client_id>/access-report.csv")
def access_report_csv(client_id: int) -> Response | tuple[str, int]:
    made, values, errors = _report(client_id)
    if made is None:
        return render_template(
            "access_report.html", client_id=client_id, report=None, values=values,
            errors=errors, query={},
        ), 400  # fmt: skip
    headers = (_("When"), _("Username"), _("Name"), _("Organisation"), _("Roles"), _("Action"),
               _("Resource"), _("Detail"), _("Basis"), _("Outcome"))  # fmt: skip
    text = access_report.to_csv(
        made,
        headers=headers,
        role_label=role_label,
        outcome_label=lambda ok: _("Allowed") if ok else _("Refused"),
    )
    name = f"access-report-{made.client_pseudonym}-{made.period_from}-{made.period_to}.csv"
    response = Response("\ufeff" + text, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


# ---------------------------------------------------------------- unusual access


def _review_filters() -> dict[str, Any]:
    days = (request.values.get("days") or "").strip()
    return {
        "kind": (request.values.get("kind") or "").strip(),
        "reviewed": request.values.get("reviewed") == "1",
        "days": days,
        # not a number: -1, which the service refuses (naming the field)
        "since_days": (int(days) if days.isdigit() else -1) if days else access_review.DEFAULT_DAYS,
    }


@blueprint.get("/access-review")
def access_review_page() -> tuple[str, int]:
    return _render_review()


@blueprint.post("/access-review/<finding>/review")
def review_finding(finding: str) -> WerkzeugResponse | tuple[str, int]:
    ctx, filters = polku(), _review_filters()
    values = {"note": request.form.get("note", "").strip()}
    try:
        access_review.mark_reviewed(
            ctx.uow(), ctx.clock, _actor(), finding, values["note"],
            since_days=filters["since_days"],
        )  # fmt: skip
    except InvalidInput as exc:
        return _render_review(values={finding: values}, errors={finding: exc.errors})
    flash(_("The finding was marked reviewed."), "success")
    query: dict[str, Any] = {
        "kind": filters["kind"] or None,
        "reviewed": "1" if filters["reviewed"] else None,
        "days": filters["days"] or None,
    }
    return redirect(url_for("ui.access_review_page", **query))


def _render_review(
    *,
    values: dict[str, dict[str, str]] | None = None,
    errors: dict[str, FormErrors] | None = None,
) -> tuple[str, int]:
    ctx, filters = polku(), _review_filters()
    filter_errors: FormErrors = {}
    try:
        found = access_review.unusual_access(
            ctx.uow(), ctx.clock, _actor(), filters["since_days"], filters["reviewed"],
            kind=filters["kind"] or None,
        )  # fmt: skip
    except InvalidInput as exc:
        filter_errors = _field_messages(exc.errors)
        found = access_review.unusual_access(ctx.uow(), ctx.clock, _actor())
    findings = list(found.findings)
    return render_template(
        "access_review.html",
        result=found,
        open_items=[f for f in findings if not f.reviewed],
        reviewed_items=[f for f in findings if f.reviewed],
        filters=filters,
        filter_errors=filter_errors,
        kinds=KINDS,
        values=values or {},
        errors={k: _field_messages(v) for k, v in (errors or {}).items()},
    ), 400 if errors or filter_errors else 200
