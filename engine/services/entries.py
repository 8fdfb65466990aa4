"""Reading the path: one recorded entry (a completed task's form) with its revisions, the
earlier entries beside an open task's form, the values an open form starts with (`x-prefill`)
and the flags of corrections to data a gateway had already decided on.

An entry is its original form submission and the corrections made to it (rows naming the
original in `corrects_id`, oldest first: engine.services.records.entries_of). Pages show its
current revision; the original and each correction stay readable as revisions. Every read is
logged, and cut to the reader's field classes (engine.services.field_visibility)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select

from engine.clock import Clock
from engine.errors import NotFound
from engine.persistence.tables import FormSubmission, HumanTask, ProcessInstance
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import access, field_visibility, records
from engine.services.path_loading import model_of
from engine.services.records import Submission
from engine.workflow import forms
from engine.workflow.decisions import gateway_fields
from engine.workflow.engine import WorkflowEngine
from engine.workflow.model import ParsedModel

REFUSAL = "no client relationship or task role"
ASSESSMENT_PHASE = "assessment"


@dataclass
class Revision:
    number: int  # 1 = the original
    entry: Submission  # this revision as the reader sees it (its own row's id, data, who)
    recorded_by: str
    recorded_at: datetime
    reason: str | None  # a correction's reason; None for the original
    changed: list[str] = field(default_factory=list)  # fields changed from the one before
    decided_fields: list[str] = field(default_factory=list)


@dataclass
class Entry:
    current: Submission
    revisions: list[Revision]
    instance_id: int
    client_id: int
    path_running: bool
    may_correct: bool
    # the whole form (for the correction form), None when the reader may not correct
    form: dict[str, Any] | None = None
    flags: list[CorrectionFlag] = field(default_factory=list)


@dataclass
class CorrectionFlag:
    """A correction changed a field a gateway the path had passed had decided on."""

    task_id: str
    task_name: str
    field: str | None  # None: a field the reader's work does not need (its name not shown)
    label: str | None
    gateways: list[str]  # the names of the gateways that read the field
    corrected_by: str
    corrected_at: datetime


def _chain(uow: UnitOfWork, original_id: int) -> list[FormSubmission]:
    return list(
        uow.session.scalars(
            select(FormSubmission)
            .where(or_(FormSubmission.id == original_id, FormSubmission.corrects_id == original_id))
            .order_by(FormSubmission.id)
        )
    )


def chain_of(uow: UnitOfWork, *, submission_id: int | None = None, task_id: str | None = None
             ) -> list[FormSubmission]:  # fmt: skip
    """An entry's rows (original first), found by any of its rows' id or by its task."""
    if submission_id is not None:
        row = uow.session.get(FormSubmission, submission_id)
        if row is None:
            raise NotFound(
                f"submission {submission_id} does not exist",
                code="submission_not_found", params={"submission_id": submission_id},
            )
        return _chain(uow, row.corrects_id or row.id)
    original = uow.session.scalar(
        select(FormSubmission)
        .where(FormSubmission.task_id == task_id, FormSubmission.corrects_id.is_(None))
        .order_by(FormSubmission.id)
        .limit(1)
    )
    if original is None:
        raise NotFound(
            f"task {task_id} has no recorded entry",
            code="entry_not_found", params={"task_id": task_id},
        )
    return _chain(uow, original.id)


def has_entry(uow: UnitOfWork, task_id: str) -> bool:
    with uow:
        return (
            uow.session.scalar(
                select(FormSubmission.id).where(FormSubmission.task_id == task_id).limit(1)
            )
            is not None
        )


def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The fields whose value differs (added, removed or changed), in the form's order."""
    names = list(dict.fromkeys([*before, *after]))
    return [n for n in names if before.get(n) != after.get(n)]


def revisions_of(
    model: ParsedModel,
    instance: ProcessInstance,
    chain: list[FormSubmission],
    actor: access.Actor,
) -> list[Revision]:
    result = []
    for number, row in enumerate(chain, start=1):
        view = records.view_of(model, instance, chain, actor, revision=number)
        before = chain[number - 2].data if number > 1 else {}
        changed = changed_fields(before, row.data) if number > 1 else []
        shown = set(view.data)
        result.append(
            Revision(
                number,
                view,
                row.submitted_by,
                row.submitted_at,
                row.correction_reason,
                [f for f in changed if f in shown],
                [f for f in row.decided_fields or [] if f in shown],
            )
        )
    return result


