"""Clients: the list, registering one, starting a path, and a client's page with its paths."""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from engine.errors import InvalidInput
from engine.services import (
    client_search,
    clients,
    instances,
    kykyviisari,
    organisations,
    queries,
    sessions,
    workspace,
)
from engine.services.access import Actor
from engine.services.client_page import read_client_page
from engine.services.path_notes import NoteView
from engine.services.queries import InstanceView
from engine.services.records import Submission
from web.context import polku
from web.ui import (
    blueprint,
    current_lang,
    employment_words,
    format_day,
    history,
    labels,
    people,
    records_pages,
)
from web.ui import messages as coded
from web.ui.auth import SESSION_KEY
from web.ui.charts import line_chart
from web.ui.model_texts import localise_path, model_forms
from web.ui.plan import revisions_of

CLIENT_FIELDS = ("full_name", "identity_code", "municipality", "consent_scope")
HISTORY_HIDDEN = frozenset({"element_completed"})  # shown with ?history=all

FormErrors = dict[str, list[str]]


def _actor() -> Actor:
    actor: Actor = g.actor
    return actor


# ---------------------------------------------------------------- the clients list


@blueprint.get("/clients")
def clients_page() -> tuple[str, int]:
    return _render_clients()


@blueprint.post("/clients")
def create_client() -> Response | tuple[str, int]:
    ctx = polku()
    values = {k: request.form.get(k, "").strip() for k in CLIENT_FIELDS}
    try:
        client_id = clients.create_client(
            ctx.uow(),
            ctx.clock,
            _actor(),
            full_name=values["full_name"],
            identity_code=values["identity_code"] or None,
            municipality=values["municipality"] or None,
            consent_scope=values["consent_scope"] or None,
        )
    except InvalidInput as exc:
        return _render_clients(values=values, errors=exc.errors, status=400)
    flash(_("Client registered."), "success")
    return redirect(url_for("ui.client_page", client_id=client_id))


@blueprint.post("/clients/search")
def search_clients() -> Response:
    """The search box: the text goes into the server-side session (its own, apart from the
    worklist's client filter), never into the address (addresses end up in server logs,
    browser history and Referer headers)."""
    text = "" if request.form.get("clear") else request.form.get("q", "").strip()
    if len(text) > client_search.MAX_TEXT:
        text = text[: client_search.MAX_TEXT]
    sessions.set_client_search(polku().uow(), _session_token(), text, of="clients")
    return redirect(url_for("ui.clients_page"), code=303)


def _session_token() -> str:
    return str(session.get(SESSION_KEY) or "")


def _render_clients(
    *,
    values: dict[str, str] | None = None,
    errors: FormErrors | None = None,
    start_values: dict[str, str] | None = None,
    start_errors: FormErrors | None = None,
    status: int = 200,
) -> tuple[str, int]:
    ctx, actor = polku(), _actor()
    text = sessions.client_search(ctx.uow(), _session_token(), of="clients")
    page = client_search.search_clients(
        ctx.uow(), ctx.clock, actor, text, cursor=request.args.get("cursor") or None
    )
    processes = queries.list_processes(ctx.uow()) if actor.coordinates else []
    start_values = start_values or {}
    chosen = start_values.get("client_id", "")
    if chosen and not any(str(c["id"]) == chosen for c in page.items):
        start_values = {**start_values, "client_id": ""}  # not on this page: choose again
    return render_template(
        "clients.html",
        owners=_owners(actor),
        clients=page.items,
        page=page,
        search=text,
        search_kind=labels.search_kind(page.kind),
        processes=processes,
        values=values or {},
        errors=labels.messages(errors),
        start_values=start_values,
        start_errors=labels.messages(start_errors),
    ), status


# ---------------------------------------------------------------- one client


@blueprint.get("/clients/<int:client_id>")
def client_page(client_id: int) -> tuple[str, int]:
    return _render_client(client_id)


@blueprint.post("/clients/<int:client_id>/paths/<int:instance_id>/case-manager")
def change_case_manager(client_id: int, instance_id: int) -> Response | tuple[str, int]:
    ctx = polku()
    values = {
        "username": request.form.get("username", "").strip(),
        "reason": request.form.get("reason", "").strip(),
    }
    try:
        instances.change_case_manager(
            ctx.uow(), ctx.clock, _actor(), instance_id, values["username"], values["reason"]
        )
    except InvalidInput as exc:
        return _render_client(
            client_id,
            forms={(instance_id, "case_manager"): values},
            errors={(instance_id, "case_manager"): exc.errors},
        )
    flash(_("The case manager was changed."), "success")
    return redirect(url_for("ui.client_page", client_id=client_id, _anchor=f"path-{instance_id}"))


@blueprint.post("/clients/<int:client_id>/paths/<int:instance_id>/messages")
def deliver_message(client_id: int, instance_id: int) -> Response | tuple[str, int]:
    ctx = polku()
    values = {
        "message_name": request.form.get("message_name", "").strip(),
        "decision": request.form.get("decision", "").strip(),
        "note": request.form.get("note", "").strip(),
    }
    key = (instance_id, "message:" + values["message_name"])
    try:
        if values["decision"] not in labels.DECISIONS:
            raise InvalidInput(
                "no decision", {"decision": [coded.REQUIRED]}, code="decision_missing"
            )
        instances.deliver_message(
            ctx.uow(),
            ctx.engine,
            ctx.clock,
            _actor(),
            instance_id,
            values["message_name"],
            {"decision": values["decision"], "note": values["note"]},
        )
    except InvalidInput as exc:
        return _render_client(client_id, forms={key: values}, errors={key: exc.errors})
    flash(_("The decision was recorded."), "success")
    return redirect(url_for("ui.client_page", client_id=client_id, _anchor=f"path-{instance_id}"))


