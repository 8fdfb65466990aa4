"""The team's IPS fidelity self-assessment (Rovaniemi's indicator; the IPS-25 supported
employment fidelity scale): per assessment round, 25 items scored 1–5, for one model's pilot
in one organisation; shown as each round's total (25–125) and its items over time.

Aggregate data of a team, no client's: the dashboards' readers of the owning organisation see
them (`access.may_see_dashboards`, their organisations); a team coordinator, manager or
administrator of that organisation enters a round."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from engine.clock import Clock
from engine.errors import Forbidden, InvalidInput, NotFound, Text
from engine.persistence.employment import IpsFidelityRound
from engine.persistence.tables import ProcessModel
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import access

ITEMS = 25
LOW, HIGH = 1, 5


@dataclass(frozen=True)
class FidelityRound:
    id: int
    organisation_id: int
    model_key: str
    assessed_on: date
    scores: list[int]
    recorded_by: str

    @property
    def total(self) -> int:
        return sum(self.scores)


def _refuse_unless_reader(actor: access.Actor) -> None:
    if not access.may_see_dashboards(actor):
        raise Forbidden(
            "the dashboards are for managers, auditors and team coordinators",
            code="dashboards_refused",
        )


def record_round(
    uow: UnitOfWork,
    clock: Clock,
    actor: access.Actor,
    *,
    model_key: str,
    assessed_on: Any,
    scores: list[Any],
    organisation_id: int | None = None,
) -> int:
    """Enter one round for the actor's organisation (`organisation_id`: which one, when the
    actor has several); returns its id."""
    _refuse_unless_reader(actor)
    orgs = sorted(actor.organisations)
    if organisation_id is None and len(orgs) == 1:
        organisation_id = orgs[0]
    if organisation_id is None or organisation_id not in actor.organisations:
        raise Forbidden(
            "a round is entered for one of one's own organisations", code="ips_fidelity_refused"
        )
    errors: dict[str, list[str]] = {}
    try:
        day = assessed_on if isinstance(assessed_on, date) else date.fromisoformat(str(assessed_on))
    except ValueError:
        errors["assessed_on"] = [Text("employment_date_invalid", "Give a date (YYYY-MM-DD).")]
    valid = (
        isinstance(scores, list)
        and len(scores) == ITEMS
        and all(isinstance(v, int) and not isinstance(v, bool) and LOW <= v <= HIGH for v in scores)
    )
    if not valid:
        errors["scores"] = [Text("ips_fidelity_scores", "Give each of the 25 items 1–5 points.")]
    if errors:
        raise InvalidInput("the fidelity round has errors", errors, code="ips_fidelity_invalid")
    now = clock()
    with uow:
        if uow.session.scalar(select(ProcessModel.id).where(ProcessModel.key == model_key)) is None:
            raise NotFound(
                f"process model '{model_key}' does not exist",
                code="model_not_found", params={"key": model_key},
            )  # fmt: skip
        row = IpsFidelityRound(
            organisation_id=organisation_id, model_key=model_key, assessed_on=day,
            scores=list(scores), recorded_by=actor.username, recorded_at=now,
        )  # fmt: skip
        uow.session.add(row)
        uow.session.flush()
        round_id = row.id
        uow.commit()
        return round_id


def list_rounds(
    uow: UnitOfWork, actor: access.Actor, model_key: str | None = None
) -> list[FidelityRound]:
    """The rounds of the reader's organisations (of one model, if given), oldest first."""
    _refuse_unless_reader(actor)
    query = select(IpsFidelityRound).where(
        IpsFidelityRound.organisation_id.in_(sorted(actor.organisations))
    )
    if model_key:
        query = query.where(IpsFidelityRound.model_key == model_key)
    with uow:
        return [
            FidelityRound(
                r.id, r.organisation_id, r.model_key, r.assessed_on, list(r.scores), r.recorded_by
            )  # fmt: skip
            for r in uow.session.scalars(
                query.order_by(IpsFidelityRound.assessed_on, IpsFidelityRound.id)
            )
        ]
