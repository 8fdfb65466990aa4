"""Report indexes: the figures' covering indexes carry the path, so a figure checks each row
against the reader's admitted paths as it reads the index (issue 13)

- the open steps, the steps opened and the steps completed: the instance id is appended;
- the milestones' lead times: ordered by the lead time within each milestone, so the
  distributions are ranked in index order.

Revision ID: 0010_report_indexes
Revises: 0009_worklist_owner
Create Date: 2026-12-02 06:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0010_report_indexes"
down_revision = "0009_worklist_owner"
branch_labels = None
depends_on = None

# name, table, columns before, columns after
CHANGED = (
    (
        "ix_human_task_open_steps",
        "human_task",
        ["state", "model_version_id", "bpmn_id", "created_at", "due_at"],
        ["state", "model_version_id", "bpmn_id", "created_at", "due_at", "instance_id"],
    ),
    (
        "ix_human_task_created",
        "human_task",
        ["created_at", "model_version_id"],
        ["created_at", "model_version_id", "instance_id"],
    ),
    (
        "ix_human_task_completed",
        "human_task",
        ["completed_at", "due_at", "model_version_id"],
        ["completed_at", "due_at", "model_version_id", "instance_id"],
    ),
    (
        "ix_milestone_lead",
        "milestone",
        ["name", "model_version_id", "lead_from_at", "lead_days", "instance_id"],
        ["name", "lead_days", "model_version_id", "lead_from_at", "instance_id"],
    ),
)


def upgrade() -> None:
    for name, table, _before, after in CHANGED:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, after, unique=False)


def downgrade() -> None:
    for name, table, before, _after in reversed(CHANGED):
        op.drop_index(name, table_name=table)
        op.create_index(name, table, before, unique=False)
