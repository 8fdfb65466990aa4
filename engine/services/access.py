"""Who may do what, and the access log every read and write of client data goes to.

Access to a client follows a task-based right (asiakastietolaki 703/2023): the client's case
manager, people holding a role the client's path has put to work, and the intake and team
coordination roles. Every decision — granted or refused — is logged with its basis.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, select

from engine.errors import Forbidden
from engine.persistence.tables import (
    AccessLog,
    Client,
    Consent,
    Event,
    HumanTask,
    ProcessInstance,
    User,
    WaitingEvent,
)
from engine.persistence.unit_of_work import UnitOfWork

# Roles that receive clients and coordinate the team: they may register clients, start paths
# and see every client of the service.
COORDINATION_ROLES = frozenset(
    {"work_ability_coordinator", "case_coordinator", "service_counsellor"}
)
# Roles that may record an external decision (e.g. Kela's) arriving for a client.
MESSAGE_ROLES = COORDINATION_ROLES | {"kela_advisor"}
# Roles of the other data controllers (Kela; the municipal employment authority): they take part
# only while the client's consent to multi-organisation handling is in force.
OTHER_ORGANISATION_ROLES = frozenset({"kela_advisor", "employment_expert"})


@dataclass(frozen=True)
class Actor:
    user_id: int
    username: str
    display_name: str
    roles: frozenset[str]
    is_admin: bool = False

    @classmethod
    def from_user(cls, user: User) -> Actor:
        return cls(
            user.id, user.username, user.display_name, frozenset(user.role_codes), user.is_admin
        )

    @property
    def coordinates(self) -> bool:
        return self.is_admin or bool(self.roles & COORDINATION_ROLES)


def consent_in_force(uow: UnitOfWork, client_id: int) -> bool:
    return (
        uow.session.scalar(
            select(Consent.id)
            .where(Consent.client_id == client_id, Consent.withdrawn_at.is_(None))
            .limit(1)
        )
        is not None
    )


def outside_organisation(uow: UnitOfWork, actor: Actor, client_id: int) -> bool:
    """Whether the actor works only for another controller and the client has no consent."""
    return only_other_organisation(actor) and not consent_in_force(uow, client_id)


def instance_basis(uow: UnitOfWork, actor: Actor, instance: ProcessInstance) -> str | None:
    """The basis on which the actor may see this instance's client, or None."""
    if outside_organisation(uow, actor, instance.client_id):
        return None
    if instance.case_manager_id == actor.user_id:
        return "case manager"
    if actor.is_admin:
        return "administrator"
    held = actor.roles & COORDINATION_ROLES
    if held:
        return f"coordination role {sorted(held)[0]}"
    roles = set(
        uow.session.scalars(
            select(HumanTask.role).where(HumanTask.instance_id == instance.id).distinct()
        )
    )
    common = actor.roles & roles
    if common:
        return f"task role {sorted(common)[0]}"
    if actor.roles & MESSAGE_ROLES and uow.session.scalar(
        select(WaitingEvent.id)
        .where(
            WaitingEvent.instance_id == instance.id,
            WaitingEvent.kind == "message",
            WaitingEvent.settled_at.is_(None),
        )
        .limit(1)
    ):
        return "external decision awaited"
    assigned = uow.session.scalar(
        select(HumanTask.id)
        .where(HumanTask.instance_id == instance.id, HumanTask.assignee_id == actor.user_id)
        .limit(1)
    )
    if assigned:
        return "assigned task"
    acted = uow.session.scalar(
        select(Event.id)
        .where(Event.instance_id == instance.id, Event.actor == actor.username)
        .limit(1)
    )
    return "took part in the path" if acted else None


def only_other_organisation(actor: Actor) -> bool:
    """The actor works only for another controller (Kela, the employment authority)."""
    return bool(actor.roles) and actor.roles <= OTHER_ORGANISATION_ROLES and not actor.is_admin


def client_list_condition(actor: Actor) -> ColumnElement[bool] | None:
    """Which clients the actor may see in a list, as a condition on `Client` rows (None: every
    client): the same relationships `instance_basis` accepts, and for another controller's
    staff only clients whose consent to multi-organisation handling is in force."""
    if actor.coordinates:
        return None
    related = (
        select(ProcessInstance.client_id)
        .join(HumanTask, HumanTask.instance_id == ProcessInstance.id, isouter=True)
        .where(
            or_(
                ProcessInstance.case_manager_id == actor.user_id,
                HumanTask.role.in_(sorted(actor.roles)),
                HumanTask.completed_by_id == actor.user_id,
            )
        )
    )
    conditions: list[ColumnElement[bool]] = [Client.id.in_(related)]
    if actor.roles & MESSAGE_ROLES:  # clients whose path awaits a decision
        conditions.append(
            Client.id.in_(
                select(ProcessInstance.client_id)
                .join(WaitingEvent, WaitingEvent.instance_id == ProcessInstance.id)
                .where(WaitingEvent.kind == "message", WaitingEvent.settled_at.is_(None))
            )
        )
    condition = or_(*conditions)
    if only_other_organisation(actor):
        consented = select(Consent.client_id).where(Consent.withdrawn_at.is_(None))
        condition = and_(condition, Client.id.in_(consented))
    return condition


def task_list_condition(actor: Actor) -> ColumnElement[bool] | None:
    """Which tasks the actor's worklist holds, as a condition on `HumanTask` rows joined to
    their `Client` (None: all): assigned to them, or unassigned in their roles; for another
    controller's staff only tasks of clients whose consent is in force."""
    if actor.is_admin:
        return None
    condition = or_(
        HumanTask.assignee_id == actor.user_id,
        HumanTask.assignee_id.is_(None) & HumanTask.role.in_(sorted(actor.roles)),
    )
    if only_other_organisation(actor):
        consented = select(Consent.client_id).where(Consent.withdrawn_at.is_(None))
        condition = and_(condition, Client.id.in_(consented))
    return condition


def task_basis(uow: UnitOfWork, actor: Actor, task: HumanTask) -> str | None:
    """The basis on which the actor may work on this task, or None. Without consent to
    multi-organisation handling another controller's staff have none."""
    if outside_organisation(uow, actor, task.instance.client_id):
        return None
    if task.assignee_id is not None:
        return "assignee" if task.assignee_id == actor.user_id else None
    if task.role in actor.roles:
        return f"task role {task.role}"
    return None


def log(
    uow: UnitOfWork,
    now: datetime,
    actor: Actor,
    action: str,
    resource: str,
    *,
    client_id: int | None,
    instance_id: int | None = None,
    basis: str,
    success: bool = True,
) -> None:
    uow.session.add(
        AccessLog(
            occurred_at=now,
            username=actor.username,
            action=action,
            resource=resource,
            client_id=client_id,
            instance_id=instance_id,
            basis=basis,
            success=success,
        )
    )


def refuse(
    uow: UnitOfWork,
    now: datetime,
    actor: Actor,
    action: str,
    resource: str,
    client_id: int | None,
    instance_id: int | None,
    reason: str,
) -> Forbidden:
    """Record a refused access in its own transaction and return the error to raise."""
    uow.session.rollback()
    log(
        uow,
        now,
        actor,
        action,
        resource,
        client_id=client_id,
        instance_id=instance_id,
        basis=reason,
        success=False,
    )
    uow.commit()
    return Forbidden(reason)
