"""Read side: worklists and client pages from indexed tables, each read of client data logged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from engine.clock import Clock
from engine.errors import NotFound
from engine.persistence.tables import (
    Event,
    HumanTask,
    ProcessModel,
    ProcessModelVersion,
    TaskDraft,
    WaitingEvent,
)
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import access, field_visibility
from engine.services.path_loading import model_of
from engine.services.path_lookup import NO_BASIS, path, readable_path
from engine.services.path_views import PATH_OPTIONS, path_views

# A path as its reader sees it (built in engine.services.path_views).
from engine.services.path_views import InstanceView as InstanceView

# The worklist (a page at a time) lives in its own module; named here for the pages reading it.
from engine.services.worklist import SORTS as SORTS
from engine.services.worklist import TaskView as TaskView
from engine.services.worklist import _task_view
from engine.services.worklist import list_tasks as list_tasks
from engine.services.worklist import task_counts as task_counts
from engine.workflow.engine import WorkflowEngine


@dataclass
class ProcessView:
    key: str
    name: str
    version: int
    process_id: str
    deployed_at: datetime


def list_processes(uow: UnitOfWork) -> list[ProcessView]:
    with uow:  # the versions' files stay in the database
        rows = uow.session.execute(
            select(
                ProcessModel.key,
                ProcessModel.name,
                ProcessModelVersion.number,
                ProcessModelVersion.process_id,
                ProcessModelVersion.deployed_at,
            )
            .join(ProcessModelVersion, ProcessModelVersion.model_id == ProcessModel.id)
            .order_by(ProcessModel.key, ProcessModelVersion.number.desc())
        ).all()
    seen: dict[str, ProcessView] = {}
    for key, name, number, process_id, deployed_at in rows:
        seen.setdefault(key, ProcessView(key, name, number, process_id, deployed_at))
    return list(seen.values())


def get_task(
    uow: UnitOfWork, engine: WorkflowEngine, clock: Clock, actor: access.Actor, task_id: str
) -> TaskView:
    now = clock()
    with uow:
        row = uow.session.get(HumanTask, task_id)
        if row is None:
            raise NotFound(
                f"task {task_id} does not exist", code="task_not_found", params={"task_id": task_id}
            )
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
                NO_BASIS,
                code="no_client_relationship",
            )
        view = _task_view(row, now)
        view.may_work = (
            access.decision_basis(uow, actor, row, now) if row.kind == "wait" else doer_basis
        ) is not None
        view.form = model_of(engine, row.instance).step_form(row.bpmn_id)
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
        instance = path(uow, instance_id, PATH_OPTIONS)
        facts = access.path_facts(uow, actor, [instance], now)
        basis = access.read_basis(uow, actor, instance, now, facts[instance.id])
        if basis is None:
            raise access.refuse(
                uow,
                now,
                actor,
                "read",
                "process_instance",
                instance.client_id,
                instance.id,
                NO_BASIS,
                code="no_client_relationship",
            )
        view = path_views(uow, actor, [(instance, basis)], now, facts=facts)[0]
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
        instance, basis = readable_path(uow, actor, instance_id, now, "diagram")
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
