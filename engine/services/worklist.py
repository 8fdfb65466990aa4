"""The worklist, a page at a time (issue 13): the tasks a person may work on, in one of the
worklist's orders, with the count of the whole list from the indexed `human_task` table.

Pages are found by key ("keyset" paging), not by offset: a page is the `limit` rows after (or
before) the row a cursor names, in the order's key with the task's id last, so every task is on
exactly one page however many there are, and the first page costs the same with ten tasks or
ten thousand. The cursor is opaque to clients (`worklist_cursor.py`); only the page's
rows are read, and only they are logged as read."""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal, or_, select, tuple_

from engine.clock import Clock
from engine.errors import InvalidInput, Text
from engine.persistence.tables import Client, HumanTask, User
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import access
from engine.services.worklist_cursor import SORTS, Position, bad_cursor, decode, encode

DEFAULT_LIMIT, MAX_LIMIT = 50, 200
__all__ = ["SORTS", "TaskPage", "TaskView", "list_tasks", "task_counts", "task_page"]


@dataclass
class TaskView:
    id: str
    instance_id: int
    client_id: int
    client_pseudonym: str
    client_name: str
    bpmn_id: str
    name: str
    phase: str | None
    role: str | None
    assignee: str | None
    claimed_by: str | None
    state: str
    created_at: datetime
    due_at: datetime | None
    completed_by: str | None = None
    completed_at: datetime | None = None
    kind: str = "task"  # or "wait": an awaited decision, recorded with its own form
    form: dict[str, Any] | None = None
    overdue: bool = False
    waiting_days: float = 0.0
    # in another organisation's lane while the client has no consent in force: offered to
    # nobody until consent is given
    waiting_for_consent: bool = False
    # the policy's answer to "may the reader work on it" (access.task_basis; for an awaited
    # decision access.decision_basis), where the view is made for one reader's page
    may_work: bool = False
    draft: dict[str, Any] | None = None
    draft_saved_by: str | None = None
    draft_saved_at: datetime | None = None
    # fields of the draft left out for a reader who does not do the task: their visibility
    # classes are not the reader's (the one doing the task sees the whole form)
    draft_hidden: list[str] = field(default_factory=list)
    draft_hidden_classes: list[str] = field(default_factory=list)
    # the path's model version: its texts show the step's name in the reader's language
    model_version_id: int | None = None


def _task_view(row: HumanTask, now: datetime | None = None) -> TaskView:
    client = row.instance.client
    view = TaskView(
        id=row.id,
        instance_id=row.instance_id,
        client_id=client.id,
        client_pseudonym=client.pseudonym,
        client_name=client.full_name,
        bpmn_id=row.bpmn_id,
        name=row.name,
        phase=row.phase,
        role=row.role,
        assignee=row.assignee.username if row.assignee else None,
        claimed_by=row.claimed_by.username if row.claimed_by else None,
        state=row.state,
        created_at=row.created_at,
        due_at=row.due_at,
        completed_by=row.completed_by.username if row.completed_by else None,
        completed_at=row.completed_at,
        kind=row.kind or "task",
        model_version_id=row.model_version_id,
    )
    if now is not None and row.state == "open":
        view.overdue = row.due_at is not None and row.due_at < now
        view.waiting_days = round((now - row.created_at).total_seconds() / 86400, 2)
    return view


@dataclass
class TaskPage:
    """One page of a worklist: its rows, where it is in the whole list, and the cursors of
    the pages beside it (None where there is none)."""

    tasks: list[TaskView]
    total: int  # the whole filtered list
    offset: int  # how many of the list come before this page
    limit: int
    next_cursor: str | None = None
    prev_cursor: str | None = None


# The columns of each order's key, the task's id after them. `due_at` is the one that may be
# empty: tasks without a due date come last (NULLS LAST, what PostgreSQL's index gives).
_KEY_COLUMNS: dict[str, tuple[Any, ...]] = {
    "created": (HumanTask.created_at,),
    "waiting": (HumanTask.created_at,),  # the longest waiting first
    "due": (HumanTask.due_at, HumanTask.created_at),
    "step": (HumanTask.name, HumanTask.created_at),
    "client": (Client.full_name, HumanTask.created_at),
}


_LIMIT_MESSAGE = Text("limit_range", "Must be a whole number from 1 to {max}.", max=MAX_LIMIT)


