"""In-app notifications (issue 14 §4): what a person should know about their work, made at
the moment it happens, in the command's own unit of work.

Kinds: `task_offered` (a task became ready in a queue the person works, as the access policy
decides: `access.offered_to_condition`), `task_assigned` (a ready task assigned to them, e.g.
the case manager's), `task_handed_over`, `task_due_tomorrow` and `task_overdue` (a task they
hold; made by the timer worker's job, `notification_jobs`), `caseload_quiet` (a running path
they are the case manager of, without events for N working days; the job too) and
`message_arrived` (a message delivered on a path they are the case manager of).

A notice holds ids and codes only (`params`, never a client's name); the page words it in the
reader's language from the kind, the task's name and the client's pseudonym. `key` keeps one
notice per thing: a second insert of the same key is ignored by the database (ON CONFLICT DO
NOTHING on SQLite and PostgreSQL), so it never fails the command.

Reading shows only notices about things the person may still see: a task notice while the
task is open and in their worklist (`access.task_list_condition`), a path notice while they
may read the path (`access.path_condition`). The list shows pseudonyms and step names, as the
worklist does, so reading it is logged as the worklist is: one row per client shown
(resource `notifications`, basis "own notifications"); counts read no client data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    func,
    literal,
    or_,
    select,
    update,
)

from engine.clock import Clock
from engine.errors import InvalidInput, NotFound, Text
from engine.persistence.daily_work import Notification
from engine.persistence.tables import (
    Client,
    HumanTask,
    ProcessInstance,
    User,
    UtcDateTime,
)
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import access

TASK_OFFERED = "task_offered"
TASK_ASSIGNED = "task_assigned"
TASK_HANDED_OVER = "task_handed_over"
TASK_DUE_TOMORROW = "task_due_tomorrow"
TASK_OVERDUE = "task_overdue"
CASELOAD_QUIET = "caseload_quiet"
MESSAGE_ARRIVED = "message_arrived"
KINDS = (
    TASK_OFFERED, TASK_ASSIGNED, TASK_HANDED_OVER, TASK_DUE_TOMORROW, TASK_OVERDUE,
    CASELOAD_QUIET, MESSAGE_ARRIVED,
)  # fmt: skip
# new work, for the digest
NEW_WORK = (TASK_OFFERED, TASK_ASSIGNED, TASK_HANDED_OVER)
RESOURCE = "notifications"
BASIS = "own notifications"
DEFAULT_LIMIT, MAX_LIMIT = 50, 200
COUNT_CAP = 100  # the header shows "99+" beyond this: the count stays one bounded statement
COLUMNS = ["user_id", "kind", "key", "instance_id", "task_id", "params", "created_at"]


@dataclass
class Notice:
    id: int
    kind: str
    created_at: datetime
    read_at: datetime | None
    instance_id: int | None
    task_id: str | None
    task_name: str | None
    client_id: int | None
    client_pseudonym: str | None  # never the client's name
    due_at: datetime | None = None
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def unread(self) -> bool:
        return self.read_at is None


# --- writing -------------------------------------------------------------------------------


def insert_statement(uow: UnitOfWork) -> Any:
    """An INSERT into `notification` of the database's own dialect (both have ON CONFLICT)."""
    if uow.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(Notification)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(Notification)


def insert_ignoring(uow: UnitOfWork, rows: Select[Any] | list[dict[str, Any]]) -> None:
    """Insert notices (a SELECT of `COLUMNS`, or rows of values); one already there (same
    person and key) is left as it is."""
    if isinstance(rows, list) and not rows:
        return
    statement = insert_statement(uow)
    if isinstance(rows, list):
        statement = statement.values(rows)
    else:
        statement = statement.from_select(COLUMNS, rows)
    with uow.session.no_autoflush:  # the command's own rows are written once, at commit
        uow.session.execute(statement.on_conflict_do_nothing(index_elements=["user_id", "key"]))


def _for_users(
    condition: ColumnElement[bool],
    kind: str,
    key: str,
    instance_id: int | None,
    task_id: str | None,
    params: dict[str, Any],
    now: datetime,
) -> Select[Any]:
    """The notice for every person `condition` (on `User`) names, as a SELECT of COLUMNS."""
    return select(
        User.id,
        literal(kind),
        literal(key),
        literal(instance_id, Integer()),
        literal(task_id, String()),
        literal(params, JSON),
        literal(now, UtcDateTime()),
    ).where(condition)


