"""A client's paths as a reader sees them: open tasks, what is awaited, the history (cut to the
reader's field classes) and what the reader may do, built for several paths at once.

Each kind of row is read once for all the paths (`instance_id IN (...)`), never once per
path or per task; the people on the rows come with them (their roles and organisations are
not loaded, nothing here needs them); the access policy's questions are answered from the
facts it read once (`access.path_facts`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import joinedload, lazyload
from sqlalchemy.orm.interfaces import LoaderOption

from engine.persistence.tables import (
    Consent,
    Event,
    FormSubmission,
    HumanTask,
    ProcessInstance,
    ProcessModelVersion,
    User,
    WaitingEvent,
)
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import access, field_visibility
from engine.services.worklist import TaskView, _task_view
from engine.workflow.model import ParsedModel


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
    may_reschedule_review: bool = False  # bring the follow-up review forward or postpone it
    model_version_id: int | None = None  # its texts show the path's names in the reader's language


def _person(relationship: Any) -> LoaderOption:
    """A person on a row, without their roles and organisations."""
    return joinedload(relationship).options(lazyload(User.roles), lazyload(User.organisations))


# Paths with their client, model version (its files left in the database: the parsed model is
# found by the version's key and content hash) and case manager, in one statement.
PATH_OPTIONS: tuple[LoaderOption, ...] = (
    joinedload(ProcessInstance.model_version).defer(ProcessModelVersion.files),
    _person(ProcessInstance.case_manager),
)
_TASK_OPTIONS: tuple[LoaderOption, ...] = (
    lazyload(HumanTask.instance),  # the paths are loaded already
    _person(HumanTask.assignee),
    _person(HumanTask.claimed_by),
    _person(HumanTask.completed_by),
)

Row = TypeVar("Row", HumanTask, WaitingEvent, Event, FormSubmission)


def by_path(rows: Iterable[Row]) -> dict[int, list[Row]]:
    """Rows grouped by their path, each group in the rows' order."""
    grouped: dict[int, list[Row]] = defaultdict(list)
    for row in rows:
        grouped[row.instance_id].append(row)
    return grouped


def submissions_of(uow: UnitOfWork, ids: Sequence[int]) -> dict[int, list[FormSubmission]]:
    """The form submissions of the paths, oldest first."""
    return by_path(
        uow.session.scalars(
            select(FormSubmission)
            .where(FormSubmission.instance_id.in_(ids))
            .order_by(FormSubmission.id)
        )
    )


def consent_dicts(rows: Iterable[Consent]) -> list[dict[str, Any]]:
    return [
        {
            "scope": c.scope,
            "given_at": c.given_at,
            "withdrawn_at": c.withdrawn_at,
            "recorded_by": c.recorded_by,
        }
        for c in rows
    ]


def path_views(
    uow: UnitOfWork,
    actor: access.Actor,
    paths: Sequence[tuple[ProcessInstance, str]],
    now: datetime,
    *,
    facts: Mapping[int, access.PathFacts] | None = None,
    consents: Sequence[Consent] | None = None,
    submissions: Mapping[int, list[FormSubmission]] | None = None,
    models: Mapping[int, ParsedModel] | None = None,
) -> list[InstanceView]:
    """The views of the paths the reader may read (each with the basis the policy gave), in
    the order given. What the caller has read already it passes: the policy's `facts` of the
    paths, the `consents` of their clients, their form `submissions` and parsed `models` (by
    path id); the rest is read here, once for all the paths."""
    session = uow.session
    ids = [instance.id for instance, _basis in paths]
    if not ids:
        return []
    if facts is None:
        facts = access.path_facts(uow, actor, [i for i, _b in paths], now)
    tasks = by_path(
        session.scalars(
            select(HumanTask)
            .where(HumanTask.instance_id.in_(ids), HumanTask.state == "open")
            .order_by(HumanTask.created_at)
            .options(*_TASK_OPTIONS)
        )
    )
    waiting = by_path(
        session.scalars(
            select(WaitingEvent)
            .where(WaitingEvent.instance_id.in_(ids), WaitingEvent.settled_at.is_(None))
            .order_by(WaitingEvent.id)
        )
    )
    events = by_path(
        session.scalars(select(Event).where(Event.instance_id.in_(ids)).order_by(Event.id))
    )
    if consents is None:
        clients = sorted({instance.client_id for instance, _basis in paths})
        consents = list(
            session.scalars(
                select(Consent).where(Consent.client_id.in_(clients)).order_by(Consent.id)
            )
        )
    views = []
    for instance, basis in paths:
        path_facts = facts[instance.id]
        view = _view(uow, instance, actor, basis, now, path_facts)
        rows = tasks.get(instance.id, [])
        view.open_tasks = [_task_view(r) for r in rows]
        for task, row in zip(view.open_tasks, rows, strict=True):
            task.waiting_for_consent = access.waits_for_consent(uow, row, path_facts)
            task.may_work = access.task_basis(uow, actor, row, path_facts) is not None
        model = models.get(instance.id) if models is not None else None
        view.waiting = [
            {
                "kind": w.kind,
                "name": w.name,
                "bpmn_id": w.bpmn_id,
                "message_name": w.message_name,
                "due_at": w.due_at,
                "since": w.created_at,
                "task_id": w.task_id,  # an awaited decision's worklist item has this id
                # the follow-up review's timer (`dueFromField`): its case manager may move it
                "reschedulable": model is not None and w.bpmn_id in model.due_from_fields,
            }
            for w in waiting.get(instance.id, [])
        ]
        view.history = [_event(e) for e in events.get(instance.id, [])]
        field_visibility.mask_history(
            uow,
            instance,
            view.history,
            actor,
            model=models.get(instance.id) if models is not None else None,
            submissions=submissions.get(instance.id, []) if submissions is not None else None,
        )
        view.consents = consent_dicts(c for c in consents if c.client_id == instance.client_id)
        views.append(view)
    return views


def _view(
    uow: UnitOfWork,
    instance: ProcessInstance,
    actor: access.Actor,
    basis: str,
    now: datetime,
    facts: access.PathFacts,
) -> InstanceView:
    version, manager = instance.model_version, instance.case_manager
    running = instance.status == "running"
    return InstanceView(
        id=instance.id,
        client_id=instance.client_id,
        client_pseudonym=instance.client.pseudonym,
        client_name=instance.client.full_name,
        model_key=version.model.key,
        model_name=version.model.name,
        model_version=version.number,
        model_version_id=instance.model_version_id,
        status=instance.status,
        outcome=instance.outcome,
        case_manager=manager.username if manager else None,
        case_manager_name=manager.display_name if manager else None,
        created_at=instance.created_at,
        completed_at=instance.completed_at,
        organisation=instance.organisation.code if instance.organisation else None,
        basis=basis,
        may_reassign=running
        and access.reassignment_basis(uow, actor, instance, manager, now, facts) is not None,
        may_record_decision=running
        and access.message_basis(uow, actor, instance, now, facts) is not None,
        may_reschedule_review=access.reschedule_review_basis(actor, instance) is not None,
    )


def _event(e: Event) -> dict[str, Any]:
    return {
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
