"""The client list keeps its own search: user_session.client_list_search, beside the
worklist's client filter (user_session.client_search), so that searching the client list no
longer changes the worklist's filter. Both are names, kept with the server-side session only.

Revision ID: 0013_client_list_search
Revises: 0012_coded_findings
Create Date: 2026-12-02 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_client_list_search"
down_revision = "0012_coded_findings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user_session") as batch:
        batch.add_column(sa.Column("client_list_search", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("user_session") as batch:
        batch.drop_column("client_list_search")
