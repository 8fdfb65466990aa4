"""Kykyviisari results: the client's work ability (0-10) and its five areas (each 0-10), as the
client recorded them in their own task or a professional transcribed them in the encounter or
follow-up review forms. Kykyviisari itself is the Finnish Institute of Occupational Health's
licensed tool: Polku links to it (`TOOL_URL`) and keeps the results, never its questions.

`results_in` reads them from a path's form entries (each entry's current revision, at the
time it was first recorded); `client_results` is a client's series over all their paths the
reader may read, by date, for the client page's chart and table. Every read is logged."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from engine.clock import Clock
from engine.errors import NotFound
from engine.persistence.tables import Client, FormSubmission, ProcessInstance
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import access, access_client, records

TOOL_URL = "https://www.kykyviisari.fi"
WORK_ABILITY = "work_ability"
AREAS = (
    "mental_wellbeing",
    "social_participation",
    "physical_functioning",
    "skills",
    "everyday_coping",
)
MEASURES = (WORK_ABILITY, *AREAS)
FIELD_PREFIX = "kykyviisari_"  # a form field `kykyviisari_<measure>` holds the measure's score


@dataclass(frozen=True)
class Result:
    """One Kykyviisari result: when, the scores recorded (measure -> 0-10; a measure left
    empty is absent) and whether the client recorded it themself."""

    when: datetime
    scores: dict[str, int]
    by_client: bool

    def score(self, measure: str) -> int | None:
        return self.scores.get(measure)


def results_in(rows: Iterable[FormSubmission]) -> list[Result]:
    """The Kykyviisari results the path's form entries hold, oldest first."""
    found = []
    for chain in records.entries_of(rows):
        data = chain[-1].data
        scores = {
            m: value
            for m in MEASURES
            if isinstance(value := data.get(FIELD_PREFIX + m), int)
            and not isinstance(value, bool)
            and 0 <= value <= 10
        }
        if scores:
            by_client = chain[0].submitted_by.startswith(access_client.USERNAME_PREFIX)
            found.append(Result(chain[0].submitted_at, scores, by_client))
    return sorted(found, key=lambda r: r.when)


def series_of(results: Iterable[Result], measure: str) -> list[tuple[datetime, int]]:
    """One measure's points over time (for a line chart)."""
    return [(r.when, r.scores[measure]) for r in results if measure in r.scores]


def client_results(
    uow: UnitOfWork, clock: Clock, actor: access.Actor, client_id: int
) -> list[Result]:
    """The client's Kykyviisari results on all the paths the reader may read, by date."""
    now = clock()
    with uow:
        if uow.session.get(Client, client_id) is None:
            raise NotFound(
                f"client {client_id} does not exist",
                code="client_not_found", params={"client_id": client_id},
            )  # fmt: skip
        results: list[Result] = []
        bases = []
        for instance in uow.session.scalars(
            select(ProcessInstance).where(ProcessInstance.client_id == client_id)
        ):
            basis = access.read_basis(uow, actor, instance, now)
            if basis is None:
                continue
            bases.append(basis)
            results += results_in(
                uow.session.scalars(
                    select(FormSubmission).where(FormSubmission.instance_id == instance.id)
                )
            )
        if not bases:
            raise access.refuse(
                uow, now, actor, "read", "kykyviisari", client_id, None,
                "no client relationship or task role", code="no_client_relationship",
            )  # fmt: skip
        access.log(uow, now, actor, "read", "kykyviisari", client_id=client_id, basis=bases[0])
        uow.commit()
        return sorted(results, key=lambda r: r.when)
