"""What a client signed in themself reads of their own path (issue 17 §2, §5): where they
are in the five phases, what comes next, what is awaited and since when, their case manager
and how to reach them, the next review, the support plan's latest revision (the `shared`
fields only: the access policy cuts the rest), their own open tasks, and their consent.

Every read is the client's own (`access.read_basis` answers "the client themself" for their
own paths and nothing for anyone else's) and writes its access-log row."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from engine.clock import Clock
from engine.errors import InvalidInput, NotFound, Text
from engine.persistence.tables import Client, Consent, HumanTask, ProcessInstance, WaitingEvent
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import access, notifications, records
from engine.services.access_client import OWN_BASIS, own_task_condition
from engine.services.path_loading import model_of
from engine.services.progress import record
from engine.services.records import Submission
from engine.workflow.engine import WorkflowEngine
from engine.workflow.loader import PHASES

REQUEST_MAX = 2000
CORRECTION_REQUESTED = "correction_requested"  # the path's event and the notice's kind


@dataclass
class Awaited:
    name: str
    since: datetime


@dataclass
class OwnTask:
    id: str
    name: str
    instance_id: int
    created_at: datetime
    due_at: datetime | None
    model_version_id: int
    bpmn_id: str
    form: dict[str, Any] | None = None


@dataclass
class MyPath:
    id: int
    model_name: str
    status: str
    outcome: str | None
    phase: str | None  # the phase the path is in (None: not begun a phase yet)
    phases_done: list[str]
    next_steps: list[str]  # the open steps (names) the team works on
    awaited: list[Awaited]
    case_manager: str | None
    case_manager_email: str | None
    next_review: datetime | None
    started_at: datetime
    completed_at: datetime | None
    tasks: list[OwnTask] = field(default_factory=list)


@dataclass
class MyPage:
    client_id: int
    pseudonym: str
    full_name: str
    paths: list[MyPath]
    consent: dict[str, Any] | None  # the consent in force: scope and given_at


def _client(uow: UnitOfWork, actor: access.Actor) -> Client:
    client = uow.session.get(Client, actor.client_id) if actor.client_id is not None else None
    if client is None:
        raise NotFound("no such client", code="client_not_found", params={"client_id": 0})
    return client


def _phase_of(rows: list[HumanTask], instance: ProcessInstance) -> tuple[str | None, list[str]]:
    phased = [r for r in rows if r.phase in PHASES]
    if instance.status == "completed":
        return None, list(PHASES)
    open_rows = [r for r in phased if r.state == "open"]
    latest = max(open_rows or phased, key=lambda r: (r.created_at, PHASES.index(r.phase or "")),
                 default=None)  # fmt: skip
    if latest is None:
        return None, []
    index = PHASES.index(latest.phase or "")
    return latest.phase, list(PHASES[:index])


def my_page(uow: UnitOfWork, engine: WorkflowEngine, clock: Clock, actor: access.Actor) -> MyPage:
    """The client's own paths, newest first, in the words of their progress (logged)."""
    now = clock()
    with uow:
        client = _client(uow, actor)
        paths = list(
            uow.session.scalars(
                select(ProcessInstance)
                .where(ProcessInstance.client_id == client.id)
                .order_by(ProcessInstance.created_at.desc())
            )
        )
        views = []
        for instance in paths:
            if access.read_basis(uow, actor, instance, now) is None:
                continue  # never: a client's paths are theirs
            views.append(_view(uow, engine, actor, instance))
        consent = uow.session.scalar(
            select(Consent)
            .where(Consent.client_id == client.id, Consent.withdrawn_at.is_(None))
            .order_by(Consent.id.desc())
            .limit(1)
        )
        access.log(
            uow, now, actor, "read", "client", client_id=client.id, basis=OWN_BASIS,
            detail=f"the client's own page: {len(views)} path(s)",
        )  # fmt: skip
        uow.commit()
        return MyPage(
            client.id,
            client.pseudonym,
            client.full_name,
            views,
            {"scope": consent.scope, "given_at": consent.given_at} if consent else None,
        )


def _view(
    uow: UnitOfWork, engine: WorkflowEngine, actor: access.Actor, instance: ProcessInstance
) -> MyPath:
    model = model_of(engine, instance)
    rows = list(
        uow.session.scalars(
            select(HumanTask).where(HumanTask.instance_id == instance.id).order_by(HumanTask.id)
        )
    )
    phase, done = _phase_of(rows, instance)
    waiting = list(
        uow.session.scalars(
            select(WaitingEvent)
            .where(WaitingEvent.instance_id == instance.id, WaitingEvent.settled_at.is_(None))
            .order_by(WaitingEvent.id)
        )
    )
    review = next(
        (w.due_at for w in waiting if w.kind == "timer" and w.bpmn_id in model.due_from_fields),
        None,
    )
    manager = instance.case_manager
    own = [
        _own(r)
        for r in rows
        if r.state == "open" and access.task_basis(uow, actor, r) is not None
    ]
    return MyPath(
        id=instance.id,
        model_name=model.name,
        status=instance.status,
        outcome=instance.outcome,
        phase=phase,
        phases_done=done,
        next_steps=[
            r.name for r in rows if r.state == "open" and r.kind == "task" and r.role != "client"
        ],  # fmt: skip
        awaited=[Awaited(w.name, w.created_at) for w in waiting if w.kind == "message"],
        case_manager=manager.display_name if manager else None,
        case_manager_email=manager.email if manager else None,
        next_review=review,
        started_at=instance.created_at,
        completed_at=instance.completed_at,
        tasks=own,
    )


