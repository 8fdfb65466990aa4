"""The client's own pages: my path, my support plan, my tasks, my consent, who has processed
my data, my data as a download, and asking for a correction. Each calls the engine's services
with the client as the actor; the access policy decides and the services log."""

from __future__ import annotations

import json
from typing import Any

from flask import Response as FlaskResponse
from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from engine.errors import Conflict, InvalidInput, NotFound
from engine.services import access_report, client_export, client_self, instances
from engine.services.access_client import USERNAME_PREFIX
from engine.services.workspace import give_consent, withdraw_consent
from engine.workflow import forms as schema_forms
from web.context import polku
from web.oma import actor, blueprint, words
from web.ui import documents, forms, labels
from web.ui.model_texts import model_form, model_text

REASON_MAX = 500


def _context(**values: Any) -> dict[str, Any]:
    return {"words": words, "client_name": g.get("client_name"), "model_text": model_text,
            **values}  # fmt: skip


@blueprint.get("")
def home() -> str:
    ctx = polku()
    page = client_self.my_page(ctx.uow(), ctx.engine, ctx.clock, actor())
    return render_template("oma/home.html", **_context(page=page))


def _own_path(instance_id: int) -> client_self.MyPath:
    ctx = polku()
    page = client_self.my_page(ctx.uow(), ctx.engine, ctx.clock, actor())
    found = next((p for p in page.paths if p.id == instance_id), None)
    if found is None:
        raise NotFound("no such path", code="instance_not_found",
                       params={"instance_id": instance_id})  # fmt: skip
    return found


@blueprint.get("/suunnitelma/<int:instance_id>")
def plan(instance_id: int) -> str:
    ctx = polku()
    revision = client_self.my_plan(ctx.uow(), ctx.engine, ctx.clock, actor(), instance_id)
    form = revision.form if revision is not None else None
    if revision is not None and form is not None:
        version = _version_of(instance_id)
        form = model_form(version, form)
    sections = documents.plan_sections(form, revision.data) if revision is not None else []
    return render_template(
        "oma/plan.html",
        **_context(revision=revision, sections=sections, instance_id=instance_id),
    )


def _version_of(instance_id: int) -> int | None:
    from engine.persistence.tables import ProcessInstance

    with polku().uow() as uow:
        found = uow.session.get(ProcessInstance, instance_id)
        return found.model_version_id if found is not None else None


@blueprint.get("/tehtavat")
def tasks() -> str:
    ctx = polku()
    found = client_self.my_tasks(ctx.uow(), ctx.clock, actor())
    return render_template("oma/tasks.html", **_context(tasks=found))


@blueprint.route("/tehtavat/<task_id>", methods=["GET", "POST"])
def task(task_id: str) -> Response | tuple[str, int]:
    ctx, me = polku(), actor()
    own = client_self.my_task(ctx.uow(), ctx.engine, ctx.clock, me, task_id)
    schema: dict[str, Any] = own.form or {"type": "object"}
    if request.method == "GET":
        return _task_page(own, schema)
    parsed = forms.parse(schema, request.form)
    if request.form.get("more_rows"):
        return _task_page(own, schema, parsed.raw)
    if parsed.errors:
        errors = {**schema_forms.validate(schema, parsed.data), **parsed.errors}
        return _task_page(own, schema, parsed.raw, errors, 400)
    try:
        instances.complete_task(ctx.uow(), ctx.engine, ctx.clock, me, task_id, parsed.data)
    except InvalidInput as exc:
        return _task_page(own, schema, parsed.raw, exc.errors, 400)
    flash(_("Thank you. Your answer was saved."), "success")
    return redirect(url_for("oma.home"))


def _task_page(
    own: client_self.OwnTask,
    schema: dict[str, Any],
    raw: forms.Raw | None = None,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    shown = model_form(own.model_version_id, schema)
    form = forms.build(shown, raw, errors)
    return render_template(
        "oma/task.html", **_context(task=own, form=form, form_title=shown.get("title"))
    ), status


@blueprint.route("/suostumus", methods=["GET", "POST"])
def consent() -> Response | tuple[str, int]:
    ctx, me = polku(), actor()
    error = None
    if request.method == "POST":
        assert me.client_id is not None
        try:
            if request.form.get("action") == "withdraw":
                reason = request.form.get("reason", "").strip()[:REASON_MAX]
                reason = reason or _("The client withdrew the consent themself.")
                withdraw_consent(ctx.uow(), ctx.clock, me, me.client_id, reason)
                flash(_("Your consent was withdrawn. It is in effect now."), "success")
            else:
                give_consent(ctx.uow(), ctx.clock, me, me.client_id, str(_scope()))
                flash(_("Your consent was saved. It is in effect now."), "success")
            return redirect(url_for("oma.consent"))
        except Conflict:
            error = _("This was done already. See the situation below.")
    page = client_self.my_page(ctx.uow(), ctx.engine, ctx.clock, me)
    return render_template(
        "oma/consent.html", **_context(page=page, scope=_scope(), error=error)
    ), (409 if error else 200)


def _scope() -> str:
    return _(
        "My work ability support: the wellbeing services county, the employment services and "
        "Kela may handle my information together."
    )


@blueprint.get("/tietoni")
def my_data() -> str:
    ctx, me = polku(), actor()
    assert me.client_id is not None
    from web.ui import current_lang

    report = access_report.access_report(
        ctx.uow(), ctx.clock, me, me.client_id, language=current_lang()
    )
    return render_template(
        "oma/my_data.html", **_context(report=report, me=me.username, prefix=USERNAME_PREFIX)
    )


@blueprint.get("/tietoni/lataa")
def download() -> FlaskResponse:
    ctx, me = polku(), actor()
    assert me.client_id is not None
    data = client_export.export_client(
        ctx.uow(), ctx.engine, ctx.clock, me, me.client_id, medium="a download by the client"
    )
    body = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    return FlaskResponse(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="polku-tietoni.json"'},
    )


@blueprint.route("/polut/<int:instance_id>/korjaus", methods=["GET", "POST"])
def correction(instance_id: int) -> Response | tuple[str, int]:
    path = _own_path(instance_id)
    errors: dict[str, list[str]] = {}
    text = ""
    if request.method == "POST":
        text = request.form.get("text", "")
        ctx = polku()
        try:
            told = client_self.request_correction(ctx.uow(), ctx.clock, actor(), instance_id, text)
        except InvalidInput as exc:
            errors = labels.messages(exc.errors)
        else:
            flash(
                _("Your request was sent to your case manager.")
                if told
                else _("Your request was saved. Your team sees it on your path."),
                "success",
            )
            return redirect(url_for("oma.home"))
    return render_template(
        "oma/correction.html", **_context(path=path, text=text, errors=errors)
    ), (400 if errors else 200)
