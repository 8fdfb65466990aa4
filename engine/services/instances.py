"""Commands on a client's path: start it, deliver messages, fire timers. Completing and claiming
tasks and changing the case manager are in `task_completion` (importable from here too). Each
loads the instance, acts, and commits once."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from engine.clock import Clock
from engine.errors import Conflict, InvalidInput, NotFound, Text
from engine.persistence.tables import (
    Client,
    ProcessInstance,
    WaitingEvent,
)
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import (
    access,
    decisions,
    duplicates,
    organisations,
)
from engine.services.deployment import latest_version
from engine.services.path_loading import command, instance_of, load, model_of
from engine.services.progress import reach, record, synchronise
from engine.services.task_completion import change_case_manager, claim_task, complete_task
from engine.services.telemetry import TIMERS_FIRED
from engine.workflow import runtime
from engine.workflow.engine import WorkflowEngine

SYSTEM = access.Actor(0, "system", "Polku", frozenset())  # who background jobs act as
log = logging.getLogger("polku.timers")


__all__ = [
    "SYSTEM",
    "change_case_manager",
    "claim_task",
    "complete_task",
    "deliver_message",
    "fire_due_timers",
    "model_of",
    "start_instance",
]


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
    with uow, command(uow, "start_instance"):
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
    with uow, command(uow, "deliver_message"):
        instance = instance_of(uow, instance_id)
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
        loaded = load(uow, engine, instance)
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
    with uow, command(uow, "fire_timer"):
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
        instance = instance_of(uow, waiting.instance_id)
        loaded = load(uow, engine, instance)
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
