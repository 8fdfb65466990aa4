"""The professional's workspace: handing tasks over, drafts, consent, the team view and the
case manager's caseload. Commands commit once; reads log access to client data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from engine.clock import Clock
from engine.errors import Conflict, Forbidden, InvalidInput, NotFound, Text
from engine.persistence.tables import (
    Client,
    Consent,
    HumanTask,
    ProcessInstance,
    TaskDraft,
    User,
    WaitingEvent,
)
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import access, notifications
from engine.services.progress import record
from engine.services.queries import TaskView, _task_view

TEAM_COORDINATOR = access.TEAM_COORDINATOR
MAX_DRAFT_FIELDS = 200


@dataclass
class CaseloadRow:
    instance_id: int
    client_id: int
    client_pseudonym: str
    client_name: str
    model_name: str
    current_steps: list[str]
    next_review: datetime | None
    waiting_on: list[str]
    open_tasks: list[TaskView] = field(default_factory=list)


_LACKS_ROLE = Text("colleague_lacks_role", "This colleague does not hold the task's role.")


def hand_over(
    uow: UnitOfWork,
    clock: Clock,
    actor: access.Actor,
    task_id: str,
    to_username: str,
    reason: str,
) -> None:
    """Give an open task to a named colleague who holds its role, with a reason."""
    now = clock()
    if not reason or not reason.strip():
        raise InvalidInput(
            "a reason is required", {"reason": [Text("reason_give", "Give a reason.")]},
            code="reason_required",
        )
    with uow:
        row = uow.session.get(HumanTask, task_id)
        if row is None:
            raise NotFound(
                f"task {task_id} does not exist", code="task_not_found", params={"task_id": task_id}
            )
        basis = access.task_basis(uow, actor, row) or access.reassignment_basis(
            uow, actor, row.instance, row.assignee or row.claimed_by, now
        )
        if basis is None:
            raise access.refuse(
                uow,
                now,
                actor,
                "update",
                "task",
                row.instance.client_id,
                row.instance_id,
                f"task '{row.name}' is not yours to hand over",
                code="task_not_yours", params={"name": row.name},
            )
        if row.state != "open":
            raise Conflict(
                f"task '{row.name}' is already {row.state}",
                code="task_already_done", params={"name": row.name, "state": row.state},
            )
        target = uow.session.scalar(select(User).where(User.username == to_username, User.active))
        if target is None:
            raise InvalidInput(
                f"no user '{to_username}'",
                {"to_username": [Text("user_no_such", "No such user.")]},
                code="user_not_found",
                params={"user": to_username},
            )
        needed = row.lane_role if row.lane_role != "case_manager" else None
        if needed and needed not in target.role_codes:
            raise InvalidInput(
                f"{target.display_name} does not hold the role this task needs",
                {"to_username": [_LACKS_ROLE]},
                code="colleague_lacks_role", params={"name": target.display_name},
            )
        if target.id == row.assignee_id:
            raise Conflict(
                f"task '{row.name}' is already {target.display_name}'s",
                code="task_already_theirs",
                params={"name": row.name, "holder": target.display_name},
            )
        previous = row.assignee.username if row.assignee else row.role
        row.assignee_id, row.assignee = target.id, target
        row.claimed_by_id, row.claimed_at = None, None
        record(
            uow,
            row.instance,
            now,
            "task_handed_over",
            actor=actor.username,
            role=row.role,
            bpmn_id=row.bpmn_id,
            element_name=row.name,
            task_id=row.id,
            data={"from": previous, "to": target.username, "reason": reason.strip()[:500]},
        )
        notifications.handed_over(uow, row, target.id, actor.username, now)
        access.log(
            uow,
            now,
            actor,
            "update",
            "task",
            client_id=row.instance.client_id,
            instance_id=row.instance_id,
            basis=basis,
            detail=f"task handed over: {row.name} to {target.username}",
        )
        uow.commit()


def save_draft(
    uow: UnitOfWork, clock: Clock, actor: access.Actor, task_id: str, data: dict[str, Any]
) -> None:
    """Keep unfinished form data with the task; nothing is validated or moves on."""
    now = clock()
    if not isinstance(data, dict) or len(data) > MAX_DRAFT_FIELDS:
        raise InvalidInput("a draft is a JSON object of the form's fields", code="draft_not_object")
    with uow:
        row = uow.session.get(HumanTask, task_id)
        if row is None:
            raise NotFound(
                f"task {task_id} does not exist", code="task_not_found", params={"task_id": task_id}
            )
        basis = access.task_basis(uow, actor, row)
        if basis is None:
            raise access.refuse(
                uow,
                now,
                actor,
                "update",
                "draft",
                row.instance.client_id,
                row.instance_id,
                f"task '{row.name}' is not for your roles",
                code="task_not_for_roles", params={"name": row.name},
            )
        if row.state != "open":
            raise Conflict(
                f"task '{row.name}' is already {row.state}",
                code="task_already_done", params={"name": row.name, "state": row.state},
            )
        draft = uow.session.get(TaskDraft, task_id)
        if draft is None:
            uow.session.add(
                TaskDraft(task_id=task_id, data=data, saved_by=actor.username, saved_at=now)
            )
        else:
            draft.data, draft.saved_by, draft.saved_at = data, actor.username, now
        access.log(
            uow,
            now,
            actor,
            "update",
            "draft",
            client_id=row.instance.client_id,
            instance_id=row.instance_id,
            basis=basis,
            detail=f"draft saved: {row.name}",
        )
        uow.commit()


def _client_for_consent(uow: UnitOfWork, actor: access.Actor, client_id: int, now: Any) -> Client:
    client = uow.session.get(Client, client_id)
    if client is None:
        raise NotFound(
            f"client {client_id} does not exist",
            code="client_not_found", params={"client_id": client_id},
        )
    is_case_manager = uow.session.scalar(
        select(ProcessInstance.id)
        .where(
            ProcessInstance.client_id == client_id, ProcessInstance.case_manager_id == actor.user_id
        )
        .limit(1)
    )
    if not (is_case_manager or access.client_basis(uow, actor, client_id, now)):
        raise access.refuse(
            uow,
            now,
            actor,
            "update",
            "consent",
            client_id,
            None,
            "only the client's case manager and team record consent",
            code="consent_refused",
        )
    return client


def _consent_basis(actor: access.Actor) -> str:
    """The basis a consent change is logged with: the client's own, or the professional's."""
    if actor.client_id is not None:
        return access.access_client.OWN_BASIS
    return "coordination role or case manager"


def _on_running_paths(
    uow: UnitOfWork,
    client_id: int,
    now: Any,
    kind: str,
    actor: access.Actor,
    data: dict[str, Any],
) -> None:
    """Note a change of the client's consent in the history of each of their running paths."""
    for instance in uow.session.scalars(
        select(ProcessInstance).where(
            ProcessInstance.client_id == client_id, ProcessInstance.status == "running"
        )
    ):
        record(uow, instance, now, kind, actor=actor.username, data=data)


