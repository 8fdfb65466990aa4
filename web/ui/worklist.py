"""My worklist and the task pages: views with counts, sorting and filters; claim, release, hand
over to a colleague, save a draft, fill in and complete a task."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from babel.numbers import format_decimal
from flask import flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from engine.errors import InvalidInput
from engine.services import access, instances, queries, sessions, users, workspace
from engine.services import worklist as worklist_pages
from engine.services.access import Actor
from engine.services.queries import TaskView
from engine.workflow import forms as schema_forms
from web.context import polku
from web.ui import blueprint, current_lang, forms, labels, people, records_pages
from web.ui import messages as coded
from web.ui import waits as wait_pages
from web.ui.auth import SESSION_KEY, safe_next
from web.ui.errors import error_page
from web.ui.model_texts import (
    localise_task,
    localise_tasks,
    model_documentation,
    model_form,
    model_text,
)

# view code -> (title, what it holds); the counts come from queries.task_counts.
VIEWS: dict[str, tuple[Any, Any]] = {
    "all": (_l("All my tasks"), _l("Tasks assigned to you and tasks open to your roles.")),
    "mine": (_l("Assigned to me"), _l("Tasks assigned to you by name and tasks you claimed.")),
    "role": (_l("My roles' tasks"), _l("Tasks open to anyone holding one of your roles.")),
    "overdue": (_l("Overdue"), _l("Tasks past their due date.")),
}
# sort code -> (column title, direction of the order the engine gives)
SORTS: dict[str, tuple[Any, str]] = {
    "due": (_l("Due date"), "ascending"),
    "created": (_l("Created"), "ascending"),
    "step": (_l("Step"), "ascending"),
    "client": (_l("Client"), "ascending"),
    "waiting": (_l("Waiting time"), "descending"),
}
DEFAULT_VIEW, DEFAULT_SORT = "all", "due"
PAGE_SIZE = 50  # tasks on a page of the worklist
# The client search is a name: it is kept with the server-side session, never in the address
# (addresses end up in server logs, browser history and Referer headers) nor in the cookie.
REASON_MAX = 500


def _actor() -> Actor:
    actor: Actor = g.actor
    return actor


def _role_choices(actor: Actor) -> list[str]:
    return polku().engine.roles.codes if actor.is_admin else sorted(actor.roles)


@dataclass
class Listing:
    """What the worklist's address asks for."""

    view: str
    sort: str
    step: str | None
    client: str
    role: str | None
    cursor: str | None = None  # the page's; the filter form and every other link start over

    @classmethod
    def from_args(cls, role_choices: list[str], args: Any = None) -> Listing:
        if args is None:
            args = request.args
            if args.get("clear") == "1":
                _remember_search("")
            client = sessions.client_search(polku().uow(), _session_token())
        else:
            client = (args.get("client") or "").strip()[:100]
        view = args.get("view", DEFAULT_VIEW)
        if args.get("mine") == "1":  # the older address of "assigned to me"
            view = "mine"
        sort = args.get("sort", DEFAULT_SORT)
        role = args.get("role") or None
        return cls(
            view=view if view in VIEWS else DEFAULT_VIEW,
            sort=sort if sort in SORTS else DEFAULT_SORT,
            step=(args.get("step") or "").strip() or None,
            client=client,
            role=role if role in role_choices else None,
            cursor=(args.get("cursor") or None) if args is request.args else None,
        )

    def url(self, **changes: Any) -> str:
        """The worklist's address with these changes (defaults are left out; the client
        search stays in the session, `clear=True` ends it)."""
        values = {"view": self.view, "sort": self.sort, "step": self.step, "role": self.role}
        values.update(changes)  # a page's cursor only when it is asked for
        if values["view"] == DEFAULT_VIEW:
            values["view"] = None
        if values["sort"] == DEFAULT_SORT:
            values["sort"] = None
        values["clear"] = "1" if values.get("clear") else None
        return url_for("ui.worklist", **{k: v for k, v in values.items() if v})  # type: ignore[arg-type]

    @property
    def filtered(self) -> bool:
        return bool(self.step or self.client or self.role)


