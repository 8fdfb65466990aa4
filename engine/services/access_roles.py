"""The access policy's role-only questions: what a person may do by their roles (or being an
administrator) alone, before any client, path or organisation is asked about.

Each answers one "may this person ..." question of an `Actor`; `engine.services.access`
re-exports them, and both sides ask the same function: the service that enforces the rule
(it refuses and logs) and the web layer that offers the page or the menu link. A role here
opens no client data: which paths, clients and figures a person then sees is the rest of the
policy's (`access.read_basis`, `access.path_condition`, `access.report_condition`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # `access` defines the actor and imports this module
    from engine.services.access import Actor

TEAM_COORDINATOR = "case_coordinator"  # hands tasks and case management over
DESIGNER_ROLE = "process_designer"  # models the service paths
SUPERVISOR_ROLE = "manager"  # reviews emergency openings and unusual access
# Roles that see the dashboards (figures, pseudonymous) without coordinating intake.
MANAGEMENT_ROLES = frozenset({SUPERVISOR_ROLE, "auditor"})
# Roles that may start a second running path of the same model for a client, with a reason:
# the coordinators who take clients in and lead the team (not the service counsellor).
DUPLICATE_PATH_ROLES = frozenset({"work_ability_coordinator", "case_coordinator"})


def administers(actor: Actor) -> bool:
    """Administrators manage people, settings and service-level targets. They do no client
    work and see no client data."""
    return actor.is_admin


def may_design(actor: Actor) -> bool:
    """Process designers and administrators manage the process models: upload, model and
    deploy versions, move running paths to a version, compare regional variants."""
    return actor.is_admin or DESIGNER_ROLE in actor.roles


def coordinates_team(actor: Actor) -> bool:
    """The team coordinator sees the team's open work (the team view) and any case manager's
    caseload. Administrators do not: they do no client work."""
    return TEAM_COORDINATOR in actor.roles


def supervises_emergency_access(actor: Actor) -> bool:
    """Supervisors (the "manager" role) review the emergency openings of the paths their
    organisation owns (`access.supervises` decides per path)."""
    return SUPERVISOR_ROLE in actor.roles


def reviews_unusual_access(actor: Actor) -> bool:
    """Supervisors (the "manager" role) review unusual access (emergency openings, many clients
    read in a short time, reads at night or of closed paths) in their organisations' paths."""
    return SUPERVISOR_ROLE in actor.roles


def may_see_dashboards(actor: Actor) -> bool:
    """Managers, auditors, team coordinators and administrators. Who may open the dashboards
    at all; which paths their figures count is `access.report_condition`'s, and an
    administrator is not special there: of no organisation, they see empty figures."""
    return actor.is_admin or actor.coordinates or bool(actor.roles & MANAGEMENT_ROLES)


def may_register_client(actor: Actor) -> bool:
    """Intake coordinators register the clients they take in."""
    return actor.coordinates


def may_override_duplicate_path(actor: Actor) -> bool:
    """May the actor start a second running path of the same model for one client, giving a
    reason? A coordinator (work-ability or case coordinator); starting needs `may_start_path`
    as well."""
    return actor.does_client_work and bool(actor.roles & DUPLICATE_PATH_ROLES)
