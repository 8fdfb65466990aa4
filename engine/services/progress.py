"""After a workflow moved: bring the worklist rows, waiting events, history and status in line.

Called inside the command's unit of work, so the serialized state, the worklist, the waiting
timers/messages and the events commit together or not at all.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from engine.analytics.stalls import LEAD_FROM
from engine.analytics.targets import TargetBook, load_targets
from engine.persistence.tables import HumanTask, Milestone, ProcessInstance, WaitingEvent
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import notifications, organisations
from engine.workflow import pruning, runtime
from engine.workflow.engine import WorkflowEngine
from engine.workflow.model import ParsedModel, UserTaskInfo, WaitInfo
from engine.workflow.roles import CASE_MANAGER

# The team has taken the client on once a task of these phases is ready (the "team" milestone).
TEAM_PHASES = ("assessment",)
# When a case-manager task is ready before anyone is named, the team coordinator holds it.
CASE_MANAGER_FALLBACK_ROLE = "case_coordinator"
USER_TASK_KINDS = {"UserTask", "ManualTask", "NoneTask"}  # worklist items
TASK_KIND = "task"  # human_task.kind of a user task
WAIT_KIND = "wait"  # human_task.kind of an awaited decision
# The actor of what the engine and its background jobs do on their own (a timer fired, a
# gateway passed): such events do not reset a path's "working days without events".
SYSTEM_ACTOR = "system"
# Worklist rows without the people and the path joined in (read only if a command needs them).
LEAN_TASK = (
    lazyload(HumanTask.instance),
    lazyload(HumanTask.assignee),
    lazyload(HumanTask.claimed_by),
    lazyload(HumanTask.completed_by),
)


def record(
    uow: UnitOfWork,
    instance: ProcessInstance,
    now: datetime,
    kind: str,
    *,
    actor: str | None,
    role: str | None = None,
    bpmn_id: str | None = None,
    element_name: str | None = None,
    task_id: str | None = None,
    data: dict[str, Any] | None = None,
    phase: str | None = None,
) -> None:
    uow.add_event(
        {
            "instance_id": instance.id,
            "occurred_at": now,
            "kind": kind,
            "bpmn_id": bpmn_id,
            "element_name": element_name,
            "task_id": task_id,
            "actor": actor,
            "role": role,
            "data": data or {},
            "phase": phase,
        }
    )
    if actor != SYSTEM_ACTOR:  # what the engine and its jobs do on their own is not activity
        instance.last_activity_at = now


def reach(uow: UnitOfWork, instance: ProcessInstance, name: str, now: datetime) -> None:
    """Note the first time the instance reaches a milestone (contact, team, plan...), with the
    lead time that ends there (e.g. days from first contact to the team)."""
    reached = _milestones(uow, instance)
    if name in reached:
        return
    start = LEAD_FROM.get(name)
    begun = reached.get(start) if start else None
    milestone = Milestone(
        instance_id=instance.id,
        name=name,
        reached_at=now,
        model_version_id=instance.model_version_id,
        lead_from_at=begun.reached_at if begun else None,
        lead_days=(now - begun.reached_at).total_seconds() / 86400 if begun else None,
    )
    uow.session.add(milestone)
    reached[name] = milestone


def _milestones(uow: UnitOfWork, instance: ProcessInstance) -> dict[str, Milestone]:
    """The instance's milestones by name, read once per unit of work (a handful of rows)."""
    cache: dict[int, dict[str, Milestone]] = uow.session.info.setdefault("milestones", {})
    if instance.id not in cache:
        cache[instance.id] = {
            m.name: m
            for m in uow.session.scalars(
                select(Milestone).where(Milestone.instance_id == instance.id)
            )
        }
    return cache[instance.id]


def assignment(lane_role: str | None, instance: ProcessInstance) -> tuple[str | None, int | None]:
    """(role, assignee id) for a worklist item of this instance in the lane of `lane_role`."""
    if lane_role == CASE_MANAGER:
        if instance.case_manager_id is not None:
            return CASE_MANAGER, instance.case_manager_id
        return CASE_MANAGER_FALLBACK_ROLE, None
    return lane_role, None