def _own(row: HumanTask) -> OwnTask:
    return OwnTask(
        row.id, row.name, row.instance_id, row.created_at, row.due_at, row.model_version_id,
        row.bpmn_id,
    )  # fmt: skip


def my_plan(
    uow: UnitOfWork, engine: WorkflowEngine, clock: Clock, actor: access.Actor, instance_id: int
) -> Submission | None:
    """The latest revision of the path's support plan as the client may see it (the `shared`
    fields): `records.submissions` asks the policy and logs the read."""
    revisions = records.support_plan_revisions(uow, engine, clock, actor, instance_id)
    return revisions[-1] if revisions else None


def my_tasks(uow: UnitOfWork, clock: Clock, actor: access.Actor) -> list[OwnTask]:
    """The client's own open tasks (role `client` on their paths), oldest first (logged)."""
    now = clock()
    with uow:
        client = _client(uow, actor)
        rows = list(
            uow.session.scalars(
                select(HumanTask)
                .where(own_task_condition(actor))  # type: ignore[arg-type]
                .order_by(HumanTask.created_at, HumanTask.id)
            )
        )
        found = [_own(r) for r in rows if access.task_basis(uow, actor, r) is not None]
        access.log(
            uow, now, actor, "read", "tasks", client_id=client.id, basis=OWN_BASIS,
            detail=f"the client's own open tasks: {len(found)}",
        )  # fmt: skip
        uow.commit()
        return found


def my_task(
    uow: UnitOfWork, engine: WorkflowEngine, clock: Clock, actor: access.Actor, task_id: str
) -> OwnTask:
    """One of the client's own tasks with its form; another's is refused (and logged)."""
    now = clock()
    with uow:
        row = uow.session.get(HumanTask, task_id)
        if row is None:
            raise NotFound("no such task", code="task_not_found", params={"task_id": task_id})
        basis = access.task_basis(uow, actor, row)
        if basis is None or row.state != "open":
            raise access.refuse(
                uow, now, actor, "read", "task", row.client_id, row.instance_id,
                "not the client's own open task", code="access_refused",
            )  # fmt: skip
        task = _own(row)
        info = model_of(engine, row.instance).user_tasks.get(row.bpmn_id)
        task.form = info.form if info is not None else None
        access.log(
            uow, now, actor, "read", "task", client_id=row.client_id, instance_id=row.instance_id,
            basis=basis, detail=f"the client's own task opened: {row.name}",
        )  # fmt: skip
        uow.commit()
        return task


def request_correction(
    uow: UnitOfWork, clock: Clock, actor: access.Actor, instance_id: int, text: str
) -> bool:
    """The client asks for a correction of what is recorded on their path: an event in the
    path's history with their words, and a notice to the path's case manager (their
    notifications). Returns whether a case manager was notified."""
    now = clock()
    words = (text or "").strip()
    if not words:
        raise InvalidInput(
            "say what should be corrected",
            {"text": [Text("correction_request_empty", "Write what should be corrected.")]},
            code="correction_request_empty",
        )
    if len(words) > REQUEST_MAX:
        raise InvalidInput(
            "the request is too long",
            {"text": [Text("correction_request_too_long", "The text is too long.")]},
            code="correction_request_too_long", params={"max": REQUEST_MAX},
        )  # fmt: skip
    with uow:
        instance = uow.session.get(ProcessInstance, instance_id)
        if instance is None:
            raise NotFound("no such path", code="instance_not_found",
                           params={"instance_id": instance_id})  # fmt: skip
        basis = access.read_basis(uow, actor, instance, now)
        if basis is None:
            raise access.refuse(
                uow, now, actor, "update", "correction request", instance.client_id,
                instance.id, "not the client's own path", code="access_refused",
            )  # fmt: skip
        record(uow, instance, now, CORRECTION_REQUESTED, actor=actor.username,
               data={"text": words})  # fmt: skip
        manager = instance.case_manager_id
        if manager is not None:
            notifications.insert_ignoring(
                uow,
                [
                    {
                        "user_id": manager, "kind": CORRECTION_REQUESTED,
                        "key": f"{CORRECTION_REQUESTED}:{instance.id}:{now.isoformat()}",
                        "instance_id": instance.id, "task_id": None, "params": {},
                        "created_at": now,
                    }
                ],
            )  # fmt: skip
        access.log(
            uow, now, actor, "update", "correction request", client_id=instance.client_id,
            instance_id=instance.id, basis=basis,
            detail="the client asked for a correction"
            + ("; the case manager was notified" if manager else "; no case manager yet"),
        )  # fmt: skip
        uow.commit()
        return manager is not None
