"""Release 0.1.0: the schema as create_all made it

Revision ID: 0001_release_0_1_0
Revises:
Create Date: 2026-12-01 21:26:45.611334
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_release_0_1_0"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "access_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("resource", sa.String(length=100), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("basis", sa.String(length=200), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_access_log_client_id"), "access_log", ["client_id"], unique=False)
    op.create_index(op.f("ix_access_log_occurred_at"), "access_log", ["occurred_at"], unique=False)
    op.create_index(op.f("ix_access_log_username"), "access_log", ["username"], unique=False)
    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )
    op.create_table(
        "client",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pseudonym", sa.String(length=40), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("identity_code", sa.String(length=20), nullable=True),
        sa.Column("municipality", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("identity_code"),
        sa.UniqueConstraint("pseudonym"),
    )
    op.create_table(
        "deployment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_key", sa.String(length=100), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempted_by", sa.String(length=80), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("file_name", sa.String(length=300), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("accepted", sa.Boolean(), nullable=False),
        sa.Column("version_number", sa.Integer(), nullable=True),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_deployment_model_key"), "deployment", ["model_key"], unique=False)
    op.create_table(
        "imported_dataset",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("model_key", sa.String(length=100), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.String(length=80), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "pilot_target",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_key", sa.String(length=100), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("bpmn_id", sa.String(length=200), nullable=False),
        sa.Column("group_field", sa.String(length=100), nullable=False),
        sa.Column("group_value", sa.String(length=100), nullable=False),
        sa.Column("target_min", sa.Integer(), nullable=False),
        sa.Column("target_max", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "process_model",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("region", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_table(
        "sla_target",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_key", sa.String(length=100), nullable=True),
        sa.Column("bpmn_id", sa.String(length=200), nullable=True),
        sa.Column("phase", sa.String(length=30), nullable=True),
        sa.Column("working_days", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(length=80), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("model_key", "bpmn_id", "phase"),
    )
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index(op.f("ix_api_token_user_id"), "api_token", ["user_id"], unique=False)
    op.create_table(
        "consent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=500), nullable=False),
        sa.Column("given_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recorded_by", sa.String(length=80), nullable=False),
        sa.Column("withdrawn_by", sa.String(length=80), nullable=True),
        sa.Column("withdrawal_reason", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["client.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_consent_client_id"), "consent", ["client_id"], unique=False)
    op.create_table(
        "imported_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(length=100), nullable=False),
        sa.Column("activity", sa.String(length=300), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resource", sa.String(length=100), nullable=True),
        sa.Column("lifecycle", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=60), nullable=True),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["imported_dataset.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_imported_event_case",
        "imported_event",
        ["dataset_id", "case_id", "timestamp"],
        unique=False,
    )
    op.create_table(
        "process_model_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("process_id", sa.String(length=200), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("files", sa.JSON(), nullable=False),
        sa.Column("deployed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deployed_by", sa.String(length=80), nullable=False),
        sa.Column("validation", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("main_file", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_id"],
            ["process_model.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("model_id", "number"),
    )
    op.create_index(
        op.f("ix_process_model_version_content_hash"),
        "process_model_version",
        ["content_hash"],
        unique=False,
    )
    op.create_index(
        op.f("ix_process_model_version_model_id"),
        "process_model_version",
        ["model_id"],
        unique=False,
    )
    op.create_table(
        "user_role",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
        ),
        sa.PrimaryKeyConstraint("user_id", "role"),
    )
    op.create_index(op.f("ix_user_role_role"), "user_role", ["role"], unique=False)
    op.create_table(
        "process_instance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("model_version_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("case_manager_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=60), nullable=True),
        sa.Column("end_event", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("serializer_version", sa.String(length=20), nullable=False),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_manager_id"],
            ["app_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["client.id"],
        ),
        sa.ForeignKeyConstraint(
            ["model_version_id"],
            ["process_model_version.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_process_instance_activity",
        "process_instance",
        ["status", "last_activity_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_process_instance_case_manager_id"),
        "process_instance",
        ["case_manager_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_process_instance_client_id"), "process_instance", ["client_id"], unique=False
    )
    op.create_index(
        op.f("ix_process_instance_status"), "process_instance", ["status"], unique=False
    )
    op.create_table(
        "event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("bpmn_id", sa.String(length=200), nullable=True),
        sa.Column("element_name", sa.String(length=300), nullable=True),
        sa.Column("task_id", sa.String(length=36), nullable=True),
        sa.Column("actor", sa.String(length=80), nullable=True),
        sa.Column("role", sa.String(length=60), nullable=True),
        sa.Column("phase", sa.String(length=30), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["process_instance.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_event_instance_time", "event", ["instance_id", "occurred_at"], unique=False)
    op.create_index(op.f("ix_event_kind"), "event", ["kind"], unique=False)
    op.create_index("ix_event_kind_element", "event", ["kind", "bpmn_id"], unique=False)
    op.create_index(op.f("ix_event_occurred_at"), "event", ["occurred_at"], unique=False)
    op.create_table(
        "form_submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("bpmn_id", sa.String(length=200), nullable=False),
        sa.Column("task_name", sa.String(length=300), nullable=False),
        sa.Column("form_path", sa.String(length=300), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("submitted_by", sa.String(length=80), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["process_instance.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_form_submission_instance_id"), "form_submission", ["instance_id"], unique=False
    )
    op.create_table(
        "human_task",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("model_version_id", sa.Integer(), nullable=False),
        sa.Column("bpmn_id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("phase", sa.String(length=30), nullable=True),
        sa.Column("role", sa.String(length=60), nullable=True),
        sa.Column("lane_role", sa.String(length=60), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_by_id", sa.Integer(), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_by_id", sa.Integer(), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["app_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["claimed_by_id"],
            ["app_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["completed_by_id"],
            ["app_user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["process_instance.id"],
        ),
        sa.ForeignKeyConstraint(
            ["model_version_id"],
            ["process_model_version.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_human_task_completed",
        "human_task",
        ["completed_at", "due_at", "model_version_id"],
        unique=False,
    )
    op.create_index(
        "ix_human_task_created", "human_task", ["created_at", "model_version_id"], unique=False
    )
    op.create_index(op.f("ix_human_task_instance_id"), "human_task", ["instance_id"], unique=False)
    op.create_index(
        "ix_human_task_open_steps",
        "human_task",
        ["state", "model_version_id", "bpmn_id", "created_at", "due_at"],
        unique=False,
    )
    op.create_index(
        "ix_human_task_state_assignee", "human_task", ["state", "assignee_id"], unique=False
    )
    op.create_index("ix_human_task_state_role", "human_task", ["state", "role"], unique=False)
    op.create_table(
        "milestone",
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=30), nullable=False),
        sa.Column("reached_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("model_version_id", sa.Integer(), nullable=False),
        sa.Column("lead_from_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lead_days", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["process_instance.id"],
        ),
        sa.ForeignKeyConstraint(
            ["model_version_id"],
            ["process_model_version.id"],
        ),
        sa.PrimaryKeyConstraint("instance_id", "name"),
    )
    op.create_index(
        "ix_milestone_lead",
        "milestone",
        ["name", "model_version_id", "lead_from_at", "lead_days", "instance_id"],
        unique=False,
    )
    op.create_index(op.f("ix_milestone_reached_at"), "milestone", ["reached_at"], unique=False)
    op.create_table(
        "waiting_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("bpmn_id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("message_name", sa.String(length=200), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["process_instance.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_waiting_event_due", "waiting_event", ["kind", "settled_at", "due_at"], unique=False
    )
    op.create_index(
        op.f("ix_waiting_event_instance_id"), "waiting_event", ["instance_id"], unique=False
    )
    op.create_table(
        "task_draft",
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("saved_by", sa.String(length=80), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["human_task.id"],
        ),
        sa.PrimaryKeyConstraint("task_id"),
    )


def downgrade() -> None:
    op.drop_table("task_draft")
    op.drop_index(op.f("ix_waiting_event_instance_id"), table_name="waiting_event")
    op.drop_index("ix_waiting_event_due", table_name="waiting_event")
    op.drop_table("waiting_event")
    op.drop_index(op.f("ix_milestone_reached_at"), table_name="milestone")
    op.drop_index("ix_milestone_lead", table_name="milestone")
    op.drop_table("milestone")
    op.drop_index("ix_human_task_state_role", table_name="human_task")
    op.drop_index("ix_human_task_state_assignee", table_name="human_task")
    op.drop_index("ix_human_task_open_steps", table_name="human_task")
    op.drop_index(op.f("ix_human_task_instance_id"), table_name="human_task")
    op.drop_index("ix_human_task_created", table_name="human_task")
    op.drop_index("ix_human_task_completed", table_name="human_task")
    op.drop_table("human_task")
    op.drop_index(op.f("ix_form_submission_instance_id"), table_name="form_submission")
    op.drop_table("form_submission")
    op.drop_index(op.f("ix_event_occurred_at"), table_name="event")
    op.drop_index("ix_event_kind_element", table_name="event")
    op.drop_index(op.f("ix_event_kind"), table_name="event")
    op.drop_index("ix_event_instance_time", table_name="event")
    op.drop_table("event")
    op.drop_index(op.f("ix_process_instance_status"), table_name="process_instance")
    op.drop_index(op.f("ix_process_instance_client_id"), table_name="process_instance")
    op.drop_index(op.f("ix_process_instance_case_manager_id"), table_name="process_instance")
    op.drop_index("ix_process_instance_activity", table_name="process_instance")
    op.drop_table("process_instance")
    op.drop_index(op.f("ix_user_role_role"), table_name="user_role")
    op.drop_table("user_role")
    op.drop_index(op.f("ix_process_model_version_model_id"), table_name="process_model_version")
    op.drop_index(op.f("ix_process_model_version_content_hash"), table_name="process_model_version")
    op.drop_table("process_model_version")
    op.drop_index("ix_imported_event_case", table_name="imported_event")
    op.drop_table("imported_event")
    op.drop_index(op.f("ix_consent_client_id"), table_name="consent")
    op.drop_table("consent")
    op.drop_index(op.f("ix_api_token_user_id"), table_name="api_token")
    op.drop_table("api_token")
    op.drop_table("sla_target")
    op.drop_table("process_model")
    op.drop_table("pilot_target")
    op.drop_table("imported_dataset")
    op.drop_index(op.f("ix_deployment_model_key"), table_name="deployment")
    op.drop_table("deployment")
    op.drop_table("client")
    op.drop_table("app_user")
    op.drop_index(op.f("ix_access_log_username"), table_name="access_log")
    op.drop_index(op.f("ix_access_log_occurred_at"), table_name="access_log")
    op.drop_index(op.f("ix_access_log_client_id"), table_name="access_log")
    op.drop_table("access_log")
