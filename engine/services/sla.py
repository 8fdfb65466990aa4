"""Administering service-level targets (working days per step or phase, per model)."""

from __future__ import annotations

from sqlalchemy import select

from engine.analytics.targets import refresh_due_dates
from engine.clock import Clock
from engine.errors import Forbidden, InvalidInput, NotFound, Text
from engine.persistence.tables import ProcessModel, SlaTarget
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import access
from engine.services.deployment import latest_version
from engine.workflow.engine import WorkflowEngine
from engine.workflow.loader import PHASES

MAX_DAYS = 365


def list_targets(uow: UnitOfWork) -> list[SlaTarget]:
    with uow:
        return list(
            uow.session.scalars(
                select(SlaTarget).order_by(
                    SlaTarget.model_key.is_not(None),
                    SlaTarget.model_key,
                    SlaTarget.phase,
                    SlaTarget.bpmn_id,
                )
            )
        )


def step_names(uow: UnitOfWork, engine: WorkflowEngine) -> dict[str, dict[str, str]]:
    """The user-task steps and awaited decisions of the latest version of every model: model
    key -> BPMN id -> name (the regional variants share the national path's step ids, not
    always its names)."""
    names: dict[str, dict[str, str]] = {}
    with uow:
        for key in uow.session.scalars(select(ProcessModel.key).order_by(ProcessModel.key)):
            version = latest_version(uow, key)
            if version is None:
                continue
            model = engine.model_for_version(version.content_hash, key, version.files)
            names[key] = {info.bpmn_id: info.name for info in model.user_tasks.values()}
            # awaited decisions are worklist items with due dates too
            names[key].update({wait.bpmn_id: wait.name for wait in model.waits.values()})
    return names


def set_target(
    uow: UnitOfWork,
    clock: Clock,
    actor: access.Actor,
    *,
    model_key: str | None,
    bpmn_id: str | None,
    phase: str | None,
    working_days: int | None,
) -> None:
    """Create, change or (working_days None) remove a target; open tasks' due dates follow."""
    if not access.administers(actor):
        raise Forbidden("only administrators set service-level targets", code="sla_refused")
    errors: dict[str, list[str]] = {}
    if bool(bpmn_id) == bool(phase):
        errors["bpmn_id"] = [Text("sla_step_or_phase", "Give either a step or a phase.")]
    if phase and phase not in PHASES:
        errors["phase"] = [Text("phase_one_of", "One of {phases}.", phases=", ".join(PHASES))]
    if working_days is not None and not 0 <= working_days <= MAX_DAYS:
        errors["working_days"] = [
            Text("sla_days_range", "Between 0 and {max} working days.", max=MAX_DAYS)
        ]
    if errors:
        raise InvalidInput("the target is not valid", errors, code="sla_target_invalid")
    now = clock()
    with uow:
        if (
            model_key
            and uow.session.scalar(select(ProcessModel.id).where(ProcessModel.key == model_key))
            is None
        ):
            raise NotFound(
                f"process model '{model_key}' does not exist",
                code="model_not_found",
                params={"key": model_key},
            )
        row = uow.session.scalar(
            select(SlaTarget).where(
                SlaTarget.model_key.is_(None)
                if model_key is None
                else SlaTarget.model_key == model_key,
                SlaTarget.bpmn_id.is_(None) if not bpmn_id else SlaTarget.bpmn_id == bpmn_id,
                SlaTarget.phase.is_(None) if not phase else SlaTarget.phase == phase,
            )
        )
        if working_days is None:
            if row is None:
                raise NotFound("no such target", code="sla_target_not_found")
            uow.session.delete(row)
        elif row is None:
            uow.session.add(
                SlaTarget(
                    model_key=model_key,
                    bpmn_id=bpmn_id or None,
                    phase=phase or None,
                    working_days=working_days,
                    updated_by=actor.username,
                    updated_at=now,
                )
            )
        else:
            row.working_days, row.updated_by, row.updated_at = working_days, actor.username, now
        uow.session.flush()
        refresh_due_dates(uow.session)
        uow.commit()
