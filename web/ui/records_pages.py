"""Reading the path on the pages: a completed task's entry (`/tasks/<id>` of a completed task:
what was recorded, read-only, with its revisions), its correction form, the earlier entries
beside an open task's form and the values it starts with, and the client page's "recorded so
far" by phase. The services decide who sees and corrects what, and log it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from engine.errors import InvalidInput
from engine.services import corrections, entries, queries
from engine.services.access import Actor
from engine.services.entries import Entry, TaskContext
from engine.services.queries import TaskView
from engine.services.records import Submission
from web.context import polku
from web.ui import blueprint, forms, labels, people
from web.ui.documents import Item, item
from web.ui.errors import error_page
from web.ui.model_texts import localise_task, model_form


def _actor() -> Actor:
    actor: Actor = g.actor
    return actor


def items_of(s: Submission, version_id: int | None = None) -> list[Item]:
    """An entry's answers under the form's labels, in the form's order (choices by name)."""
    schema = model_form(version_id, s.form or {})
    props: dict[str, Any] = schema.get("properties") or {}
    keys = [*props, *(k for k in s.data if k not in props)]
    return [item(k, props.get(k) or {}, s.data.get(k)) for k in keys]


def labels_of(s: Submission, names: list[str], version_id: int | None = None) -> list[str]:
    props = (model_form(version_id, s.form or {}).get("properties")) or {}
    return [str((props.get(n) or {}).get("title") or n) for n in names]


@dataclass
class PhaseGroup:
    phase: str | None
    label: str
    entries: list[tuple[Submission, list[Item]]]


def recorded_by_phase(shown: list[Submission]) -> list[PhaseGroup]:
    """A path's entries grouped by the five phases (in their order), then any without one."""
    groups = []
    for phase in [*labels.PHASES, None]:
        found = [(s, items_of(s)) for s in shown if s.phase == phase]
        if found:
            label = labels.phase(phase) if phase else _("Other steps")
            groups.append(PhaseGroup(phase, str(label), found))
    return groups


def recorded_views(recorded: dict[int, list[Submission]]) -> dict[int, list[PhaseGroup]]:
    """The client page's "recorded so far", by path."""
    return {path: recorded_by_phase(shown) for path, shown in recorded.items()}


# ---------------------------------------------------------------- beside an open form


def beside_form(task: TaskView) -> TaskContext:
    """The earlier entries beside the open task's form (kept for the template in `g`) and
    the values the form starts with."""
    ctx = polku()
    context = entries.task_context(ctx.uow(), ctx.engine, ctx.clock, _actor(), task.id)
    g.beside_form = {
        "entries": [(s, items_of(s)) for s in context.earlier],
        "open_phases": context.open_phases,
    }
    return context


def prefilled(schema: dict[str, Any], context: TaskContext) -> forms.Raw | None:
    return forms.to_raw(schema, context.prefill) if context.prefill else None


# ---------------------------------------------------------------- a completed task's entry


def has_entry(task_id: str) -> bool:
    return entries.has_entry(polku().uow(), task_id)


def entry_page(task: TaskView, revision: int | None = None) -> tuple[str, int]:
    ctx = polku()
    entry = entries.read_entry(ctx.uow(), ctx.engine, ctx.clock, _actor(), task_id=task.id)
    number = request.args.get("revision", type=int) if revision is None else revision
    if number is not None and not 1 <= number <= len(entry.revisions):
        number = None
    shown = entry.revisions[number - 1].entry if number else entry.current
    return render_template(
        "task_record.html",
        task=task,
        entry=entry,
        shown=shown,
        shown_number=number or len(entry.revisions),
        items=items_of(shown, task.model_version_id),
        changed={
            r.number: labels_of(r.entry, r.changed, task.model_version_id) for r in entry.revisions
        },
        decided={
            r.number: labels_of(r.entry, r.decided_fields, task.model_version_id)
            for r in entry.revisions
        },
    ), 200


@blueprint.route("/tasks/<task_id>/correct", methods=["GET", "POST"])
def correct_entry(task_id: str) -> Response | tuple[str, int]:
    ctx, actor = polku(), _actor()
    task = localise_task(queries.get_task(ctx.uow(), ctx.engine, ctx.clock, actor, task_id))
    entry = entries.read_entry(ctx.uow(), ctx.engine, ctx.clock, actor, task_id=task_id)
    if not entry.may_correct or entry.form is None:
        return error_page(
            403,
            _("Access denied"),
            _("Only the author of the entry or their supervisor can correct it."),
        )
    # the fields the corrector sees (those they do not are kept as they are)
    schema = entry.current.form or entry.form
    if request.method == "GET":
        return _render(task, entry, schema, forms.to_raw(schema, entry.current.data), "")
    reason = request.form.get("correction_reason", "").strip()
    parsed = forms.parse(schema, request.form)
    if request.form.get("more_rows"):
        return _render(task, entry, schema, parsed.raw, reason)
    if parsed.errors:
        return _render(task, entry, schema, parsed.raw, reason, parsed.errors, 400)
    current = request.form.get("correction_revision", type=int) or entry.current.id
    try:
        corrections.correct_entry(
            ctx.uow(), ctx.engine, ctx.clock, actor, current, parsed.data, reason
        )
    except InvalidInput as exc:
        return _render(task, entry, schema, parsed.raw, reason, exc.errors, 400)
    flash(_("The entry was corrected. The earlier version is kept as a revision."), "success")
    return redirect(url_for("ui.task_page", task_id=task_id, _anchor="revisions-title"))


def _render(
    task: TaskView,
    entry: Entry,
    schema: dict[str, Any],
    raw: forms.Raw | None,
    reason: str,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    own = labels.messages(errors)  # the correction's own messages are coded (message_texts)
    reason_errors = own.pop("reason", [])
    form = forms.build(
        model_form(task.model_version_id, schema),
        raw,
        own,
        users=sorted(people().items(), key=lambda u: u[1]),
    )
    return render_template(
        "task_correct.html",
        task=task,
        entry=entry,
        form=form,
        reason=reason,
        reason_errors=reason_errors,
        reason_max=corrections.REASON_MAX,
    ), status
