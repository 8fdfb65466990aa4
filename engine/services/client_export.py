"""Everything Polku keeps of one client, for the client (GDPR art. 15 and 20): identity,
consents, paths with their tasks, history, milestones, submissions, support-plan revisions and
drafts, the people named in them, emergency openings, retention holds, and the access log's
rows about the client (oldest first).

Who may make the export is the access policy's question (`access.record_keeping_basis`: an
auditor of an organisation that owns one of the client's paths, or a professional with a basis
for the client, who hands it to the client). It is the client's own data, so nothing is cut by
field visibility. The export is one read in one transaction, logged as a disclosure that says
what it held; a refusal is logged too.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select

from engine.clock import Clock
from engine.errors import NotFound
from engine.persistence.audit import AccessLog, RetentionHold
from engine.persistence.relationships import EmergencyAccess, PathMember
from engine.persistence.tables import (
    Client,
    Consent,
    Event,
    FormSubmission,
    HumanTask,
    Milestone,
    ProcessInstance,
    TaskDraft,
    User,
    WaitingEvent,
)
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import access, field_visibility
from engine.services.path_loading import model_of
from engine.services.records import SUPPORT_PLAN_FORM, entries_of
from engine.workflow.engine import WorkflowEngine

EXPORT_FORMAT = "polku-client-export/1"
RESOURCE = "client_export"
REFUSAL = "no basis to export the client's data"
JsonDict = dict[str, Any]


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def export_client(
    uow: UnitOfWork,
    engine: WorkflowEngine,
    clock: Clock,
    actor: access.Actor,
    client_id: int,
    *,
    medium: str = "JSON",
) -> JsonDict:
    """The whole record of the client as JSON-ready data (dates in ISO 8601). `medium` is
    only said in the access log (JSON, a readable document, a download)."""
    now = clock()
    with uow:
        client = uow.session.get(Client, client_id)
        if client is None:
            raise NotFound(
                f"client {client_id} does not exist",
                code="client_not_found",
                params={"client_id": client_id},
            )
        basis = access.record_keeping_basis(uow, actor, client_id, now)
        if basis is None:
            raise access.refuse(
                uow, now, actor, "disclose", RESOURCE, client_id, None, REFUSAL,
                detail=f"export as {medium} refused",
                code="export_refused",
            )  # fmt: skip
        session = uow.session
        instances = list(
            session.scalars(
                select(ProcessInstance)
                .where(ProcessInstance.client_id == client_id)
                .order_by(ProcessInstance.id)
            )
        )
        forms: dict[str, JsonDict] = {}
        paths = [_path(uow, engine, instance, forms) for instance in instances]
        log_rows = list(
            session.scalars(
                select(AccessLog).where(AccessLog.client_id == client_id).order_by(AccessLog.id)
            )
        )
        names = _names(uow, [r.username for r in log_rows])
        result: JsonDict = {
            "format": EXPORT_FORMAT,
            "exported_at": iso(now),
            "exported_by": actor.username,
            "basis": basis,
            "client": {
                "id": client.id,
                "pseudonym": client.pseudonym,
                "full_name": client.full_name,
                "identity_code": client.identity_code,
                "municipality": client.municipality,
                "created_at": iso(client.created_at),
                "created_by": client.created_by,
            },
            "consents": _consents(uow, client_id),
            "paths": paths,
            "retention_holds": _holds(uow, client_id),
            "access_log": [_log_row(r, names) for r in log_rows],
            "forms": forms,
        }
        result["counts"] = counts(result)
        access.log(
            uow, now, actor, "disclose", RESOURCE, client_id=client_id, basis=basis,
            detail=f"everything kept of the client, as {medium}: " + summary(result["counts"]),
        )  # fmt: skip
        uow.commit()
        return result


def counts(export: JsonDict) -> dict[str, int]:
    paths: list[JsonDict] = export["paths"]

    def total(key: str) -> int:
        return sum(len(p[key]) for p in paths)

    return {
        "consents": len(export["consents"]),
        "paths": len(paths),
        "tasks": total("tasks"),
        "submissions": total("submissions"),
        "plan_revisions": total("plan_revisions"),
        "drafts": total("drafts"),
        "history_events": total("history"),
        "milestones": total("milestones"),
        "members": total("members"),
        "emergency_openings": total("emergency_openings"),
        "retention_holds": len(export["retention_holds"]),
        "access_log_rows": len(export["access_log"]),
    }


def summary(found: dict[str, int]) -> str:
    return "identity, " + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in found.items())


def _names(uow: UnitOfWork, usernames: Iterable[str | None]) -> dict[str, str]:
    wanted = sorted({u for u in usernames if u})
    if not wanted:
        return {}
    rows = uow.session.execute(
        select(User.username, User.display_name).where(User.username.in_(wanted))
    )
    return {username: name for username, name in rows}


def _fields(row: object, *names: str) -> JsonDict:
    """The row's columns by name, dates in ISO 8601."""
    values = {name: getattr(row, name) for name in names}
    return {k: iso(v) if isinstance(v, datetime) else v for k, v in values.items()}


