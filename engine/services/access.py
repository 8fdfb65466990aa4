"""The access policy: the one place that decides who may see and do what with a client's data.

A professional may read a client's path only on a basis their own work gives them
(asiakastietolaki 703/2023, GDPR art. 9):
- they hold, or are offered, an open task on it (offered: the task's role, in the organisation
  of the task's lane);
- they did a task on it;
- they are its case manager, or a team member named in it (e.g. in the support plan);
- they coordinate intake in the organisation that owns it;
- they opened it in an emergency, giving a reason a supervisor reviews.
Each basis but the emergency ends `days_after_closing` days after the path closes. Without the
client's consent to multi-organisation handling nothing crosses organisation lines: staff of
another organisation than the path's owner have no basis, and a task in another
organisation's lane waits for consent. A role alone opens nothing; administrators and designers
do no client work and see no client data.

Each question has one function: `read_basis` (may read this path), `may_see_field_class`,
`task_basis` (may do this task), `may_correct_entry` (the author or their supervisor),
`may_start_path`, `message_basis` (may record an external decision), `client_list_condition`
/ `task_list_condition` / `path_condition` (may see in a list, report or export). Every page,
endpoint, export and job asks them. The questions a person's roles answer alone (may design,
coordinates the team, supervises, may see the dashboards, ...) are `access_roles`'s,
re-exported here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, exists, false, literal, or_, select, true
from sqlalchemy.orm import aliased

from engine.persistence.relationships import (
    EmergencyAccess,
    Organisation,
    PathMember,
    PolicySetting,
    UserOrganisation,
)
from engine.persistence.tables import (
    Client,
    Consent,
    Event,
    HumanTask,
    ProcessInstance,
    User,
    WaitingEvent,
)
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import access_client
from engine.services.access_facts import (
    DAYS_AFTER_CLOSING,
    DECISION_EVENT,
    DEFAULT_DAYS_AFTER_CLOSING,
    PathFacts,
    consent_condition,
    path_facts,
)
from engine.services.access_log import log, log_administration, refuse
from engine.services.access_roles import (
    DESIGNER_ROLE,
    DUPLICATE_PATH_ROLES,
    MANAGEMENT_ROLES,
    SUPERVISOR_ROLE,
    TEAM_COORDINATOR,
    administers,
    coordinates_team,
    may_design,
    may_override_duplicate_path,
    may_register_client,
    may_see_dashboards,
    reviews_unusual_access,
    supervises_emergency_access,
)
from engine.workflow.forms import VISIBILITY_CLASSES

__all__ = [  # re-exported: from access_log, access_facts, access_roles (roles alone), and
    # access_client (a client acting themself)
    "access_client",
    "PathFacts", "consent_condition", "log", "log_administration", "path_facts", "refuse",
    "DESIGNER_ROLE", "DUPLICATE_PATH_ROLES", "MANAGEMENT_ROLES", "SUPERVISOR_ROLE",
    "TEAM_COORDINATOR", "administers", "coordinates_team", "may_design",
    "may_override_duplicate_path", "may_register_client", "may_see_dashboards",
    "reviews_unusual_access", "supervises_emergency_access",
]  # fmt: skip

# Roles that receive clients and coordinate the team in their organisation: they register
# clients, start paths, and see the paths their organisation owns.
COORDINATION_ROLES = frozenset(
    {"work_ability_coordinator", "case_coordinator", "service_counsellor"}
)
# Roles that record an external decision (Kela's) the path waits for.
DECISION_ROLES = frozenset({"kela_advisor"})
AUDITOR = "auditor"  # reads the access log and makes clients' access reports
# Roles that do no client work: they read no client's data whatever else is true.
NO_CLIENT_WORK_ROLES = frozenset({"process_designer", "manager", "auditor"})
EMERGENCY_HOURS = 12  # how long an emergency opening lasts

# Visibility classes of form fields (`x-visibility` in a form's JSON Schema; "shared" when a
# field and its form name none) and which roles' work needs which. Everyone with a basis sees
# "shared"; the path's case manager sees every class.
FIELD_CLASSES = VISIBILITY_CLASSES
ROLE_FIELD_CLASSES: dict[str, frozenset[str]] = {
    "physician": frozenset({"health", "social", "employment", "benefits"}),
    "nurse": frozenset({"health", "employment"}),
    "public_health_nurse": frozenset({"health", "employment"}),
    "mental_health_worker": frozenset({"health", "social"}),
    "psychologist": frozenset({"health", "social"}),
    "physiotherapist": frozenset({"health", "employment"}),
    "social_worker": frozenset({"social", "employment", "benefits"}),
    "rehabilitation_counsellor": frozenset({"health", "social", "employment", "benefits"}),
    "job_coach": frozenset({"employment"}),
    "employment_expert": frozenset({"employment", "benefits"}),
    "kela_advisor": frozenset({"benefits"}),
    "work_ability_coordinator": frozenset({"social", "employment", "benefits"}),
    "case_coordinator": frozenset({"social", "employment", "benefits"}),
    "service_counsellor": frozenset({"social", "employment", "benefits"}),
}


@dataclass(frozen=True)
class Actor:
    user_id: int
    username: str
    display_name: str
    roles: frozenset[str]
    is_admin: bool = False
    organisations: frozenset[int] = frozenset()
    organisation_codes: tuple[str, ...] = ()
    # a client acting themself (signed in with strong identification): see access_client
    client_id: int | None = None

    @classmethod
    def for_client(cls, client: Client) -> Actor:
        """The client themself: no account, no role, no organisation (access_client)."""
        return cls(
            0,
            f"{access_client.USERNAME_PREFIX}{client.pseudonym}",
            client.pseudonym,
            frozenset(),
            client_id=client.id,
        )

    @classmethod
    def from_user(cls, user: User) -> Actor:
        return cls(
            user.id,
            user.username,
            user.display_name,
            frozenset(user.role_codes),
            user.is_admin,
            frozenset(o.id for o in user.organisations),
            tuple(o.code for o in user.organisations),
        )

    @property
    def does_client_work(self) -> bool:
        """Holds a role of client work (administration and design are not)."""
        return bool(self.roles - NO_CLIENT_WORK_ROLES)

    @property
    def coordinates(self) -> bool:
        """Holds an intake coordination role (in some organisation)."""
        return bool(self.roles & COORDINATION_ROLES)


def days_after_closing(uow: UnitOfWork) -> int:
    row = uow.session.get(PolicySetting, DAYS_AFTER_CLOSING)
    return row.value if row is not None else DEFAULT_DAYS_AFTER_CLOSING


def consent_in_force(uow: UnitOfWork, client_id: int) -> bool:
    return (
        uow.session.scalar(
            select(Consent.id)
            .where(Consent.client_id == client_id, Consent.withdrawn_at.is_(None))
            .limit(1)
        )
        is not None
    )


def _insider(actor: Actor, instance: ProcessInstance) -> bool:
    return instance.organisation_id is None or instance.organisation_id in actor.organisations


def _consented(uow: UnitOfWork, instance: ProcessInstance, facts: PathFacts | None) -> bool:
    if facts is not None:
        return facts.check(instance).consent_in_force
    return consent_in_force(uow, instance.client_id)


def _in_window(
    uow: UnitOfWork, instance: ProcessInstance, now: datetime, facts: PathFacts | None = None
) -> bool:
    if instance.status != "completed" or instance.completed_at is None:
        return True
    days = facts.check(instance).days_after_closing if facts else days_after_closing(uow)
    return instance.completed_at >= now - timedelta(days=days)


def _found(uow: UnitOfWork, query: object) -> bool:
    return uow.session.scalar(query.limit(1)) is not None  # type: ignore[attr-defined]


def _relationship(actor: Actor, instance: ProcessInstance, facts: PathFacts) -> str | None:
    """The actor's own part in the path, if any (the bases before the time limit)."""
    if instance.case_manager_id == actor.user_id:
        return "case manager"
    if facts.held_task:
        return f"assigned task: {facts.held_task}"
    if facts.offered_task:
        return f"offered task: {facts.offered_task}"
    if facts.done_task:
        return f"did task: {facts.done_task}"
    if facts.recorded_decision:
        return "recorded an external decision"
    if facts.named_in is not None:
        return f"named in {facts.named_in}"
    if actor.coordinates and instance.organisation_id in actor.organisations:
        return "intake coordination in the owning organisation"
    if actor.roles & DECISION_ROLES and facts.awaits_decision:
        return "external decision awaited"
    return None


