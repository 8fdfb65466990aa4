"""The stalled clients: running paths with an overdue step, or with no event for a chosen
number of working days, a page at a time. Reads the worklist and the waiting table.

Every row is a path the reader may count (`ReportPaths`, passed in by the services); nothing
here decides access."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session, aliased

from engine.analytics.report_paths import ReportPaths
from engine.analytics.stalls import Scope, _period, _scoped, waited_for
from engine.analytics.workdays import FINLAND, is_working_day, working_days_between
from engine.persistence.tables import (
    Client,
    HumanTask,
    ProcessInstance,
    ProcessModel,
    ProcessModelVersion,
    User,
    WaitingEvent,
)

STALL_PAGE = 500  # stalled clients per page


@dataclass
class StalledClient:
    instance_id: int
    client_id: int
    pseudonym: str
    name: str | None  # only for those who may read the path (filled in by the services)
    model_key: str
    steps: list[str]
    held_by: list[str]
    days_over_target: int | None
    quiet_working_days: int
    reasons: list[str] = field(default_factory=list)
    waiting_for: list[str] = field(default_factory=list)  # parties of its open waits


class StallPage(list[StalledClient]):
    """One page of the stalled clients (a list of them), and how many there are in all."""

    def __init__(self, rows: list[StalledClient], total: int, offset: int) -> None:
        super().__init__(rows)
        self.total, self.offset = total, offset

    @property
    def rows(self) -> list[StalledClient]:
        return list(self)


def working_days_before(moment: datetime, days: int) -> datetime:
    """The same time of day `days` working days earlier."""
    current, left = moment.astimezone(FINLAND), days
    while left > 0:
        current -= timedelta(days=1)
        if is_working_day(current.date()):
            left -= 1
    return current


def stalled_clients(
    session: Session,
    now: datetime,
    scope: Scope,
    quiet_days: int,
    paths: ReportPaths,
    *,
    offset: int = 0,
    limit: int | None = None,
) -> StallPage:
    """Running paths the reader may count (started in the chosen period) with an overdue
    step, or with no event for `quiet_days` working days; by pseudonym (`name` None: the
    services fill in the names the reader may see). One page of them (`offset`, `limit`),
    the most overdue first, then the quietest, and how many there are in all."""
    cutoff = working_days_before(now, quiet_days)
    # `+ 0`: no list of the overdue paths' rows to merge with the quiet ones; SQLite then reads
    # the running paths in the order of their last activity and stops after the page
    overdue = (ProcessInstance.id + 0).in_(
        select(HumanTask.instance_id).where(HumanTask.state == "open", HumanTask.due_at < now)
    )
    listed = _scoped(
        select(ProcessInstance, ProcessModel.key)
        .join(ProcessModelVersion, ProcessModelVersion.id == ProcessInstance.model_version_id)
        .join(ProcessModel, ProcessModel.id == ProcessModelVersion.model_id)
        .where(
            ProcessInstance.status == "running",
            or_(ProcessInstance.last_activity_at < cutoff, overdue),
            paths.condition,
            *_period(ProcessInstance.created_at, scope),
        ),
        scope,
    )
    total = session.scalar(select(func.count()).select_from(listed.subquery())) or 0
    # the pages in the list's order: the most overdue first (its earliest due date missed),
    # then the quietest (the working-day counts below follow these times)
    late_task = aliased(HumanTask)
    earliest_missed = (
        select(func.min(late_task.due_at))
        .where(
            late_task.instance_id == ProcessInstance.id,
            late_task.state == "open",
            late_task.due_at < now,
        )
        .correlate(ProcessInstance)
        .scalar_subquery()
    )
    query = (
        listed.order_by(
            case((earliest_missed.is_(None), 1), else_=0),
            earliest_missed,
            ProcessInstance.last_activity_at,
            ProcessInstance.id,
        )
        .offset(offset)
        .limit(limit or STALL_PAGE)
    )
    rows = session.execute(query).all()
    ids = [instance.id for instance, _ in rows]
    tasks: dict[int, list[tuple[HumanTask, str | None]]] = defaultdict(list)
    waits: dict[int, list[str]] = defaultdict(list)
    if ids:
        assignee = aliased(User)
        for task, username in session.execute(
            select(HumanTask, assignee.username)
            .outerjoin(assignee, assignee.id == HumanTask.assignee_id)
            .where(HumanTask.instance_id.in_(ids), HumanTask.state == "open")
        ):
            tasks[task.instance_id].append((task, username))
            if party := waited_for(task.kind, task.name, task.lane_role):
                waits[task.instance_id].append(party)
        for instance_id, kind, message in session.execute(
            select(WaitingEvent.instance_id, WaitingEvent.kind, WaitingEvent.message_name).where(
                WaitingEvent.instance_id.in_(ids),
                WaitingEvent.settled_at.is_(None),
                WaitingEvent.kind == "timer",
            )
        ):
            waits[instance_id].append(waited_for(kind, message) or "other")
    pseudonyms: dict[int, str] = (
        {
            client_id: pseudonym
            for client_id, pseudonym in session.execute(
                select(Client.id, Client.pseudonym).where(
                    Client.id.in_([i.client_id for i, _ in rows])
                )
            )
        }
        if rows
        else {}
    )
    result = []
    for instance, key in rows:
        open_tasks = tasks.get(instance.id, [])
        late = [t.due_at for t, _ in open_tasks if t.due_at is not None and t.due_at < now]
        quiet = working_days_between(instance.last_activity_at or instance.created_at, now)
        reasons = []
        if late:
            reasons.append("overdue")
        if quiet >= quiet_days:
            reasons.append("quiet")
        result.append(
            StalledClient(
                instance_id=instance.id,
                client_id=instance.client_id,
                pseudonym=pseudonyms[instance.client_id],
                name=None,
                model_key=key,
                steps=[t.name for t, _ in open_tasks],
                held_by=[u or (t.role or "") for t, u in open_tasks],
                days_over_target=max(working_days_between(d, now) for d in late) if late else None,
                quiet_working_days=quiet,
                reasons=reasons,
                waiting_for=list(dict.fromkeys(waits.get(instance.id, []))),
            )
        )
    result.sort(key=lambda s: (-(s.days_over_target or 0), -s.quiet_working_days))
    return StallPage(result, total, offset)
