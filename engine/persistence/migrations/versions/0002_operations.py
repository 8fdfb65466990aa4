"""Demo accounts marked, single sign-on identities, worker heartbeats

Revision ID: 0002_operations
Revises: 0001_release_0_1_0
Create Date: 2026-12-01 21:28:12.536628
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_operations"
down_revision = "0001_release_0_1_0"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "worker_heartbeat",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("beat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("timers_fired", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("is_demo", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("oidc_issuer", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("oidc_subject", sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint("uq_app_user_oidc", ["oidc_issuer", "oidc_subject"])
    _mark_demo_accounts()


# The public password of 0.1.0's demo accounts (engine/services/demo.py then and now).
DEMO_PASSWORD = "polku-demo"


def _mark_demo_accounts() -> None:
    """0.1.0 did not mark the accounts `seed-demo` made: an account whose password is the
    public demo password is one, whoever made it."""
    from argon2 import PasswordHasher
    from argon2.exceptions import InvalidHashError, VerificationError

    hasher = PasswordHasher()
    connection = op.get_bind()
    users = sa.table(
        "app_user",
        sa.column("id", sa.Integer),
        sa.column("password_hash", sa.String),
        sa.column("is_demo", sa.Boolean),
    )
    for user_id, password_hash in connection.execute(sa.select(users.c.id, users.c.password_hash)):
        try:
            hasher.verify(password_hash, DEMO_PASSWORD)
        except (VerificationError, InvalidHashError):
            continue
        connection.execute(sa.update(users).where(users.c.id == user_id).values(is_demo=True))


def downgrade() -> None:
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_constraint("uq_app_user_oidc", type_="unique")
        batch_op.drop_column("oidc_subject")
        batch_op.drop_column("oidc_issuer")
        batch_op.drop_column("is_demo")

    op.drop_table("worker_heartbeat")
