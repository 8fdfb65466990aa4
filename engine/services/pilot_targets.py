"""Administering the pilots' client targets (e.g. Eksote's tracks P1+2 15–20, P3 15, P4 40):
each tied to its process model, one per model and label. The clients who count towards one are
those whose path of that model recorded `group_field` = `group_value` at the step `bpmn_id`
(engine/analytics/pilot_metrics.py). Everyone with the dashboards sees them; an administrator
sets, changes and removes them."""

from __future__ import annotations

from sqlalchemy import select

from engine.errors import Forbidden, InvalidInput, NotFound, Text
from engine.persistence.tables import PilotTarget, ProcessModel
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import access
from engine.services.deployment import latest_version
from engine.workflow.engine import WorkflowEngine

MAX_CLIENTS = 100_000
TEXT_FIELDS = ("label", "bpmn_id", "group_field", "group_value")
LIMITS = {"label": 100, "bpmn_id": 200, "group_field": 100, "group_value": 100}


def list_targets(uow: UnitOfWork, actor: access.Actor) -> list[PilotTarget]:
    if not access.may_see_dashboards(actor):
        raise Forbidden(
            "the pilot targets are for the dashboards' readers", code="dashboards_refused"
        )
    with uow:
        return list(
            uow.session.scalars(
                select(PilotTarget).order_by(PilotTarget.model_key, PilotTarget.label)
            )
        )


def _refuse_unless_admin(actor: access.Actor) -> None:
    if not access.administers(actor):
        raise Forbidden("only administrators set pilot targets", code="pilot_target_refused")


def set_target(
    uow: UnitOfWork,
    engine: WorkflowEngine,
    actor: access.Actor,
    *,
    model_key: str,
    label: str,
    bpmn_id: str,
    group_field: str,
    group_value: str,
    target_min: int,
    target_max: int,
) -> int:
    """Create the target of (model, label), or change it; returns its id."""
    _refuse_unless_admin(actor)
    values = {"label": label, "bpmn_id": bpmn_id, "group_field": group_field,
              "group_value": group_value}  # fmt: skip
    values = {k: (v or "").strip() for k, v in values.items()}
    errors: dict[str, list[str]] = {}
    for name, value in values.items():
        if not value:
            errors[name] = [Text("field_required", "This field is required.")]
        elif len(value) > LIMITS[name]:
            errors[name] = [Text("text_too_long", "The text is too long.")]
    if not 0 <= target_min <= MAX_CLIENTS:
        errors["target_min"] = [Text("pilot_target_range", "Between 0 and 100000 clients.")]
    if not 0 <= target_max <= MAX_CLIENTS or target_max < target_min:
        errors["target_max"] = [
            Text("pilot_target_max_below_min", "At least the lower target, at most 100000.")
        ]
    with uow:
        if uow.session.scalar(select(ProcessModel.id).where(ProcessModel.key == model_key)) is None:
            raise NotFound(
                f"process model '{model_key}' does not exist",
                code="model_not_found", params={"key": model_key},
            )  # fmt: skip
        version = latest_version(uow, model_key)
        if version is not None and values["bpmn_id"] and "bpmn_id" not in errors:
            model = engine.model_for_version(version.content_hash, model_key, version.files)
            if values["bpmn_id"] not in model.user_tasks:
                errors["bpmn_id"] = [
                    Text("pilot_target_step_unknown", "The model has no such step.")
                ]
        if errors:
            raise InvalidInput("the pilot target is not valid", errors, code="pilot_target_invalid")
        row = uow.session.scalar(
            select(PilotTarget).where(
                PilotTarget.model_key == model_key, PilotTarget.label == values["label"]
            )
        )
        if row is None:
            row = PilotTarget(model_key=model_key, label=values["label"])
            uow.session.add(row)
        row.bpmn_id, row.group_field, row.group_value = (
            values["bpmn_id"], values["group_field"], values["group_value"],
        )  # fmt: skip
        row.target_min, row.target_max = target_min, target_max
        uow.session.flush()
        target_id = row.id
        uow.commit()
        return target_id


def remove_target(uow: UnitOfWork, actor: access.Actor, target_id: int) -> None:
    _refuse_unless_admin(actor)
    with uow:
        row = uow.session.get(PilotTarget, target_id)
        if row is None:
            raise NotFound(
                f"pilot target {target_id} does not exist",
                code="pilot_target_not_found", params={"target_id": target_id},
            )  # fmt: skip
        uow.session.delete(row)
        uow.commit()
