"""An external decision arrives: the workflow gets the message, the awaited decision's
worklist item is done, the history notes what arrived and the path's case manager gets a
notice. Shared by the API's message endpoint (`instances.deliver_message`) and recording from
the worklist (`waits.record_decision`); the caller has checked the person's right and loaded
the path, inside its unit of work."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow

from engine.persistence.tables import HumanTask, ProcessInstance
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import access, field_visibility, notifications
from engine.services.progress import LEAN_TASK, WAIT_KIND, record, synchronise
from engine.workflow import runtime
from engine.workflow.engine import WorkflowEngine
from engine.workflow.model import ParsedModel


def deliver(
    uow: UnitOfWork,
    engine: WorkflowEngine,
    model: ParsedModel,
    instance: ProcessInstance,
    workflow: BpmnWorkflow,
    before: dict[str, runtime.ElementState],
    actor: access.Actor,
    name: str,
    payload: dict[str, Any],
    now: datetime,
) -> list[HumanTask]:
    """Deliver the message `name` and run the path on; the awaited decisions it settled are
    completed by the actor (returned); the path's case manager gets a notice (unless they
    recorded it)."""
    waiting = {m.task_id: m for m in runtime.waiting_messages(workflow) if m.message_name == name}
    runtime.deliver_message(workflow, name, payload, now)
    still = {m.task_id for m in runtime.waiting_messages(workflow)}
    done: list[HumanTask] = []
    schema: dict[str, Any] | None = None
    for task_id, message in waiting.items():
        wait = model.waits.get(message.bpmn_id)
        if task_id in still or wait is None:
            continue
        schema = schema or wait.form
        row = uow.session.get(HumanTask, task_id, options=list(LEAN_TASK))
        if row is not None and row.kind == WAIT_KIND and row.state == "open":
            row.state, row.completed_by_id, row.completed_at = "completed", actor.user_id, now
            done.append(row)
    record(
        uow,
        instance,
        now,
        "message_received",
        actor=actor.username,
        role=done[0].role if done else None,
        bpmn_id=done[0].bpmn_id if done else None,
        element_name=done[0].name if done else None,
        task_id=done[0].id if done else None,
        data={
            "message": name,
            "fields": sorted(payload),
            "values": field_visibility.decision_values(schema, payload),
        },
    )
    synchronise(uow, engine, model, instance, workflow, before, now, actor.username)
    notifications.message_arrived(uow, instance, name, actor.username, now)
    return done

