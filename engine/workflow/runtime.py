"""Operations on one live SpiffWorkflow instance. Pure in-memory: no database, no Flask.

The service layer loads a workflow, calls these, and saves it back in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from engine.errors import Coded, Text
from engine.workflow import review_dates


class WorkflowError(Coded):
    """The workflow refused an operation (task not ready, nothing waits for a message...)."""

    default_code = "workflow_refused"


@dataclass(frozen=True)
class ElementState:
    """A real BPMN element's task, as seen in a before/after snapshot."""

    task_id: str
    bpmn_id: str
    name: str
    kind: str
    state: str
    lane: str | None


@dataclass(frozen=True)
class WaitingTimer:
    task_id: str
    bpmn_id: str
    name: str
    due_at: datetime
    cycle: bool


@dataclass(frozen=True)
class WaitingMessage:
    task_id: str
    bpmn_id: str
    name: str
    message_name: str  # the name a sender must use


def snapshot(workflow: BpmnWorkflow) -> dict[str, ElementState]:
    """Every task of a real BPMN element (not the library's helpers), by task id."""
    result = {}
    for task in workflow.get_tasks():
        spec = task.task_spec
        bpmn_id = getattr(spec, "bpmn_id", None)
        if bpmn_id is None:
            continue
        result[str(task.id)] = ElementState(
            task_id=str(task.id),
            bpmn_id=bpmn_id,
            name=getattr(spec, "bpmn_name", None) or bpmn_id,
            kind=type(spec).__name__,
            state=TaskState.get_name(task.state),
            lane=getattr(spec, "lane", None),
        )
    return result


def ready_user_tasks(workflow: BpmnWorkflow) -> list[Task]:
    return list(workflow.get_tasks(state=TaskState.READY, manual=True))


def _waiting_ids(workflow: BpmnWorkflow) -> set[UUID]:
    return {task.id for task in workflow.get_tasks(state=TaskState.WAITING)}


def _engine_steps(workflow: BpmnWorkflow, now: datetime | None) -> None:
    """Run the engine on; then put the timers it started on Polku's clock.

    SpiffWorkflow computes a duration or cycle timer's due time from the real clock when the
    timer is reached. Polku's clock is injectable (tests, the demo's history): each newly
    started duration or cycle timer is moved by the difference of the two clocks, so that it is
    due `duration` after Polku's now. Timers at a fixed date stay as they are. A timer due from
    a date field of the path's data (`dueFromField`) is due that day, if the data holds a date
    after now (`review_dates`)."""
    before = _waiting_ids(workflow)
    real = datetime.now(UTC)
    workflow.do_engine_steps()
    shift = now - real if now is not None else timedelta(0)
    for task in workflow.get_tasks(state=TaskState.WAITING):
        definition = getattr(task.task_spec, "event_definition", None)
        value = task._get_internal_data("event_value")
        if task.id in before or value is None:
            continue
        if review_dates.schedule_from_field(task, now or real):
            continue
        if abs(shift) < timedelta(seconds=1):
            continue
        if isinstance(definition, CycleTimerEventDefinition) and isinstance(value, dict):
            moved = datetime.fromisoformat(value["next"]) + shift
            task._set_internal_data(event_value=dict(value, next=moved.isoformat()))
        elif isinstance(definition, DurationTimerEventDefinition) and isinstance(value, str):
            moved = TimerEventDefinition.get_datetime(value) + shift
            task._set_internal_data(event_value=moved.isoformat())


def start(
    workflow: BpmnWorkflow, data: dict[str, Any] | None = None, now: datetime | None = None
) -> None:
    if data:
        workflow.data.update(data)
        workflow.task_tree.data.update(data)
    _engine_steps(workflow, now)


def complete_user_task(
    workflow: BpmnWorkflow, task_id: str, data: dict[str, Any], now: datetime | None = None
) -> Task:
    task = workflow.get_task_from_id(UUID(task_id))
    if task is None:
        raise WorkflowError(
            Text("workflow_task_unknown", "task {task_id} is not part of this workflow",
                 task_id=str(task_id))
        )  # fmt: skip
    if task.state != TaskState.READY or not task.task_spec.manual:
        raise WorkflowError(
            Text("workflow_task_not_ready", "task {task_id} is not ready ({state})",
                 task_id=str(task_id), state=TaskState.get_name(task.state))
        )  # fmt: skip
    task.set_data(**data)
    task.run()
    _engine_steps(workflow, now)
    return task


