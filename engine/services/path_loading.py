"""Loading a client's path for a command: its parsed model and workflow (`load`), the locked
worklist row of a task (`locked_task`, `task_for_work`), the errors of a filled-in form
(`form_errors`), and `command`, which turns engine and concurrency failures into domain errors.
Shared by every command module (instances, task_completion, waits, reviews, corrections)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload, lazyload, object_session, undefer
from sqlalchemy.orm.exc import StaleDataError

from engine.errors import Conflict, NotFound, Text
from engine.persistence.tables import (
    HumanTask,
    ProcessInstance,
    ProcessModel,
    ProcessModelVersion,
    User,
)
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import (
    access,
)
from engine.services.telemetry import timed_command
from engine.workflow import forms, runtime
from engine.workflow.engine import WorkflowEngine
from engine.workflow.model import ParsedModel


@dataclass
class Loaded:
    instance: ProcessInstance
    model: ParsedModel
    workflow: BpmnWorkflow
    before: dict[str, runtime.ElementState]


def model_of(engine: WorkflowEngine, instance: ProcessInstance) -> ParsedModel:
    """The instance's parsed model. A version never changes, so once parsed it is found by its
    key and content hash (read once per session), without loading the version's files."""
    if "model_version" in instance.__dict__:  # loaded with the path (files deferred)
        version = instance.model_version
        cached = engine.cached_model(version.content_hash, version.model.key)
        if cached is not None:
            return cached
    session = object_session(instance)
    if session is not None and "model_version" not in instance.__dict__:
        known: dict[int, tuple[str, str]] = session.info.setdefault("model_versions", {})
        if instance.model_version_id not in known:
            row = session.execute(
                select(ProcessModel.key, ProcessModelVersion.content_hash)
                .join(ProcessModelVersion.model)
                .where(ProcessModelVersion.id == instance.model_version_id)
            ).one()
            known[instance.model_version_id] = (row.key, row.content_hash)
        key, content_hash = known[instance.model_version_id]
        cached = engine.cached_model(content_hash, key)
        if cached is not None:
            return cached
    version = instance.model_version
    return engine.model_for_version(version.content_hash, version.model.key, version.files)


def load(uow: UnitOfWork, engine: WorkflowEngine, instance: ProcessInstance) -> Loaded:
    model = model_of(engine, instance)
    workflow = engine.serializer.loads(instance.state, model)
    return Loaded(instance, model, workflow, runtime.snapshot(workflow))


def no_user(name: object) -> Text:
    return Text("user_named_missing", "No user '{name}' exists.", name=str(name))


@contextmanager
def command(uow: UnitOfWork, kind: str) -> Iterator[None]:
    """Translate engine and concurrency failures into domain errors; nothing is kept."""
    try:
        with timed_command(kind):
            yield
    except StaleDataError:
        raise Conflict(
            "the client's path was changed by someone else meanwhile: try again",
            code="path_changed_meanwhile",
        ) from None
    except runtime.WorkflowError as exc:
        raise Conflict(str(exc), code=exc.code, params=exc.params) from None
    except SpiffWorkflowException as exc:
        raise Conflict(
            f"the process model could not go on: {exc}",
            code="model_stuck", params={"error": str(exc)},
        ) from None


def locked_task(uow: UnitOfWork, task_id: str) -> HumanTask:
    """The worklist row and its path with the workflow state, in one query (people are read only
    if needed). The path's row is locked (PostgreSQL): a second command on it waits, then sees
    its state."""
    path = contains_eager(HumanTask.instance)
    row = uow.session.scalar(
        select(HumanTask)
        .join(HumanTask.instance)
        .where(HumanTask.id == task_id)
        .with_for_update(of=ProcessInstance)
        .options(
            lazyload(HumanTask.assignee),
            lazyload(HumanTask.claimed_by),
            lazyload(HumanTask.completed_by),
            path.undefer(ProcessInstance.state),
            path.lazyload(ProcessInstance.case_manager),
            path.joinedload(ProcessInstance.model_version).defer(ProcessModelVersion.files),
        )
    )
    if row is None:
        raise NotFound(
            f"task {task_id} does not exist", code="task_not_found", params={"task_id": task_id}
        )
    return row


def task_for_work(
    uow: UnitOfWork, actor: access.Actor, task_id: str, action: str, now: Any
) -> tuple[HumanTask, str]:
    row = locked_task(uow, task_id)
    basis = access.task_basis(uow, actor, row)
    if basis is None:
        raise access.refuse(
            uow,
            now,
            actor,
            action,
            "task",
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
    if row.claimed_by_id is not None and row.claimed_by_id != actor.user_id:
        holder = row.claimed_by.display_name if row.claimed_by else "someone else"
        raise Conflict(
            f"task '{row.name}' is claimed by {holder}",
            code="task_claimed_by", params={"name": row.name, "holder": holder},
        )
    return row, basis


def instance_of(uow: UnitOfWork, instance_id: int) -> ProcessInstance:
    """The path with its workflow state (one query; the case manager is read when needed),
    locked for the command on PostgreSQL."""
    instance = uow.session.scalar(
        select(ProcessInstance)
        .where(ProcessInstance.id == instance_id)
        .with_for_update(of=ProcessInstance)
        .options(
            undefer(ProcessInstance.state),
            lazyload(ProcessInstance.case_manager),
            joinedload(ProcessInstance.model_version).defer(ProcessModelVersion.files),
        )
    )
    if instance is None:
        raise NotFound(
            f"instance {instance_id} does not exist",
            code="instance_not_found", params={"instance_id": instance_id},
        )
    return instance


def form_errors(
    uow: UnitOfWork, schema: dict[str, Any], data: dict[str, Any]
) -> tuple[dict[str, list[str | Text]], dict[str, User | None]]:
    """The form's errors (JSON Schema, and every person a field names must be an active user)
    and, when there are none, the named users. Completing a task and correcting its entry
    check a form alike."""
    errors: dict[str, list[str | Text]] = dict(forms.validate(schema, data))
    for field in forms.user_fields(schema):
        if field in data and not errors.get(field) and active_user(uow, data[field]) is None:
            errors.setdefault(field, []).append(no_user(data[field]))
    named = {n: active_user(uow, n) for n in forms.named_users(schema, data) if not errors}
    for field, prop in schema.get("properties", {}).items():
        value = data.get(field)
        if (prop.get("items") or {}).get("format") == forms.USER_FORMAT and value:
            missing = [n for n in value if named.get(n) is None]
            if missing:
                errors.setdefault(field, []).append(no_user(missing[0]))
    return errors, named


def active_user(uow: UnitOfWork, username: Any) -> User | None:
    if not isinstance(username, str):
        return None
    return uow.session.scalar(select(User).where(User.username == username, User.active))
