"""The team's daily work (issue 14): corrections of recorded entries, awaited decisions in the
worklist, notes on a path, notifications and the e-mail digest

- form_submission: a correction names the entry it corrects, with a reason and the corrected
  fields a gateway had already decided on;
- human_task.kind: `task` (a user task) or `wait` (an awaited external decision);
- app_user: e-mail address, whether the daily digest is wanted, when it was last sent;
- path_note, notification: new tables.

Revision ID: 0011_daily_work
Revises: 0010_report_indexes
Create Date: 2026-12-02 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_daily_work"
down_revision = "0010_report_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("form_submission") as batch:
        batch.add_column(sa.Column("corrects_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("correction_reason", sa.String(500), nullable=True))
        batch.add_column(sa.Column("decided_fields", sa.JSON(), nullable=True))
        batch.create_foreign_key(
            "fk_form_submission_corrects", "form_submission", ["corrects_id"], ["id"]
        )
        batch.create_index("ix_form_submission_corrects_id", ["corrects_id"])
    with op.batch_alter_table("human_task") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(10), nullable=False, server_default="task")
        )
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(sa.Column("email", sa.String(254), nullable=True))
        batch.add_column(
            sa.Column("email_digest", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch.add_column(sa.Column("digest_sent_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "path_note",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("visibility", sa.String(20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"], ["process_instance.id"], name="fk_path_note_instance"
        ),
        sa.ForeignKeyConstraint(["author_id"], ["app_user.id"], name="fk_path_note_author"),
    )
    op.create_index("ix_path_note_instance", "path_note", ["instance_id", "created_at"])
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("task_id", sa.String(36), nullable=True),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("emailed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"], name="fk_notification_user"),
        sa.ForeignKeyConstraint(
            ["instance_id"], ["process_instance.id"], name="fk_notification_instance"
        ),
        sa.UniqueConstraint("user_id", "key", name="uq_notification_user_key"),
    )
    op.create_index(
        "ix_notification_unread", "notification", ["user_id", "read_at", "created_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_notification_unread", table_name="notification")
    op.drop_table("notification")
    op.drop_index("ix_path_note_instance", table_name="path_note")
    op.drop_table("path_note")
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("digest_sent_at")
        batch.drop_column("email_digest")
        batch.drop_column("email")
    with op.batch_alter_table("human_task") as batch:
        batch.drop_column("kind")
    with op.batch_alter_table("form_submission") as batch:
        batch.drop_index("ix_form_submission_corrects_id")
        batch.drop_constraint("fk_form_submission_corrects", type_="foreignkey")
        batch.drop_column("decided_fields")
        batch.drop_column("correction_reason")
        batch.drop_column("corrects_id")