@blueprint.get("/")
def worklist() -> str | tuple[str, int]:
    ctx, actor = polku(), _actor()
    choices = _role_choices(actor)
    listing = Listing.from_args(choices)
    overdue, mine, unassigned = (listing.view == v for v in ("overdue", "mine", "role"))
    try:
        page = worklist_pages.task_page(
            ctx.uow(),
            ctx.clock,
            actor,
            sort=listing.sort,
            step=listing.step,
            client=listing.client or None,
            limit=PAGE_SIZE,
            cursor=listing.cursor,
            role=listing.role,
            overdue=overdue,
            mine=mine,
            unassigned=unassigned,
        )
    except InvalidInput as exc:
        if "cursor" not in exc.errors:
            raise
        return error_page(
            400,
            _("Invalid input"),
            _("This page of the worklist cannot be shown: start again from the first page."),
        )
    counts = worklist_pages.task_counts(ctx.uow(), ctx.clock, actor)
    steps = dict(
        worklist_pages.task_steps(
            ctx.uow(),
            ctx.clock,
            actor,
            role=listing.role,
            overdue=overdue,
            mine=mine,
            unassigned=unassigned,
        )
    )
    if listing.step and listing.step not in steps:
        steps[listing.step] = listing.step
    localise_tasks(page.tasks)
    return render_template(
        "worklist.html",
        tasks=page.tasks,
        page=page,
        pager=Pager.of(page, listing),
        listing=listing,
        views=VIEWS,
        sorts=SORTS,
        counts=counts,
        role_choices=choices,
        step_choices=sorted(
            ((code, model_text(None, name)) for code, name in steps.items()),
            key=lambda s: s[1].casefold(),
        ),
        may_hand_over=may_hand_over,
    )


@dataclass
class Pager:
    """Where the page is in the list, in words, and the addresses of the pages beside it."""

    showing: str
    first: str | None
    previous: str | None
    next: str | None

    @classmethod
    def of(cls, page: worklist_pages.TaskPage, listing: Listing) -> Pager:
        def number(value: int) -> str:
            return format_decimal(value, format="#,##0", locale=current_lang())

        showing = ""
        if page.tasks and (page.offset or page.next_cursor):
            showing = _(
                "Showing %(first)s–%(last)s of %(total)s tasks",
                first=number(page.offset + 1),
                last=number(page.offset + len(page.tasks)),
                total=number(page.total),
            )
        previous = None
        if page.prev_cursor:  # the page before the second is the first: its own address
            previous = listing.url(cursor=page.prev_cursor if page.offset > page.limit else None)
        return cls(
            showing=showing,
            first=listing.url() if page.offset > page.limit else None,
            previous=previous,
            next=listing.url(cursor=page.next_cursor) if page.next_cursor else None,
        )


@blueprint.post("/worklist/filter")
def filter_worklist() -> Response:
    """The filter form: the client search goes into the session, the rest into the address."""
    listing = Listing.from_args(_role_choices(_actor()), request.form)
    _remember_search(listing.client)
    return redirect(listing.url())


def _session_token() -> str:
    return str(session.get(SESSION_KEY) or "")


def _remember_search(text: str) -> None:
    sessions.set_client_search(polku().uow(), _session_token(), text)


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


# ---------------------------------------------------------------- handing over


def may_hand_over(actor: Actor, task: TaskView) -> bool:
    """Whether to offer "hand over" on a task (the policy's answer; the service decides in the
    end)."""
    return access.offers_hand_over(actor, task.role, task.assignee, task.state)


def colleagues(task: TaskView, actor: Actor) -> list[tuple[str, str]]:
    """(username, display name) of the active users holding the task's role, but the one who
    holds the task now."""
    holder = task.claimed_by or task.assignee or actor.username
    return [
        (u.username, u.display_name)
        for u in users.list_users(polku().uow())
        if task.role in u.role_codes and u.username != holder
    ]


