"""My worklist and the task pages: claim, release, fill in and complete a task."""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from engine.errors import InvalidInput
from engine.services import instances, queries
from engine.services.access import Actor
from engine.services.queries import TaskView
from engine.workflow import forms as schema_forms
from web.context import polku
from web.ui import blueprint, forms, people
from web.ui.auth import safe_next


def _actor() -> Actor:
    actor: Actor = g.actor
    return actor


def _role_choices(actor: Actor) -> list[str]:
    return polku().engine.roles.codes if actor.is_admin else sorted(actor.roles)


@blueprint.get("/")
def worklist() -> str:
    ctx, actor = polku(), _actor()
    choices = _role_choices(actor)
    role = request.args.get("role") or None
    if role not in choices:
        role = None
    mine = request.args.get("mine") == "1"
    tasks = queries.list_tasks(
        ctx.uow(), ctx.clock, actor, role=role, assignee=actor.username if mine else None
    )
    return render_template("worklist.html", tasks=tasks, role_choices=choices, role=role, mine=mine)


@blueprint.post("/tasks/<task_id>/claim")
def claim_task(task_id: str) -> Response:
    ctx = polku()
    instances.claim_task(ctx.uow(), ctx.clock, _actor(), task_id)
    flash(_("You claimed the task."), "success")
    return redirect(safe_next(request.form.get("next")) or url_for("ui.task_page", task_id=task_id))


@blueprint.post("/tasks/<task_id>/release")
def release_task(task_id: str) -> Response:
    ctx = polku()
    instances.claim_task(ctx.uow(), ctx.clock, _actor(), task_id, release=True)
    flash(_("You released the task."), "success")
    return redirect(safe_next(request.form.get("next")) or url_for("ui.task_page", task_id=task_id))


@blueprint.route("/tasks/<task_id>", methods=["GET", "POST"])
def task_page(task_id: str) -> Response | tuple[str, int]:
    ctx, actor = polku(), _actor()
    task = queries.get_task(ctx.uow(), ctx.engine, ctx.clock, actor, task_id)
    schema: dict[str, Any] = task.form or {"type": "object"}
    if request.method == "GET":
        return _render(task, schema)
    parsed = forms.parse(schema, request.form)
    if request.form.get("more_rows"):  # only more empty rows asked for: nothing is saved
        return _render(task, schema, parsed.raw)
    if parsed.errors:
        # Show the schema's other complaints at once too; the service is not called.
        errors = {**schema_forms.validate(schema, parsed.data), **parsed.errors}
        return _render(task, schema, parsed.raw, errors, 400)
    try:
        instances.complete_task(ctx.uow(), ctx.engine, ctx.clock, actor, task_id, parsed.data)
    except InvalidInput as exc:
        return _render(task, schema, parsed.raw, exc.errors, 400)
    flash(_("Task “%(name)s” completed.", name=task.name), "success")
    return redirect(url_for("ui.client_page", client_id=task.client_id))


def may_work_on(actor: Actor, task: TaskView) -> bool:
    """Whether the actor may claim and complete the task (the service decides in the end)."""
    if task.assignee:
        return task.assignee == actor.username
    return task.role in actor.roles


def _render(
    task: TaskView,
    schema: dict[str, Any],
    raw: forms.Raw | None = None,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    actor = _actor()
    form = forms.build(schema, raw, errors, users=sorted(people().items(), key=lambda u: u[1]))
    claimed_by_other = bool(task.claimed_by and task.claimed_by != actor.username)
    return render_template(
        "task.html",
        task=task,
        form=form,
        form_title=schema.get("title"),
        may_work=may_work_on(actor, task),
        claimed_by_other=claimed_by_other,
    ), status
