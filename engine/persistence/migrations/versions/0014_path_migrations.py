"""The record of moving running paths to another model version (issue 15 §5): who moved which
paths from which version to which, when, with which steps mapped, and each path's state before
the move, for undoing a model's last migration and for its history.

- path_migration: one migration of a model's paths;
- path_migration_path: the paths it moved, their state before and a hash of the state after.

Revision ID: 0014_path_migrations
Revises: 0013_client_list_search
Create Date: 2026-12-02 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_path_migrations"
down_revision = "0013_client_list_search"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "path_migration",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("model_key", sa.String(100), nullable=False),
        sa.Column("from_version", sa.Integer(), nullable=False),
        sa.Column("to_version", sa.Integer(), nullable=False),
        sa.Column("migrated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("migrated_by", sa.String(80), nullable=False),
        sa.Column("step_map", sa.JSON(), nullable=False),
        sa.Column("undone_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("undone_by", sa.String(80), nullable=True),
    )
    op.create_index("ix_path_migration_model", "path_migration", ["model_key", "migrated_at"])
    op.create_table(
        "path_migration_path",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("migration_id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("state_before", sa.Text(), nullable=False),
        sa.Column("state_after_hash", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(10), nullable=False),
        sa.ForeignKeyConstraint(
            ["migration_id"], ["path_migration.id"], name="fk_path_migration_path_migration"
        ),
        sa.ForeignKeyConstraint(
            ["instance_id"], ["process_instance.id"], name="fk_path_migration_path_instance"
        ),
    )
    op.create_index("ix_path_migration_path_instance", "path_migration_path", ["instance_id"])


def downgrade() -> None:
    op.drop_index("ix_path_migration_path_instance", table_name="path_migration_path")
    op.drop_table("path_migration_path")
    op.drop_index("ix_path_migration_model", table_name="path_migration")
    op.drop_table("path_migration")