def _consents(uow: UnitOfWork, client_id: int) -> list[JsonDict]:
    query = select(Consent).where(Consent.client_id == client_id).order_by(Consent.id)
    return [
        _fields(
            c,
            "id",
            "scope",
            "given_at",
            "recorded_by",
            "withdrawn_at",
            "withdrawn_by",
            "withdrawal_reason",
        )  # fmt: skip
        for c in uow.session.scalars(query)
    ]


def _holds(uow: UnitOfWork, client_id: int) -> list[JsonDict]:
    query = select(RetentionHold).where(RetentionHold.client_id == client_id)
    return [
        _fields(h, "reason", "placed_by", "placed_at", "lifted_by", "lifted_at")
        for h in uow.session.scalars(query.order_by(RetentionHold.id))
    ]


def _log_row(row: AccessLog, names: dict[str, str]) -> JsonDict:
    """Who read or changed the client's data, when, what, on what basis (the staff's sessions
    and addresses are theirs, not the client's: left out)."""
    found = _fields(row, "id", "occurred_at", "username", "action", "resource", "instance_id",
                    "basis", "success", "detail")  # fmt: skip
    found.update(display_name=names.get(row.username), roles=row.actor_roles,
                 organisations=row.actor_organisations)  # fmt: skip
    return found


def _path(
    uow: UnitOfWork, engine: WorkflowEngine, instance: ProcessInstance, forms: dict[str, JsonDict]
) -> JsonDict:
    session = uow.session
    version = instance.model_version
    tasks = list(
        session.scalars(
            select(HumanTask)
            .where(HumanTask.instance_id == instance.id)
            .order_by(HumanTask.created_at, HumanTask.id)
        )
    )
    task_names = {t.id: t.name for t in tasks}
    submissions = _submissions(uow, engine, instance, forms)
    revisions = [
        {
            "revision": number,
            "submission_id": s["id"],
            "task_name": s["task_name"],
            "submitted_by": s["submitted_by"],
            "submitted_at": s["submitted_at"],
            "form": s["form"],
            "data": s["data"],
        }
        for number, s in enumerate(
            (s for s in submissions if (s["form_path"] or "").endswith(SUPPORT_PLAN_FORM)),
            start=1,
        )
    ]
    manager = instance.case_manager
    return {
        "id": instance.id,
        "model": version.model.key,
        "model_name": version.model.name,
        "model_version": version.number,
        "status": instance.status,
        "outcome": instance.outcome,
        "end_event": instance.end_event,
        "organisation": instance.organisation.code if instance.organisation else None,
        "organisation_name": instance.organisation.name if instance.organisation else None,
        "case_manager": manager.username if manager else None,
        "case_manager_name": manager.display_name if manager else None,
        "started_at": iso(instance.created_at),
        "completed_at": iso(instance.completed_at),
        "last_activity_at": iso(instance.last_activity_at),
        "tasks": [_task(t) for t in tasks],
        "waiting": _waiting(uow, instance.id),
        "history": _history(uow, instance.id),
        "milestones": [
            {"name": m.name, "reached_at": iso(m.reached_at), "lead_days": m.lead_days}
            for m in session.scalars(
                select(Milestone)
                .where(Milestone.instance_id == instance.id)
                .order_by(Milestone.reached_at, Milestone.name)
            )
        ],
        "submissions": submissions,
        "plan_revisions": revisions,
        "drafts": [
            {
                "task_id": d.task_id,
                "task_name": task_names.get(d.task_id),
                "data": d.data,
                "saved_by": d.saved_by,
                "saved_at": iso(d.saved_at),
            }
            for d in session.scalars(
                select(TaskDraft)
                .where(TaskDraft.task_id.in_(list(task_names)))
                .order_by(TaskDraft.saved_at)
            )
        ],
        "members": _members(uow, instance.id),
        "emergency_openings": _openings(uow, instance.id),
    }