CONSENT_FORM = (0, "consent")


@blueprint.post("/clients/<int:client_id>/consent/withdraw")
def withdraw_consent(client_id: int) -> Response | tuple[str, int]:
    ctx = polku()
    values = {"reason": request.form.get("reason", "").strip()}
    try:
        workspace.withdraw_consent(ctx.uow(), ctx.clock, _actor(), client_id, values["reason"])
    except InvalidInput as exc:
        return _render_client(
            client_id, forms={CONSENT_FORM: values}, errors={CONSENT_FORM: exc.errors}
        )
    flash(
        _(
            "The consent was withdrawn. Multi-organisation handling has stopped: the client's "
            "matter is handled within one organisation only."
        ),
        "success",
    )
    return redirect(url_for("ui.client_page", client_id=client_id, _anchor="consents-title"))


@blueprint.post("/clients/<int:client_id>/consent")
def give_consent(client_id: int) -> Response | tuple[str, int]:
    ctx = polku()
    values = {"scope": request.form.get("scope", "").strip()}
    try:
        workspace.give_consent(ctx.uow(), ctx.clock, _actor(), client_id, values["scope"])
    except InvalidInput as exc:
        return _render_client(
            client_id, forms={CONSENT_FORM: values}, errors={CONSENT_FORM: exc.errors}
        )
    flash(_("The consent was recorded: multi-organisation handling is possible."), "success")
    return redirect(url_for("ui.client_page", client_id=client_id, _anchor="consents-title"))


def _render_client(
    client_id: int,
    *,
    forms: dict[tuple[int, str], dict[str, str]] | None = None,
    errors: dict[tuple[int, str], FormErrors] | None = None,
    status: int | None = None,
) -> tuple[str, int]:
    ctx, actor = polku(), _actor()
    page = read_client_page(ctx.uow(), ctx.engine, ctx.clock, actor, client_id)
    show_all = request.args.get("history") == "all"
    paths = [
        _path(
            localise_path(v),
            page.plans.get(v.id, []),
            show_all,
            page.notes.get(v.id, []),
            model_forms(v.model_version_id, page.message_forms.get(v.id)),
        )
        for v in page.paths
    ]
    for p in paths:  # the employment events recorded on each path (web/ui/employment.py)
        p["employment"] = page.employment.get(p["view"].id, [])
    consents, series = page.consents, page.series
    processes = queries.list_processes(ctx.uow()) if actor.coordinates else []
    return render_template(
        "client.html",
        owners=_owners(actor),
        client=page.client,
        paths=paths,
        consents=consents,
        consent_in_force=next((c for c in consents if c["withdrawn_at"] is None), None),
        last_withdrawn=next((c for c in reversed(consents) if c["withdrawn_at"]), None),
        may_record_consent=bool(page.paths) or actor.coordinates,
        # the access report and the export: the same policy question (record keeping)
        may_export=page.record_keeping,
        may_report=page.record_keeping,
        series=series,
        chart=line_chart(series, format_day),
        results=page.results,  # Kykyviisari: work ability and its five areas (a table)
        kykyviisari_areas=kykyviisari_measures(),
        kykyviisari_url=kykyviisari.TOOL_URL,
        processes=processes,
        show_all=show_all,
        users=list(people().items()),
        forms=forms or {},
        errors={k: labels.messages(v) for k, v in (errors or {}).items()},
        note_classes={
            path: [(c, str(history.FIELD_CLASSES[c])) for c in classes]
            for path, classes in page.note_classes.items()
        },
        recorded=records_pages.recorded_views(page.recorded),
        correction_flags=page.flags,
        employment_kinds=employment_words.KINDS,
        employment_sectors=employment_words.SECTORS,
        describe_employment=employment_words.describe,
    ), status or (400 if errors else 200)


def _owners(actor: Actor) -> list[tuple[str, str]]:
    """The organisations the actor may start a path for, when there is a choice to make."""
    if not actor.coordinates:
        return []
    found = organisations.counties_of(polku().uow(), actor.organisations)
    return [(o.code, organisations.label(o, current_lang())) for o in found]


def _path(
    view: InstanceView,
    plans: list[Submission],
    show_all: bool,
    notes: list[NoteView],
    message_forms: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    words = history.Context(
        model_name=view.model_name, notes={n.id: n for n in notes}, message_forms=message_forms
    )
    return {
        "view": view,
        "plans": revisions_of(plans),
        "notes": notes,
        "sentences": {e["id"]: history.sentence(e, words) for e in view.history},
        "history": [e for e in view.history if show_all or e["kind"] not in HISTORY_HIDDEN],
        "hidden_steps": sum(1 for e in view.history if e["kind"] in HISTORY_HIDDEN),
        "may_change_case_manager": view.may_reassign,
        "may_record_decision": view.may_record_decision,
    }


def kykyviisari_measures() -> list[tuple[str, str]]:
    """Kykyviisari's measures in the table's order, with their names in the page's language."""
    names = {
        kykyviisari.WORK_ABILITY: _("Work ability"),
        "mental_wellbeing": _("Mental wellbeing"),
        "social_participation": _("Social participation"),
        "physical_functioning": _("Physical functioning"),
        "skills": _("Skills"),
        "everyday_coping": _("Everyday coping"),
    }
    return [(m, names[m]) for m in kykyviisari.MEASURES]
