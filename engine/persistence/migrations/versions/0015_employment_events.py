"""Employment events (issue 16 §2): each employment relationship started, apprenticeship, work
trial and study place recorded on a client's path as its own row.

- employment_event: the path, kind, sector, wage subsidy, start and end date, who recorded it;
- ips_fidelity_round: a team's IPS fidelity self-assessment (25 items, 1-5) per round.

Revision ID: 0015_employment_events
Revises: 0014_path_migrations
Create Date: 2026-12-02 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_employment_events"
down_revision = "0014_path_migrations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "employment_event",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("sector", sa.String(20), nullable=True),
        sa.Column("wage_subsidy", sa.Boolean(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("recorded_by", sa.String(80), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"], ["process_instance.id"], name="fk_employment_event_instance"
        ),
    )
    op.create_index(
        "ix_employment_event_instance", "employment_event", ["instance_id", "started_on"]
    )

    op.create_table(
        "ips_fidelity_round",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("model_key", sa.String(100), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("recorded_by", sa.String(80), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisation.id"], name="fk_ips_fidelity_round_organisation"
        ),
    )
    op.create_index(
        "ix_ips_fidelity_round",
        "ips_fidelity_round",
        ["organisation_id", "model_key", "assessed_on"],
    )


def downgrade() -> None:
    op.drop_index("ix_ips_fidelity_round", table_name="ips_fidelity_round")
    op.drop_table("ips_fidelity_round")
    op.drop_index("ix_employment_event_instance", table_name="employment_event")
    op.drop_table("employment_event")
