"""Retention: how long each kind of data is kept, and the run that removes what has expired
(see docs/retention.md for the defaults and where they come from).

- A client's record (identity, consents, paths and everything on them) expires `years` after
  the client's last path closed (a client on no path: after registration); never while a path
  runs or a hold (`place_hold`) is in force. It is deleted, children first, the client last.
- The access log's rows expire `years` after they were written (never under two: the database
  refuses to remove a younger row). They go oldest first, so the chain stays whole: the head's
  anchor moves to the last removed row, the rows up to it are deleted, and the removal is
  itself logged. It stops at the first row about a client on hold.

A run, a dry run and holds are administrators' work; an administrator sees no client data, so
reports give counts and pseudonyms, never names.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, exists, func, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute

from engine.clock import Clock
from engine.errors import Conflict, InvalidInput, NotFound, Text
from engine.persistence.audit import AccessLog, AuditHead, RetentionHold
from engine.persistence.audit_chain import HEAD_ID
from engine.persistence.tables import Base, Client, HumanTask, ProcessInstance
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import access

CLIENT_RECORD = "client record"
ACCESS_LOG = "access log"
# The database refuses to remove an access-log row younger than this (migration 0005's
# triggers); a day's margin keeps the app's clock and the database's apart.
ACCESS_LOG_FLOOR_YEARS = 2
CLOCK_MARGIN = timedelta(days=1)
MIN_REASON, MAX_REASON = 10, 500
REASON_MESSAGE = Text(
    "hold_reason_length",
    "Give a reason of {min} to {max} characters.",
    min=MIN_REASON,
    max=MAX_REASON,
)
REFUSAL = "retention is administrators' work"
HOLD_BASIS = "administrator: retention hold"
# The tables whose rows make up a client's record are found by their foreign keys to these.
RECORD_ROOTS = ("client", "process_instance", "human_task")


@dataclass(frozen=True)
class RetentionRule:
    kind: str
    years: int
    counted_from: str
    source: str


# The defaults (configurable per deployment here; the controller's archive formation plan
# decides: see docs/retention.md).
RULES: dict[str, RetentionRule] = {
    CLIENT_RECORD: RetentionRule(
        CLIENT_RECORD,
        12,
        "the client's last path closed (a client on no path: registration)",
        "social welfare client documents are as a rule kept 12 years after the client "
        "relationship ended (set in asiakastietolaki 703/2023: check the text in force); health "
        "records' longer periods are the patient record system's",
    ),
    ACCESS_LOG: RetentionRule(
        ACCESS_LOG,
        12,
        "the row was written",
        "kept as long as the client records it is about; never under 2 years, the client's "
        "right to an access report (asiakastietolaki 703/2023)",
    ),
}


@dataclass(frozen=True)
class RetentionReport:
    """What a run removed, or a dry run would remove: counts and pseudonyms, never names."""

    dry_run: bool
    ran_at: datetime
    cutoffs: dict[str, datetime]  # per kind: what is older than this has expired
    removed: tuple[str, ...]  # pseudonyms of the client records removed
    held: tuple[str, ...]  # pseudonyms of expired records kept because of a hold
    rows: dict[str, int] = field(default_factory=dict)  # per table, the client records' rows
    log_rows: int = 0
    log_range: tuple[int, int] | None = None  # the access log's ids removed
    log_anchor: str | None = None  # the last removed row's hash: the chain starts from it
    log_stopped_by_hold: bool = False

    @property
    def counts(self) -> dict[str, int]:
        return {CLIENT_RECORD: len(self.removed), ACCESS_LOG: self.log_rows}

    def lines(self) -> list[str]:
        verb = "would remove" if self.dry_run else "removed"
        out = [f"retention {'dry run' if self.dry_run else 'run'} at {self.ran_at.isoformat()}"]
        for kind, cutoff in self.cutoffs.items():
            out.append(f"{kind}: expired before {cutoff.isoformat()}")
        out.append(f"{verb} {len(self.removed)} client record(s)"
                   + (f": {', '.join(self.removed)}" if self.removed else ""))  # fmt: skip
        out += [f"  {table}: {n} row(s)" for table, n in sorted(self.rows.items())]
        if self.held:
            out.append(f"kept on hold though expired: {', '.join(self.held)}")
        span = f" (ids {self.log_range[0]}..{self.log_range[1]})" if self.log_range else ""
        out.append(f"{verb} {self.log_rows} access-log row(s){span}")
        if self.log_stopped_by_hold:
            out.append("the access log's removal stopped at a row about a client on hold")
        return out


@dataclass(frozen=True)
class Hold:
    id: int
    client_id: int
    client_pseudonym: str
    reason: str
    placed_by: str
    placed_at: datetime
    lifted_by: str | None
    lifted_at: datetime | None

    @property
    def in_force(self) -> bool:
        return self.lifted_at is None


def years_before(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - years, day=28)


def _require_admin(uow: UnitOfWork, now: datetime, actor: access.Actor, action: str,
                   what: str, client_id: int | None = None) -> None:  # fmt: skip
    if not actor.is_admin:
        raise access.refuse(
            uow, now, actor, action, what, client_id, None, REFUSAL, code="retention_refused"
        )


def _hold_in_force(
    client_id: InstrumentedAttribute[int] | InstrumentedAttribute[int | None],
) -> ColumnElement[bool]:
    return exists().where(RetentionHold.client_id == client_id, RetentionHold.lifted_at.is_(None))


def run(
    uow: UnitOfWork,
    clock: Clock,
    actor: access.Actor,
    dry_run: bool,
    rules: dict[str, RetentionRule] = RULES,
) -> RetentionReport:
    """Find what has expired and report it (`dry_run`), or remove it, in one transaction."""
    now = clock()
    with uow:
        _require_admin(uow, now, actor, "read" if dry_run else "delete", "retention_run")
        session = uow.session
        if not dry_run:  # take the chain's head first: writers of the log wait for the run
            session.execute(
                update(AuditHead).where(AuditHead.id == HEAD_ID).values(rows=AuditHead.rows)
            )
        record_cutoff = years_before(now, rules[CLIENT_RECORD].years)
        log_cutoff = min(
            years_before(now, rules[ACCESS_LOG].years),
            years_before(now, ACCESS_LOG_FLOOR_YEARS) - CLOCK_MARGIN,
        )
        expired, held = _expired_clients(uow, record_cutoff)
        rows: Counter[str] = Counter()
        for client_id, _pseudonym in expired:
            rows.update(_remove_record(uow, client_id, dry_run))
        log_range, anchor, stopped = _expired_log(uow, log_cutoff)
        log_rows = 0
        if log_range is not None:
            log_rows = _remove_log(uow, log_range, anchor, dry_run)
        report = RetentionReport(
            dry_run=dry_run,
            ran_at=now,
            cutoffs={CLIENT_RECORD: record_cutoff, ACCESS_LOG: log_cutoff},
            removed=tuple(p for _, p in expired),
            held=tuple(held),
            rows=dict(rows),
            log_rows=log_rows,
            log_range=log_range,
            log_anchor=anchor,
            log_stopped_by_hold=stopped,
        )
        _log_run(uow, now, actor, report, expired, rules)
        uow.commit()
        return report


def _expired_clients(uow: UnitOfWork, cutoff: datetime) -> tuple[list[tuple[int, str]], list[str]]:
    """The clients whose record has expired and who are on no hold (id, pseudonym), and the
    pseudonyms of those kept on hold."""
    pi = ProcessInstance
    open_path = exists().where(
        pi.client_id == Client.id, or_(pi.status != "completed", pi.completed_at.is_(None))
    )
    last_closed = select(func.max(pi.completed_at)).where(pi.client_id == Client.id)
    reference = func.coalesce(last_closed.scalar_subquery(), Client.created_at)
    rows = uow.session.execute(
        select(Client.id, Client.pseudonym, _hold_in_force(Client.id))
        .where(~open_path, reference < cutoff)
        .order_by(Client.id)
    ).all()
    expired = [(cid, pseudonym) for cid, pseudonym, on_hold in rows if not on_hold]
    return expired, [pseudonym for _, pseudonym, on_hold in rows if on_hold]


def _remove_record(uow: UnitOfWork, client_id: int, dry_run: bool) -> Counter[str]:
    """Delete (or count) every row of the client's record, children before their parents:
    each table with a foreign key to the client, its paths or their tasks."""
    session = uow.session
    instance_ids = list(
        session.scalars(select(ProcessInstance.id).where(ProcessInstance.client_id == client_id))
    )
    task_ids = list(
        session.scalars(select(HumanTask.id).where(HumanTask.instance_id.in_(instance_ids)))
    )
    keys: dict[str, list[object]] = {
        "client": [client_id], "process_instance": list(instance_ids), "human_task": list(task_ids),
    }  # fmt: skip
    found: Counter[str] = Counter()
    for table in reversed(Base.metadata.sorted_tables):
        conditions = [
            fk.parent.in_(keys[fk.column.table.name])
            for fk in table.foreign_keys
            if fk.column.table.name in RECORD_ROOTS and keys[fk.column.table.name]
        ]
        if table.name in RECORD_ROOTS and keys[table.name]:
            conditions.append(table.c.id.in_(keys[table.name]))
        if not conditions:
            continue
        where = or_(*conditions)
        if dry_run:
            n = session.scalar(select(func.count()).select_from(table).where(where)) or 0
        else:
            n = session.execute(delete(table).where(where)).rowcount or 0  # type: ignore[attr-defined]
        if n:
            found[table.name] += n
    if not dry_run:
        session.expunge_all()  # the deleted rows' objects are gone
    return found


def _expired_log(
    uow: UnitOfWork, cutoff: datetime
) -> tuple[tuple[int, int] | None, str | None, bool]:
    """The access log's oldest rows that have expired, as an id range, and the hash of the
    last of them; whether the range stopped at a row about a client on hold."""
    session = uow.session
    head = session.execute(select(AuditHead.anchor_id).where(AuditHead.id == HEAD_ID)).one()
    after = head.anchor_id
    young = session.scalar(
        select(func.min(AccessLog.id)).where(AccessLog.id > after, AccessLog.occurred_at >= cutoff)
    )
    held = session.scalar(
        select(func.min(AccessLog.id)).where(
            AccessLog.id > after,
            AccessLog.client_id.is_not(None),
            _hold_in_force(AccessLog.client_id),
        )
    )
    stop = min((i for i in (young, held) if i is not None), default=None)
    query = select(AccessLog.id, AccessLog.row_hash).where(AccessLog.id > after)
    if stop is not None:
        query = query.where(AccessLog.id < stop)
    last = session.execute(query.order_by(AccessLog.id.desc()).limit(1)).first()
    stopped = held is not None and held == stop
    if last is None:
        return None, None, stopped
    first = session.scalar(select(func.min(AccessLog.id)).where(AccessLog.id > after)) or last.id
    return (first, last.id), last.row_hash, stopped


def _remove_log(uow: UnitOfWork, span: tuple[int, int], anchor: str | None, dry_run: bool) -> int:
    session = uow.session
    in_span = (AccessLog.id >= span[0]) & (AccessLog.id <= span[1])
    if dry_run:
        return session.scalar(select(func.count()).select_from(AccessLog).where(in_span)) or 0
    # the anchor first: the database lets only rows up to it (and older than two years) go
    session.execute(
        update(AuditHead)
        .where(AuditHead.id == HEAD_ID)
        .values(anchor_id=span[1], anchor_hash=anchor or "")
    )
    result = session.execute(
        delete(AccessLog).where(in_span).execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _log_run(
    uow: UnitOfWork,
    now: datetime,
    actor: access.Actor,
    report: RetentionReport,
    expired: list[tuple[int, str]],
    rules: dict[str, RetentionRule],
) -> None:
    years = rules[CLIENT_RECORD].years
    if not report.dry_run:
        for client_id, pseudonym in expired:
            access.log(
                uow, now, actor, "delete", "client_record", client_id=client_id,
                basis=f"retention: {years} years after the client's last path closed",
                detail=f"client record of {pseudonym} removed",
            )  # fmt: skip
        if report.log_range is not None:
            first, last = report.log_range
            access.log(
                uow, now, actor, "delete", "access_log", client_id=None,
                basis=f"retention: access log, {rules[ACCESS_LOG].years} years",
                detail=f"removed rows {first}..{last} up to {report.log_anchor}",
            )  # fmt: skip
    what = "retention dry run" if report.dry_run else "retention run"
    counts = ", ".join(f"{kind}: {n}" for kind, n in report.counts.items())
    access.log(
        uow, now, actor, "read" if report.dry_run else "delete", "retention_run", client_id=None,
        basis=f"administrator: {what}",
        detail=f"{counts}; kept on hold: {len(report.held)}; records: {', '.join(report.removed)}",
    )  # fmt: skip


# ---------------------------------------------------------------- holds


def _reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not MIN_REASON <= len(text) <= MAX_REASON or "\x00" in text:
        raise InvalidInput(
            "the reason for the hold is not valid",
            {"reason": [REASON_MESSAGE]},
            code="hold_reason_invalid",
        )
    return text


def _hold_view(hold: RetentionHold, pseudonym: str) -> Hold:
    return Hold(hold.id, hold.client_id, pseudonym, hold.reason, hold.placed_by, hold.placed_at,
                hold.lifted_by, hold.lifted_at)  # fmt: skip


def _client(uow: UnitOfWork, client_id: int) -> Client:
    client = uow.session.get(Client, client_id)
    if client is None:
        raise NotFound(
            f"client {client_id} does not exist",
            code="client_not_found",
            params={"client_id": client_id},
        )
    return client


def _current(uow: UnitOfWork, client_id: int) -> RetentionHold | None:
    return uow.session.scalar(
        select(RetentionHold)
        .where(RetentionHold.client_id == client_id, RetentionHold.lifted_at.is_(None))
        .order_by(RetentionHold.id.desc())
        .limit(1)
    )


def client_id_of(uow: UnitOfWork, pseudonym: str) -> int:
    """The client with this pseudonym (for the command line, which names clients so)."""
    with uow:
        found = uow.session.scalar(select(Client.id).where(Client.pseudonym == pseudonym.strip()))
    if found is None:
        raise NotFound(
            f"no client has the pseudonym {pseudonym!r}",
            code="pseudonym_not_found",
            params={"pseudonym": pseudonym},
        )
    return found


def place_hold(
    uow: UnitOfWork, clock: Clock, actor: access.Actor, client_id: int, reason: str | None
) -> Hold:
    """Keep the client's record past its retention period, giving why."""
    now = clock()
    with uow:
        _require_admin(uow, now, actor, "create", "retention_hold", client_id)
        text = _reason(reason)
        client = _client(uow, client_id)
        if _current(uow, client_id) is not None:
            raise Conflict(
                f"the client {client.pseudonym} is already on hold",
                code="hold_exists",
                params={"pseudonym": client.pseudonym},
            )
        hold = RetentionHold(client_id=client_id, reason=text, placed_by=actor.username,
                             placed_at=now)  # fmt: skip
        uow.session.add(hold)
        uow.session.flush()
        access.log(uow, now, actor, "create", "retention_hold", client_id=client_id,
                   basis=HOLD_BASIS, detail=f"hold placed: {text}")  # fmt: skip
        uow.commit()
        return _hold_view(hold, client.pseudonym)


