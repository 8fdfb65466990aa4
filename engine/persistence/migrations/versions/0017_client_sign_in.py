"""Clients sign in themselves (issue 17 §1): their sessions, apart from the professionals'.

- client_session: the SHA-256 of the cookie's token, the client, when it began, was last
  used, expires and ended (and why).

Revision ID: 0017_client_sign_in
Revises: 0016_import_mappings
Create Date: 2026-12-02 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_client_sign_in"
down_revision = "0016_import_mappings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "client_session",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_because", sa.String(40), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"], name="fk_client_session_client"),
    )
    op.create_index("ix_client_session_client", "client_session", ["client_id", "ended_at"])


def downgrade() -> None:
    op.drop_index("ix_client_session_client", table_name="client_session")
    op.drop_table("client_session")