def withdraw_consent(
    uow: UnitOfWork, clock: Clock, actor: access.Actor, client_id: int, reason: str
) -> None:
    """End multi-organisation handling: the client's data stays inside one organisation."""
    now = clock()
    if not reason or not reason.strip():
        raise InvalidInput(
            "a reason is required", {"reason": [Text("reason_give", "Give a reason.")]},
            code="reason_required",
        )
    with uow:
        _client_for_consent(uow, actor, client_id, now)
        active = list(
            uow.session.scalars(
                select(Consent).where(
                    Consent.client_id == client_id, Consent.withdrawn_at.is_(None)
                )
            )
        )
        if not active:
            raise Conflict("the client has no consent in force", code="consent_none")
        for consent in active:
            consent.withdrawn_at, consent.withdrawn_by = now, actor.username
            consent.withdrawal_reason = reason.strip()[:500]
        _on_running_paths(
            uow, client_id, now, "consent_withdrawn", actor, {"reason": reason.strip()[:500]}
        )
        access.log(
            uow,
            now,
            actor,
            "update",
            "consent",
            client_id=client_id,
            basis=_consent_basis(actor),
            detail="consent withdrawn",
        )
        uow.commit()


def give_consent(
    uow: UnitOfWork, clock: Clock, actor: access.Actor, client_id: int, scope: str
) -> None:
    now = clock()
    if not scope or not scope.strip():
        raise InvalidInput(
            "the scope is required",
            {"scope": [Text("consent_scope", "Say what the consent covers.")]},
            code="consent_scope_required",
        )
    with uow:
        _client_for_consent(uow, actor, client_id, now)
        if uow.session.scalar(
            select(Consent.id)
            .where(Consent.client_id == client_id, Consent.withdrawn_at.is_(None))
            .limit(1)
        ):
            raise Conflict("the client already has a consent in force", code="consent_exists")
        uow.session.add(
            Consent(
                client_id=client_id,
                scope=scope.strip()[:500],
                given_at=now,
                recorded_by=actor.username,
            )
        )
        _on_running_paths(
            uow, client_id, now, "consent_given", actor, {"scope": scope.strip()[:500]}
        )
        access.log(
            uow,
            now,
            actor,
            "update",
            "consent",
            client_id=client_id,
            basis=_consent_basis(actor),
            detail="consent given",
        )
        uow.commit()