def worklist_row(
    uow: UnitOfWork,
    engine: WorkflowEngine,
    model: ParsedModel,
    instance: ProcessInstance,
    task_id: str,
    kind: str,
    step: UserTaskInfo | WaitInfo,
    lane_role: str | None,
    now: datetime,
    targets: LazyTargets,
) -> HumanTask:
    """A new open worklist item of the path (a user task, or an awaited decision), due by the
    step's service-level target, added to the session."""
    role, assignee = assignment(lane_role, instance)
    row = HumanTask(
        id=task_id,
        instance_id=instance.id,
        kind=kind,
        model_version_id=instance.model_version_id,
        bpmn_id=step.bpmn_id,
        name=step.name,
        phase=step.phase,
        role=role,
        lane_role=lane_role,
        organisation_id=_task_organisation(uow, engine, model, instance, lane_role),
        owner_organisation_id=instance.organisation_id,
        client_id=instance.client_id,
        assignee_id=assignee,
        state="open",
        created_at=now,
        due_at=targets.due(now, step.bpmn_id, step.phase),
    )
    uow.session.add(row)
    return row


def _task_organisation(
    uow: UnitOfWork,
    engine: WorkflowEngine,
    model: ParsedModel,
    instance: ProcessInstance,
    lane_role: str | None,
) -> int | None:
    if instance.organisation is None:
        return None
    return organisations.task_organisation(
        uow,
        organisations.catalogue(engine.processes_dir),
        instance.organisation,
        lane_role,
        model.lane_organisations,
    )


class LazyTargets:
    """The service-level targets, read only when a new row needs a due date."""

    def __init__(self, session: Session, model_key: str) -> None:
        self._session, self._key = session, model_key
        self._targets: TargetBook | None = None

    def due(self, now: datetime, bpmn_id: str, phase: str | None) -> datetime | None:
        if self._targets is None:
            self._targets = load_targets(self._session, self._key)
        return self._targets.due(now, bpmn_id, phase)


def _add_wait_row(
    uow: UnitOfWork,
    engine: WorkflowEngine,
    model: ParsedModel,
    instance: ProcessInstance,
    message: runtime.WaitingMessage,
    now: datetime,
    targets: LazyTargets,
) -> None:
    """The worklist item of an awaited decision (`human_task.kind` 'wait'; its id is the
    catch event's task id), for the role that records it."""
    info = model.waits[message.bpmn_id]
    if info.recorded_by is None:
        return  # nobody's role: it stays a waiting message only
    worklist_row(
        uow, engine, model, instance, message.task_id, WAIT_KIND, info, info.recorded_by, now,
        targets,
    )  # fmt: skip


def synchronise(
    uow: UnitOfWork,
    engine: WorkflowEngine,
    model: ParsedModel,
    instance: ProcessInstance,
    workflow: BpmnWorkflow,
    before: dict[str, runtime.ElementState],
    now: datetime,
    actor: str,
) -> None:
    # No autoflush: what this command changed is written once, at commit. The queries below
    # therefore filter the rows' state in Python, where this command's own changes show.
    with uow.session.no_autoflush:
        _synchronise(uow, engine, model, instance, workflow, before, now, actor)


