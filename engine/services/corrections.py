"""Correcting an entry: the author of a completed task's form, or their supervisor
(`access.may_correct_entry`), saves corrected data with a reason.

The correction is a new form_submission row: `corrects_id` always names the ORIGINAL entry
(not the revision before it), so an entry's revisions are its original and the rows naming
it, in the order of their ids, and the current revision is the last. The original row is
never changed. The row keeps the reason and `decided_fields`: the changed fields that a
gateway the path has passed since the entry was made read in its conditions.

The path is NOT re-routed. A gateway's decision has already led to work: tasks were offered,
done, services arranged. Re-routing on a correction would silently cancel colleagues' tasks
and undo steps the client has been told about. The correction is flagged instead (on the
client page and the entry's page); the case manager decides what follows, e.g. brings the
follow-up review forward or migrates the path. What the running path goes on with is the
corrected value: it is written into the workflow data of the path's unfinished steps, so
that later steps, prefills and later gateways see it (only where that data still holds the
value being corrected: a later step that recorded the field itself keeps its own value).
A correction does not change the path's case manager, members or consents: those have their
own commands."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from engine.clock import Clock
from engine.errors import Conflict, InvalidInput, Text
from engine.persistence.tables import Event, FormSubmission, ProcessInstance
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import access, field_visibility, records
from engine.services.entries import chain_of, changed_fields
from engine.services.path_loading import command, form_errors, load, model_of
from engine.services.progress import record, synchronise
from engine.workflow.decisions import carry_correction, gateway_fields
from engine.workflow.engine import WorkflowEngine
from engine.workflow.model import ParsedModel

REASON_MAX = 500
EVENT = "submission_corrected"
REFUSAL = "only the author of an entry or their supervisor may correct it"
NO_REASON = Text("correction_reason_missing", "Give the reason for the correction.")
LONG_REASON = Text("correction_reason_too_long", "The reason is longer than 500 characters.")
NOTHING_CHANGED = Text(
    "correction_nothing_changed", "The correction changes nothing: change a value or cancel."
)
NOT_YOURS = Text(
    "correction_field_not_yours",
    "Your work does not need this field: it cannot be corrected here.",
)
FORM_ERRORS = "_form"


def _reason_errors(reason: str) -> list[str | Text]:
    if not reason:
        return [NO_REASON]
    if len(reason) > REASON_MAX:
        return [LONG_REASON]
    return []


def correct_entry(
    uow: UnitOfWork,
    engine: WorkflowEngine,
    clock: Clock,
    actor: access.Actor,
    submission_id: int,
    data: dict[str, Any],
    reason: str,
) -> int:
    """Correct the entry whose current revision is `submission_id` with `data` (the whole
    corrected form; fields the corrector's work does not need are kept as they are and may
    not be sent) and a reason (1-500 characters). Returns the new revision's id."""
    now = clock()
    reason = (reason or "").strip()
    with uow, command(uow, "correct_entry"):
        chain = chain_of(uow, submission_id=submission_id)
        original, current = chain[0], chain[-1]
        instance = uow.session.get(ProcessInstance, original.instance_id)
        assert instance is not None
        basis = access.may_correct_entry(uow, actor, original.submitted_by, instance, now)
        if basis is None:
            raise access.refuse(
                uow, now, actor, "update", "submission", instance.client_id, instance.id, REFUSAL,
                code="correction_refused",
            )
        if current.id != submission_id:
            raise Conflict(
                f"submission {submission_id} is not the entry's current revision: it was "
                f"corrected meanwhile; correct revision {current.id}",
                code="correction_stale",
                params={"submission_id": submission_id, "current_id": current.id},
            )
        model = model_of(engine, instance)
        schema = records.form_of(model, instance, original) or {"type": "object"}
        corrected = _corrected_data(uow, schema, instance, chain, actor, data, reason)
        changed = changed_fields(current.data, corrected)
        if not changed:
            raise InvalidInput(
                "the correction changes nothing", {FORM_ERRORS: [NOTHING_CHANGED]},
                code="correction_changes_nothing",
            )
        decided = decided_fields(uow, model, instance, original.submitted_at, changed)
        row = FormSubmission(
            instance_id=instance.id,
            task_id=original.task_id,
            bpmn_id=original.bpmn_id,
            task_name=original.task_name,
            form_path=original.form_path,
            data=corrected,
            submitted_by=actor.username,
            submitted_at=now,
            corrects_id=original.id,
            correction_reason=reason,
            decided_fields=decided,
        )
        uow.session.add(row)
        uow.session.flush()
        info = model.user_tasks.get(original.bpmn_id)
        record(
            uow,
            instance,
            now,
            EVENT,
            actor=actor.username,
            bpmn_id=original.bpmn_id,
            element_name=original.task_name,
            task_id=original.task_id,
            data={
                "submission_id": row.id,
                "corrects_id": original.id,
                "fields": changed,
                "decided_fields": decided,
            },
            phase=info.phase if info is not None else None,
        )
        if instance.status == "running":
            _update_workflow(uow, engine, instance, current.data, corrected, changed, now, actor)
        access.log(
            uow,
            now,
            actor,
            "update",
            "submission",
            client_id=instance.client_id,
            instance_id=instance.id,
            basis=basis,
            detail=f"entry {original.id} ({original.task_name}) corrected: revision {row.id}, "
            f"{len(changed)} field(s) changed"
            + (f", {len(decided)} a gateway had decided on" if decided else ""),
        )
        uow.commit()
        return row.id


