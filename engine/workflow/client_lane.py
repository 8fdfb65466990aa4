"""The client's lane (`Asiakas`, role `client`): what the validator requires of it.

The client does the lane's tasks in their own view, so the lane holds user tasks only (a
gateway, an event, a manual task or a call activity there would be work nobody does: put it in
a team role's lane), and everything a client task's form asks is of the visibility class
`shared`, since the client sees all of it. A timer or message boundary event on a client task
may sit in the lane with its task."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask

from engine.errors import Text
from engine.workflow.forms import VISIBILITY_KEYWORD
from engine.workflow.model import UserTaskInfo
from engine.workflow.roles import CLIENT, RoleCatalog

SHARED = "shared"


def in_client_lane(task_spec: Any, roles: RoleCatalog) -> bool:
    return roles.role_for_lane(getattr(task_spec, "lane", None)) == CLIENT


def findings(task_spec: Any, roles: RoleCatalog, info: UserTaskInfo | None) -> list[Text]:
    """What is wrong with an element of the client's lane (nothing, outside it)."""
    if not in_client_lane(task_spec, roles):
        return []
    found = element_findings(task_spec, roles)
    if info is not None and isinstance(task_spec, UserTask):
        found += form_findings(info.form, info.form_path)
    return found


def element_findings(task_spec: Any, roles: RoleCatalog) -> list[Text]:
    """A finding for an element of the client's lane that is not a user task."""
    if not in_client_lane(task_spec, roles):
        return []
    if isinstance(task_spec, (UserTask, BoundaryEvent)):
        return []
    return [
        Text(
            "client_lane_not_user_task",
            "the client's lane '{lane}' holds only user tasks (the client does them in their "
            "own view): move this element to a team role's lane",
            lane=str(task_spec.lane),
        )
    ]


def form_findings(form: dict[str, Any] | None, form_path: str | None) -> list[Text]:
    """A finding for each field of a client task's form whose visibility class is not
    `shared`: the client sees every field of the form."""
    if not form:
        return []
    default = form.get(VISIBILITY_KEYWORD, SHARED)
    return [
        Text(
            "client_field_not_shared",
            "the field '{field}' of form '{form}' is of class '{visibility}', but the client "
            "sees every field of their own task: make it 'shared' or move it to a team task",
            field=name,
            form=form_path or "",
            visibility=str(visibility),
        )
        for name, visibility in _classes(form, default, "")
        if visibility != SHARED
    ]


def _classes(schema: dict[str, Any], inherited: Any, prefix: str) -> Iterator[tuple[str, Any]]:
    for name, prop in (schema.get("properties") or {}).items():
        if not isinstance(prop, dict):
            continue
        own = prop.get(VISIBILITY_KEYWORD, inherited)
        yield prefix + name, own
        items = prop.get("items")
        if isinstance(items, dict) and items.get("properties"):
            yield from _classes(items, own, f"{prefix}{name}.")
        elif prop.get("properties"):
            yield from _classes(prop, own, f"{prefix}{name}.")