def read_entry(
    uow: UnitOfWork,
    engine: WorkflowEngine,
    clock: Clock,
    actor: access.Actor,
    *,
    submission_id: int | None = None,
    task_id: str | None = None,
) -> Entry:
    """An entry with its revisions, cut to the reader's field classes; the read is logged."""
    now = clock()
    with uow:
        chain = chain_of(uow, submission_id=submission_id, task_id=task_id)
        instance = uow.session.get(ProcessInstance, chain[0].instance_id)
        assert instance is not None
        basis = access.read_basis(uow, actor, instance, now)
        if basis is None:
            raise access.refuse(
                uow, now, actor, "read", "submission", instance.client_id, instance.id, REFUSAL,
                code="no_client_relationship",
            )
        model = model_of(engine, instance)
        classes = access.entry_field_classes(
            actor, chain[0].submitted_by, case_manager=instance.case_manager_id == actor.user_id
        )
        current = records.view_of(model, instance, chain, actor)
        may_correct = (
            access.may_correct_entry(uow, actor, chain[0].submitted_by, instance, now) is not None
        )
        entry = Entry(
            current,
            revisions_of(model, instance, chain, actor),
            instance.id,
            instance.client_id,
            instance.status == "running",
            may_correct,
            records.form_of(model, instance, chain[0]) if may_correct else None,
            correction_flags(model, [current]),
        )
        access.log(
            uow,
            now,
            actor,
            "read",
            "submission",
            client_id=instance.client_id,
            instance_id=instance.id,
            basis=basis,
            detail=f"entry {chain[0].id} ({chain[0].task_name}): {len(chain)} revision(s); "
            f"field classes shown: {', '.join(sorted(classes))}",
        )
        uow.commit()
        return entry


def correction_flags(model: ParsedModel, shown: list[Submission]) -> list[CorrectionFlag]:
    """The flags of the entries' corrections of fields a passed gateway had decided on."""
    readers = gateway_fields(model)
    flags = []
    for s in shown:
        for name in s.decided_fields:
            gateways = [model.elements.get(g, g) for g, names in readers.items() if name in names]
            prop = ((s.form or {}).get("properties") or {}).get(name)
            visible = isinstance(prop, dict)
            flags.append(
                CorrectionFlag(
                    s.task_id,
                    s.task_name,
                    name if visible else None,
                    str(prop.get("title") or name) if isinstance(prop, dict) else None,
                    sorted(gateways),
                    s.corrected_by or s.submitted_by,
                    s.corrected_at or s.submitted_at,
                )
            )
    return flags


@dataclass
class TaskContext:
    """What an open task's page shows beside its form: the path's earlier entries the reader
    may see (current revisions, newest first) and the values its form starts with."""

    earlier: list[Submission]
    prefill: dict[str, Any]
    open_phases: list[str]  # the phases whose entries are shown open (the support plan's)


def task_context(
    uow: UnitOfWork, engine: WorkflowEngine, clock: Clock, actor: access.Actor, task_id: str
) -> TaskContext:
    """The earlier entries beside an open task's form and its prefilled values; the read of
    the entries is logged as the path's submissions read."""
    now = clock()
    with uow:
        task = uow.session.get(HumanTask, task_id)
        if task is None:
            raise NotFound(
                f"task {task_id} does not exist", code="task_not_found", params={"task_id": task_id}
            )
        instance = task.instance
        doer_basis = access.task_basis(uow, actor, task)
        basis = doer_basis or access.read_basis(uow, actor, instance, now)
        if basis is None:
            raise access.refuse(
                uow, now, actor, "read", "submissions", instance.client_id, instance.id, REFUSAL,
                code="no_client_relationship",
            )
        model = model_of(engine, instance)
        doer = doer_basis is not None
        rows = list(
            uow.session.scalars(
                select(FormSubmission)
                .where(FormSubmission.instance_id == instance.id)
                .order_by(FormSubmission.id)
            )
        )
        shown = records.submission_views(model, instance, rows, actor)
        info = model.user_tasks.get(task.bpmn_id)
        form = info.form if info is not None else None
        prefill = (
            prefill_values(model, instance, form, rows, actor, doer=doer)
            if task.state == "open"
            else {}
        )
        context = TaskContext(
            list(reversed(shown)),
            prefill,
            [ASSESSMENT_PHASE]
            if (info is not None and (info.form_path or "").endswith(records.SUPPORT_PLAN_FORM))
            else [],
        )
        if shown:
            records.log_submissions(uow, now, actor, instance, basis, shown)
        uow.commit()
        return context


def prefill_values(
    model: ParsedModel,
    instance: ProcessInstance,
    form: dict[str, Any] | None,
    rows: list[FormSubmission],
    actor: access.Actor,
    *,
    doer: bool,
) -> dict[str, Any]:
    """The values a form's `x-prefill` fields start with, from the path's entries (current
    revisions): "<step>.<field>" the latest entry of that step, "<field>" the latest entry
    holding the field. Only what the access policy lets the reader have
    (`access.may_prefill`)."""
    if form is None:
        return {}
    case_manager = instance.case_manager_id == actor.user_id
    chains = records.entries_of(rows)
    values: dict[str, Any] = {}
    for name, (step, source) in forms.prefills(form).items():
        for chain in reversed(chains):
            original, current = chain[0], chain[-1]
            if (step is not None and original.bpmn_id != step) or source not in current.data:
                continue
            value = current.data[source]
            source_class = field_visibility.field_class(
                records.form_of(model, instance, original) or {}, source
            )
            target_class = field_visibility.field_class(form, name)
            allowed = original.submitted_by == actor.username or access.may_prefill(
                actor, source_class, target_class, doer=doer, case_manager=case_manager
            )
            if allowed and value not in (None, "", []):
                values[name] = value
            break
    return values
