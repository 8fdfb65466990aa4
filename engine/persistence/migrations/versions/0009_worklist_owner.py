"""Worklist rows carry their path's owner and client: who may see a task is decided from the
worklist table alone, so counts and pages read one index (issue 13)

Revision ID: 0009_worklist_owner
Revises: 0008_worklist_paging
Create Date: 2026-12-02 05:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_worklist_owner"
down_revision = "0008_worklist_paging"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("human_task", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_organisation_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("client_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_human_task_owner_organisation", "organisation", ["owner_organisation_id"], ["id"]
        )
        batch_op.create_foreign_key("fk_human_task_client", "client", ["client_id"], ["id"])
    # every existing row gets its path's owner and client (copies, like model_version_id)
    op.execute(
        "UPDATE human_task SET "
        "owner_organisation_id = (SELECT p.organisation_id FROM process_instance p "
        "WHERE p.id = human_task.instance_id), "
        "client_id = (SELECT p.client_id FROM process_instance p "
        "WHERE p.id = human_task.instance_id)"
    )
    op.create_index(
        "ix_human_task_open_visible",
        "human_task",
        [
            "state",
            "role",
            "organisation_id",
            "owner_organisation_id",
            "assignee_id",
            "bpmn_id",
            "due_at",
            "client_id",
        ],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_human_task_open_visible", table_name="human_task")
    with op.batch_alter_table("human_task", schema=None) as batch_op:
        batch_op.drop_constraint("fk_human_task_client", type_="foreignkey")
        batch_op.drop_constraint("fk_human_task_owner_organisation", type_="foreignkey")
        batch_op.drop_column("client_id")
        batch_op.drop_column("owner_organisation_id")
