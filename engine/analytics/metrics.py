"""The pilots' metrics read from the data: Polku's own history (milestones, form entries,
completed-task events, employment events) or an imported event log, each read into the same
`PathRecord`s, which `engine.analytics.pilot_metrics` (the definitions) counts. Only the paths
the reader may count (`paths`: the access policy's condition, passed in by the services) are
read; an imported data set is not Polku's clients' paths and is read whole."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from engine.analytics.employment import REFERRAL_CATEGORIES, category, is_employment
from engine.analytics.pilot_metrics import (
    EmployerContact,
    Metrics,
    PathRecord,
    Period,
    Placement,
    Ratio,
    ReferralRow,
    Response,
    TargetDefinition,
    TargetRow,
)
from engine.analytics.pilot_metrics import compute as count
from engine.analytics.report_paths import ReportPaths
from engine.analytics.stalls import Scope
from engine.analytics.workdays import FINLAND
from engine.persistence.employment import EmploymentEvent
from engine.persistence.tables import (
    Event,
    FormSubmission,
    ImportedEvent,
    Milestone,
    PilotTarget,
    ProcessInstance,
    ProcessModel,
    ProcessModelVersion,
)

__all__ = ["Metrics", "Ratio", "ReferralRow", "TargetRow", "REFERRAL_CATEGORIES"]

COACHING_STEPS = ("Task_ips_coaching",)
CONSULTATION_STEPS = ("Task_consultation_hour",)
CLOSING_STEPS = ("Task_closing",)
ENTRY_STEPS = ("Task_encounter",)  # its form records who referred the client
ENTRY_FIELD = "entry_channel"
PLAN_FORM = "support_plan.schema.json"
NOT_APPROVED = ("unclear",)  # a plan so concluded sends the client back to investigations
# the form fields of a Kykyviisari response, by measure
KYKYVIISARI_FIELDS = {
    "kykyviisari_work_ability": "work_ability",
    "kykyviisari_functional_capacity": "functional_capacity",
    "kykyviisari_mental_wellbeing": "mental_wellbeing",
    "kykyviisari_social_participation": "social_participation",
    "kykyviisari_physical_functioning": "physical_functioning",
    "kykyviisari_skills": "skills",
    "kykyviisari_everyday_coping": "everyday_coping",
}
MILESTONES = {"team": "enrolled_at", "case_manager": "case_manager_at"}
SERVICES_PHASE = "services"
CASE_MANAGER_ROLE = "case_manager"


def in_scope(scope: Scope) -> list[ColumnElement[bool]]:
    """Conditions on `ProcessInstance` rows: the path's model and version, and its first
    contact (the path's start) in the scope's period (the event log's cohort)."""
    conditions = model_scope(scope)
    if scope.since:
        conditions.append(ProcessInstance.created_at >= scope.since)
    if scope.until:
        conditions.append(ProcessInstance.created_at < scope.until)
    return conditions


def model_scope(scope: Scope) -> list[ColumnElement[bool]]:
    """Conditions on `ProcessInstance` rows: the path's model and version."""
    conditions: list[ColumnElement[bool]] = []
    if scope.model_key or scope.version:
        versions = select(ProcessModelVersion.id).join(
            ProcessModel, ProcessModel.id == ProcessModelVersion.model_id
        )
        if scope.model_key:
            versions = versions.where(ProcessModel.key == scope.model_key)
        if scope.version:
            versions = versions.where(ProcessModelVersion.number == scope.version)
        conditions.append(ProcessInstance.model_version_id.in_(versions))
    return conditions


def cohort(scope: Scope, admitted: ColumnElement[bool]) -> Any:
    """A subquery of the instances `admitted` (a condition on `ProcessInstance` rows: the
    paths the reader may count) whose first contact falls in the scope."""
    return select(ProcessInstance.id).where(admitted, *in_scope(scope)).correlate(None)


def compute(session: Session, scope: Scope, paths: ReportPaths) -> Metrics:
    """Every pilot metric over Polku's own paths of the scope the reader may count."""
    targets = target_definitions(session, scope.model_key)
    found = records(session, scope, paths, targets)
    return count(found.values(), Period(scope.since, scope.until), targets)


def target_definitions(session: Session, model_key: str | None) -> list[TargetDefinition]:
    query = select(PilotTarget)
    if model_key:
        query = query.where(PilotTarget.model_key == model_key)
    return [
        TargetDefinition(
            t.model_key,
            t.label,
            t.bpmn_id,
            t.group_field,
            t.group_value,
            t.target_min,
            t.target_max,
        )  # fmt: skip
        for t in session.scalars(query)
    ]


def _current(rows: Iterable[FormSubmission]) -> list[tuple[FormSubmission, FormSubmission]]:
    """Each entry as (its original, its current revision): a correction names the original."""
    chains: dict[int, list[FormSubmission]] = defaultdict(list)
    for row in rows:
        chains[row.corrects_id or row.id].append(row)
    return [
        (min(chain, key=lambda r: r.id), max(chain, key=lambda r: r.id))
        for chain in chains.values()
    ]


def _day(value: Any, fallback: datetime) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return fallback.astimezone(FINLAND).date()


def records(
    session: Session, scope: Scope, paths: ReportPaths, targets: Iterable[TargetDefinition] = ()
) -> dict[int, PathRecord]:
    """The paths of the model scope the reader may count, by id, as the metrics read them."""
    within = model_scope(scope)

    def member(column: Any, *, by_other_index: bool = False) -> ColumnElement[bool]:
        return paths.holds(column, by_other_index=by_other_index, within=within)

    found: dict[int, PathRecord] = {}
    outcomes: dict[int, str | None] = {}
    for iid, client_id, key, created, completed, outcome in session.execute(
        select(
            ProcessInstance.id,
            ProcessInstance.client_id,
            ProcessModel.key,
            ProcessInstance.created_at,
            ProcessInstance.completed_at,
            ProcessInstance.outcome,
        )  # fmt: skip
        .join(ProcessModelVersion, ProcessModelVersion.id == ProcessInstance.model_version_id)
        .join(ProcessModel, ProcessModel.id == ProcessModelVersion.model_id)
        .where(paths.condition, *within)
    ):
        found[iid] = PathRecord(
            str(iid), f"client:{client_id}", key, contact_at=created, outcome_at=completed
        )
        outcomes[iid] = outcome
    for iid, name, reached in session.execute(
        select(Milestone.instance_id, Milestone.name, Milestone.reached_at).where(
            Milestone.name.in_(list(MILESTONES)), member(Milestone.instance_id)
        )
    ):
        if iid in found:
            setattr(found[iid], MILESTONES[name], reached)
    _read_forms(session, found, member)
    closed_employed = _read_events(session, found, outcomes, member, list(targets))
    for iid, kind, sector, subsidy, started in session.execute(
        select(
            EmploymentEvent.instance_id,
            EmploymentEvent.kind,
            EmploymentEvent.sector,
            EmploymentEvent.wage_subsidy,
            EmploymentEvent.started_on,
        ).where(member(EmploymentEvent.instance_id))  # fmt: skip
    ):
        if iid in found:
            found[iid].placements.append(Placement(category(kind, sector, subsidy), started))
    for iid, outcome in closed_employed.items():  # the closing's word, where nothing was recorded
        record = found[iid]
        if not record.placements:
            closed = record.outcome_at.astimezone(FINLAND).date() if record.outcome_at else None
            record.placements.append(Placement(outcome, closed))
    return found


def _read_forms(session: Session, found: dict[int, PathRecord], member: Any) -> None:
    """From the form entries (current revisions): the approved plan, the consultation hour's
    days, the coaching form's employer contacts, the Kykyviisari responses."""
    rows = session.scalars(
        select(FormSubmission).where(
            member(FormSubmission.instance_id),
            or_(
                FormSubmission.form_path.like(f"%{PLAN_FORM}"),
                FormSubmission.bpmn_id.in_([*CONSULTATION_STEPS, *COACHING_STEPS]),
                *(FormSubmission.data[f].as_integer().is_not(None) for f in KYKYVIISARI_FIELDS),
            ),
        )
    )
    for original, current in _current(rows):
        record = found.get(original.instance_id)
        if record is None:
            continue
        data, at = current.data or {}, original.submitted_at
        approved = data.get("conclusion") not in NOT_APPROVED
        if (original.form_path or "").endswith(PLAN_FORM) and approved:
            record.plan_at = at if record.plan_at is None else min(record.plan_at, at)
        if original.bpmn_id in CONSULTATION_STEPS:
            record.consultations.append(_day(data.get("consultation_date"), at))
        if original.bpmn_id in COACHING_STEPS:
            for contact in data.get("employer_contacts") or []:
                if isinstance(contact, dict):
                    record.employer_contacts.append(
                        EmployerContact(
                            original.submitted_by,
                            str(contact.get("contact_result") or ""),
                            _day(contact.get("contact_date"), at),
                        )
                    )
        scores = {
            measure: value
            for name, measure in KYKYVIISARI_FIELDS.items()
            if isinstance(value := data.get(name), int) and not isinstance(value, bool)
        }
        if scores:
            record.responses.append(Response(at, original.id, scores))


def _read_events(
    session: Session,
    found: dict[int, PathRecord],
    outcomes: dict[int, str | None],
    member: Any,
    targets: list[TargetDefinition],
) -> dict[int, str]:
    """From the completed-task events: coaching begun, the first service, who referred the
    client, the pilot targets' groups; and the closing's onward-referral outcome, for a path
    with no employment events recorded (paths closed before they were): one placement of
    it, an employment only when the closing says one started (returned: path -> outcome)."""
    steps = {*COACHING_STEPS, *CLOSING_STEPS, *ENTRY_STEPS, *(t.bpmn_id for t in targets)}
    done = Event.kind == "task_completed"
    closed_employed: dict[int, str] = {}
    for iid, bpmn_id, phase, at, data in session.execute(
        select(Event.instance_id, Event.bpmn_id, Event.phase, Event.occurred_at, Event.data)
        .where(
            done,
            or_(Event.bpmn_id.in_(sorted(steps)), Event.phase == SERVICES_PHASE),
            member(Event.instance_id, by_other_index=True),
        )
        .order_by(Event.occurred_at, Event.id)
    ):
        record = found.get(iid)
        if record is None:
            continue
        choices = (data or {}).get("choices") or {}
        if bpmn_id in COACHING_STEPS and record.coached_at is None:
            record.coached_at = at
        if phase == SERVICES_PHASE and record.first_service_at is None:
            record.first_service_at = at
        if bpmn_id in ENTRY_STEPS and record.referred_by is None and choices.get(ENTRY_FIELD):
            record.referred_by = str(choices[ENTRY_FIELD])
        for t in targets:
            if t.bpmn_id == bpmn_id and str(choices.get(t.group_field)) == t.group_value:
                record.groups.add((t.bpmn_id, t.group_field, t.group_value))
        outcome = str(outcomes.get(iid))
        # an employment outcome counts only when the closing says one started
        said = not is_employment(outcome) or choices.get("employment_started") is True
        if bpmn_id in CLOSING_STEPS and outcome in REFERRAL_CATEGORIES and said:
            closed_employed[iid] = outcome
    return closed_employed


@dataclass
class ModelSteps:
    """An imported log's activities matched by name to its model's steps."""

    phase_of: dict[str, str | None] = field(default_factory=dict)
    plan: set[str] = field(default_factory=set)
    coaching: set[str] = field(default_factory=set)
    consultation: set[str] = field(default_factory=set)
    closing: set[str] = field(default_factory=set)


def imported_records(session: Session, dataset_id: int, steps: ModelSteps) -> list[PathRecord]:
    """An imported data set's cases as records: each case one person (the log names no
    clients); enrolled at its first step of the assessment phase, plan at the first completed
    plan step, a case manager when a step was done in the case manager's role, coaching and
    the consultation hour by their steps, each row's onward-referral `outcome` a placement."""
    found: dict[str, PathRecord] = {}
    for case_id, activity, at, resource, lifecycle, outcome in session.execute(
        select(
            ImportedEvent.case_id,
            ImportedEvent.activity,
            ImportedEvent.timestamp,
            ImportedEvent.resource,
            ImportedEvent.lifecycle,
            ImportedEvent.outcome,
        )  # fmt: skip
        .where(ImportedEvent.dataset_id == dataset_id)
        .order_by(ImportedEvent.case_id, ImportedEvent.timestamp, ImportedEvent.id)
    ):
        r = found.setdefault(case_id, PathRecord(case_id, f"case:{case_id}", contact_at=at))
        complete = lifecycle == "complete"
        phase = steps.phase_of.get(activity)
        if phase == "assessment" and r.enrolled_at is None:
            r.enrolled_at = at
        if complete and activity in steps.plan and r.plan_at is None:
            r.plan_at = at
        if resource == CASE_MANAGER_ROLE and r.case_manager_at is None:
            r.case_manager_at = at
        if complete and activity in steps.coaching and r.coached_at is None:
            r.coached_at = at
        if complete and phase == SERVICES_PHASE and r.first_service_at is None:
            r.first_service_at = at
        if complete and activity in steps.consultation:
            r.consultations.append(at.astimezone(FINLAND).date())
        if outcome:
            r.outcome_at = at
            if outcome in REFERRAL_CATEGORIES:
                r.placements.append(Placement(outcome, at.astimezone(FINLAND).date()))
        elif complete and activity in steps.closing and r.outcome_at is None:
            r.outcome_at = at
    return list(found.values())


def compute_imported(session: Session, dataset_id: int, steps: ModelSteps) -> Metrics:
    """Every pilot metric over an imported data set, read whole, by the same definitions."""
    return count(imported_records(session, dataset_id, steps))
