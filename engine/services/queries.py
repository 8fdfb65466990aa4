"""Read side: worklists and client pages from indexed tables, each read of client data logged."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select

from engine.clock import Clock
from engine.errors import NotFound
from engine.persistence.tables import (
    Client,
    Consent,
    Event,
    HumanTask,
    ProcessInstance,
    ProcessModel,
    ProcessModelVersion,
    TaskDraft,
    User,
    WaitingEvent,
)
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import access, field_visibility
from engine.services.instances import model_of
from engine.workflow.engine import WorkflowEngine


@dataclass
class ProcessView:
    key: str
    name: str
    version: int
    process_id: str
    deployed_at: datetime


@dataclass
class TaskView:
    id: str
    instance_id: int
    client_id: int
    client_pseudonym: str
    client_name: str
    bpmn_id: str
    name: str
    phase: str | None
    role: str | None
    assignee: str | None
    claimed_by: str | None
    state: str
    created_at: datetime
    due_at: datetime | None
    completed_by: str | None = None
    completed_at: datetime | None = None
    form: dict[str, Any] | None = None
    overdue: bool = False
    waiting_days: float = 0.0
    # in another organisation's lane while the client has no consent in force: offered to
    # nobody until consent is given
    waiting_for_consent: bool = False
    draft: dict[str, Any] | None = None
    draft_saved_by: str | None = None
    draft_saved_at: datetime | None = None
    # fields of the draft left out for a reader who does not do the task: their visibility
    # classes are not the reader's (the one doing the task sees the whole form)
    draft_hidden: list[str] = field(default_factory=list)
    draft_hidden_classes: list[str] = field(default_factory=list)


@dataclass
class InstanceView:
    id: int
    client_id: int
    client_pseudonym: str
    client_name: str
    model_key: str
    model_name: str
    model_version: int
    status: str
    outcome: str | None
    case_manager: str | None
    case_manager_name: str | None
    created_at: datetime
    completed_at: datetime | None
    open_tasks: list[TaskView] = field(default_factory=list)
    waiting: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    consents: list[dict[str, Any]] = field(default_factory=list)
    organisation: str | None = None  # the owning organisation's code
    basis: str = ""  # the reader's basis, as logged
    # what the reader may do, as the access policy says
    may_reassign: bool = False
    may_record_decision: bool = False


def list_processes(uow: UnitOfWork) -> list[ProcessView]:
    with uow:
        rows = uow.session.execute(
            select(ProcessModel, ProcessModelVersion)
            .join(ProcessModelVersion, ProcessModelVersion.model_id == ProcessModel.id)
            .order_by(ProcessModel.key, ProcessModelVersion.number.desc())
        ).all()
    seen: dict[str, ProcessView] = {}
    for model, version in rows:
        seen.setdefault(
            model.key,
            ProcessView(
                model.key, model.name, version.number, version.process_id, version.deployed_at
            ),
        )
    return list(seen.values())


def _task_view(row: HumanTask, now: datetime | None = None) -> TaskView:
    client = row.instance.client
    view = TaskView(
        id=row.id,
        instance_id=row.instance_id,
        client_id=client.id,
        client_pseudonym=client.pseudonym,
        client_name=client.full_name,
        bpmn_id=row.bpmn_id,
        name=row.name,
        phase=row.phase,
        role=row.role,
        assignee=row.assignee.username if row.assignee else None,
        claimed_by=row.claimed_by.username if row.claimed_by else None,
        state=row.state,
        created_at=row.created_at,
        due_at=row.due_at,
        completed_by=row.completed_by.username if row.completed_by else None,
        completed_at=row.completed_at,
    )
    if now is not None and row.state == "open":
        view.overdue = row.due_at is not None and row.due_at < now
        view.waiting_days = round((now - row.created_at).total_seconds() / 86400, 2)
    return view


SORTS = {
    "created": (HumanTask.created_at,),
    "waiting": (HumanTask.created_at,),  # the longest waiting first
    "due": (HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.created_at),
    "step": (HumanTask.name, HumanTask.created_at),
    "client": (Client.full_name, HumanTask.created_at),
}


def _visible_tasks(actor: access.Actor) -> Any:
    """Tasks the actor may work on, as the access policy decides."""
    query = select(HumanTask).join(ProcessInstance).join(Client)
    return query.where(access.task_list_condition(actor))


def list_tasks(
    uow: UnitOfWork,
    clock: Clock,
    actor: access.Actor,
    *,
    role: str | None = None,
    assignee: str | None = None,
    instance_id: int | None = None,
    state: str = "open",
    sort: str = "created",
    overdue: bool = False,
    step: str | None = None,
    client: str | None = None,
    mine: bool = False,
    limit: int = 200,
) -> list[TaskView]:
    """Tasks the actor may work on (an administrator sees all), narrowed by the filters."""
    now = clock()
    with uow:
        query = _visible_tasks(actor).where(HumanTask.state == state)
        if role:
            query = query.where(HumanTask.role == role)
        if assignee:
            query = query.join(User, User.id == HumanTask.assignee_id).where(
                User.username == assignee
            )
        if mine:
            query = query.where(HumanTask.assignee_id == actor.user_id)
        if instance_id is not None:
            query = query.where(HumanTask.instance_id == instance_id)
        if overdue:
            query = query.where(HumanTask.due_at < now)
        if step:
            query = query.where(HumanTask.bpmn_id == step)
        if client:
            pattern = f"%{client.strip()}%"
            query = query.where(
                or_(Client.full_name.ilike(pattern), Client.pseudonym.ilike(pattern))
            )
        query = query.order_by(*SORTS.get(sort, SORTS["created"]))
        rows = list(uow.session.scalars(query.limit(limit)))
        views = [_task_view(r, now) for r in rows]
        for client_id, inst in {(v.client_id, v.instance_id) for v in views}:
            access.log(
                uow,
                now,
                actor,
                "read",
                "worklist",
                client_id=client_id,
                instance_id=inst,
                basis="worklist of own roles",
                detail="worklist row",
            )
        uow.commit()
        return views


def task_counts(uow: UnitOfWork, clock: Clock, actor: access.Actor) -> dict[str, int]:
    """How many open tasks each worklist view holds (counts only: no client data read)."""
    now = clock()
    with uow:
        base = _visible_tasks(actor).where(HumanTask.state == "open").subquery()

        def count(*where: Any) -> int:
            query = select(func.count()).select_from(base).where(*where)
            return uow.session.scalar(query) or 0

        return {
            "all": count(),
            "mine": count(base.c.assignee_id == actor.user_id),
            "role": count(base.c.assignee_id.is_(None)),
            "overdue": count(base.c.due_at < now),
        }


def get_task(
    uow: UnitOfWork, engine: WorkflowEngine, clock: Clock, actor: access.Actor, task_id: str
) -> TaskView:
    now = clock()
    with uow:
        row = uow.session.get(HumanTask, task_id)
        if row is None:
            raise NotFound(f"task {task_id} does not exist")
        doer_basis = access.task_basis(uow, actor, row)
        basis = doer_basis or access.read_basis(uow, actor, row.instance, now)
        if basis is None:
            raise access.refuse(
                uow,
                now,
                actor,
                "read",
                "task",
                row.instance.client_id,
                row.instance_id,
                "no client relationship or task role",
            )
        view = _task_view(row, now)
        view.form = model_of(engine, row.instance).user_tasks[row.bpmn_id].form
        draft = uow.session.get(TaskDraft, row.id)
        if draft is not None:
            view.draft, view.draft_saved_by, view.draft_saved_at = (
                dict(draft.data),
                draft.saved_by,
                draft.saved_at,
            )
            if doer_basis is None and draft.saved_by != actor.username:
                # someone else's work in progress: only what the reader's work needs
                classes = field_visibility.reader_classes(actor, row.instance)
                view.draft, view.draft_hidden = field_visibility.visible(
                    view.form, view.draft, classes
                )
                view.draft_hidden_classes = field_visibility.classes_of(
                    view.form, view.draft_hidden
                )
        access.log(
            uow,
            now,
            actor,
            "read",
            "task",
            client_id=view.client_id,
            instance_id=row.instance_id,
            basis=basis,
            detail=f"task {row.name} ({row.id})",
        )
        uow.commit()
        return view


def get_instance(
    uow: UnitOfWork, clock: Clock, actor: access.Actor, instance_id: int
) -> InstanceView:
    now = clock()
    with uow:
        instance = uow.session.get(ProcessInstance, instance_id)
        if instance is None:
            raise NotFound(f"instance {instance_id} does not exist")
        basis = access.read_basis(uow, actor, instance, now)
        if basis is None:
            raise access.refuse(
                uow,
                now,
                actor,
                "read",
                "process_instance",
                instance.client_id,
                instance.id,
                "no client relationship or task role",
            )
        view = _instance_view(uow, instance, actor, basis, now)
        access.log(
            uow,
            now,
            actor,
            "read",
            "process_instance",
            client_id=instance.client_id,
            instance_id=instance.id,
            basis=basis,
            detail=f"path {instance.id}: history, open tasks, consents",
        )
        uow.commit()
        return view


def instances_of_client(
    uow: UnitOfWork, clock: Clock, actor: access.Actor, client_id: int
) -> tuple[Client, list[InstanceView]]:
    now = clock()
    with uow:
        client = uow.session.get(Client, client_id)
        if client is None:
            raise NotFound(f"client {client_id} does not exist")
        instances = list(
            uow.session.scalars(
                select(ProcessInstance)
                .where(ProcessInstance.client_id == client_id)
                .order_by(ProcessInstance.created_at.desc())
            )
        )
        bases = [access.read_basis(uow, actor, i, now) for i in instances]
        pathless = (
            "intake coordination (client on no path yet)"
            if (not instances and actor.coordinates)
            else None
        )
        if not (pathless or any(bases)):
            raise access.refuse(
                uow,
                now,
                actor,
                "read",
                "client",
                client_id,
                None,
                "no client relationship or task role",
            )
        views = [
            _instance_view(uow, i, actor, b, now)
            for i, b in zip(instances, bases, strict=True)
            if b
        ]
        access.log(
            uow,
            now,
            actor,
            "read",
            "client",
            client_id=client_id,
            basis=next((b for b in bases if b), pathless or ""),
            detail=f"client page: {len(views)} path(s)",
        )
        uow.commit()
        return client, views


def list_clients(uow: UnitOfWork, clock: Clock, actor: access.Actor) -> list[dict[str, Any]]:
    """Clients the actor has a basis for (`access.client_list_condition`)."""
    now = clock()
    with uow:
        query = select(Client).order_by(Client.created_at.desc())
        query = query.where(access.client_list_condition(uow, actor, now))  # the policy decides
        clients = list(uow.session.scalars(query.limit(500)))
        readable = access.path_condition(uow, actor, now)
        result = []
        for c in clients:
            latest = uow.session.scalar(
                select(ProcessInstance)
                .where(ProcessInstance.client_id == c.id, readable)
                .order_by(ProcessInstance.created_at.desc())
                .limit(1)
            )
            result.append(
                {
                    "id": c.id,
                    "pseudonym": c.pseudonym,
                    "full_name": c.full_name,
                    "municipality": c.municipality,
                    "created_at": c.created_at,
                    "instance_id": latest.id if latest else None,
                    "status": latest.status if latest else None,
                }
            )
            access.log(
                uow,
                now,
                actor,
                "read",
                "client_list",
                client_id=c.id,
                basis="client relationship" if latest else "intake coordination (no path yet)",
                detail="client list entry: name, pseudonym, municipality",
            )
        uow.commit()
        return result


def _instance_view(
    uow: UnitOfWork, instance: ProcessInstance, actor: access.Actor, basis: str, now: datetime
) -> InstanceView:
    session = uow.session
    version = instance.model_version
    view = InstanceView(
        id=instance.id,
        client_id=instance.client_id,
        client_pseudonym=instance.client.pseudonym,
        client_name=instance.client.full_name,
        model_key=version.model.key,
        model_name=version.model.name,
        model_version=version.number,
        status=instance.status,
        outcome=instance.outcome,
        case_manager=instance.case_manager.username if instance.case_manager else None,
        case_manager_name=instance.case_manager.display_name if instance.case_manager else None,
        created_at=instance.created_at,
        completed_at=instance.completed_at,
        organisation=instance.organisation.code if instance.organisation else None,
        basis=basis,
        may_reassign=instance.status == "running"
        and access.reassignment_basis(uow, actor, instance, instance.case_manager, now) is not None,
        may_record_decision=instance.status == "running"
        and access.message_basis(uow, actor, instance, now) is not None,
    )
    open_rows = list(
        session.scalars(
            select(HumanTask)
            .where(HumanTask.instance_id == instance.id, HumanTask.state == "open")
            .order_by(HumanTask.created_at)
        )
    )
    view.open_tasks = [_task_view(r) for r in open_rows]
    for task, row in zip(view.open_tasks, open_rows, strict=True):
        task.waiting_for_consent = access.waits_for_consent(uow, row)
    view.waiting = [
        {
            "kind": w.kind,
            "name": w.name,
            "bpmn_id": w.bpmn_id,
            "message_name": w.message_name,
            "due_at": w.due_at,
        }
        for w in session.scalars(
            select(WaitingEvent).where(
                WaitingEvent.instance_id == instance.id, WaitingEvent.settled_at.is_(None)
            )
        )
    ]
    view.history = [
        {
            "id": e.id,
            "occurred_at": e.occurred_at,
            "kind": e.kind,
            "bpmn_id": e.bpmn_id,
            "element_name": e.element_name,
            "task_id": e.task_id,
            "actor": e.actor,
            "role": e.role,
            "data": e.data,
            "hidden": [],
            "hidden_classes": [],
        }
        for e in session.scalars(
            select(Event).where(Event.instance_id == instance.id).order_by(Event.id)
        )
    ]
    field_visibility.mask_history(uow, instance, view.history, actor)
    view.consents = [
        {
            "scope": c.scope,
            "given_at": c.given_at,
            "withdrawn_at": c.withdrawn_at,
            "recorded_by": c.recorded_by,
        }
        for c in session.scalars(select(Consent).where(Consent.client_id == instance.client_id))
    ]
    return view


@dataclass
class DiagramState:
    model_key: str
    version: int
    xml: str
    current: list[str]
    done: list[str]


def diagram_state(
    uow: UnitOfWork, engine: WorkflowEngine, clock: Clock, actor: access.Actor, instance_id: int
) -> DiagramState:
    """The instance's diagram, where the client is now and the elements already passed."""
    now = clock()
    with uow:
        instance = uow.session.get(ProcessInstance, instance_id)
        if instance is None:
            raise NotFound(f"instance {instance_id} does not exist")
        basis = access.read_basis(uow, actor, instance, now)
        if basis is None:
            raise access.refuse(
                uow,
                now,
                actor,
                "read",
                "diagram",
                instance.client_id,
                instance.id,
                "no client relationship or task role",
            )
        model = model_of(engine, instance)
        on_top = lambda i: model.top_level.get(i, i)  # noqa: E731
        current = {
            on_top(t)
            for t in uow.session.scalars(
                select(HumanTask.bpmn_id).where(
                    HumanTask.instance_id == instance.id, HumanTask.state == "open"
                )
            )
        }
        current |= {
            on_top(w)
            for w in uow.session.scalars(
                select(WaitingEvent.bpmn_id).where(
                    WaitingEvent.instance_id == instance.id, WaitingEvent.settled_at.is_(None)
                )
            )
        }
        done = {
            on_top(e)
            for e in uow.session.scalars(
                select(Event.bpmn_id).where(
                    Event.instance_id == instance.id,
                    Event.kind.in_(["task_completed", "element_completed", "timer_fired"]),
                )
            )
            if e is not None
        }
        version = instance.model_version
        access.log(
            uow,
            now,
            actor,
            "read",
            "diagram",
            client_id=instance.client_id,
            instance_id=instance.id,
            basis=basis,
            detail=f"diagram of path {instance.id}",
        )
        uow.commit()
        return DiagramState(
            version.model.key,
            version.number,
            version.files[version.main_file],
            sorted(c for c in current if c),
            sorted(d for d in done - current if d),
        )


# The records of a path live in their own module; named here too for the pages that read them.