def _awaits_decision(uow: UnitOfWork, instance: ProcessInstance, facts: PathFacts | None) -> bool:
    if facts is not None:
        return facts.check(instance).awaits_decision
    return _found(
        uow,
        select(WaitingEvent.id).where(
            WaitingEvent.instance_id == instance.id,
            WaitingEvent.kind == "message",
            WaitingEvent.settled_at.is_(None),
        ),
    )


def emergency_basis(
    uow: UnitOfWork,
    actor: Actor,
    instance: ProcessInstance,
    now: datetime,
    facts: PathFacts | None = None,
) -> str | None:
    if facts is not None:
        reason = facts.check(instance, actor).emergency_reason
    else:
        reason = uow.session.scalar(
            select(EmergencyAccess.reason)
            .where(
                EmergencyAccess.user_id == actor.user_id,
                EmergencyAccess.instance_id == instance.id,
                EmergencyAccess.expires_at > now,
            )
            .order_by(EmergencyAccess.id.desc())
            .limit(1)
        )
    return f"emergency access: {reason}" if reason else None


def crosses_without_consent(
    uow: UnitOfWork, actor: Actor, instance: ProcessInstance, facts: PathFacts | None = None
) -> bool:
    """The actor works for another organisation than the path's owner and the client has
    not consented (or withdrew consent) to multi-organisation handling."""
    return not _insider(actor, instance) and not _consented(uow, instance, facts)


