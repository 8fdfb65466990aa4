"""The access policy's rules for a client acting themself (issue 17): a client who signed in
with strong identification reads and does only what is theirs.

A client actor (`access.Actor.for_client`) holds no role, no organisation and no account: every
staff rule of `engine.services.access` answers no for them. The policy's questions
(`read_basis`, `client_basis`, `record_keeping_basis`, `task_basis`) ask these functions first
when the actor is a client:
- a client reads their own paths and what is kept of them (consents, the access report, the
  export), on the basis "the client themself"; never another client's;
- a client works only on the open tasks of their own paths whose role is `client` (the client's
  lane, `Asiakas`), on the basis "the client themself: own task";
- what they see of a form is the `shared` visibility class alone (they hold no role that sees
  more, and are nobody's case manager), except what they recorded themselves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.persistence.tables import HumanTask, ProcessInstance

if TYPE_CHECKING:  # the actor's class lives in access.py, which re-exports this module
    from engine.services.access import Actor

CLIENT_ROLE = "client"  # the role code of the client's own tasks (the `Asiakas` lane)
OWN_BASIS = "the client themself"
OWN_TASK_BASIS = "the client themself: own task"
USERNAME_PREFIX = "client:"  # a client actor's name in the access log and the history


def is_client(actor: Actor) -> bool:
    return actor.client_id is not None


def own_path_basis(actor: Actor, instance: ProcessInstance) -> str | None:
    """The client's own path: readable by them; anyone else's: not."""
    if actor.client_id is None or instance.client_id != actor.client_id:
        return None
    return OWN_BASIS


def own_data_basis(actor: Actor, client_id: int) -> str | None:
    """What is kept of the client outside one path (consents, the access report, the export):
    the client's own only."""
    if actor.client_id is None or client_id != actor.client_id:
        return None
    return OWN_BASIS


def own_task_basis(actor: Actor, task: HumanTask) -> str | None:
    """An open task of the client's own path in the client's lane (role `client`); a task
    assigned to someone (a professional) is not the client's to do."""
    if (
        actor.client_id is None
        or task.role != CLIENT_ROLE
        or task.kind != "task"
        or task.assignee_id is not None
        or task.instance.client_id != actor.client_id
    ):
        return None
    return OWN_TASK_BASIS


def own_task_condition(actor: Actor) -> object:
    """The SQL condition of the client's own open tasks (for their list)."""
    return (
        (HumanTask.client_id == actor.client_id)
        & (HumanTask.role == CLIENT_ROLE)
        & (HumanTask.kind == "task")
        & (HumanTask.state == "open")
        & HumanTask.assignee_id.is_(None)
    )
