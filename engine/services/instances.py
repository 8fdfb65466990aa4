"""Commands on a client's path: start it, complete and claim tasks, deliver messages, fire
timers, change the case manager. Each loads the instance, acts, and commits once."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import contains_eager, joinedload, lazyload, object_session, undefer
from sqlalchemy.orm.exc import StaleDataError

from engine.clock import Clock
from engine.errors import Conflict, InvalidInput, NotFound, Text
from engine.persistence.relationships import PathMember
from engine.persistence.tables import (
    Client,
    Consent,
    FormSubmission,
    HumanTask,
    ProcessInstance,
    ProcessModel,
    ProcessModelVersion,
    TaskDraft,
    User,
    WaitingEvent,
)
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import (
    access,
    decisions,
    duplicates,
    field_visibility,
    notifications,
    organisations,
)
from engine.services.deployment import latest_version
from engine.services.progress import LEAN_TASK, reach, record, synchronise
from engine.services.telemetry import TIMERS_FIRED, timed_command
from engine.workflow import forms, runtime
from engine.workflow.engine import WorkflowEngine
from engine.workflow.model import ParsedModel
from engine.workflow.roles import CASE_MANAGER

CASE_MANAGER_FIELD = "case_manager"
SYSTEM = access.Actor(0, "system", "Polku", frozenset())  # who background jobs act as
SUPPORT_PLAN_FORM = "support_plan.schema.json"
# A form that asks for consent to multi-organisation handling records it on the client.
log = logging.getLogger("polku.timers")
CONSENT_FIELD, CONSENT_SCOPE_FIELD = "consent_multi_org", "consent_scope"


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


def _load(uow: UnitOfWork, engine: WorkflowEngine, instance: ProcessInstance) -> Loaded:
    model = model_of(engine, instance)
    workflow = engine.serializer.loads(instance.state, model)
    return Loaded(instance, model, workflow, runtime.snapshot(workflow))


def _no_user(name: object) -> Text:
    return Text("user_named_missing", "No user '{name}' exists.", name=str(name))


@contextmanager
def _command(uow: UnitOfWork, kind: str) -> Iterator[None]:
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


def start_instance(
    uow: UnitOfWork,
    engine: WorkflowEngine,
    clock: Clock,
    actor: access.Actor,
    client_id: int,
    model_key: str,
    organisation: str | None = None,
    override_reason: str | None = None,
) -> int:
    """Start a path for the client, owned by `organisation` (a code; by default the model's
    region's county, the county of the client's municipality or the starter's only county).
    A second running path of the same model is `duplicates.DuplicatePath` unless a
    coordinator gives `override_reason`."""
    now = clock()
    with uow, _command(uow, "start_instance"):
        client = uow.session.get(Client, client_id)
        if client is None:
            raise NotFound(
                f"client {client_id} does not exist",
                code="client_not_found", params={"client_id": client_id},
            )
        version = latest_version(uow, model_key)
        if version is None:
            raise NotFound(
                f"process model '{model_key}' does not exist",
                code="model_not_found", params={"key": model_key},
            )
        owner = organisations.owner_for_new_path(
            uow,
            organisations.catalogue(engine.processes_dir),
            version.model,
            client,
            actor.organisations,
            organisation,
        )
        if not access.may_start_path(actor, owner):
            raise access.refuse(
                uow,
                now,
                actor,
                "create",
                "process_instance",
                client_id,
                None,
                "only the owning organisation's intake coordinators may start a client's path",
                code="start_path_refused",
            )
        duplicate_of, reason = duplicates.check(
            uow, actor, now, client.id, version.model, override_reason
        )
        model = engine.model_for_version(version.content_hash, model_key, version.files)
        workflow = engine.serializer.new_workflow(model)
        instance = ProcessInstance(
            client_id=client.id,
            model_version_id=version.id,
            status="running",
            organisation_id=owner.id,
            organisation=owner,
            created_at=now,
            updated_at=now,
            state="",
            serializer_version="",
        )
        uow.session.add(instance)
        uow.session.flush()
        record(
            uow,
            instance,
            now,
            "instance_started",
            actor=actor.username,
            data={"model": model_key, "version": version.number}
            | (
                {"duplicate_of": duplicate_of.id, "override_reason_given": True}
                if duplicate_of is not None
                else {}
            ),
        )
        reach(uow, instance, "contact", now)
        runtime.start(workflow, now=now)
        synchronise(uow, engine, model, instance, workflow, {}, now, actor.username)
        access.log(
            uow,
            now,
            actor,
            "create",
            "process_instance",
            client_id=client.id,
            instance_id=instance.id,
            basis="intake coordination in the owning organisation",
            detail=f"path started: {model_key}"
            + (
                f"; a second running path beside path {duplicate_of.id}, reason: {reason}"
                if duplicate_of is not None
                else ""
            ),
        )
        uow.commit()
        return instance.id


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


def _task_for_work(
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
    with uow, _command(uow, "complete_task"):
        row, basis = _task_for_work(uow, actor, task_id, "update", now)
        loaded = _load(uow, engine, row.instance)
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
    row.completed_by_id = actor.user_id
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
        _set_case_manager(uow, instance, _user(uow, manager), now, actor, "named in " + row.name)
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
        row, basis = _task_for_work(uow, actor, task_id, "update", now)
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


def deliver_message(
    uow: UnitOfWork,
    engine: WorkflowEngine,
    clock: Clock,
    actor: access.Actor,
    instance_id: int,
    name: str,
    payload: dict[str, Any],
) -> None:
    now = clock()
    with uow, _command(uow, "deliver_message"):
        instance = _instance(uow, instance_id)
        # decided before anything is written: without a basis for the client (e.g. another
        # organisation's staff once consent is withdrawn) the decision is refused, not kept
        basis = access.message_basis(uow, actor, instance, now)
        if basis is None:
            reason = (
                Text(
                    "decision_no_consent",
                    "no consent to multi-organisation handling is in force: another "
                    "organisation's decision cannot be recorded",
                )
                if access.crosses_without_consent(uow, actor, instance)
                else Text(
                    "decision_no_basis",
                    "you have no basis to record an external decision for this client",
                )
            )
            raise access.refuse(
                uow, now, actor, "update", "message", instance.client_id, instance.id, reason,
                code=reason.code,
            )  # fmt: skip
        loaded = _load(uow, engine, instance)
        if name not in loaded.model.message_names:
            raise InvalidInput(
                f"the process has no message '{name}'",
                {"name": [Text("message_no_such", "Unknown message '{name}'.", name=name)]},
                code="message_unknown",
                params={"name": name},
            )
        if instance.status != "running":
            raise Conflict(
                f"the path is {instance.status}: it waits for no messages",
                code="path_not_running", params={"status": instance.status},
            )
        # the awaited decision's worklist item is done too (engine/services/decisions.py)
        decisions.deliver(
            uow, engine, loaded.model, instance, loaded.workflow, loaded.before, actor, name,
            payload, now,
        )  # fmt: skip
        access.log(
            uow,
            now,
            actor,
            "update",
            "message",
            client_id=instance.client_id,
            instance_id=instance.id,
            basis=basis,
            detail=f"external decision recorded: {name}",
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
        instance = _instance(uow, instance_id)
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
        user = _user(uow, username)
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


def fire_due_timers(
    uow_factory: Callable[[], UnitOfWork], engine: WorkflowEngine, clock: Clock, limit: int = 100
) -> int:
    """Fire every timer due by the clock, one instance per transaction. Returns how many fired."""
    fired = 0
    now = clock()
    with uow_factory() as uow:
        due = list(
            uow.session.execute(
                select(WaitingEvent.id)
                .where(
                    WaitingEvent.kind == "timer",
                    WaitingEvent.settled_at.is_(None),
                    WaitingEvent.due_at <= now,
                )
                .order_by(WaitingEvent.due_at)
                .limit(limit)
            ).scalars()
        )
    for waiting_id in due:
        try:
            if _fire_one(uow_factory, engine, now, waiting_id):
                fired += 1
                TIMERS_FIRED.inc()
        except (Conflict, NotFound):
            # another worker changed the path meanwhile, or the timer is gone: next round
            log.info("timer %s not fired this round: the path changed meanwhile", waiting_id)
        except DBAPIError:
            raise  # the database is away: the worker backs off
        except Exception:
            # one broken timer must not hold up the others: it stays due, tried next round
            log.exception("timer %s could not be fired", waiting_id)
    return fired


def _fire_one(
    uow_factory: Callable[[], UnitOfWork], engine: WorkflowEngine, now: datetime, waiting_id: int
) -> bool:
    """Fire one due timer in its own transaction; False if it is no longer due."""
    uow = uow_factory()
    with uow, _command(uow, "fire_timer"):
        # still due when locked: a cycle timer another worker just fired keeps its row
        # with the next due time, so it must not fire again now
        query = select(WaitingEvent).where(
            WaitingEvent.id == waiting_id,
            WaitingEvent.settled_at.is_(None),
            WaitingEvent.due_at <= now,
        )
        if uow.session.bind is not None and uow.session.bind.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        waiting = uow.session.scalar(query)
        if waiting is None:
            return False  # another worker took it
        instance = _instance(uow, waiting.instance_id)
        loaded = _load(uow, engine, instance)
        runtime.fire_timer(loaded.workflow, waiting.task_id, now)
        record(
            uow,
            instance,
            now,
            "timer_fired",
            actor="system",
            bpmn_id=waiting.bpmn_id,
            element_name=waiting.name,
            task_id=waiting.task_id,
            data={"due": waiting.due_at.isoformat() if waiting.due_at else None},
        )
        synchronise(
            uow, engine, loaded.model, instance, loaded.workflow, loaded.before, now, "system"
        )
        access.log(
            uow, now, SYSTEM, "update", "process_instance", client_id=instance.client_id,
            instance_id=instance.id, basis="background job: a timer of the path fell due",
            detail=f"timer fired: {waiting.name}",
        )  # fmt: skip
        uow.commit()
        return True
    return False


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


def _instance(uow: UnitOfWork, instance_id: int) -> ProcessInstance:
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
        if field in data and not errors.get(field) and _user(uow, data[field]) is None:
            errors.setdefault(field, []).append(_no_user(data[field]))
    named = {n: _user(uow, n) for n in forms.named_users(schema, data) if not errors}
    for field, prop in schema.get("properties", {}).items():
        value = data.get(field)
        if (prop.get("items") or {}).get("format") == forms.USER_FORMAT and value:
            missing = [n for n in value if named.get(n) is None]
            if missing:
                errors.setdefault(field, []).append(_no_user(missing[0]))
    return errors, named


def _user(uow: UnitOfWork, username: Any) -> User | None:
    if not isinstance(username, str):
        return None
    return uow.session.scalar(select(User).where(User.username == username, User.active))

