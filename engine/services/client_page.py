"""The client page in one read: the client, the paths the reader may read (open tasks, what is
awaited, the history, the support plan's revisions), the consents and the Kykyviisari series,
and whether the reader may make the client's access report or export.

One transaction reads each kind of row once for all the client's paths and asks the access
policy every question from the facts it read once (`access.path_facts`). It writes the same
access-log rows the page's parts write on their own (`queries.get_instance`,
`records.submissions`, `records.get_consents`, `records.kykyviisari_series`): the client page,
each path's form submissions, the consents, the series. The rows are written last, so the
audit chain's head is held only for the moment of writing them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from engine.clock import Clock
from engine.errors import NotFound
from engine.persistence.tables import Client, Consent, ProcessInstance
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import (
    access,
    employment_events,
    field_visibility,
    kykyviisari,
    path_notes,
    records,
)
from engine.services.entries import CorrectionFlag, correction_flags
from engine.services.path_loading import model_of
from engine.services.path_views import PATH_OPTIONS, InstanceView, path_views, submissions_of
from engine.services.records import Submission
from engine.workflow.engine import WorkflowEngine

REFUSAL = "no client relationship or task role"
PATHLESS = "intake coordination (client on no path yet)"


@dataclass
class ClientPage:
    client: Client
    paths: list[InstanceView]  # the paths the reader may read, newest first
    plans: dict[int, list[Submission]] = field(default_factory=dict)  # by path: its revisions
    # by path: every entry (current revisions, oldest first) and the corrections' flags
    recorded: dict[int, list[Submission]] = field(default_factory=dict)
    flags: dict[int, list[CorrectionFlag]] = field(default_factory=dict)
    consents: list[dict[str, Any]] = field(default_factory=list)
    series: list[tuple[datetime, int]] = field(default_factory=list)  # Kykyviisari, 0-10
    # every Kykyviisari result: work ability and the five areas, by date (all readable paths)
    results: list[kykyviisari.Result] = field(default_factory=list)
    # may make the client's access report and export the client's data (the link is shown)
    record_keeping: bool = False
    notes: dict[int, list[path_notes.NoteView]] = field(default_factory=dict)  # by path
    # by path: the forms of its awaited outside decisions, by message name (the history's words)
    message_forms: dict[int, dict[str, dict[str, Any]]] = field(default_factory=dict)
    # by path: the visibility classes the reader may give a note (those they see on it, in
    # the policy's order; `path_notes.add_note` allows the same)
    note_classes: dict[int, list[str]] = field(default_factory=dict)
    # by path: its employment events (employment, apprenticeship, work trial, study place)
    employment: dict[int, list[employment_events.EmploymentView]] = field(default_factory=dict)


def read_client_page(
    uow: UnitOfWork, engine: WorkflowEngine, clock: Clock, actor: access.Actor, client_id: int
) -> ClientPage:
    now = clock()
    with uow:
        session = uow.session
        client = session.get(Client, client_id)
        if client is None:
            raise NotFound(
                f"client {client_id} does not exist",
                code="client_not_found", params={"client_id": client_id},
            )
        paths = list(
            session.scalars(
                select(ProcessInstance)
                .where(ProcessInstance.client_id == client_id)
                .order_by(ProcessInstance.created_at.desc())
                .options(*PATH_OPTIONS)
            )
        )
        facts = access.path_facts(uow, actor, paths, now) if actor.does_client_work else {}
        bases = [access.read_basis(uow, actor, i, now, facts.get(i.id)) for i in paths]
        pathless = PATHLESS if (not paths and actor.coordinates) else None
        if not (pathless or any(bases)):
            raise access.refuse(
                uow, now, actor, "read", "client", client_id, None, REFUSAL,
                code="no_client_relationship",
            )
        readable = [(i, b) for i, b in zip(paths, bases, strict=True) if b]
        ids = [i.id for i, _basis in readable]
        submissions = submissions_of(uow, ids) if ids else {}
        consents = list(
            session.scalars(
                select(Consent).where(Consent.client_id == client_id).order_by(Consent.id)
            )
        )
        models = {i.id: model_of(engine, i) for i, _basis in readable}
        views = path_views(
            uow,
            actor,
            readable,
            now,
            facts=facts,
            consents=consents,
            submissions=submissions,
            models=models,
        )
        shown = {
            i.id: records.submission_views(models[i.id], i, submissions.get(i.id, []), actor)
            for i, _basis in readable
        }
        oldest_first = sorted(paths, key=lambda i: i.id)
        basis = access.client_basis(uow, actor, client_id, now, paths=oldest_first, facts=facts)
        if basis is None:  # the bases above give one
            raise access.refuse(
                uow, now, actor, "read", "consent", client_id, None, REFUSAL,
                code="no_client_relationship",
            )
        page = ClientPage(
            client,
            views,
            plans={i: records.plan_revisions_in(s) for i, s in shown.items()},
            recorded=shown,
            flags={i.id: correction_flags(models[i.id], shown[i.id]) for i, _basis in readable},
            consents=records.consent_records(consents),
            record_keeping=access.record_keeping_basis(
                uow, actor, client_id, now, paths=oldest_first, facts=facts
            )
            is not None,
            note_classes={
                i.id: [
                    c
                    for c in access.FIELD_CLASSES
                    if c in field_visibility.reader_classes(actor, i)
                ]
                for i, _basis in readable
            },
        )
        if views:
            page.series = sorted(
                point
                for i in oldest_first
                if i.id in shown
                for point in records.kykyviisari_points(submissions.get(i.id, []))
            )
            page.results = sorted(
                (
                    result
                    for i in oldest_first
                    if i.id in shown
                    for result in kykyviisari.results_in(submissions.get(i.id, []))
                ),
                key=lambda r: r.when,
            )
        # the access log: what the page's parts log on their own, in the same order
        access.log(
            uow,
            now,
            actor,
            "read",
            "client",
            client_id=client_id,
            basis=next((b for b in bases if b), pathless or ""),
            detail=f"client page: {len(views)} path(s)",
        )
        for instance, path_basis in readable:
            records.log_submissions(uow, now, actor, instance, path_basis, shown[instance.id])
        page.notes = path_notes.notes_in(uow, actor, readable, now)  # logged per path
        page.employment = employment_events.employment_in(uow, actor, readable, now)  # likewise
        page.message_forms = {
            i: {w.message_name: w.form for w in m.waits.values() if w.form}
            for i, m in models.items()
        }
        access.log(uow, now, actor, "read", "consent", client_id=client_id, basis=basis)
        if views:
            # the first path (oldest first) the reader may read, as `client_basis` found it
            access.log(uow, now, actor, "read", "kykyviisari", client_id=client_id, basis=basis)
        uow.commit()
        return page