def read_basis(
    uow: UnitOfWork,
    actor: Actor,
    instance: ProcessInstance,
    now: datetime,
    facts: PathFacts | None = None,
) -> str | None:
    """May the actor read this path? The basis to log with the read, or None.

    `facts` are the path's facts for the actor (`path_facts`), for a caller asking several
    questions about the same path; without them they are read here (one statement)."""
    if actor.client_id is not None:  # the client themself: their own paths only
        return access_client.own_path_basis(actor, instance)
    if not actor.does_client_work:
        return None
    if facts is None:
        facts = path_facts(uow, actor, [instance], now)[instance.id]
    facts = facts.check(instance, actor)
    if crosses_without_consent(uow, actor, instance, facts):
        return None
    if _in_window(uow, instance, now, facts):
        basis = _relationship(actor, instance, facts)
        if basis is not None:
            return basis
    return emergency_basis(uow, actor, instance, now, facts)


def _paths_of(uow: UnitOfWork, client_id: int) -> list[ProcessInstance]:
    return list(
        uow.session.scalars(
            select(ProcessInstance)
            .where(ProcessInstance.client_id == client_id)
            .order_by(ProcessInstance.id)
        )
    )


def client_basis(
    uow: UnitOfWork,
    actor: Actor,
    client_id: int,
    now: datetime,
    *,
    paths: Sequence[ProcessInstance] | None = None,
    facts: Mapping[int, PathFacts] | None = None,
) -> str | None:
    """May the actor read what is recorded of this client outside any one path (consents,
    the Kykyviisari series)? A basis on one of their paths, or, for a client on no path yet,
    intake coordination. `paths` (all the client's paths, oldest first) and their `facts`,
    when the caller has read them already."""
    if actor.client_id is not None:  # the client themself: what is theirs only
        return access_client.own_data_basis(actor, client_id)
    if paths is None:
        paths = _paths_of(uow, client_id)
    if facts is None and actor.does_client_work:
        facts = path_facts(uow, actor, paths, now)
    for instance in paths:
        basis = read_basis(uow, actor, instance, now, facts[instance.id] if facts else None)
        if basis is not None:
            return basis
    if not paths and actor.coordinates:
        return "intake coordination (client on no path yet)"
    return None


