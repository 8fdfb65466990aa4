"""The access log's hash chain. Each row's hash covers its fields and the hash of the row
before it; a transaction's rows are chained and inserted at its commit, after taking the
chain's head row (a row lock on PostgreSQL, the write lock on SQLite), so rows chain in the
order of their ids. Changing this digest breaks every
existing chain: it is frozen."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from engine.persistence.audit import AccessLog, AuditHead

GENESIS = "0" * 64
HEAD_ID = 1
CHAINED_FIELDS = (
    "occurred_at", "username", "action", "resource", "client_id", "instance_id", "basis",
    "success", "detail", "actor_roles", "actor_organisations", "session_ref", "address",
)  # fmt: skip


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat(timespec="microseconds")
    return value


def digest(prev_hash: str, values: dict[str, Any]) -> str:
    canonical = json.dumps(
        [prev_hash, [_value(values.get(name)) for name in CHAINED_FIELDS]],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def row_values(row: AccessLog) -> dict[str, Any]:
    return {name: getattr(row, name) for name in CHAINED_FIELDS}


def write(session: Session, rows: list[dict[str, Any]]) -> None:
    """Chain and insert a command's rows (their CHAINED_FIELDS), inside the caller's
    transaction, just before it commits: the head is taken (and concurrent writers wait) only
    for the end of the transaction, the rows go in in one statement, the head moves on."""
    if not rows:
        return
    head = session.execute(
        update(AuditHead)
        .where(AuditHead.id == HEAD_ID)
        .values(rows=AuditHead.rows)
        .returning(AuditHead.last_hash, AuditHead.rows)
    ).one()
    last = head.last_hash
    for row in rows:
        row["prev_hash"] = last
        row["row_hash"] = last = digest(last, row)
    table: Any = AccessLog.__table__
    session.connection().execute(insert(table), rows)
    session.execute(
        update(AuditHead)
        .where(AuditHead.id == HEAD_ID)
        .values(last_hash=last, rows=head.rows + len(rows))
    )


@dataclass(frozen=True)
class Verdict:
    ok: bool
    rows: int
    first_broken: int | None = None
    problem: str | None = None
    last_hash: str = GENESIS


def verify(session: Session, batch: int = 5000) -> Verdict:
    """Walk the chain from its anchor; name the first row that was changed, inserted or
    removed (or a removed tail: the head's hash is not the last row's)."""
    head = session.get(AuditHead, HEAD_ID)
    if head is None:
        return Verdict(False, 0, None, "the chain's head row is missing")
    expected, count, after = head.anchor_hash, 0, head.anchor_id
    while True:
        rows = list(
            session.scalars(
                select(AccessLog).where(AccessLog.id > after).order_by(AccessLog.id).limit(batch)
            )
        )
        for row in rows:
            if row.prev_hash != expected:
                return Verdict(False, count, row.id, "a row before it was removed or inserted")
            if row.row_hash != digest(expected, row_values(row)):
                return Verdict(False, count, row.id, "the row was changed")
            expected, count = row.row_hash or "", count + 1
        if len(rows) < batch:
            break
        after = rows[-1].id
        session.expunge_all()
    if expected != head.last_hash:
        return Verdict(False, count, None, "rows at the end of the log were removed")
    return Verdict(True, count, last_hash=expected)
