"""Clients waiting for a timer or for a message nobody records from a worklist: rows of their
own in "where clients wait", beside the steps (the awaited decisions that someone records,
Kela's say, are worklist rows of kind 'wait' and counted with the steps).

Reads the waiting table (`waiting_event`: its unsettled rows, found by `ix_waiting_event_due`)
joined to the paths the reader may count; nothing here decides access."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from engine.analytics.report_paths import ReportPaths
from engine.analytics.stalls import DAY, Scope, StepStat, _period, versions_in_scope, waited_for
from engine.analytics.stats import Distribution
from engine.persistence.tables import HumanTask, ProcessInstance, WaitingEvent


def wait_stats(session: Session, now: datetime, scope: Scope, paths: ReportPaths) -> list[StepStat]:
    """Per model version and catch event: how many running paths wait there now (timers, and
    messages without a worklist item), how many past their due time, and the wait's median,
    90th percentile and longest (days since the wait began). A timer waits for the calendar,
    a message for the party its name gives (`stalls.waited_for`)."""
    versions = versions_in_scope(session, scope)
    item = exists().where(HumanTask.id == WaitingEvent.task_id, HumanTask.state == "open")
    query = (
        select(
            ProcessInstance.model_version_id,
            WaitingEvent.bpmn_id,
            WaitingEvent.name,
            WaitingEvent.kind,
            WaitingEvent.message_name,
            WaitingEvent.created_at,
            WaitingEvent.due_at,
        )
        .join(ProcessInstance, ProcessInstance.id == WaitingEvent.instance_id)
        .where(
            WaitingEvent.settled_at.is_(None),
            WaitingEvent.kind.in_(("timer", "message")),
            ProcessInstance.status == "running",
            ~item,
            paths.holds(WaitingEvent.instance_id, by_other_index=True),
            *_period(WaitingEvent.created_at, scope),
        )
    )
    if scope.model_key or scope.version:
        query = query.where(ProcessInstance.model_version_id.in_(list(versions)))
    groups: dict[tuple[int, str], list[tuple[str, str, str | None, float, bool]]] = defaultdict(
        list
    )
    for version_id, bpmn_id, name, kind, message, created, due in session.execute(query):
        age = (now - created).total_seconds() / DAY
        groups[(version_id, bpmn_id)].append(
            (name, kind, message, age, due is not None and due < now)
        )
    result = []
    for (version_id, bpmn_id), rows in groups.items():
        version = versions.get(version_id)
        if version is None:
            continue
        name, kind, message = rows[0][:3]
        ages = Distribution.of([r[3] for r in rows])
        result.append(
            StepStat(
                version.model_key,
                version.region,
                version.number,
                bpmn_id,
                name,
                None,
                len(rows),
                sum(1 for r in rows if r[4]),
                ages.median,
                ages.p90,
                ages.maximum,
                kind,
                waited_for(kind, message, name),
            )
        )
    return result
