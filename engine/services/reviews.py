"""Bringing a path's follow-up review forward or postponing it.

The follow-up timer (the one with `dueFromField` in its model) is due on the plan's next
review date; its case manager (`access.reschedule_review_basis`) may move it to another day,
giving a reason. The timer's due time changes in the workflow and in `waiting_event` in one
transaction, with a `review_rescheduled` event and an access-log row. A day before today
(Finnish time) is refused; today means 09:00 today, so a review moved to today after nine
falls due at the timer worker's next round."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from engine.clock import Clock
from engine.errors import Conflict, InvalidInput, Text
from engine.persistence.tables import WaitingEvent
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import access
from engine.services.path_loading import command, instance_of, load
from engine.services.progress import record, synchronise
from engine.workflow import review_dates, runtime
from engine.workflow.engine import WorkflowEngine

REASON_MAX = 500


def review_timer(uow: UnitOfWork, instance_id: int, timer_ids: set[str]) -> WaitingEvent | None:
    """The path's waiting follow-up timer (one of the model's `dueFromField` timers)."""
    if not timer_ids:
        return None
    return uow.session.scalar(
        select(WaitingEvent)
        .where(
            WaitingEvent.instance_id == instance_id,
            WaitingEvent.kind == "timer",
            WaitingEvent.settled_at.is_(None),
            WaitingEvent.bpmn_id.in_(sorted(timer_ids)),
        )
        .order_by(WaitingEvent.id)
        .limit(1)
    )


def reschedule_review(
    uow: UnitOfWork,
    engine: WorkflowEngine,
    clock: Clock,
    actor: access.Actor,
    instance_id: int,
    day: date | str | None,
    reason: str,
) -> datetime:
    """Make the path's follow-up review due on `day` (09:00 Finnish time); returns the new due
    time (UTC)."""
    now = clock()
    with uow, command(uow, "reschedule_review"):
        instance = instance_of(uow, instance_id)
        basis = access.reschedule_review_basis(actor, instance)
        if basis is None:
            raise access.refuse(
                uow,
                now,
                actor,
                "update",
                "process_instance",
                instance.client_id,
                instance.id,
                "only the path's case manager may move its follow-up review",
                code="review_reschedule_refused",
            )
        errors: dict[str, list[str]] = {}
        wanted = review_dates.parse_day(day)
        today = now.astimezone(review_dates.HELSINKI).date()
        if wanted is None:
            errors["due"] = [Text("review_date_invalid", "Give a date (YYYY-MM-DD).")]
        elif wanted < today:
            errors["due"] = [
                Text("review_date_past", "The date is in the past: choose today or a later day.")
            ]
        text = (reason or "").strip()
        if not text:
            errors["reason"] = [Text("reason_required", "Give a reason.")]
        elif len(text) > REASON_MAX:
            errors["reason"] = [Text("text_too_long", "The text is too long.")]
        if errors:
            raise InvalidInput(
                "the new review date cannot be set", errors, code="review_date_not_set"
            )
        assert wanted is not None
        loaded = load(uow, engine, instance)
        timer = review_timer(uow, instance.id, set(loaded.model.due_from_fields))
        if timer is None:
            raise Conflict(
                "the path waits for no follow-up review just now", code="no_review_waiting"
            )
        due = review_dates.due_on(wanted)
        before = runtime.move_timer(loaded.workflow, timer.task_id, due)
        record(
            uow,
            instance,
            now,
            "review_rescheduled",
            actor=actor.username,
            bpmn_id=timer.bpmn_id,
            element_name=timer.name,
            task_id=timer.task_id,
            data={
                "from": before.isoformat(),
                "to": due.isoformat(),
                "reason_given": True,
                "reason": text,
            },
        )
        synchronise(
            uow, engine, loaded.model, instance, loaded.workflow, loaded.before, now, actor.username
        )
        access.log(
            uow,
            now,
            actor,
            "update",
            "process_instance",
            client_id=instance.client_id,
            instance_id=instance.id,
            basis=basis,
            detail=f"follow-up review moved: {before.date().isoformat()} -> {wanted.isoformat()}",
        )
        uow.commit()
        return due