def check_limit(limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(
            f"limit must be a whole number from 1 to {MAX_LIMIT}",
            {"limit": [_LIMIT_MESSAGE]},
            code="limit_invalid",
            params={"max": MAX_LIMIT},
        )
    return limit


def _check_sort(sort: str) -> str:
    if sort not in SORTS:
        raise InvalidInput(
            f"unknown order '{sort}'",
            {"sort": [Text("sort_one_of", "Must be one of: {sorts}.", sorts=", ".join(SORTS))]},
            code="sort_unknown",
            params={"sort": sort},
        )
    return sort


def _conditions(
    actor: access.Actor,
    now: datetime,
    *,
    role: str | None,
    assignee: str | None,
    instance_id: int | None,
    state: str,
    overdue: bool,
    step: str | None,
    client: str | None,
    mine: bool,
    unassigned: bool,
) -> list[ColumnElement[bool]]:
    """The list's rows as conditions on `human_task` joined to `process_instance` (the
    access policy decides which tasks are the actor's; the filters narrow them)."""
    where = [access.task_list_condition(actor), HumanTask.state == state]
    if role:
        where.append(HumanTask.role == role)
    if assignee:
        person = select(User.id).where(User.username == assignee).scalar_subquery()
        where.append(HumanTask.assignee_id == person)
    if mine:
        where.append(mine_condition(actor))
    if unassigned:
        where.append(HumanTask.assignee_id.is_(None))
    if instance_id is not None:
        where.append(HumanTask.instance_id == instance_id)
    if overdue:
        where.append(HumanTask.due_at < now)
    if step:
        where.append(HumanTask.bpmn_id == step)
    if client and client.strip():
        text = client.strip()
        named = select(Client.id).where(
            or_(
                Client.full_name.icontains(text, autoescape=True),
                Client.pseudonym.icontains(text, autoescape=True),
            )
        )
        where.append(HumanTask.client_id.in_(named))
    return where


def mine_condition(actor: access.Actor) -> ColumnElement[bool]:
    """"Assigned to me": tasks assigned to the person by name, and tasks they claimed."""
    return or_(HumanTask.assignee_id == actor.user_id, HumanTask.claimed_by_id == actor.user_id)


def _tasks_from(query: Any, sort: str) -> Any:
    """The worklist rows carry their client (and path owner): only the client order joins."""
    if sort == "client":
        query = query.join(Client, HumanTask.client_id == Client.id)
    return query


def _count(uow: UnitOfWork, sort: str, where: list[ColumnElement[bool]]) -> int:
    """COUNT in the database, from the worklist's own index: no row comes to Python."""
    query = _tasks_from(select(func.count()).select_from(HumanTask), sort)
    return int(uow.session.scalar(query.where(*where)) or 0)


def _order(sort: str, forward: bool) -> list[Any]:
    columns = [*_KEY_COLUMNS[sort], HumanTask.id]
    if forward:
        return [c.asc().nulls_last() if c is HumanTask.due_at else c.asc() for c in columns]
    return [c.desc().nulls_first() if c is HumanTask.due_at else c.desc() for c in columns]


def _beyond(sort: str, key: tuple[Any, ...], forward: bool) -> ColumnElement[bool]:
    """The rows after (`forward`) or before `key` in the order, as one row-value comparison
    an index on the key's columns can serve."""
    columns = [*_KEY_COLUMNS[sort], HumanTask.id]
    compare = operator.gt if forward else operator.lt

    def ranked(cols: list[Any], values: tuple[Any, ...]) -> ColumnElement[bool]:
        bound = [literal(v, c.type) for c, v in zip(cols, values, strict=True)]
        result: ColumnElement[bool] = compare(tuple_(*cols), tuple_(*bound))
        return result

    if sort != "due":
        return ranked(columns, key)
    due = HumanTask.due_at
    if key[0] is None:  # among the tasks without a due date, which come last
        among = and_(due.is_(None), ranked(columns[1:], key[1:]))
        return among if forward else or_(due.is_not(None), among)
    dated = ranked(columns, key)  # a row without a due date compares as unknown: left out
    return or_(dated, due.is_(None)) if forward else dated


def _key_of(row: HumanTask, sort: str) -> tuple[Any, ...]:
    first = {
        "due": (row.due_at,),
        "step": (row.name,),
        "client": (row.instance.client.full_name,),
    }.get(sort, ())
    return (*first, row.created_at, row.id)


def _position_of(row: HumanTask, sort: str, forward: bool) -> Position:
    first: tuple[Any, ...] = {
        "due": (row.due_at,),
        "step": (row.name,),
        "client": (row.instance.client_id,),  # never the name: the cursor is in addresses
    }.get(sort, ())
    return Position(forward, sort, (*first, row.created_at), row.id)


def _resolve(uow: UnitOfWork, actor: access.Actor, position: Position) -> tuple[Any, ...]:
    """The cursor's key as the order compares it. The client order's cursor names the client
    by id; their name is read only when the actor's list holds or held a task of theirs, so a
    made-up id tells nothing of anyone else's client."""
    if position.sort != "client":
        return (*position.values, position.task_id)
    client_id, created_at = position.values
    name = uow.session.scalar(
        _tasks_from(select(Client.full_name).select_from(HumanTask), "client")
        .where(Client.id == client_id, access.task_list_condition(actor))
        .limit(1)
    )
    if name is None:
        raise bad_cursor()
    return (name, created_at, position.task_id)


def task_page(
    uow: UnitOfWork,
    clock: Clock,
    actor: access.Actor,
    *,
    role: str | None = None,
    assignee: str | None = None,
    instance_id: int | None = None,
    state: str = "open",
    sort: str = "created",
    overdue: bool = False,
    step: str | None = None,
    client: str | None = None,
    mine: bool = False,
    unassigned: bool = False,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> TaskPage:
    """A page of the tasks the actor may work on, narrowed by the filters: the first one, or
    the one the cursor (a page's `next_cursor` or `prev_cursor`) points to. A cursor that is
    not one this order gave is `InvalidInput` naming `cursor`."""
    check_limit(limit)
    _check_sort(sort)
    position = decode(cursor, sort) if cursor else None
    now = clock()
    with uow:
        where = _conditions(
            actor, now, role=role, assignee=assignee, instance_id=instance_id, state=state,
            overdue=overdue, step=step, client=client, mine=mine, unassigned=unassigned,
        )  # fmt: skip
        key = _resolve(uow, actor, position) if position else None

        def fetch(after: bool, forward: bool) -> tuple[list[HumanTask], bool]:
            """`limit` rows on from the cursor's key (`after`) or from an end of the list, and
            whether there are more that way; in the list's order."""
            query = _tasks_from(select(HumanTask.id).select_from(HumanTask), sort).where(*where)
            if after and key is not None:
                query = query.where(_beyond(sort, key, forward))
            query = query.order_by(*_order(sort, forward)).limit(limit + 1)
            ids = list(uow.session.scalars(query))
            more = len(ids) > limit
            ids = ids[:limit] if forward else ids[limit - 1 :: -1]
            # the page's rows with what they show, read by id once the order has chosen them
            found = {
                r.id: r for r in uow.session.scalars(select(HumanTask).where(HumanTask.id.in_(ids)))
            }
            return [found[i] for i in ids if i in found], more

        forward = position is None or position.forward
        rows, more = fetch(True, forward)
        at_start = key is None
        if key is not None and not forward and not more:  # back at the start: the first page
            (rows, more), forward, at_start = fetch(False, True), True, True
        elif key is not None and forward and not rows:
            # past the end (the last rows were done meanwhile): the last page
            (rows, more), forward = fetch(False, False), False
        total = _count(uow, sort, where)
        offset = 0
        if rows and not at_start:
            offset = _count(uow, sort, [*where, _beyond(sort, _key_of(rows[0], sort), False)])
        page = TaskPage([_task_view(r, now) for r in rows], total, offset, limit)
        if rows and (more if forward else offset + len(rows) < total):
            page.next_cursor = encode(_position_of(rows[-1], sort, True))
        if rows and offset > 0:
            page.prev_cursor = encode(_position_of(rows[0], sort, False))
        _log_rows(uow, now, actor, page.tasks)
        uow.commit()
        return page


def _log_rows(uow: UnitOfWork, now: datetime, actor: access.Actor, views: list[TaskView]) -> None:
    for client_id, inst in sorted({(v.client_id, v.instance_id) for v in views}):
        access.log(
            uow,
            now,
            actor,
            "read",
            "worklist",
            client_id=client_id,
            instance_id=inst,
            basis="worklist of own roles",
            detail="worklist row",
        )


def list_tasks(
    uow: UnitOfWork,
    clock: Clock,
    actor: access.Actor,
    *,
    limit: int = MAX_LIMIT,
    **filters: Any,
) -> list[TaskView]:
    """The first `limit` tasks of the list (the services' and tests' shorthand for
    `task_page(...).tasks`; `filters` are task_page's)."""
    return task_page(uow, clock, actor, limit=limit, **filters).tasks


def task_counts(uow: UnitOfWork, clock: Clock, actor: access.Actor) -> dict[str, int]:
    """How many open tasks each worklist view holds (counts only: no client data read)."""
    now = clock()
    with uow:
        counted = uow.session.execute(
            select(
                func.count(),
                func.count().filter(mine_condition(actor)),
                func.count().filter(HumanTask.assignee_id.is_(None)),
                func.count().filter(HumanTask.due_at < now),
            ).where(access.task_list_condition(actor), HumanTask.state == "open")
        ).one()  # one pass over the index for every tab
        return dict(zip(("all", "mine", "role", "overdue"), map(int, counted), strict=True))


def task_steps(
    uow: UnitOfWork,
    clock: Clock,
    actor: access.Actor,
    *,
    role: str | None = None,
    overdue: bool = False,
    mine: bool = False,
    unassigned: bool = False,
) -> list[tuple[str, str]]:
    """(BPMN id, name) of the steps the view's open tasks are at, for the step filter: the
    names of steps only, no client's data."""
    now = clock()
    with uow:
        where = _conditions(
            actor, now, role=role, assignee=None, instance_id=None, state="open",
            overdue=overdue, step=None, client=None, mine=mine, unassigned=unassigned,
        )  # fmt: skip
        steps = list(uow.session.scalars(select(HumanTask.bpmn_id).where(*where).distinct()))
        names = {  # a step's name from one of its rows (index order, no scan of the list)
            bpmn_id: uow.session.scalar(
                select(HumanTask.name)
                .where(HumanTask.state == "open", HumanTask.bpmn_id == bpmn_id)
                .limit(1)
            )
            or bpmn_id
            for bpmn_id in steps
        }
    return sorted(names.items(), key=lambda s: (s[1].casefold(), s[0]))