def team_view(uow: UnitOfWork, clock: Clock, actor: access.Actor) -> list[TaskView]:
    """Every open task of the team, for the team coordinator."""
    now = clock()
    if not access.coordinates_team(actor):
        raise Forbidden("the team view is for the team coordinator", code="team_view_refused")
    with uow:
        rows = list(
            uow.session.scalars(
                select(HumanTask)
                .join(ProcessInstance)
                .where(HumanTask.state == "open", access.path_condition(uow, actor, now))
                .order_by(HumanTask.created_at)
                .limit(1000)
            )
        )
        views = [_task_view(r, now) for r in rows]
        for view, row in zip(views, rows, strict=True):
            view.waiting_for_consent = access.waits_for_consent(uow, row)
        for client_id, inst in {(v.client_id, v.instance_id) for v in views}:
            access.log(
                uow,
                now,
                actor,
                "read",
                "team_view",
                client_id=client_id,
                instance_id=inst,
                basis="team coordination",
                detail="team view row",
            )
        uow.commit()
        return views


def caseload(
    uow: UnitOfWork, clock: Clock, actor: access.Actor, username: str | None = None
) -> list[CaseloadRow]:
    """The clients a case manager is named for (their own, or, for the team coordinator,
    anyone's), with the step each is on, the next review and who is waiting on whom."""
    now = clock()
    with uow:
        person = actor.user_id
        if username and username != actor.username:
            if not access.coordinates_team(actor):
                raise Forbidden(
                    "only the team coordinator sees another case manager's caseload",
                    code="caseload_refused",
                )
            found = uow.session.scalar(select(User.id).where(User.username == username))
            if found is None:
                raise NotFound(
                    f"no user '{username}'", code="user_not_found", params={"user": username}
                )
            person = found
        rows = []
        for instance in uow.session.scalars(
            select(ProcessInstance)
            .where(
                ProcessInstance.case_manager_id == person,
                ProcessInstance.status == "running",
                access.path_condition(uow, actor, now),
            )
            .order_by(ProcessInstance.created_at)
        ):
            tasks = [
                _task_view(t, now)
                for t in uow.session.scalars(
                    select(HumanTask).where(
                        HumanTask.instance_id == instance.id, HumanTask.state == "open"
                    )
                )
            ]
            waits = list(
                uow.session.scalars(
                    select(WaitingEvent).where(
                        WaitingEvent.instance_id == instance.id, WaitingEvent.settled_at.is_(None)
                    )
                )
            )
            timers = sorted(w.due_at for w in waits if w.kind == "timer" and w.due_at)
            waiting_on = [t.assignee or t.role or "" for t in tasks]
            waiting_on += [f"message:{w.message_name}" for w in waits if w.kind == "message"]
            rows.append(
                CaseloadRow(
                    instance_id=instance.id,
                    client_id=instance.client_id,
                    client_pseudonym=instance.client.pseudonym,
                    client_name=instance.client.full_name,
                    model_name=instance.model_version.model.name,
                    current_steps=[t.name for t in tasks] + [w.name for w in waits],
                    next_review=timers[0] if timers else None,
                    waiting_on=waiting_on,
                    open_tasks=tasks,
                )
            )
            access.log(
                uow,
                now,
                actor,
                "read",
                "caseload",
                client_id=instance.client_id,
                instance_id=instance.id,
                basis="case manager" if person == actor.user_id else "team coordination",
                detail="caseload row",
            )
        uow.commit()
        return rows
