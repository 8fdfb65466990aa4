"""Imports in the shape people have (issue 16 §3): how a data set's file was read, and the
file's other columns kept with each imported event.

- imported_dataset.mapping: the columns chosen and each activity name's step or event kind
  (JSON); the next import of a data set of the same name starts from it;
- imported_event.attributes: the columns kept as attributes (region, sector, ...), as JSON.

Revision ID: 0016_import_mappings
Revises: 0015_employment_events
Create Date: 2026-12-02 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_import_mappings"
down_revision = "0015_employment_events"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("imported_dataset") as batch:
        batch.add_column(sa.Column("mapping", sa.JSON(), nullable=True))
    with op.batch_alter_table("imported_event") as batch:
        batch.add_column(sa.Column("attributes", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("imported_event") as batch:
        batch.drop_column("attributes")
    with op.batch_alter_table("imported_dataset") as batch:
        batch.drop_column("mapping")
