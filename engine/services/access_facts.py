"""The facts the access policy decides on, for one person and a set of paths, read in one
statement.

`engine/services/access.py` decides; this module only reads what its decisions depend on:
the client's consent to multi-organisation handling, the policy's time limit after closing,
and the person's own part in each path (an open task they hold or are offered, a task they
did, an external decision they recorded, being named in the path, a decision awaited, an
emergency opening). A page that asks the policy several questions about the same paths (the
client page: may read, may hand over, may record a decision, do tasks wait for consent, may
make the access report) reads these once and passes them to each question, instead of each
question reading them again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, exists, or_, select

from engine.persistence.relationships import EmergencyAccess, PathMember, PolicySetting
from engine.persistence.tables import Consent, Event, HumanTask, ProcessInstance, WaitingEvent
from engine.persistence.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from engine.services.access import Actor

DECISION_EVENT = "message_received"  # the history's row of a recorded external decision
DAYS_AFTER_CLOSING = "days_after_closing"
DEFAULT_DAYS_AFTER_CLOSING = 30


def consent_condition(client_id: Any) -> ColumnElement[bool]:
    """The client (a column or a value) has consented to multi-organisation handling and not
    withdrawn it: the one condition every list, worklist, notice and path fact asks."""
    return exists().where(Consent.client_id == client_id, Consent.withdrawn_at.is_(None))

@dataclass(frozen=True)
class PathFacts:
    """What the policy's answers about one path for one person depend on, at one moment."""

    instance_id: int
    user_id: int
    consent_in_force: bool  # the client's consent to multi-organisation handling
    days_after_closing: int
    held_task: str | None  # the name of an open task assigned to the person
    offered_task: str | None  # ... of an open task offered to their role and organisation
    done_task: str | None  # ... of a task they completed
    recorded_decision: bool  # they recorded an external decision on the path
    named_in: str | None  # where the path names them (e.g. the support plan)
    awaits_decision: bool  # the path waits for an external decision (a message)
    emergency_reason: str | None  # the reason of their emergency opening in force

    def check(self, instance: ProcessInstance, actor: Actor | None = None) -> PathFacts:
        """These facts, checked to be about this path (and this person): facts of another
        path or person never answer a question."""
        if self.instance_id != instance.id or (actor is not None and self.user_id != actor.user_id):
            raise ValueError(
                f"the facts of user {self.user_id} on path {self.instance_id} were given for "
                f"path {instance.id}" + (f", user {actor.user_id}" if actor is not None else "")
            )
        return self


def path_facts(
    uow: UnitOfWork, actor: Actor, instances: Iterable[ProcessInstance], now: datetime
) -> dict[int, PathFacts]:
    """The facts of each path for the actor (by path id), in one statement."""
    ids = sorted({i.id for i in instances})
    if not ids:
        return {}
    pi, uid = ProcessInstance, actor.user_id
    open_task = select(HumanTask.name).where(
        HumanTask.instance_id == pi.id, HumanTask.state == "open"
    )
    held = open_task.where(HumanTask.assignee_id == uid).limit(1)
    offered = open_task.where(
        HumanTask.assignee_id.is_(None),
        HumanTask.role.in_(sorted(actor.roles)),
        or_(
            HumanTask.organisation_id.is_(None),
            HumanTask.organisation_id.in_(sorted(actor.organisations)),
        ),
    ).limit(1)
    done = (
        select(HumanTask.name)
        .where(HumanTask.instance_id == pi.id, HumanTask.completed_by_id == uid)
        .limit(1)
    )
    decided = exists().where(
        Event.instance_id == pi.id, Event.kind == DECISION_EVENT, Event.actor == actor.username
    )
    named = select(PathMember.named_in).where(
        PathMember.instance_id == pi.id, PathMember.user_id == uid
    )
    awaits = exists().where(
        WaitingEvent.instance_id == pi.id,
        WaitingEvent.kind == "message",
        WaitingEvent.settled_at.is_(None),
    )
    emergency = (
        select(EmergencyAccess.reason)
        .where(
            EmergencyAccess.user_id == uid,
            EmergencyAccess.instance_id == pi.id,
            EmergencyAccess.expires_at > now,
        )
        .order_by(EmergencyAccess.id.desc())
        .limit(1)
    )
    consented = consent_condition(pi.client_id)
    days = select(PolicySetting.value).where(PolicySetting.key == DAYS_AFTER_CLOSING)
    rows = uow.session.execute(
        select(
            pi.id,
            consented.label("consented"),
            days.scalar_subquery().label("days"),
            held.scalar_subquery().label("held"),
            offered.scalar_subquery().label("offered"),
            done.scalar_subquery().label("done"),
            decided.label("decided"),
            named.scalar_subquery().label("named"),
            awaits.label("awaits"),
            emergency.scalar_subquery().label("emergency"),
        ).where(pi.id.in_(ids))
    )
    return {
        row.id: PathFacts(
            instance_id=row.id,
            user_id=uid,
            consent_in_force=bool(row.consented),
            days_after_closing=DEFAULT_DAYS_AFTER_CLOSING if row.days is None else row.days,
            held_task=row.held,
            offered_task=row.offered,
            done_task=row.done,
            recorded_decision=bool(row.decided),
            named_in=row.named,
            awaits_decision=bool(row.awaits),
            emergency_reason=row.emergency,
        )
        for row in rows
    }
