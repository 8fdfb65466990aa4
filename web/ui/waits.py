"""Awaited decisions and the follow-up review on the pages.

An awaited decision (Kela's, the employment services', a medical statement) is an item of the
worklist of the role that records it (`human_task.kind` 'wait'). `/tasks/<id>` opens it like a
task (`worklist.task_page` hands it over here): the decision's form, whose values go to the
path as the message's payload. The client page's "Waiting for" list (`_waiting.html`) offers
the path's case manager to bring the follow-up review forward or to postpone it, with a
reason (`POST /clients/<id>/paths/<id>/review-date`)."""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from engine.errors import InvalidInput
from engine.services import reviews, waits
from engine.services.access import Actor
from engine.services.queries import TaskView
from web.context import polku
from web.ui import blueprint, format_day, forms, people
from web.ui.client_pages import _render_client
from web.ui.model_texts import model_form

REVIEW_FORM = "review"  # the key of the review-date form's values and errors on the client page


def _actor() -> Actor:
    actor: Actor = g.actor
    return actor


def wait_page(task: TaskView) -> Response | tuple[str, int]:
    """GET and POST of `/tasks/<id>` for an awaited decision."""
    ctx, actor = polku(), _actor()
    schema: dict[str, Any] = task.form or {"type": "object"}
    if request.method == "GET":
        return _render(task, schema)
    parsed = forms.parse(schema, request.form)
    if parsed.errors:
        return _render(task, schema, parsed.raw, parsed.errors, 400)
    try:
        waits.record_decision(ctx.uow(), ctx.engine, ctx.clock, actor, task.id, parsed.data)
    except InvalidInput as exc:
        return _render(task, schema, parsed.raw, exc.errors, 400)
    flash(_("The decision “%(name)s” was recorded: the path goes on.", name=task.name), "success")
    return redirect(url_for("ui.worklist"))


def _render(
    task: TaskView,
    schema: dict[str, Any],
    raw: forms.Raw | None = None,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    actor = _actor()
    schema = model_form(getattr(task, "model_version_id", None), schema)  # reader's language
    form = forms.build(schema, raw, errors, users=sorted(people().items(), key=lambda u: u[1]))
    return render_template(
        "wait.html",
        task=task,
        form=form,
        form_title=schema.get("title"),
        # the one whose worklist holds it; the owning team's coordinators and the case manager
        may_record=task.state == "open" and task.may_work,
        claimed_by_other=bool(task.claimed_by and task.claimed_by != actor.username),
    ), status


@blueprint.post("/clients/<int:client_id>/paths/<int:instance_id>/review-date")
def reschedule_review(client_id: int, instance_id: int) -> Response | tuple[str, int]:
    """Bring the follow-up review forward or postpone it (the path's case manager)."""
    ctx = polku()
    values = {
        "due": request.form.get("due", "").strip(),
        "reason": request.form.get("reason", "").strip(),
    }
    try:
        due = reviews.reschedule_review(
            ctx.uow(), ctx.engine, ctx.clock, _actor(), instance_id, values["due"],
            values["reason"],
        )  # fmt: skip
    except InvalidInput as exc:
        key = (instance_id, REVIEW_FORM)
        return _render_client(client_id, forms={key: values}, errors={key: exc.errors})
    flash(_("The follow-up review is now due %(when)s.", when=format_day(due)), "success")
    anchor = f"waiting-{instance_id}"
    return redirect(url_for("ui.client_page", client_id=client_id, _anchor=anchor))
