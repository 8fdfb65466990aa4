"""Service-level targets in working days, per step or per phase, per model or for all models.

Precedence for a step: this model's step target, this model's phase target, the all-models step
target, the all-models phase target. An administrator changes them without a deploy; open tasks'
due dates follow at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine.analytics.workdays import due_at
from engine.persistence.tables import (
    HumanTask,
    ProcessInstance,
    ProcessModel,
    ProcessModelVersion,
    SlaTarget,
    WaitingEvent,
)


@dataclass
class TargetBook:
    model_key: str
    steps: dict[tuple[str | None, str], int] = field(default_factory=dict)
    phases: dict[tuple[str | None, str], int] = field(default_factory=dict)

    def days_for(self, bpmn_id: str, phase: str | None) -> int | None:
        for key in ((self.model_key, bpmn_id), (None, bpmn_id)):
            if key in self.steps:
                return self.steps[key]
            if key[0] is not None and phase and (key[0], phase) in self.phases:
                return self.phases[(key[0], phase)]
        if phase and (None, phase) in self.phases:
            return self.phases[(None, phase)]
        return None

    def due(self, start: datetime, bpmn_id: str, phase: str | None) -> datetime | None:
        days = self.days_for(bpmn_id, phase)
        return None if days is None else due_at(start, days)


def load_targets(session: Session, model_key: str) -> TargetBook:
    book = TargetBook(model_key)
    for t in session.scalars(
        select(SlaTarget).where(
            or_(SlaTarget.model_key == model_key, SlaTarget.model_key.is_(None))
        )
    ):
        if t.bpmn_id:
            book.steps[(t.model_key, t.bpmn_id)] = t.working_days
        elif t.phase:
            book.phases[(t.model_key, t.phase)] = t.working_days
    return book


def refresh_due_dates(session: Session) -> None:
    """Recompute the due date of every open task and awaited message from the targets."""
    books: dict[str, TargetBook] = {}
    rows = session.execute(
        select(HumanTask, ProcessModel.key)
        .join(ProcessInstance)
        .join(ProcessModelVersion)
        .join(ProcessModel)
        .where(HumanTask.state == "open")
    ).all()
    for task, key in rows:
        book = books.setdefault(key, load_targets(session, key))
        task.due_at = book.due(task.created_at, task.bpmn_id, task.phase)
    waits = session.execute(
        select(WaitingEvent, ProcessModel.key)
        .join(ProcessInstance)
        .join(ProcessModelVersion)
        .join(ProcessModel)
        .where(WaitingEvent.kind == "message", WaitingEvent.settled_at.is_(None))
    ).all()
    for wait, key in waits:
        book = books.setdefault(key, load_targets(session, key))
        wait.due_at = book.due(wait.created_at, wait.bpmn_id, None)