def lift_hold(uow: UnitOfWork, clock: Clock, actor: access.Actor, client_id: int) -> Hold:
    """End the client's hold: their record expires by its rule again."""
    now = clock()
    with uow:
        _require_admin(uow, now, actor, "update", "retention_hold", client_id)
        client = _client(uow, client_id)
        hold = _current(uow, client_id)
        if hold is None:
            raise Conflict(
                f"the client {client.pseudonym} is not on hold",
                code="hold_missing",
                params={"pseudonym": client.pseudonym},
            )
        hold.lifted_by, hold.lifted_at = actor.username, now
        access.log(uow, now, actor, "update", "retention_hold", client_id=client_id,
                   basis=HOLD_BASIS, detail="hold lifted")  # fmt: skip
        uow.commit()
        return _hold_view(hold, client.pseudonym)


def list_holds(
    uow: UnitOfWork, clock: Clock, actor: access.Actor, include_lifted: bool = False
) -> list[Hold]:
    """The holds (in force; with `include_lifted` all), by the clients' pseudonyms."""
    now = clock()
    with uow:
        _require_admin(uow, now, actor, "read", "retention_hold")
        query = select(RetentionHold, Client.pseudonym).join(
            Client, Client.id == RetentionHold.client_id
        )
        if not include_lifted:
            query = query.where(RetentionHold.lifted_at.is_(None))
        rows = uow.session.execute(query.order_by(RetentionHold.placed_at, RetentionHold.id))
        return [_hold_view(hold, pseudonym) for hold, pseudonym in rows]
