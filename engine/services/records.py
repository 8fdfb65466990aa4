"""What was recorded on a client's path: form submissions, the support plan's revisions,
Kykyviisari responses over time, consents. Every read is logged."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from engine.clock import Clock
from engine.errors import NotFound
from engine.persistence.tables import Client, Consent, FormSubmission, ProcessInstance
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import access, field_visibility
from engine.services.path_loading import model_of
from engine.services.path_lookup import readable_path
from engine.workflow.engine import WorkflowEngine
from engine.workflow.model import ParsedModel

SUPPORT_PLAN_FORM = "support_plan.schema.json"
KYKYVIISARI_FIELD = "kykyviisari_work_ability"


@dataclass
class Submission:
    task_id: str
    bpmn_id: str
    task_name: str
    form_path: str | None
    form: dict[str, Any] | None
    data: dict[str, Any]
    submitted_by: str
    submitted_at: datetime
    # the fields left out of `data` (and of `form`): their visibility classes are not the
    # reader's (see engine.services.field_visibility)
    hidden: list[str] = field(default_factory=list)
    hidden_classes: list[str] = field(default_factory=list)
    # the entry's current revision (a correction's row, or the original's when uncorrected);
    # `submitted_by` / `submitted_at` stay the original's (the author's), `data` is current
    id: int = 0
    original_id: int = 0
    phase: str | None = None
    revisions: int = 1  # the original and its corrections
    corrected_by: str | None = None
    corrected_at: datetime | None = None
    correction_reason: str | None = None
    decided_fields: list[str] = field(default_factory=list)  # flagged by its corrections

    @property
    def corrected(self) -> bool:
        return self.revisions > 1


def entries_of(rows: Iterable[FormSubmission]) -> list[list[FormSubmission]]:
    """The rows grouped into entries: each entry its original first and then its corrections,
    oldest first (a correction's `corrects_id` names the original). Entries in the order of
    their originals."""
    chains: dict[int, list[FormSubmission]] = {}
    for row in sorted(rows, key=lambda r: r.id):
        chains.setdefault(row.corrects_id or row.id, []).append(row)
    return [chain for chain in chains.values() if chain[0].corrects_id is None]


def submissions(
    uow: UnitOfWork, engine: WorkflowEngine, clock: Clock, actor: access.Actor, instance_id: int
) -> list[Submission]:
    now = clock()
    with uow:
        instance, basis = readable_path(uow, actor, instance_id, now, "submissions")
        rows = uow.session.scalars(
            select(FormSubmission)
            .where(FormSubmission.instance_id == instance_id)
            .order_by(FormSubmission.id)
        )
        result = submission_views(model_of(engine, instance), instance, rows, actor)
        log_submissions(uow, now, actor, instance, basis, result)
        uow.commit()
        return result


def submission_views(
    model: ParsedModel,
    instance: ProcessInstance,
    rows: Iterable[FormSubmission],
    actor: access.Actor,
) -> list[Submission]:
    """The path's form submissions as the reader sees them (oldest first, as given)."""
    return [view_of(model, instance, chain, actor) for chain in entries_of(rows)]


def form_of(
    model: ParsedModel, instance: ProcessInstance, row: FormSubmission
) -> dict[str, Any] | None:
    """The form an entry was recorded with (from the stored files for a step the path's model
    version no longer has)."""
    info = model.user_tasks.get(row.bpmn_id)
    form = info.form if info is not None else None
    if form is None:
        form = field_visibility.form_in(instance.model_version.files, row.form_path)
    return form


def view_of(
    model: ParsedModel,
    instance: ProcessInstance,
    chain: list[FormSubmission],
    actor: access.Actor,
    revision: int | None = None,
) -> Submission:
    """One entry as the reader sees it: its current revision (or the `revision`-th, 1 = the
    original), cut to the reader's field classes. Its author sees it whole
    (`access.entry_field_classes`); a corrector is not its author."""
    original = chain[0]
    s = chain[-1] if revision is None else chain[revision - 1]
    form = form_of(model, instance, original)
    info = model.user_tasks.get(original.bpmn_id)
    shown = access.entry_field_classes(
        actor, original.submitted_by, case_manager=instance.case_manager_id == actor.user_id
    )
    data, hidden = field_visibility.visible(form, s.data, shown)
    corrected = s if s.corrects_id is not None else None
    return Submission(
        original.task_id,
        original.bpmn_id,
        original.task_name,
        original.form_path,
        field_visibility.visible_schema(form, shown),
        data,
        original.submitted_by,
        original.submitted_at,
        hidden,
        field_visibility.classes_of(form, hidden),
        id=s.id,
        original_id=original.id,
        phase=info.phase if info is not None else None,
        revisions=len(chain),
        corrected_by=corrected.submitted_by if corrected else None,
        corrected_at=corrected.submitted_at if corrected else None,
        correction_reason=corrected.correction_reason if corrected else None,
        # every correction's flagged fields up to this revision (a later one does not clear them)
        decided_fields=list(
            dict.fromkeys(f for r in chain[: chain.index(s) + 1] for f in r.decided_fields or [])
        ),
    )


def log_submissions(
    uow: UnitOfWork,
    now: datetime,
    actor: access.Actor,
    instance: ProcessInstance,
    basis: str,
    shown: list[Submission],
) -> None:
    """The access-log row of reading a path's form submissions."""
    classes = field_visibility.reader_classes(actor, instance)
    access.log(
        uow,
        now,
        actor,
        "read",
        "submissions",
        client_id=instance.client_id,
        instance_id=instance.id,
        basis=basis,
        detail=f"{len(shown)} form(s); field classes shown: {', '.join(sorted(classes))}",
    )


def plan_revisions_in(submissions: list[Submission]) -> list[Submission]:
    """The support plan's revisions among a path's submissions: each completion of a
    support-plan form is one, oldest first. A correction of a plan is no new revision of the
    plan: the revision shows its corrected content (the entry's page lists its corrections)."""
    return [s for s in submissions if (s.form_path or "").endswith(SUPPORT_PLAN_FORM)]


def kykyviisari_points(rows: Iterable[FormSubmission]) -> list[tuple[datetime, int]]:
    """The Kykyviisari work-ability scores (0-10) the submissions record: each entry's current
    value, at the time it was first recorded."""
    points = []
    for chain in entries_of(rows):
        value = chain[-1].data.get(KYKYVIISARI_FIELD)
        if isinstance(value, int):
            points.append((chain[0].submitted_at, value))
    return points


def support_plan_revisions(
    uow: UnitOfWork, engine: WorkflowEngine, clock: Clock, actor: access.Actor, instance_id: int
) -> list[Submission]:
    """Each completion of a support-plan form is a revision, oldest first."""
    return plan_revisions_in(submissions(uow, engine, clock, actor, instance_id))


def kykyviisari_series(
    uow: UnitOfWork, clock: Clock, actor: access.Actor, client_id: int
) -> list[tuple[datetime, int]]:
    """The client's Kykyviisari work-ability scores (0-10) over time, on all paths."""
    now = clock()
    with uow:
        client = uow.session.get(Client, client_id)
        if client is None:
            raise NotFound(
                f"client {client_id} does not exist",
                code="client_not_found", params={"client_id": client_id},
            )
        series = []
        bases = []
        for instance in uow.session.scalars(
            select(ProcessInstance).where(ProcessInstance.client_id == client_id)
        ):
            basis = access.read_basis(uow, actor, instance, now)
            if basis is None:
                continue
            bases.append(basis)
            series += kykyviisari_points(
                uow.session.scalars(
                    select(FormSubmission).where(FormSubmission.instance_id == instance.id)
                )
            )
        if not bases:
            raise access.refuse(
                uow,
                now,
                actor,
                "read",
                "kykyviisari",
                client_id,
                None,
                "no client relationship or task role",
                code="no_client_relationship",
            )
        access.log(uow, now, actor, "read", "kykyviisari", client_id=client_id, basis=bases[0])
        uow.commit()
        return sorted(series)


def get_consents(
    uow: UnitOfWork, clock: Clock, actor: access.Actor, client_id: int
) -> list[dict[str, Any]]:
    now = clock()
    with uow:
        if uow.session.get(Client, client_id) is None:
            raise NotFound(
                f"client {client_id} does not exist",
                code="client_not_found", params={"client_id": client_id},
            )
        basis = access.client_basis(uow, actor, client_id, now)
        if basis is None:
            raise access.refuse(
                uow,
                now,
                actor,
                "read",
                "consent",
                client_id,
                None,
                "no client relationship or task role",
                code="no_client_relationship",
            )
        result = consent_records(
            uow.session.scalars(
                select(Consent).where(Consent.client_id == client_id).order_by(Consent.id)
            )
        )
        access.log(uow, now, actor, "read", "consent", client_id=client_id, basis=basis)
        uow.commit()
        return result


def consent_records(rows: Iterable[Consent]) -> list[dict[str, Any]]:
    """The client's consents as the page and the API show them, in the order given."""
    return [
        {
            "scope": c.scope,
            "given_at": c.given_at,
            "withdrawn_at": c.withdrawn_at,
            "recorded_by": c.recorded_by,
            "withdrawn_by": c.withdrawn_by,
            "withdrawal_reason": c.withdrawal_reason,
        }
        for c in rows
    ]