def waiting_timers(workflow: BpmnWorkflow) -> list[WaitingTimer]:
    result = []
    for task in workflow.get_tasks(state=TaskState.WAITING):
        definition = getattr(task.task_spec, "event_definition", None)
        if not isinstance(definition, TimerEventDefinition):
            continue
        value = task._get_internal_data("event_value")
        if value is None:
            continue
        if isinstance(value, dict):  # a cycle: {'cycles', 'next', 'duration'}
            if value.get("cycles") == 0:
                continue
            value = value["next"]
        due = TimerEventDefinition.get_datetime(value) if isinstance(value, str) else value
        result.append(
            WaitingTimer(
                task_id=str(task.id),
                bpmn_id=task.task_spec.bpmn_id,
                name=task.task_spec.bpmn_name or task.task_spec.bpmn_id,
                due_at=due.astimezone(UTC),
                cycle=isinstance(definition, CycleTimerEventDefinition),
            )
        )
    return result


def waiting_messages(workflow: BpmnWorkflow) -> list[WaitingMessage]:
    result = []
    for task in workflow.get_tasks(state=TaskState.WAITING):
        spec = task.task_spec
        definition = getattr(spec, "event_definition", None)
        if isinstance(spec, CatchingEvent) and isinstance(definition, MessageEventDefinition):
            result.append(
                WaitingMessage(
                    str(task.id), spec.bpmn_id, spec.bpmn_name or spec.bpmn_id, definition.name
                )
            )
    return result


def fire_timer(workflow: BpmnWorkflow, task_id: str, now: datetime) -> None:
    """Fire a timer that Polku's clock says is due.

    SpiffWorkflow compares due times with the real clock; Polku's worker decides by its own
    (injectable) clock, so the timer is marked as fired here, then the engine runs on.
    """
    task = workflow.get_task_from_id(UUID(task_id))
    if task is None or task.state != TaskState.WAITING:
        raise WorkflowError(
            Text("workflow_timer_not_waiting", "timer task {task_id} is not waiting",
                 task_id=str(task_id))
        )  # fmt: skip
    definition = task.task_spec.event_definition
    if isinstance(definition, CycleTimerEventDefinition):
        value = dict(task._get_internal_data("event_value"))
        scheduled = datetime.fromisoformat(value["next"])
        forced = dict(value, next=datetime(1970, 1, 1, tzinfo=UTC).isoformat())
        task._set_internal_data(event_value=forced)
        workflow.refresh_timers()
        after = task._get_internal_data("event_value")
        if isinstance(after, dict) and after.get("cycles", 0) != 0:
            after["next"] = (scheduled + timedelta(seconds=value["duration"])).isoformat()
            task._set_internal_data(event_value=after)
    else:
        task._set_internal_data(event_fired=True)
        workflow.refresh_timers()
    _engine_steps(workflow, now)


def deliver_message(
    workflow: BpmnWorkflow, name: str, payload: dict[str, Any], now: datetime | None = None
) -> None:
    if not any(m.message_name == name for m in waiting_messages(workflow)):
        raise WorkflowError(
            Text("workflow_no_message_wait", "nothing in this instance waits for message '{name}'",
                 name=name)
        )  # fmt: skip
    workflow.send_event(BpmnEvent(MessageEventDefinition(name), payload=payload))
    _engine_steps(workflow, now)


def move_timer(workflow: BpmnWorkflow, task_id: str, due: datetime) -> datetime:
    """Make a waiting timer due at `due` (e.g. a follow-up review brought forward or
    postponed); returns when it was due before."""
    task = workflow.get_task_from_id(UUID(task_id))
    if task is None:
        raise WorkflowError(
            Text("workflow_task_unknown", "task {task_id} is not part of this workflow",
                 task_id=task_id)
        )  # fmt: skip
    try:
        return review_dates.move(task, due)
    except review_dates.TimerNotMovable:
        raise WorkflowError(
            Text("workflow_timer_not_waiting", "timer task {task_id} is not waiting",
                 task_id=task_id)
        ) from None  # fmt: skip


def end_event_reached(workflow: BpmnWorkflow) -> tuple[str, dict[str, Any]] | None:
    """The completed end event of the top-level process and the data it ended with."""
    for task in workflow.get_tasks(state=TaskState.COMPLETED):
        if isinstance(task.task_spec, EndEvent) and task.workflow is workflow:
            return str(task.task_spec.bpmn_id), dict(task.data)
    return None