def tasks_ready(uow: UnitOfWork, now: datetime, by: str) -> None:
    """The worklist rows this command made ready (pending in the session): a notice to the
    person each is assigned to, or to everyone it is offered to (one INSERT … SELECT per
    task). `by` (a username) made it happen and is not told."""
    for task in [o for o in uow.session.new if isinstance(o, HumanTask) and o.state == "open"]:
        if task.assignee_id is not None:
            kind, who = TASK_ASSIGNED, User.id == task.assignee_id
        else:
            kind, who = TASK_OFFERED, access.offered_to_condition(task)
        insert_ignoring(
            uow,
            _for_users(
                and_(who, User.username != by), kind, f"{kind}:{task.id}", task.instance_id,
                task.id, {}, now,
            ),
        )  # fmt: skip


def handed_over(uow: UnitOfWork, task: HumanTask, to_user_id: int, by: str, now: datetime) -> None:
    """A task handed over to a colleague: a notice to them (unread again, if it came back)."""
    statement = insert_statement(uow).values(
        user_id=to_user_id, kind=TASK_HANDED_OVER, key=f"{TASK_HANDED_OVER}:{task.id}",
        instance_id=task.instance_id, task_id=task.id, params={"by": by}, created_at=now,
    )  # fmt: skip
    with uow.session.no_autoflush:
        uow.session.execute(
            statement.on_conflict_do_update(
                index_elements=["user_id", "key"],
                set_={"read_at": None, "emailed_at": None, "created_at": now, "params": {"by": by}},
            )
        )


def case_manager_tasks(
    uow: UnitOfWork, instance_id: int, user_id: int, by_user_id: int, now: datetime
) -> None:
    """A new case manager: a notice of each open task of the path now assigned to them
    (the rows as this command left them, written or not)."""
    if user_id == by_user_id:
        return
    with uow.session.no_autoflush:  # the rows as changed in memory: nothing written early
        rows = list(
            uow.session.scalars(
                select(HumanTask).where(
                    HumanTask.instance_id == instance_id, HumanTask.state == "open"
                )
            )
        )
        insert_ignoring(
            uow,
            [
                {
                    "user_id": user_id, "kind": TASK_ASSIGNED,
                    "key": f"{TASK_ASSIGNED}:{task.id}", "instance_id": instance_id,
                    "task_id": task.id, "params": {}, "created_at": now,
                }
                for task in rows
                if task.state == "open" and task.assignee_id == user_id
            ],
        )  # fmt: skip


def message_arrived(
    uow: UnitOfWork, instance: ProcessInstance, message: str, by: str, now: datetime
) -> None:
    """A message (an outside decision) delivered on a path: a notice to its case manager."""
    manager = instance.case_manager_id
    if manager is None or (instance.case_manager and instance.case_manager.username == by):
        return
    insert_ignoring(
        uow,
        [
            {
                "user_id": manager, "kind": MESSAGE_ARRIVED,
                "key": f"{MESSAGE_ARRIVED}:{instance.id}:{message[:60]}:{now.isoformat()}",
                "instance_id": instance.id, "task_id": None, "params": {"message": message},
                "created_at": now,
            }
        ],
    )  # fmt: skip


# --- reading -------------------------------------------------------------------------------


def visible_condition(uow: UnitOfWork, actor: access.Actor, now: datetime) -> ColumnElement[bool]:
    """The actor's notices about things they may still see (the query joins `HumanTask` on
    the notice's task and `ProcessInstance` on its path): the policy's conditions."""
    return and_(
        Notification.user_id == actor.user_id,
        or_(
            and_(
                Notification.task_id.is_not(None),
                HumanTask.state == "open",
                access.task_list_condition(actor),
            ),
            and_(Notification.task_id.is_(None), access.path_condition(uow, actor, now)),
        ),
    )


def _joined(query: Any) -> Any:
    return query.outerjoin(HumanTask, HumanTask.id == Notification.task_id).outerjoin(
        ProcessInstance, ProcessInstance.id == Notification.instance_id
    )