def may_open_in_emergency(uow: UnitOfWork, actor: Actor, instance: ProcessInstance) -> bool:
    """A professional of the owning organisation (a care role, not an administrator or a
    designer alone) may open a path they have no basis for, giving a reason."""
    care_roles = actor.roles & set(ROLE_FIELD_CLASSES)
    return bool(care_roles) and instance.organisation_id in actor.organisations


def supervises(actor: Actor, instance: ProcessInstance) -> bool:
    """Is the actor a supervisor (the "manager" role) in the organisation that owns the path?
    Supervisors review its emergency openings; the role opens none of its client data."""
    return (
        supervises_emergency_access(actor)
        and instance.organisation_id is not None
        and instance.organisation_id in actor.organisations
    )


def may_correct_entry(
    uow: UnitOfWork,
    actor: Actor,
    author: str,
    instance: ProcessInstance,
    now: datetime,
    facts: PathFacts | None = None,
) -> str | None:
    """May the actor correct an entry (a completed task's form) that `author` (a username)
    recorded on this path? The basis to log with the correction, or None. The author, or
    their supervisor: the "manager" of the path's owning organisation the author works in.
    Either must still have a basis to read the path (the manager role alone opens no client
    data: a supervisor who corrects holds a role of client work too). Not on a path closed
    past the time limit, nor across organisation lines without consent (`read_basis`). A
    client acting themself corrects nothing: they ask their case manager (access_client)."""
    if actor.client_id is not None:
        return None
    basis = read_basis(uow, actor, instance, now, facts)
    if basis is None or basis.startswith("emergency access"):
        return None
    if author == actor.username:
        return f"author of the entry ({basis})"
    if supervises(actor, instance):
        author_orgs = uow.session.scalars(
            select(UserOrganisation.organisation_id)
            .join(User, User.id == UserOrganisation.user_id)
            .where(User.username == author)
        )
        if instance.organisation_id in set(author_orgs):
            return f"supervisor of the entry's author ({basis})"
    return None


def record_keeping_basis(
    uow: UnitOfWork,
    actor: Actor,
    client_id: int,
    now: datetime,
    *,
    paths: Sequence[ProcessInstance] | None = None,
    facts: Mapping[int, PathFacts] | None = None,
) -> str | None:
    """May the actor make the client's access report or export everything kept of the
    client (the client's own requests, asiakastietolaki 703/2023 and GDPR art. 15, 20)? An
    auditor of an organisation that owns one of the client's paths, or a professional with a
    basis for the client (who hands the report to the client). `paths` and `facts` as for
    `client_basis`."""
    if actor.client_id is not None:  # the client's own request, made themself
        return access_client.own_data_basis(actor, client_id)
    if paths is None:
        paths = _paths_of(uow, client_id)
    owners = {i.organisation_id for i in paths}
    if AUDITOR in actor.roles and owners & actor.organisations:
        return "auditor of the owning organisation"
    basis = client_basis(uow, actor, client_id, now, paths=paths, facts=facts)
    return f"the client's request, handled on the basis: {basis}" if basis else None


def visible_field_classes(actor: Actor, *, case_manager: bool = False) -> frozenset[str]:
    if case_manager:
        return frozenset(FIELD_CLASSES)
    classes = {"shared"}
    for role in actor.roles:
        classes |= ROLE_FIELD_CLASSES.get(role, frozenset())
    return frozenset(classes)


def entry_field_classes(actor: Actor, author: str, *, case_manager: bool = False) -> frozenset[str]:
    """The field classes the actor sees of one entry that `author` (a username) recorded: its
    author sees it whole (what they wrote themselves), everyone else by role. Correcting an
    entry does not make the corrector its author: a supervisor who corrected the fields they
    see still sees only those."""
    if author == actor.username:
        return frozenset(FIELD_CLASSES)
    return visible_field_classes(actor, case_manager=case_manager)


