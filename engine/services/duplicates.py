"""One running path of a model per client: a second one is refused with a clear message,
unless a coordinator starts it anyway with a reason (`access.may_override_duplicate_path`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from engine.analytics.workdays import FINLAND
from engine.errors import Conflict, InvalidInput, Text
from engine.persistence.tables import ProcessInstance, ProcessModel, ProcessModelVersion
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import access

REASON_MAX = 500


class DuplicatePath(Conflict):
    """A path of this model already runs for the client. `running_instance_id` and
    `started_on` (ISO date, Finnish time) name it when the person may read that path (both
    None when it is another organisation's path they have no basis for: they learn only that
    one runs); `may_override` says whether the person may start another one anyway by giving
    `override_reason`."""

    default_code = "duplicate_path"

    def __init__(
        self,
        model_name: str,
        running_instance_id: int | None,
        started_on: str | None,
        may_override: bool,
    ) -> None:
        hint = (
            ": give a reason to start a second one anyway"
            if may_override
            else ": only a coordinator may start a second one, with a reason"
        )
        which = (
            f" (path {running_instance_id}, started {started_on})"
            if running_instance_id is not None
            else ""
        )
        super().__init__(
            f"a path '{model_name}' already runs for this client{which}{hint}",
            params={
                "model": model_name,
                "instance_id": running_instance_id,
                "started": started_on,
                "may_override": may_override,
            },
        )
        self.model_name = model_name
        self.running_instance_id = running_instance_id
        self.started_on = started_on
        self.may_override = may_override


def running_path(uow: UnitOfWork, client_id: int, model: ProcessModel) -> ProcessInstance | None:
    """The client's oldest running path of the model (any version), if any."""
    return uow.session.scalar(
        select(ProcessInstance)
        .join(ProcessModelVersion, ProcessInstance.model_version_id == ProcessModelVersion.id)
        .where(
            ProcessInstance.client_id == client_id,
            ProcessInstance.status == "running",
            ProcessModelVersion.model_id == model.id,
        )
        .order_by(ProcessInstance.created_at)
        .limit(1)
    )


def check(
    uow: UnitOfWork,
    actor: access.Actor,
    now: datetime,
    client_id: int,
    model: ProcessModel,
    override_reason: str | None,
) -> tuple[ProcessInstance | None, str | None]:
    """(the running path a second one is started beside, the reason), or (None, None) when
    none runs. Raises `DuplicatePath` when one runs and no allowed override is given; a
    reason from someone the policy does not allow is refused (and logged). Telling that a
    path runs discloses client data: it is logged, and the path's number and start date are
    told only to someone who may read it."""
    running = running_path(uow, client_id, model)
    if running is None:
        return None, None
    reason = (override_reason or "").strip()
    allowed = access.may_override_duplicate_path(actor)
    if not reason:
        basis = access.read_basis(uow, actor, running, now)
        started = running.created_at.astimezone(FINLAND).date().isoformat()
        uow.rollback()  # nothing of the refused start is kept; the disclosure is
        access.log(
            uow,
            now,
            actor,
            "read",
            "process_instance",
            client_id=client_id,
            instance_id=running.id,
            basis=basis or "starting a path: the client's running path of the same model",
            detail=f"a running path of '{model.name}' named when a second one was refused"
            + (" (its number and start date shown)" if basis else " (no number or date shown)"),
        )
        uow.commit()
        if basis is None:
            raise DuplicatePath(model.name, None, None, allowed)
        raise DuplicatePath(model.name, running.id, started, allowed)
    if not allowed:
        raise access.refuse(
            uow,
            now,
            actor,
            "create",
            "process_instance",
            client_id,
            running.id,
            "only a coordinator may start a second running path of the same model",
            code="duplicate_path_override_refused",
        )
    if len(reason) > REASON_MAX:
        raise InvalidInput(
            "the reason is too long",
            {"override_reason": [Text("text_too_long", "The text is too long.")]},
            code="override_reason_too_long",
        )
    return running, reason