def _synchronise(
    uow: UnitOfWork,
    engine: WorkflowEngine,
    model: ParsedModel,
    instance: ProcessInstance,
    workflow: BpmnWorkflow,
    before: dict[str, runtime.ElementState],
    now: datetime,
    actor: str,
) -> None:
    session = uow.session
    after = runtime.snapshot(workflow)
    targets = LazyTargets(session, model.key)

    # History of what the engine did on its own: gateways passed, events caught, ends reached.
    for task_id, element in after.items():
        previous = before.get(task_id)
        if element.kind in USER_TASK_KINDS or element.state != "COMPLETED":
            continue
        if previous is not None and previous.state == "COMPLETED":
            continue
        record(
            uow,
            instance,
            now,
            "element_completed",
            actor="system",
            bpmn_id=element.bpmn_id,
            element_name=element.name,
            task_id=task_id,
            data={"type": element.kind},
        )

    # The worklist.
    ready = {str(t.id): t for t in runtime.ready_user_tasks(workflow)}
    open_rows = {
        row.id: row
        for row in session.scalars(
            select(HumanTask)
            .where(HumanTask.instance_id == instance.id, HumanTask.state == "open")
            .options(*LEAN_TASK)
        )
        if row.state == "open"  # not completed by this command
    }
    for task_id, task in ready.items():
        if task_id in open_rows:
            continue
        info = model.user_tasks[task.task_spec.bpmn_id]
        row = worklist_row(
            uow, engine, model, instance, task_id, TASK_KIND, info, info.role, now, targets
        )
        record(
            uow,
            instance,
            now,
            "task_ready",
            actor="system",
            role=row.role,
            bpmn_id=info.bpmn_id,
            element_name=info.name,
            task_id=task_id,
            phase=info.phase,
        )
        if info.phase in TEAM_PHASES:
            reach(uow, instance, "team", now)
    # awaited decisions: a worklist item of the role recording them while they wait
    awaited = {
        m.task_id: m for m in runtime.waiting_messages(workflow) if m.bpmn_id in model.waits
    }
    for task_id, message in awaited.items():
        if task_id not in open_rows:
            _add_wait_row(uow, engine, model, instance, message, now, targets)
    for task_id, row in open_rows.items():
        if task_id not in ready and task_id not in awaited:
            row.state = "cancelled"
            record(
                uow,
                instance,
                now,
                "task_cancelled",
                actor=actor,
                role=row.role,
                bpmn_id=row.bpmn_id,
                element_name=row.name,
                task_id=task_id,
                phase=row.phase,
            )

    # Timers and messages the instance waits for.
    waiting: dict[str, WaitingEvent] = {
        w.task_id: w
        for w in session.scalars(
            select(WaitingEvent).where(
                WaitingEvent.instance_id == instance.id, WaitingEvent.settled_at.is_(None)
            )
        )
        if w.settled_at is None
    }
    current: dict[str, WaitingEvent] = {}
    for timer in runtime.waiting_timers(workflow):
        current[timer.task_id] = WaitingEvent(
            instance_id=instance.id,
            task_id=timer.task_id,
            bpmn_id=timer.bpmn_id,
            name=timer.name,
            kind="timer",
            due_at=timer.due_at,
            created_at=now,
        )
    for message in runtime.waiting_messages(workflow):
        current[message.task_id] = WaitingEvent(
            instance_id=instance.id,
            task_id=message.task_id,
            bpmn_id=message.bpmn_id,
            name=message.name,
            kind="message",
            message_name=message.message_name,
            created_at=now,
            due_at=targets.due(now, message.bpmn_id, None),
        )
    for task_id, waiting_row in waiting.items():
        fresh = current.pop(task_id, None)
        if fresh is None:
            waiting_row.settled_at = now
        elif waiting_row.kind == "timer" and fresh.due_at != waiting_row.due_at:  # a cycle moved
            waiting_row.due_at = fresh.due_at
    for new_row in current.values():
        session.add(new_row)

    # Status and outcome.
    if workflow.is_completed() and instance.status != "completed":
        end = runtime.end_event_reached(workflow)
        instance.status = "completed"
        instance.completed_at = now
        reach(uow, instance, "closed", now)
        if end is not None:
            end_id, data = end
            instance.end_event = end_id
            instance.outcome = data.get("outcome") or model.end_outcomes.get(end_id)
        record(
            uow,
            instance,
            now,
            "instance_completed",
            actor="system",
            bpmn_id=instance.end_event,
            data={"outcome": instance.outcome},
        )

    # who should know of the new worklist rows (engine/services/notifications.py)
    notifications.tasks_ready(uow, now, actor)

    # the finished past the path cannot return to is in the event table: the saved state keeps
    # only what the engine can still use (engine/workflow/pruning.py)
    pruning.prune(workflow)
    instance.state = engine.serializer.dumps(workflow)
    instance.serializer_version = engine.serializer.version
    instance.updated_at = now