def may_see_field_class(actor: Actor, field_class: str, *, case_manager: bool = False) -> bool:
    return field_class in visible_field_classes(actor, case_manager=case_manager)


def may_prefill(
    actor: Actor,
    source_class: str,
    target_class: str,
    *,
    doer: bool,
    case_manager: bool = False,
) -> bool:
    """May an open form's field (of `target_class`) start with the value an earlier entry's
    field (of `source_class`) holds, as its designer marked it (`x-prefill`)? When the reader
    sees the source's class; or for the one doing the task, when the two classes are the
    same: the form already entrusts its doer with that class in that field."""
    if may_see_field_class(actor, source_class, case_manager=case_manager):
        return True
    return doer and source_class == target_class


def task_basis(
    uow: UnitOfWork, actor: Actor, task: HumanTask, facts: PathFacts | None = None
) -> str | None:
    """May the actor work on this task (open it, claim it, save a draft, complete it)?
    `facts`: the facts of the task's path, when the caller has them."""
    if actor.client_id is not None:  # the client themself: their own client tasks only
        return access_client.own_task_basis(actor, task)
    instance = task.instance
    if (
        not actor.does_client_work
        or crosses_without_consent(uow, actor, instance, facts)
        or waits_for_consent(uow, task, facts)
    ):
        return None
    if task.assignee_id is not None:
        return "assignee" if task.assignee_id == actor.user_id else None
    if task.role in actor.roles and (
        task.organisation_id is None or task.organisation_id in actor.organisations
    ):
        return f"offered task ({task.role})"
    return None


def waits_for_consent(uow: UnitOfWork, task: HumanTask, facts: PathFacts | None = None) -> bool:
    """An open task in another organisation's lane while the client has no consent in force:
    it is offered to nobody and shown to the owning team as waiting for consent. `facts`: the
    facts of the task's path, when the caller has them."""
    owner = task.instance.organisation_id
    return (
        task.state == "open"
        and task.organisation_id is not None
        and owner is not None
        and task.organisation_id != owner
        and not _consented(uow, task.instance, facts)
    )


def offers_work(actor: Actor, role: str | None, assignee: str | None) -> bool:
    """Whether a listed task's actions (claim, complete) are offered to the actor, from the
    worklist row alone: its assignee, else whoever holds its role. `task_basis` decides when
    the work is done (consent, organisation)."""
    if assignee:
        return assignee == actor.username
    return role in actor.roles


def offers_hand_over(actor: Actor, role: str | None, assignee: str | None, state: str) -> bool:
    """Whether "hand over" is offered on a listed open task: to the one who may work on it,
    the team coordinator and the administrator (`workspace.hand_over` decides in the end)."""
    if state != "open":
        return False
    return (
        offers_work(actor, role, assignee) or administers(actor) or coordinates_team(actor)
    )


def may_start_path(actor: Actor, owner: Organisation | None) -> bool:
    """Intake coordinators start paths for their own organisation."""
    return actor.coordinates and owner is not None and owner.id in actor.organisations


def reassignment_basis(
    uow: UnitOfWork,
    actor: Actor,
    instance: ProcessInstance,
    holder: User | None,
    now: datetime,
    facts: PathFacts | None = None,
) -> str | None:
    """May the actor give a task or the case management that `holder` has on this path to a
    colleague? The team coordinator of the owning organisation, the case manager, or an
    administrator handing over the work of a closed account (they see the task and the
    client's pseudonym only). `facts` as for `read_basis`."""
    if actor.is_admin and holder is not None and not holder.active:
        return "administrator: hand-over of a closed account's work"
    if facts is not None:
        facts.check(instance, actor)
    if not _in_window(uow, instance, now, facts) or crosses_without_consent(
        uow, actor, instance, facts
    ):
        return None
    if coordinates_team(actor) and _insider(actor, instance) and actor.does_client_work:
        return "team coordination"
    if instance.case_manager_id == actor.user_id:
        return "case manager"
    return None


