"""Work on a task: complete it (validate its form, run the path on, apply what the form names:
the case manager, the team members, the client's consent), claim it, change the path's case
manager. Each command loads the path, acts and commits once."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from engine.clock import Clock
from engine.errors import Conflict, InvalidInput, Text
from engine.persistence.relationships import PathMember
from engine.persistence.tables import (
    Consent,
    FormSubmission,
    HumanTask,
    ProcessInstance,
    TaskDraft,
    User,
)
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import (
    access,
    field_visibility,
    notifications,
)
from engine.services.path_loading import (
    Loaded,
    active_user,
    command,
    form_errors,
    instance_of,
    load,
    task_for_work,
)
from engine.services.progress import LEAN_TASK, reach, record, synchronise
from engine.workflow import forms, runtime
from engine.workflow.engine import WorkflowEngine
from engine.workflow.roles import CASE_MANAGER

CASE_MANAGER_FIELD = "case_manager"
SUPPORT_PLAN_FORM = "support_plan.schema.json"
# A form that asks for consent to multi-organisation handling records it on the client.
CONSENT_FIELD, CONSENT_SCOPE_FIELD = "consent_multi_org", "consent_scope"


def complete_task(
    uow: UnitOfWork,
    engine: WorkflowEngine,
    clock: Clock,
    actor: access.Actor,
    task_id: str,
    data: dict[str, Any],
) -> int:
    """Validate the form data, complete the task and run the path on. Returns the instance id."""
    now = clock()
    with uow, command(uow, "complete_task"):
        row, basis = task_for_work(uow, actor, task_id, "update", now)
        loaded = load(uow, engine, row.instance)
        if row.bpmn_id not in loaded.model.user_tasks:  # an awaited decision (kind 'wait')
            raise Conflict(
                f"'{row.name}' is an awaited decision: record it with the decision's form "
                f"(POST /api/v1/tasks/{row.id}/decision) or as a message to the path",
                code="task_is_awaited_decision", params={"name": row.name, "task_id": row.id},
            )
        info = loaded.model.user_tasks[row.bpmn_id]
        schema = info.form or {"type": "object"}
        errors, named = form_errors(uow, schema, data)
        if errors:
            raise InvalidInput(
                f"the form of task '{row.name}' has errors", errors,
                code="form_has_errors", params={"name": row.name},
            )
        instance = loaded.instance
        with uow.session.no_autoflush:  # written once, at commit
            _complete(uow, engine, actor, row, loaded, info, schema, data, named, now)
        access.log(
            uow,
            now,
            actor,
            "update",
            "task",
            client_id=instance.client_id,
            instance_id=instance.id,
            basis=basis,
            detail=f"task completed: {row.name} ({task_id})",
        )
        uow.commit()
        return instance.id


def _complete(
    uow: UnitOfWork,
    engine: WorkflowEngine,
    actor: access.Actor,
    row: HumanTask,
    loaded: Loaded,
    info: Any,
    schema: dict[str, Any],
    data: dict[str, Any],
    named: dict[str, User | None],
    now: datetime,
) -> None:
    """The task's part of `complete_task`, after the checks: the workflow moves on and every
    row that follows from it is added."""
    instance, task_id = loaded.instance, row.id
    runtime.complete_user_task(loaded.workflow, task_id, data, now)
    row.state = "completed"
    row.completed_by_id = actor.user_id or None  # a client acting themself has no account
    row.completed_at = now
    record(
        uow,
        instance,
        now,
        "task_completed",
        actor=actor.username,
        role=row.role,
        bpmn_id=row.bpmn_id,
        element_name=row.name,
        task_id=task_id,
        data=field_visibility.form_summary(schema, data),
        phase=row.phase,
    )
    if (info.form_path or "").endswith(SUPPORT_PLAN_FORM):
        reach(uow, instance, "plan", now)
    if row.phase == "services":
        reach(uow, instance, "first_service", now)
    manager = (
        data.get(CASE_MANAGER_FIELD) if CASE_MANAGER_FIELD in forms.user_fields(schema) else None
    )
    if manager:
        _set_case_manager(
            uow, instance, active_user(uow, manager), now, actor, "named in " + row.name
        )
    _name_members(uow, instance, [u for u in named.values() if u], row.name, now)
    uow.session.add(
        FormSubmission(
            instance_id=instance.id,
            task_id=task_id,
            bpmn_id=row.bpmn_id,
            task_name=row.name,
            form_path=info.form_path,
            data=data,
            submitted_by=actor.username,
            submitted_at=now,
        )
    )
    draft = uow.session.get(TaskDraft, task_id)
    if draft is not None:
        uow.session.delete(draft)
    if data.get(CONSENT_FIELD) is True:
        _record_consent(uow, instance, str(data.get(CONSENT_SCOPE_FIELD) or ""), now, actor)
    synchronise(
        uow, engine, loaded.model, instance, loaded.workflow, loaded.before, now, actor.username
    )


def claim_task(
    uow: UnitOfWork, clock: Clock, actor: access.Actor, task_id: str, release: bool = False
) -> None:
    now = clock()
    with uow:
        row, basis = task_for_work(uow, actor, task_id, "update", now)
        if release:
            if row.claimed_by_id is None:
                raise Conflict(
                    f"task '{row.name}' is not claimed",
                    code="task_not_claimed", params={"name": row.name},
                )
            row.claimed_by_id, row.claimed_at = None, None
        else:
            if row.claimed_by_id == actor.user_id:
                raise Conflict(
                    f"you have already claimed task '{row.name}'",
                    code="task_claimed_already", params={"name": row.name},
                )
            row.claimed_by_id, row.claimed_at = actor.user_id, now
        record(
            uow,
            row.instance,
            now,
            "task_released" if release else "task_claimed",
            actor=actor.username,
            role=row.role,
            bpmn_id=row.bpmn_id,
            element_name=row.name,
            task_id=row.id,
        )
        access.log(
            uow,
            now,
            actor,
            "update",
            "task",
            client_id=row.instance.client_id,
            instance_id=row.instance_id,
            basis=basis,
            detail=f"task {'released' if release else 'claimed'}: {row.name}",
        )
        uow.commit()


def change_case_manager(
    uow: UnitOfWork,
    clock: Clock,
    actor: access.Actor,
    instance_id: int,
    username: str,
    reason: str,
) -> None:
    now = clock()
    with uow:
        instance = instance_of(uow, instance_id)
        basis = access.reassignment_basis(uow, actor, instance, instance.case_manager, now)
        if basis is None:
            raise access.refuse(
                uow,
                now,
                actor,
                "update",
                "case_manager",
                instance.client_id,
                instance.id,
                "only the team coordinator or the case manager may change the case manager",
                code="case_manager_change_refused",
            )
        if not reason.strip():
            raise InvalidInput(
                "a reason is required",
                {"reason": [Text("reason_give", "Give a reason.")]},
                code="reason_required",
            )
        user = active_user(uow, username)
        if user is None:
            raise InvalidInput(
                f"no user '{username}'", {"username": [Text("user_no_such", "No such user.")]},
                code="user_not_found", params={"user": username},
            )
        if instance.status != "running":
            raise Conflict(
                f"the path is {instance.status}",
                code="path_not_running", params={"status": instance.status},
            )
        _set_case_manager(uow, instance, user, now, actor, reason.strip())
        access.log(
            uow,
            now,
            actor,
            "update",
            "case_manager",
            client_id=instance.client_id,
            instance_id=instance.id,
            basis=basis,
            detail=f"case manager changed to {user.username}",
        )
        uow.commit()


def _set_case_manager(
    uow: UnitOfWork,
    instance: ProcessInstance,
    user: User | None,
    now: Any,
    actor: access.Actor,
    reason: str,
) -> None:
    if user is None or instance.case_manager_id == user.id:
        return
    previous = instance.case_manager.username if instance.case_manager else None
    instance.case_manager_id = user.id
    instance.case_manager = user
    for row in uow.session.scalars(
        select(HumanTask)
        .where(
            HumanTask.instance_id == instance.id,
            HumanTask.state == "open",
            HumanTask.lane_role == CASE_MANAGER,
        )
        .options(*LEAN_TASK)
    ):
        if row.state != "open":  # completed by this command, not yet written
            continue
        row.role, row.assignee_id, row.claimed_by_id, row.claimed_at = (
            CASE_MANAGER,
            user.id,
            None,
            None,
        )
    reach(uow, instance, "case_manager", now)
    notifications.case_manager_tasks(uow, instance.id, user.id, actor.user_id, now)
    record(
        uow,
        instance,
        now,
        "case_manager_changed",
        actor=actor.username,
        data={"from": previous, "to": user.username, "reason": reason},
    )


def _record_consent(
    uow: UnitOfWork, instance: ProcessInstance, scope: str, now: Any, actor: access.Actor
) -> None:
    given = uow.session.scalar(
        select(Consent)
        .where(Consent.client_id == instance.client_id, Consent.withdrawn_at.is_(None))
        .limit(1)
    )
    if given is not None:
        return
    scope = scope.strip() or "multi-organisation handling of the work-ability path"
    uow.session.add(
        Consent(
            client_id=instance.client_id,
            scope=scope[:500],
            given_at=now,
            recorded_by=actor.username,
        )
    )
    record(uow, instance, now, "consent_given", actor=actor.username, data={"scope": scope[:500]})


def _name_members(
    uow: UnitOfWork, instance: ProcessInstance, people: list[User], task_name: str, now: Any
) -> None:
    """People a form names (the plan's case manager and team) may read the path."""
    for user in people:
        if uow.session.get(PathMember, (instance.id, user.id)) is None:
            uow.session.add(
                PathMember(
                    instance_id=instance.id, user_id=user.id, named_in=task_name, named_at=now
                )
            )
