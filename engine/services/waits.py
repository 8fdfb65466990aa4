"""Recording an awaited decision from the worklist: the wait item (`human_task.kind` 'wait')
is opened like a task and its form submitted; the message goes to the path with the form's
values as its payload, and the item is done, in one transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, select

from engine.clock import Clock
from engine.errors import Conflict, InvalidInput
from engine.persistence.tables import HumanTask, ProcessInstance, WaitingEvent
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import access, decisions
from engine.services.path_loading import command, load, locked_task, model_of
from engine.services.progress import WAIT_KIND, LazyTargets, worklist_row
from engine.workflow import forms
from engine.workflow.engine import WorkflowEngine


def record_decision(
    uow: UnitOfWork,
    engine: WorkflowEngine,
    clock: Clock,
    actor: access.Actor,
    task_id: str,
    data: dict[str, Any],
) -> int:
    """Record the awaited decision `task_id` with its form's `data`; the path goes on. The
    one whose worklist holds it may, and whoever may record the path's decisions
    (`access.message_basis`: the owning team's coordinators, the case manager). Returns the
    path's id."""
    now = clock()
    with uow, command(uow, "record_decision"):
        row = locked_task(uow, task_id)
        instance = row.instance
        basis = access.decision_basis(uow, actor, row, now)
        if basis is None:
            raise access.refuse(
                uow,
                now,
                actor,
                "update",
                "message",
                instance.client_id,
                instance.id,
                f"'{row.name}' is not for your roles",
                code="decision_not_for_you",
                params={"name": row.name},
            )
        if row.kind != WAIT_KIND:
            raise Conflict(
                f"task '{row.name}' is not an awaited decision: complete it instead",
                code="task_not_awaited_decision",
                params={"name": row.name},
            )
        if row.state != "open":
            raise Conflict(
                f"'{row.name}' is already {row.state}",
                code="decision_already_settled",
                params={"name": row.name, "state": row.state},
            )
        if row.claimed_by_id is not None and row.claimed_by_id != actor.user_id:
            holder = row.claimed_by.display_name if row.claimed_by else "someone else"
            raise Conflict(
                f"'{row.name}' is claimed by {holder}",
                code="decision_claimed",
                params={"name": row.name, "holder": holder},
            )
        loaded = load(uow, engine, instance)
        wait = loaded.model.waits.get(row.bpmn_id)
        if wait is None:
            raise Conflict(
                f"the path's model no longer awaits '{row.name}'",
                code="decision_not_awaited",
                params={"name": row.name},
            )
        errors = forms.validate(wait.form or {"type": "object"}, data)
        if errors:
            raise InvalidInput(
                f"the form of '{row.name}' has errors",
                errors,
                code="form_has_errors",
                params={"name": row.name},
            )
        with uow.session.no_autoflush:  # written once, at commit
            decisions.deliver(
                uow, engine, loaded.model, instance, loaded.workflow, loaded.before, actor,
                wait.message_name, data, now,
            )  # fmt: skip
        if row.state == "open":  # the message reached another catch event of the path only
            raise Conflict(
                f"the path no longer awaits '{row.name}'",
                code="decision_not_awaited",
                params={"name": row.name},
            )
        access.log(
            uow,
            now,
            actor,
            "update",
            "message",
            client_id=instance.client_id,
            instance_id=instance.id,
            basis=basis,
            detail=f"external decision recorded: {wait.message_name} ({row.name})",
        )
        uow.commit()
        return instance.id


def add_missing_wait_rows(uow: UnitOfWork, engine: WorkflowEngine) -> int:
    """Give each awaited decision without a worklist item its item (paths that were already
    waiting when the worklist learnt awaited decisions, revision 0011, and have not moved
    since). Run at start-up after the models are deployed; a background step that reads no
    client data. Returns how many were added."""
    with uow:
        found = uow.session.execute(
            select(WaitingEvent, ProcessInstance)
            .join(ProcessInstance, ProcessInstance.id == WaitingEvent.instance_id)
            .where(
                WaitingEvent.kind == "message",
                WaitingEvent.settled_at.is_(None),
                ProcessInstance.status == "running",
                ~exists().where(HumanTask.id == WaitingEvent.task_id),
            )
        ).all()
        added = 0
        for waiting, instance in found:
            model = model_of(engine, instance)
            info = model.waits.get(waiting.bpmn_id)
            if info is None or info.recorded_by is None:
                continue
            # waiting since the catch event was reached: due by the target from then
            worklist_row(
                uow, engine, model, instance, waiting.task_id, WAIT_KIND, info,
                info.recorded_by, waiting.created_at, LazyTargets(uow.session, model.key),
            )  # fmt: skip
            added += 1
        uow.commit()
        return added