def message_basis(
    uow: UnitOfWork,
    actor: Actor,
    instance: ProcessInstance,
    now: datetime,
    facts: PathFacts | None = None,
) -> str | None:
    """May the actor record an external decision (e.g. Kela's) for this path? `facts` as for
    `read_basis`."""
    if facts is not None:
        facts.check(instance, actor)
    if (
        not actor.does_client_work
        or crosses_without_consent(uow, actor, instance, facts)
        or not _in_window(uow, instance, now, facts)
    ):
        return None
    if actor.coordinates and instance.organisation_id in actor.organisations:
        return "intake coordination in the owning organisation"
    if instance.case_manager_id == actor.user_id:
        return "case manager"
    if actor.roles & DECISION_ROLES and _awaits_decision(uow, instance, facts):
        return "external decision awaited"
    return None


# --- the same rules as SQL conditions, for lists, reports and exports ---------------------


def decision_basis(uow: UnitOfWork, actor: Actor, row: HumanTask, now: datetime) -> str | None:
    """May the actor record the awaited decision `row` (a worklist item of kind wait)? The one
    whose worklist holds it may, and whoever may record the path's decisions."""
    return task_basis(uow, actor, row) or message_basis(uow, actor, row.instance, now)


def path_condition(uow: UnitOfWork, actor: Actor, now: datetime) -> ColumnElement[bool]:
    """Which paths the actor may read, as a condition on `ProcessInstance` rows."""
    if not actor.does_client_work:
        return false()
    pi = ProcessInstance
    orgs, roles, uid = sorted(actor.organisations), sorted(actor.roles), actor.user_id
    consented = consent_condition(pi.client_id)
    reachable = or_(pi.organisation_id.is_(None), pi.organisation_id.in_(orgs), consented)
    since = now - timedelta(days=days_after_closing(uow))
    window = or_(pi.status != "completed", pi.completed_at.is_(None), pi.completed_at >= since)
    t = aliased(HumanTask)  # the outer query may select tasks itself (the team view)
    task = exists().where(t.instance_id == pi.id)
    relationship = or_(
        pi.case_manager_id == uid,
        task.where(t.state == "open", t.assignee_id == uid),
        task.where(
            t.state == "open",
            t.assignee_id.is_(None),
            t.role.in_(roles),
            or_(t.organisation_id.is_(None), t.organisation_id.in_(orgs)),
        ),
        task.where(t.completed_by_id == uid),
        exists().where(
            Event.instance_id == pi.id, Event.kind == DECISION_EVENT, Event.actor == actor.username
        ),
        exists().where(PathMember.instance_id == pi.id, PathMember.user_id == uid),
        and_(literal(actor.coordinates), pi.organisation_id.in_(orgs)),
        and_(
            literal(bool(actor.roles & DECISION_ROLES)),
            exists().where(
                WaitingEvent.instance_id == pi.id,
                WaitingEvent.kind == "message",
                WaitingEvent.settled_at.is_(None),
            ),
        ),
    )
    emergency = exists().where(
        EmergencyAccess.instance_id == pi.id,
        EmergencyAccess.user_id == uid,
        EmergencyAccess.expires_at > now,
    )
    return and_(reachable, or_(and_(window, relationship), emergency))


def report_condition(actor: Actor) -> ColumnElement[bool]:
    """Which paths count in the actor's dashboards, figures and exports, as a condition on
    `ProcessInstance` rows: paths their organisations own, and paths where their organisation
    does a task while the client's consent to multi-organisation handling is in force. Nothing
    of a client crosses organisation lines without consent, not even as a count.

    Written so the database evaluates it once per statement, not once per path: the shared
    paths are one uncorrelated list, found from the few clients whose consent is in force,
    through their paths, to those paths' tasks in the actor's organisations (each step an
    index look-up), which PostgreSQL hashes and SQLite materialises; a figure over another
    table joins the admitted paths (`engine.analytics.stalls.ReportPaths.holds`)."""
    orgs = sorted(actor.organisations)
    if not orgs:
        return false()
    consented = select(Consent.client_id).where(Consent.withdrawn_at.is_(None))
    path, task = aliased(ProcessInstance), aliased(HumanTask)
    consented_paths = select(path.id).where(path.client_id.in_(consented))
    shared = select(task.instance_id).where(
        task.instance_id.in_(consented_paths), task.organisation_id.in_(orgs)
    )
    return or_(ProcessInstance.organisation_id.in_(orgs), ProcessInstance.id.in_(shared))


