"""Worklist paging: indexes in the worklist's orders, so a page is read in order from the
index and stops after its rows (issue 13)

Revision ID: 0008_worklist_paging
Revises: 0007_import_jobs
Create Date: 2026-12-03 10:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0008_worklist_paging"
down_revision = "0007_import_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # the soonest due first, no due date last (PostgreSQL's ascending order keeps NULLs last)
    op.create_index(
        "ix_human_task_open_due",
        "human_task",
        ["state", "due_at", "created_at", "id"],
        unique=False,
    )
    # the oldest first: the API's default order and "waiting time"
    op.create_index(
        "ix_human_task_open_created", "human_task", ["state", "created_at", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_human_task_open_created", table_name="human_task")
    op.drop_index("ix_human_task_open_due", table_name="human_task")
