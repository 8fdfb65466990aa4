"""The audit trail's tables: the access log (append-only, hash-chained, protected by database
triggers), the chain's head, retention holds and the supervisor's review marks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.persistence.tables import Base, UtcDateTime


class AccessLog(Base):
    """Who read, changed or disclosed which client's data (or signed in, or administered),
    when, exactly what, on what basis, with what outcome, from which session and address.
    Rows are only added: each carries the hash of the one before (`prev_hash`) and its own
    (`row_hash`, over its fields and `prev_hash`), so a changed, inserted or removed row
    breaks the chain (`polku audit verify`); triggers refuse UPDATE and DELETE."""

    __tablename__ = "access_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    username: Mapped[str] = mapped_column(String(80), index=True)
    action: Mapped[str] = mapped_column(String(20))  # read | create | update | disclose | ...
    resource: Mapped[str] = mapped_column(String(100))
    client_id: Mapped[int | None] = mapped_column(Integer, index=True)
    instance_id: Mapped[int | None] = mapped_column(Integer)
    basis: Mapped[str] = mapped_column(String(200))
    success: Mapped[bool] = mapped_column(Boolean)
    # exactly what: the task, document, field classes, export...
    detail: Mapped[str | None] = mapped_column(String(500))
    actor_roles: Mapped[str | None] = mapped_column(String(300))
    actor_organisations: Mapped[str | None] = mapped_column(String(300))
    session_ref: Mapped[str | None] = mapped_column(String(80))  # session:<hash> | token:<id>
    address: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    row_hash: Mapped[str | None] = mapped_column(String(64))


class AuditHead(Base):
    """One row: the access log chain's last hash and, after a retention run removed old rows,
    the anchor the remaining chain starts from. Writers lock it, so rows chain in order."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(primary_key=True)
    last_hash: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer)  # rows chained in all (removed ones included)
    anchor_id: Mapped[int] = mapped_column(Integer)  # rows up to this id were removed
    anchor_hash: Mapped[str] = mapped_column(String(64))  # the last removed row's hash


class RetentionHold(Base):
    """A client whose records must be kept past their retention period, and why."""

    __tablename__ = "retention_hold"
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    reason: Mapped[str] = mapped_column(String(500))
    placed_by: Mapped[str] = mapped_column(String(80))
    placed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    lifted_by: Mapped[str | None] = mapped_column(String(80))
    lifted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class AccessReview(Base):
    """A supervisor marked a finding of unusual access (an emergency opening, many clients
    read in a short time, a read at night, a read of a closed path) reviewed."""

    __tablename__ = "access_review"
    id: Mapped[int] = mapped_column(primary_key=True)
    finding: Mapped[str] = mapped_column(String(200), unique=True)  # kind:key
    reviewed_by: Mapped[str] = mapped_column(String(80))
    reviewed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    note: Mapped[str | None] = mapped_column(String(500))
