"""Emergency access: a professional without a basis opens a client's path after giving a
reason. The opening lasts `access.EMERGENCY_HOURS`; every read it allows is logged with the
basis "emergency access: <reason>"; the supervisor (the "manager" role) of the organisation
that owns the path reviews each opening.

Who may open in an emergency is the access policy's question (`access.may_open_in_emergency`,
`access.crosses_without_consent`), and so is who supervises a path (`access.supervises`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from engine.clock import Clock
from engine.errors import Conflict, InvalidInput, NotFound, Text
from engine.persistence.relationships import EmergencyAccess
from engine.persistence.tables import ProcessInstance, User
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import access
from engine.services.access import Actor
from engine.services.path_lookup import path

MIN_REASON, MAX_REASON = 10, 500
MAX_NOTE = 500
REVIEW_BASIS = "supervisor review of emergency access"
RESOURCE = "emergency_access"
LIST_LIMIT = 500
REASON_MESSAGE = Text(
    "emergency_reason_length",
    "Give a reason of {min} to {max} characters.",
    min=MIN_REASON,
    max=MAX_REASON,
)
NOTE_MESSAGE = Text("note_too_long", "At most {max} characters.", max=MAX_NOTE)


@dataclass(frozen=True)
class Opening:
    """One emergency opening as the supervisor reviews it: who, when, why, which path (by the
    client's pseudonym, never the name), until when, and whether it is reviewed."""

    id: int
    username: str
    display_name: str
    opened_at: datetime
    reason: str
    instance_id: int
    client_pseudonym: str
    model_name: str
    organisation: str | None
    expires_at: datetime
    expired: bool
    reviewed_by: str | None
    reviewed_at: datetime | None
    review_note: str | None

    @property
    def reviewed(self) -> bool:
        return self.reviewed_at is not None


@dataclass(frozen=True)
class Openable:
    """A path the actor has no basis for but may open in an emergency."""

    instance_id: int
    client_id: int
    model_name: str
    created_at: datetime


def _reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not MIN_REASON <= len(text) <= MAX_REASON or "\x00" in text:
        raise InvalidInput(
            "the reason for emergency access is not valid",
            {"reason": [REASON_MESSAGE]},
            code="emergency_reason_invalid",
        )
    return text


def _note(note: str | None) -> str | None:
    text = (note or "").strip()
    if len(text) > MAX_NOTE or "\x00" in text:
        raise InvalidInput(
            "the review note is not valid", {"note": [NOTE_MESSAGE]}, code="review_note_invalid"
        )
    return text or None


def _opening(row: EmergencyAccess, user: User, instance: ProcessInstance, now: datetime) -> Opening:
    return Opening(
        id=row.id,
        username=user.username,
        display_name=user.display_name,
        opened_at=row.opened_at,
        reason=row.reason,
        instance_id=instance.id,
        client_pseudonym=instance.client.pseudonym,
        model_name=instance.model_version.model.name,
        organisation=instance.organisation.code if instance.organisation else None,
        expires_at=row.expires_at,
        expired=row.expires_at <= now,
        reviewed_by=row.reviewed_by,
        reviewed_at=row.reviewed_at,
        review_note=row.review_note,
    )


def _openable(uow: UnitOfWork, actor: Actor, instance: ProcessInstance, now: datetime) -> bool:
    """No basis but (perhaps) an earlier emergency opening, which a new one renews."""
    if not access.may_open_in_emergency(uow, actor, instance):
        return False
    if access.crosses_without_consent(uow, actor, instance):
        return False
    basis = access.read_basis(uow, actor, instance, now)
    return basis is None or basis.startswith("emergency")


def openable_paths(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    *,
    client_id: int | None = None,
    instance_id: int | None = None,
) -> list[Openable]:
    """The client's paths (or the one path) the actor may open in an emergency: the offer on
    a refused page. Reads nothing of the client but which paths there are."""
    if client_id is None and instance_id is None:
        return []
    now = clock()
    with uow:
        query = select(ProcessInstance).order_by(ProcessInstance.created_at.desc())
        if client_id is not None:
            query = query.where(ProcessInstance.client_id == client_id)
        if instance_id is not None:
            query = query.where(ProcessInstance.id == instance_id)
        return [
            Openable(i.id, i.client_id, i.model_version.model.name, i.created_at)
            for i in uow.session.scalars(query.limit(50))
            if _openable(uow, actor, i, now)
        ]


def require_openable(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    *,
    client_id: int | None = None,
    instance_id: int | None = None,
) -> list[Openable]:
    """`openable_paths`, refused (and the refusal logged) when there are none."""
    found = openable_paths(uow, clock, actor, client_id=client_id, instance_id=instance_id)
    if found:
        return found
    with uow:
        raise access.refuse(
            uow, clock(), actor, "create", RESOURCE, client_id, instance_id,
            "nothing the actor may open in an emergency",
            code="emergency_nothing_to_open",
        )  # fmt: skip


def open_emergency_access(
    uow: UnitOfWork, clock: Clock, actor: Actor, instance_id: int, reason: str
) -> int:
    """Open the path for `access.EMERGENCY_HOURS`, giving a reason; the id of the opening.
    Refused (and the refusal logged) unless the actor is a care professional of the owning
    organisation; a Conflict when they already have a basis (nothing to open)."""
    text = _reason(reason)
    now = clock()
    with uow:
        instance = path(uow, instance_id)
        if access.crosses_without_consent(uow, actor, instance):
            raise access.refuse(
                uow, now, actor, "create", RESOURCE, instance.client_id, instance.id,
                "no consent to multi-organisation handling: emergency access does not cross "
                "organisation lines",
                code="emergency_no_consent",
            )  # fmt: skip
        if not access.may_open_in_emergency(uow, actor, instance):
            raise access.refuse(
                uow, now, actor, "create", RESOURCE, instance.client_id, instance.id,
                "emergency access is for care professionals of the path's owning organisation",
                code="emergency_not_owner",
            )  # fmt: skip
        basis = access.read_basis(uow, actor, instance, now)
        if basis is not None and not basis.startswith("emergency"):
            raise Conflict(
                f"you already have a basis to read this path: {basis}",
                code="emergency_has_basis",
                params={"basis": basis},
            )
        row = EmergencyAccess(
            user_id=actor.user_id,
            instance_id=instance.id,
            reason=text,
            opened_at=now,
            expires_at=now + timedelta(hours=access.EMERGENCY_HOURS),
        )
        uow.session.add(row)
        access.log(
            uow, now, actor, "create", RESOURCE, client_id=instance.client_id,
            instance_id=instance.id, basis=f"emergency access: {text}",
        )  # fmt: skip
        uow.commit()
        return row.id


def current_opening(
    uow: UnitOfWork, clock: Clock, actor: Actor, instance_id: int
) -> Opening | None:
    """The actor's own unexpired emergency opening of the path (for the banner), if any."""
    now = clock()
    with uow:
        found = uow.session.execute(
            select(EmergencyAccess, User, ProcessInstance)
            .join(User, User.id == EmergencyAccess.user_id)
            .join(ProcessInstance, ProcessInstance.id == EmergencyAccess.instance_id)
            .where(
                EmergencyAccess.user_id == actor.user_id,
                EmergencyAccess.instance_id == instance_id,
                EmergencyAccess.expires_at > now,
            )
            .order_by(EmergencyAccess.id.desc())
            .limit(1)
        ).first()
        return _opening(*found, now) if found is not None else None


def reviews(
    uow: UnitOfWork, clock: Clock, actor: Actor, include_reviewed: bool = False
) -> list[Opening]:
    """The emergency openings of the paths the actor supervises, newest first: the open
    (unreviewed) ones, and with `include_reviewed` the reviewed ones too. Each client shown
    is logged as read for the supervisor's review."""
    now = clock()
    with uow:
        if not access.supervises_emergency_access(actor):
            raise access.refuse(
                uow, now, actor, "read", RESOURCE, None, None,
                "only supervisors review emergency access",
                code="emergency_review_refused",
            )  # fmt: skip
        query = (
            select(EmergencyAccess, User, ProcessInstance)
            .join(User, User.id == EmergencyAccess.user_id)
            .join(ProcessInstance, ProcessInstance.id == EmergencyAccess.instance_id)
            .where(ProcessInstance.organisation_id.in_(sorted(actor.organisations)))
            .order_by(EmergencyAccess.opened_at.desc(), EmergencyAccess.id.desc())
            .limit(LIST_LIMIT)
        )
        if not include_reviewed:
            query = query.where(EmergencyAccess.reviewed_at.is_(None))
        rows = [
            (row, user, instance)
            for row, user, instance in uow.session.execute(query)
            if access.supervises(actor, instance)
        ]
        items = [_opening(row, user, instance, now) for row, user, instance in rows]
        for client_id, instance_id in dict.fromkeys((i.client_id, i.id) for _, _, i in rows):
            access.log(
                uow, now, actor, "read", RESOURCE, client_id=client_id,
                instance_id=instance_id, basis=REVIEW_BASIS,
            )  # fmt: skip
        uow.commit()
    return sorted(items, key=lambda o: o.reviewed)  # open ones first, each newest first


def review(
    uow: UnitOfWork, clock: Clock, actor: Actor, access_id: int, note: str | None
) -> Opening:
    """Mark an opening reviewed (by, at, note): the supervisor of the owning organisation,
    not the one who opened it."""
    text = _note(note)
    now = clock()
    with uow:
        row = uow.session.get(EmergencyAccess, access_id)
        if row is None:
            raise NotFound(
                f"emergency access {access_id} does not exist",
                code="emergency_access_not_found",
                params={"access_id": access_id},
            )
        instance = uow.session.get(ProcessInstance, row.instance_id)
        user = uow.session.get(User, row.user_id)
        assert instance is not None and user is not None  # foreign keys
        if not access.supervises(actor, instance):
            raise access.refuse(
                uow, now, actor, "update", RESOURCE, instance.client_id, instance.id,
                "only the supervisor of the path's owning organisation reviews its emergency "
                "access",
                code="emergency_review_not_owner",
            )  # fmt: skip
        if row.user_id == actor.user_id:
            raise access.refuse(
                uow, now, actor, "update", RESOURCE, instance.client_id, instance.id,
                "an emergency opening is reviewed by another supervisor than the one who made it",
                code="emergency_review_own",
            )  # fmt: skip
        if row.reviewed_at is not None:
            raise Conflict(
                f"emergency access {access_id} is already reviewed",
                code="emergency_access_reviewed",
                params={"access_id": access_id},
            )
        row.reviewed_by = actor.username[:80]
        row.reviewed_at = now
        row.review_note = text
        access.log(
            uow, now, actor, "update", RESOURCE, client_id=instance.client_id,
            instance_id=instance.id, basis=f"{REVIEW_BASIS}: reviewed opening {row.id}",
        )  # fmt: skip
        uow.commit()
        return _opening(row, user, instance, now)
