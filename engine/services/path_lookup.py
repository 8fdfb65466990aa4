"""Finding the path a request names, and the reader's basis for it: a path that does not exist
is NotFound; one the person has no basis for is refused, and the refusal logged (asiakastietolaki
requires logging unsuccessful access too). The access policy decides the basis."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from engine.errors import NotFound
from engine.persistence.tables import ProcessInstance
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import access

NO_BASIS = "no client relationship or task role"


def path(uow: UnitOfWork, instance_id: int, options: Sequence[Any] = ()) -> ProcessInstance:
    """The path `instance_id`, or NotFound."""
    instance = uow.session.get(ProcessInstance, instance_id, options=list(options))
    if instance is None:
        raise NotFound(
            f"instance {instance_id} does not exist",
            code="instance_not_found", params={"instance_id": instance_id},
        )  # fmt: skip
    return instance


def readable_path(
    uow: UnitOfWork,
    actor: access.Actor,
    instance_id: int,
    now: datetime,
    what: str,
    action: str = "read",
) -> tuple[ProcessInstance, str]:
    """The path and the actor's basis to read it; without one, `action` on `what` is refused."""
    instance = path(uow, instance_id)
    basis = access.read_basis(uow, actor, instance, now)
    if basis is None:
        raise access.refuse(
            uow, now, actor, action, what, instance.client_id, instance.id, NO_BASIS,
            code="no_client_relationship",
        )  # fmt: skip
    return instance, basis