def _task(t: HumanTask) -> JsonDict:
    found = _fields(t, "id", "bpmn_id", "name", "phase", "role", "state", "created_at", "due_at",
                    "claimed_at", "completed_at")  # fmt: skip
    for who in ("assignee", "claimed_by", "completed_by"):
        person = getattr(t, who)
        found[who] = person.username if person is not None else None
    return found


def _submissions(
    uow: UnitOfWork, engine: WorkflowEngine, instance: ProcessInstance, forms: dict[str, JsonDict]
) -> list[JsonDict]:
    version = instance.model_version
    model = model_of(engine, instance)
    result = []
    rows = uow.session.scalars(
        select(FormSubmission)
        .where(FormSubmission.instance_id == instance.id)
        .order_by(FormSubmission.id)
    )
    for chain in entries_of(rows):  # each entry: its current revision, its revisions beside
        s, current = chain[0], chain[-1]
        info = model.user_tasks.get(s.bpmn_id)
        form = info.form if info is not None else None
        if form is None:  # a step the path's model version no longer has
            form = field_visibility.form_in(version.files, s.form_path)
        key = f"{version.model.key}/{version.number}/{s.form_path or s.bpmn_id}"
        if form is not None:
            forms.setdefault(key, dict(form))
        result.append(
            {
                "id": s.id,
                "task_id": s.task_id,
                "bpmn_id": s.bpmn_id,
                "task_name": s.task_name,
                "form_title": str(form.get("title") or s.task_name) if form else s.task_name,
                "form_path": s.form_path,
                "form": key if form is not None else None,
                "data": current.data,
                "submitted_by": s.submitted_by,
                "submitted_at": iso(s.submitted_at),
                "current_revision_id": current.id,
                # the original first, then each correction (who, when, why, what it said)
                "revisions": [
                    {
                        "id": r.id,
                        "corrects_id": r.corrects_id,
                        "recorded_by": r.submitted_by,
                        "recorded_at": iso(r.submitted_at),
                        "correction_reason": r.correction_reason,
                        "decided_fields": r.decided_fields or [],
                        "data": r.data,
                    }
                    for r in chain
                ]
                if len(chain) > 1
                else [],
            }
        )
    return result


def _waiting(uow: UnitOfWork, instance_id: int) -> list[JsonDict]:
    query = select(WaitingEvent).where(WaitingEvent.instance_id == instance_id)
    return [
        _fields(w, "kind", "name", "bpmn_id", "message_name", "due_at", "created_at", "settled_at")
        for w in uow.session.scalars(query.order_by(WaitingEvent.id))
    ]


def _history(uow: UnitOfWork, instance_id: int) -> list[JsonDict]:
    query = select(Event).where(Event.instance_id == instance_id).order_by(Event.id)
    return [
        _fields(
            e,
            "id",
            "occurred_at",
            "kind",
            "bpmn_id",
            "element_name",
            "task_id",
            "actor",
            "role",
            "phase",
            "data",
        )  # fmt: skip
        for e in uow.session.scalars(query)
    ]


def _members(uow: UnitOfWork, instance_id: int) -> list[JsonDict]:
    rows = uow.session.execute(
        select(PathMember, User)
        .join(User, User.id == PathMember.user_id)
        .where(PathMember.instance_id == instance_id)
        .order_by(PathMember.named_at, User.username)
    )
    return [
        {**_fields(user, "username", "display_name"), **_fields(m, "named_in", "named_at")}
        for m, user in rows
    ]


def _openings(uow: UnitOfWork, instance_id: int) -> list[JsonDict]:
    rows = uow.session.execute(
        select(EmergencyAccess, User)
        .join(User, User.id == EmergencyAccess.user_id)
        .where(EmergencyAccess.instance_id == instance_id)
        .order_by(EmergencyAccess.id)
    )
    return [
        {
            **_fields(user, "username", "display_name"),
            **_fields(
                o, "reason", "opened_at", "expires_at", "reviewed_by", "reviewed_at", "review_note"
            ),
        }  # fmt: skip
        for o, user in rows
    ]
