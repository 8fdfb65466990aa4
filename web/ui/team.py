"""The team coordinator's view of everything open, and the case manager's caseload."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import g, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from engine.services import access, users, workspace
from engine.services.access import Actor
from engine.services.queries import TaskView
from web.context import polku
from web.ui import blueprint, people, role_label
from web.ui.model_texts import localise_tasks

TEAM_COORDINATOR = access.TEAM_COORDINATOR
TEAM_GROUPINGS = {"holder": _l("Who holds it"), "role": _l("Role"), "none": _l("No grouping")}
MESSAGE_PREFIX = "message:"


def _actor() -> Actor:
    actor: Actor = g.actor
    return actor


def coordinates_team(actor: Actor | None) -> bool:
    """The access policy's answer (`access.coordinates_team`), which the team view and the
    caseload service ask too."""
    return actor is not None and access.coordinates_team(actor)


@blueprint.app_context_processor
def _team_globals() -> dict[str, Any]:
    return {"coordinates_team": coordinates_team(g.get("actor")), "holder_label": holder_label}


@dataclass
class TaskGroup:
    key: str
    title: str
    tasks: list[TaskView] = field(default_factory=list)
    person: bool = False  # a named person holds these (else: a role's shared queue)

    @property
    def overdue(self) -> int:
        return sum(1 for t in self.tasks if t.overdue)


def holder(task: TaskView) -> str | None:
    """Who holds a task now: the one who claimed it, else the one it is assigned to."""
    return task.claimed_by or task.assignee


def group_tasks(tasks: list[TaskView], grouping: str) -> list[TaskGroup]:
    """People first (by name), then the roles' shared queues, then (ungrouped) one group."""
    names = people()
    if grouping == "none":
        return [TaskGroup("all", _("All open tasks"), list(tasks))]
    groups: dict[str, TaskGroup] = {}
    key_of: Callable[[TaskView], tuple[str, str, bool]]
    if grouping == "role":

        def key_of(t: TaskView) -> tuple[str, str, bool]:
            return "role:" + (t.role or ""), role_label(t.role) or "–", False
    else:

        def key_of(t: TaskView) -> tuple[str, str, bool]:
            who = holder(t)
            if who:
                return "person:" + who, names.get(who, who), True
            return (
                "queue:" + (t.role or ""),
                _("Not held by anyone: %(role)s", role=role_label(t.role) or "–"),
                False,
            )

    for task in tasks:
        key, title, is_person = key_of(task)
        groups.setdefault(key, TaskGroup(key, title, person=is_person)).tasks.append(task)
    return sorted(groups.values(), key=lambda g: (not g.person, g.title.casefold()))


@blueprint.get("/team")
def team_page() -> str:
    ctx, actor = polku(), _actor()
    tasks = workspace.team_view(ctx.uow(), ctx.clock, actor)
    localise_tasks(tasks)  # the steps' names in the reader's language
    grouping = request.args.get("group", "holder")
    if grouping not in TEAM_GROUPINGS:
        grouping = "holder"
    only_overdue = request.args.get("overdue") == "1"
    shown = [t for t in tasks if t.overdue] if only_overdue else tasks
    shown = sorted(shown, key=lambda t: (not t.overdue, t.due_at is None, t.due_at, t.created_at))
    return render_template(
        "team.html",
        tasks=tasks,
        groups=group_tasks(shown, grouping),
        summary=group_tasks(tasks, "holder"),
        grouping=grouping,
        groupings=TEAM_GROUPINGS,
        only_overdue=only_overdue,
        overdue_total=sum(1 for t in tasks if t.overdue),
        holder=holder,
    )


@blueprint.get("/caseload")
def caseload_page() -> str:
    ctx, actor = polku(), _actor()
    chosen = (request.args.get("case_manager") or "").strip() or None
    if not coordinates_team(actor):
        chosen = None
    rows = workspace.caseload(ctx.uow(), ctx.clock, actor, chosen)
    choices = (
        [(u.username, u.display_name) for u in users.list_users(ctx.uow())]
        if coordinates_team(actor)
        else []
    )
    return render_template(
        "caseload.html",
        rows=rows,
        chosen=chosen or actor.username,
        own=chosen in (None, actor.username),
        choices=choices,
        waiting_label=waiting_label,
        outside_waits=outside_waits,
    )


def outside_waits(row: workspace.CaseloadRow) -> list[str]:
    """The outside decisions (e.g. Kela's) a client's path waits for."""
    return [w for w in row.waiting_on if w.startswith(MESSAGE_PREFIX)]


def holder_label(code: str | None) -> str:
    """A colleague's name, or a role's name (a task that was open to a role)."""
    if not code:
        return ""
    return people().get(code) or role_label(code) or code


def waiting_label(code: str) -> str:
    """Whom a client's path waits on, in words: a colleague, a role, or an outside decision."""
    if code.startswith(MESSAGE_PREFIX):
        return _("an outside decision (%(name)s)", name=code.removeprefix(MESSAGE_PREFIX))
    names = people()
    if code in names:
        return names[code]
    return role_label(code) or code