def _corrected_data(
    uow: UnitOfWork,
    schema: dict[str, Any],
    instance: ProcessInstance,
    chain: list[FormSubmission],
    actor: access.Actor,
    data: dict[str, Any],
    reason: str,
) -> dict[str, Any]:
    """The corrected form: the sent fields, and the current values of the fields the
    corrector does not see; checked as the task's completion checks it."""
    classes = access.entry_field_classes(
        actor, chain[0].submitted_by, case_manager=instance.case_manager_id == actor.user_id
    )
    errors: dict[str, list[str | Text]] = {}
    reason_errors = _reason_errors(reason)
    if reason_errors:
        errors["reason"] = reason_errors
    if not isinstance(data, dict):
        raise InvalidInput(
            "the corrected data must be a JSON object", errors, code="correction_not_object"
        )
    for name in data:
        if not field_visibility.may_see(schema, name, classes):
            errors[name] = [NOT_YOURS]
    kept = {
        k: v for k, v in chain[-1].data.items() if not field_visibility.may_see(schema, k, classes)
    }
    corrected = {**kept, **{k: v for k, v in data.items() if k not in errors}}
    found, _named = form_errors(uow, schema, corrected)
    for path, messages in found.items():
        errors.setdefault(path, []).extend(messages)
    if errors:
        raise InvalidInput("the correction has errors", errors, code="correction_invalid")
    return corrected


def decided_fields(
    uow: UnitOfWork,
    model: ParsedModel,
    instance: ProcessInstance,
    since: datetime,
    changed: list[str],
) -> list[str]:
    """The changed fields that a gateway the path has passed since `since` (when the entry
    was made) read in its conditions (the event table keeps the gateways passed)."""
    readers = gateway_fields(model)
    if not readers:
        return []
    passed = set(
        uow.session.scalars(
            select(Event.bpmn_id).where(
                Event.instance_id == instance.id,
                Event.kind == "element_completed",
                Event.bpmn_id.in_(sorted(readers)),
                Event.occurred_at >= since,
            )
        )
    )
    read = set().union(*(readers[g] for g in passed if g in readers)) if passed else set()
    return [f for f in changed if f in read]


def _update_workflow(
    uow: UnitOfWork,
    engine: WorkflowEngine,
    instance: ProcessInstance,
    before: dict[str, Any],
    after: dict[str, Any],
    changed: list[str],
    now: datetime,
    actor: access.Actor,
) -> None:
    """Write the corrected values into the data of the path's unfinished steps, where that
    data still holds the value corrected; the path does not move."""
    loaded = load(uow, engine, instance)
    carry_correction(loaded.workflow, before, after, changed)
    synchronise(
        uow, engine, loaded.model, instance, loaded.workflow, loaded.before, now, actor.username
    )