def unread_count(uow: UnitOfWork, clock: Clock, actor: access.Actor) -> int:
    """How many unread notices the header shows (at most COUNT_CAP): counts only, no client
    data read, so nothing is logged."""
    if not actor.does_client_work:
        return 0
    with uow:
        ids = (
            _joined(select(Notification.id))
            .where(Notification.read_at.is_(None), visible_condition(uow, actor, clock()))
            .limit(COUNT_CAP)
        )
        return int(uow.session.scalar(select(func.count()).select_from(ids.subquery())) or 0)


def notices_where(
    uow: UnitOfWork,
    actor: access.Actor,
    now: datetime,
    *where: ColumnElement[bool],
    limit: int = DEFAULT_LIMIT,
) -> list[Notice]:
    """The actor's notices they may still see, narrowed by `where`, newest first (not logged:
    the caller logs what it shows)."""
    rows = uow.session.execute(
        _joined(select(Notification, HumanTask.name, HumanTask.due_at, Client.id, Client.pseudonym))
        .outerjoin(Client, Client.id == ProcessInstance.client_id)
        .where(visible_condition(uow, actor, now), *where)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    ).all()
    return [
        Notice(
            id=n.id, kind=n.kind, created_at=n.created_at, read_at=n.read_at,
            instance_id=n.instance_id, task_id=n.task_id, task_name=name,
            client_id=client_id, client_pseudonym=pseudonym, due_at=due_at,
            params=dict(n.params or {}),
        )
        for n, name, due_at, client_id, pseudonym in rows
    ]  # fmt: skip


def _log_shown(uow: UnitOfWork, now: datetime, actor: access.Actor, notices: list[Notice]) -> None:
    shown = {(n.client_id, n.instance_id) for n in notices if n.client_id is not None}
    for client_id, instance_id in sorted(shown, key=lambda s: (s[0], s[1] or 0)):
        access.log(
            uow, now, actor, "read", RESOURCE, client_id=client_id, instance_id=instance_id,
            basis=BASIS, detail="notification row",
        )  # fmt: skip


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(
            f"limit must be between 1 and {MAX_LIMIT}",
            {"limit": [Text("limit_range", "Must be a whole number from 1 to {max}.",
                            max=MAX_LIMIT)]},
            code="limit_invalid", params={"max": MAX_LIMIT},
        )
    return limit


def list_notices(
    uow: UnitOfWork,
    clock: Clock,
    actor: access.Actor,
    *,
    unread_only: bool = False,
    limit: int = DEFAULT_LIMIT,
) -> list[Notice]:
    """The actor's notices, newest first (each read of a client's pseudonym logged)."""
    check_limit(limit)
    now = clock()
    if not actor.does_client_work:
        return []
    with uow:
        where = [Notification.read_at.is_(None)] if unread_only else []
        notices = notices_where(uow, actor, now, *where, limit=limit)
        _log_shown(uow, now, actor, notices)
        uow.commit()
        return notices


def mark_read(uow: UnitOfWork, clock: Clock, actor: access.Actor, notice_id: int) -> Notice:
    """Mark one of the actor's notices read and return it (to follow its link). Another
    person's notice, or one about something they may no longer see, is not found."""
    now = clock()
    with uow:
        found = notices_where(uow, actor, now, Notification.id == notice_id, limit=1)
        if not found:
            raise NotFound(
                f"notification {notice_id} does not exist or is no longer shown",
                code="notification_not_found", params={"notice_id": notice_id},
            )
        notice = found[0]
        if notice.read_at is None:
            uow.session.execute(
                update(Notification).where(Notification.id == notice_id).values(read_at=now)
            )
            notice.read_at = now
        _log_shown(uow, now, actor, [notice])
        uow.commit()
        return notice


def mark_all_read(uow: UnitOfWork, clock: Clock, actor: access.Actor) -> int:
    """Mark all of the actor's notices read; how many were unread."""
    now = clock()
    with uow:
        done = uow.session.execute(
            update(Notification)
            .where(Notification.user_id == actor.user_id, Notification.read_at.is_(None))
            .values(read_at=now)
        )
        uow.commit()
        return int(getattr(done, "rowcount", 0) or 0)
