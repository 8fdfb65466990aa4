"""Audit trail: the access log says exactly what, who (roles, organisations), from which
session and address, and is hash-chained and protected by triggers; retention holds; the
supervisor's review marks

Revision ID: 0005_audit_trail
Revises: 0004_relationships
Create Date: 2026-12-02 01:58:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from engine.persistence.audit_chain import CHAINED_FIELDS, GENESIS, digest
from engine.persistence.tables import UtcDateTime

revision = "0005_audit_trail"
down_revision = "0004_relationships"
branch_labels = None
depends_on = None

NEW_COLUMNS = (
    ("detail", 500), ("actor_roles", 300), ("actor_organisations", 300), ("session_ref", 80),
    ("address", 64), ("prev_hash", 64), ("row_hash", 64),
)  # fmt: skip
# Rows younger than this are never removed, whatever a retention run asks (the law's two years
# of the client's right to an access report).
PG_GUARD = """
CREATE FUNCTION polku_access_log_guard() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' AND OLD.occurred_at < now() - interval '2 years'
     AND OLD.id <= (SELECT anchor_id FROM audit_head WHERE id = 1) THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'access log rows cannot be changed or removed (row %)', OLD.id;
END
$$ LANGUAGE plpgsql
"""
PG_NO_TRUNCATE = """
CREATE FUNCTION polku_access_log_no_truncate() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'the access log cannot be truncated';
END
$$ LANGUAGE plpgsql
"""
SQLITE_GUARDS = (
    """CREATE TRIGGER access_log_no_update BEFORE UPDATE ON access_log
    BEGIN SELECT RAISE(ABORT, 'access log rows cannot be changed'); END""",
    """CREATE TRIGGER access_log_no_delete BEFORE DELETE ON access_log
    WHEN NOT (old.occurred_at < datetime('now', '-2 years')
              AND old.id <= (SELECT anchor_id FROM audit_head WHERE id = 1))
    BEGIN SELECT RAISE(ABORT, 'access log rows cannot be removed'); END""",
)


def upgrade() -> None:
    op.create_table(
        "access_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("finding", sa.String(length=200), nullable=False),
        sa.Column("reviewed_by", sa.String(length=80), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("finding"),
    )
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("anchor_id", sa.Integer(), nullable=False),
        sa.Column("anchor_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "retention_hold",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("placed_by", sa.String(length=80), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lifted_by", sa.String(length=80), nullable=True),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_retention_hold_client_id", "retention_hold", ["client_id"], unique=False)
    with op.batch_alter_table("access_log", schema=None) as batch_op:
        for name, length in NEW_COLUMNS:
            batch_op.add_column(sa.Column(name, sa.String(length=length), nullable=True))
    _chain_existing_rows()
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(PG_GUARD)
        op.execute(PG_NO_TRUNCATE)
        op.execute(
            "CREATE TRIGGER access_log_guard BEFORE UPDATE OR DELETE ON access_log "
            "FOR EACH ROW EXECUTE FUNCTION polku_access_log_guard()"
        )
        op.execute(
            "CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION polku_access_log_no_truncate()"
        )
    elif bind.dialect.name == "sqlite":
        for statement in SQLITE_GUARDS:
            op.execute(statement)


def _chain_existing_rows() -> None:
    """The rows written before this revision join the chain, in the order of their ids."""
    columns: list[sa.ColumnClause[object]] = [
        sa.column("id", sa.Integer()),
        sa.column("occurred_at", UtcDateTime()),
    ]
    types: dict[str, Any] = {
        "client_id": sa.Integer(), "instance_id": sa.Integer(), "success": sa.Boolean(),
    }  # fmt: skip
    columns += [
        sa.column(n, types.get(n, sa.String())) for n in CHAINED_FIELDS if n != "occurred_at"
    ]
    columns += [sa.column("prev_hash"), sa.column("row_hash")]
    log = sa.table("access_log", *columns)
    bind = op.get_bind()
    last, count = GENESIS, 0
    for row in bind.execute(sa.select(log).order_by(log.c.id)).mappings().all():
        own = digest(last, dict(row))
        bind.execute(log.update().where(log.c.id == row["id"]).values(prev_hash=last, row_hash=own))
        last, count = own, count + 1
    head = sa.table(
        "audit_head",
        sa.column("id"), sa.column("last_hash"), sa.column("rows"), sa.column("anchor_id"),
        sa.column("anchor_hash"),
    )  # fmt: skip
    bind.execute(
        head.insert().values(id=1, last_hash=last, rows=count, anchor_id=0, anchor_hash=GENESIS)
    )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS access_log_no_truncate ON access_log")
        op.execute("DROP TRIGGER IF EXISTS access_log_guard ON access_log")
        op.execute("DROP FUNCTION IF EXISTS polku_access_log_no_truncate()")
        op.execute("DROP FUNCTION IF EXISTS polku_access_log_guard()")
    elif bind.dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS access_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS access_log_no_delete")
    with op.batch_alter_table("access_log", schema=None) as batch_op:
        for name, _length in reversed(NEW_COLUMNS):
            batch_op.drop_column(name)
    op.drop_index("ix_retention_hold_client_id", table_name="retention_hold")
    op.drop_table("retention_hold")
    op.drop_table("audit_head")
    op.drop_table("access_review")