@blueprint.route("/tasks/<task_id>/hand-over", methods=["GET", "POST"])
def hand_over(task_id: str) -> Response | tuple[str, int]:
    ctx, actor = polku(), _actor()
    task = localise_task(queries.get_task(ctx.uow(), ctx.engine, ctx.clock, actor, task_id))
    choices = colleagues(task, actor)
    if request.method == "GET":
        return _render_hand_over(task, choices, {})
    values = {
        "to_username": request.form.get("to_username", "").strip(),
        "reason": request.form.get("reason", "").strip(),
    }
    errors: dict[str, list[str]] = {}
    if not values["to_username"]:
        errors["to_username"] = [coded.REQUIRED]
    elif values["to_username"] not in dict(choices):
        errors["to_username"] = [coded.NOT_ALLOWED]
    if not values["reason"]:
        errors["reason"] = [coded.GIVE_REASON]
    elif len(values["reason"]) > REASON_MAX:
        errors["reason"] = [coded.TOO_LONG]
    if not errors:
        try:
            workspace.hand_over(
                ctx.uow(), ctx.clock, actor, task_id, values["to_username"], values["reason"]
            )
        except InvalidInput as exc:
            errors = exc.errors or {"_form": [exc.message]}
    if errors:
        return _render_hand_over(task, choices, values, errors, 400)
    name = dict(choices).get(values["to_username"], values["to_username"])
    flash(
        _("The task “%(task)s” was handed over to %(name)s.", task=task.name, name=name),
        "success",
    )
    return redirect(safe_next(request.form.get("next")) or url_for("ui.worklist"))


def _render_hand_over(
    task: TaskView,
    choices: list[tuple[str, str]],
    values: dict[str, str],
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    return render_template(
        "hand_over.html",
        task=task,
        choices=choices,
        values=values,
        errors=labels.messages(errors),
        next_page=safe_next(request.values.get("next")),
    ), status


# ---------------------------------------------------------------- the task form


@blueprint.route("/tasks/<task_id>", methods=["GET", "POST"])
def task_page(task_id: str) -> Response | tuple[str, int]:
    ctx, actor = polku(), _actor()
    task = localise_task(queries.get_task(ctx.uow(), ctx.engine, ctx.clock, actor, task_id))
    if task.kind == "wait":  # an awaited decision: its own form (web/ui/waits.py)
        return wait_pages.wait_page(task)
    schema: dict[str, Any] = task.form or {"type": "object"}
    if request.method == "GET":
        if task.state != "open" and records_pages.has_entry(task_id):  # what was recorded
            return records_pages.entry_page(task)
        return _render(task, schema, fresh=True)
    if request.form.get("action") == "draft":  # kept as typed: no checks, nothing moves on
        draft = forms.parse(schema, request.form, keep_invalid=True)
        workspace.save_draft(ctx.uow(), ctx.clock, actor, task_id, draft.data)
        flash(_("Draft saved."), "success")
        return redirect(url_for("ui.task_page", task_id=task_id, _anchor="task-form"))
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


def _render(
    task: TaskView,
    schema: dict[str, Any],
    raw: forms.Raw | None = None,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
    *,
    fresh: bool = False,
) -> tuple[str, int]:
    """The task page, opened (`fresh`: the draft, else a designer's x-prefill) or re-rendered
    after a submit (what was typed, with any errors); an open task's earlier entries beside
    the form either way."""
    actor = _actor()
    beside = records_pages.beside_form(task) if task.state == "open" else None
    if fresh:
        raw = forms.to_raw(schema, task.draft) if task.draft is not None else None
        if raw is None and beside is not None:  # a designer's x-prefill, unless a draft
            raw = records_pages.prefilled(schema, beside)
    schema = model_form(task.model_version_id, schema)  # labels, help, choices: reader's language
    form = forms.build(schema, raw, errors, users=sorted(people().items(), key=lambda u: u[1]))
    claimed_by_other = bool(task.claimed_by and task.claimed_by != actor.username)
    return render_template(
        "task.html",
        task=task,
        form=form,
        form_title=schema.get("title"),
        documentation=model_documentation(task.model_version_id, task.bpmn_id),
        may_work=task.may_work,
        may_hand_over=may_hand_over(actor, task),
        claimed_by_other=claimed_by_other,
    ), status