def client_list_condition(uow: UnitOfWork, actor: Actor, now: datetime) -> ColumnElement[bool]:
    """Which clients the actor may see in a list: those with a path they may read, and, for
    intake coordinators, clients not yet on any path (just registered) of nobody else's."""
    readable = Client.id.in_(
        select(ProcessInstance.client_id).where(path_condition(uow, actor, now))
    )
    if not actor.coordinates:
        return readable
    pathless = ~exists().where(ProcessInstance.client_id == Client.id)
    return or_(readable, pathless)


def task_list_condition(actor: Actor) -> ColumnElement[bool]:
    """Which tasks the actor's worklist holds, as a condition on `HumanTask` rows alone (they
    carry copies of their path's owner and client): assigned to them, or offered to them (their
    role, their organisation's lane); never a task that crosses organisation lines without the
    client's consent. One index (`ix_human_task_open_visible`) answers it."""
    if not actor.does_client_work:
        return false()
    orgs = sorted(actor.organisations)
    task, owner = HumanTask.organisation_id, HumanTask.owner_organisation_id
    consented = consent_condition(HumanTask.client_id)
    same_side = or_(task.is_(None), owner.is_(None), and_(task == owner, owner.in_(orgs)))
    mine = or_(
        HumanTask.assignee_id == actor.user_id,
        and_(
            HumanTask.assignee_id.is_(None),
            HumanTask.role.in_(sorted(actor.roles)),
            or_(task.is_(None), task.in_(orgs)),
        ),
    )
    return and_(mine, not_a_client_task(), or_(same_side, consented) if orgs else true())


def not_a_client_task() -> ColumnElement[bool]:
    """No staff worklist offers a client's own task (role `client`, the `Asiakas` lane): the
    client does it in their own view; the case manager sees on the client page that it is open."""
    return or_(HumanTask.role.is_(None), HumanTask.role != access_client.CLIENT_ROLE)


def members_of(uow: UnitOfWork, organisation_id: int) -> list[int]:
    return list(
        uow.session.scalars(
            select(UserOrganisation.user_id).where(
                UserOrganisation.organisation_id == organisation_id
            )
        )
    )


def offered_to_condition(task: HumanTask) -> ColumnElement[bool]:
    """Whose worklist an open task is offered in, as a condition on `User` rows: the same
    rule as `task_list_condition`, asked from the task's side (who gets a notification when
    it becomes ready). Nobody, for an assigned task or one that crosses organisation lines
    without the client's consent (`waits_for_consent`)."""
    from engine.persistence.tables import UserRole

    if task.assignee_id is not None or task.role in (None, access_client.CLIENT_ROLE):
        return false()
    conditions: list[ColumnElement[bool]] = [
        User.active.is_(True),
        exists().where(UserRole.user_id == User.id, UserRole.role == task.role),
    ]
    if task.organisation_id is not None:
        conditions.append(
            exists().where(
                UserOrganisation.user_id == User.id,
                UserOrganisation.organisation_id == task.organisation_id,
            )
        )
        owner = task.owner_organisation_id
        if owner is not None and owner != task.organisation_id:
            conditions.append(consent_condition(task.client_id))
    return and_(*conditions)


def reschedule_review_basis(actor: Actor, instance: ProcessInstance) -> str | None:
    """May the actor bring the path's follow-up review forward or postpone it? Its case
    manager, while the path runs: the basis to log, or None."""
    if (
        actor.does_client_work
        and instance.status == "running"
        and instance.case_manager_id is not None
        and instance.case_manager_id == actor.user_id
    ):
        return "case manager"
    return None
