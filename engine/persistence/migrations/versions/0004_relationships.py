"""Organisations and client relationships

Revision ID: 0004_relationships
Revises: 0003_user_sessions
Create Date: 2026-12-02 00:40:05.262151
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_relationships"
down_revision = "0003_user_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organisation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("names", sa.JSON(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("region", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "policy_setting",
        sa.Column("key", sa.String(length=60), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("changed_by", sa.String(length=80), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "user_organisation",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
        ),
        sa.PrimaryKeyConstraint("user_id", "organisation_id"),
    )
    op.create_index(
        op.f("ix_user_organisation_organisation_id"),
        "user_organisation",
        ["organisation_id"],
        unique=False,
    )
    op.create_table(
        "emergency_access",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewed_by", sa.String(length=80), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_note", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["process_instance.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_emergency_access_open",
        "emergency_access",
        ["user_id", "instance_id", "expires_at"],
        unique=False,
    )
    op.create_index(
        "ix_emergency_access_review", "emergency_access", ["reviewed_at", "opened_at"], unique=False
    )
    op.create_table(
        "path_member",
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("named_in", sa.String(length=300), nullable=False),
        sa.Column("named_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["process_instance.id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
        ),
        sa.PrimaryKeyConstraint("instance_id", "user_id"),
    )
    op.create_index(op.f("ix_path_member_user_id"), "path_member", ["user_id"], unique=False)
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("password_sign_in", sa.Boolean(), server_default=sa.true(), nullable=False)
        )
    with op.batch_alter_table("human_task", schema=None) as batch_op:
        batch_op.add_column(sa.Column("organisation_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            "ix_human_task_completed_by", ["completed_by_id", "instance_id"], unique=False
        )
        batch_op.create_foreign_key(
            "fk_human_task_organisation", "organisation", ["organisation_id"], ["id"]
        )
    with op.batch_alter_table("process_instance", schema=None) as batch_op:
        batch_op.add_column(sa.Column("organisation_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            "ix_process_instance_organisation_id", ["organisation_id"], unique=False
        )
        batch_op.create_foreign_key(
            "fk_process_instance_organisation", "organisation", ["organisation_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("process_instance", schema=None) as batch_op:
        batch_op.drop_constraint("fk_process_instance_organisation", type_="foreignkey")
        batch_op.drop_index("ix_process_instance_organisation_id")
        batch_op.drop_column("organisation_id")
    with op.batch_alter_table("human_task", schema=None) as batch_op:
        batch_op.drop_constraint("fk_human_task_organisation", type_="foreignkey")
        batch_op.drop_index("ix_human_task_completed_by")
        batch_op.drop_column("organisation_id")
    op.drop_index(op.f("ix_path_member_user_id"), table_name="path_member")
    op.drop_table("path_member")
    op.drop_index("ix_emergency_access_review", table_name="emergency_access")
    op.drop_index("ix_emergency_access_open", table_name="emergency_access")
    op.drop_table("emergency_access")
    op.drop_index(op.f("ix_user_organisation_organisation_id"), table_name="user_organisation")
    op.drop_table("user_organisation")
    op.drop_table("policy_setting")
    op.drop_table("organisation")
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_column("password_sign_in")
