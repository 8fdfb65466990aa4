"""The data model. Worklists and reports read these indexed tables, never workflow JSON."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored: use UTC-aware values")
        from datetime import UTC

        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        from datetime import UTC

        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "app_user"
    __table_args__ = (UniqueConstraint("oidc_issuer", "oidc_subject", name="uq_app_user_oidc"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    language: Mapped[str] = mapped_column(String(5), default="fi")
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # made by `polku seed-demo` with the public demo password: refused outside demo mode
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # False: an account for single sign-on only (its stored password is an unguessable one)
    password_sign_in: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    # signs in through an organisation's OpenID provider: (issuer, subject) is the identity
    oidc_issuer: Mapped[str | None] = mapped_column(String(300))
    oidc_subject: Mapped[str | None] = mapped_column(String(255))
    # where the daily digest goes (none: no e-mail), and whether the person wants it
    email: Mapped[str | None] = mapped_column(String(254))
    email_digest: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    digest_sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    roles: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", back_populates="user"
    )
    organisations: Mapped[list[Organisation]] = relationship(
        secondary="user_organisation", lazy="selectin", order_by="Organisation.code"
    )

    @property
    def role_codes(self) -> list[str]:
        return sorted(r.role for r in self.roles)


class UserSession(Base):
    """A signed-in browser session, kept on the server so that logging out, closing the
    account, idling and the absolute lifetime end it at once. The cookie holds the token;
    only its SHA-256 is stored."""

    __tablename__ = "user_session"
    __table_args__ = (Index("ix_user_session_user", "user_id", "ended_at"),)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the token
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)  # the absolute lifetime
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ended_because: Mapped[str | None] = mapped_column(String(40))  # logout | idle | closed …
    # the worklist's client filter and the client list's own search (names): kept here,
    # never in an address or a cookie
    client_search: Mapped[str | None] = mapped_column(String(100))
    client_list_search: Mapped[str | None] = mapped_column(String(100))


class WorkerHeartbeat(Base):
    """A timer worker's last sign of life, one row per worker process (for /metrics and
    /readyz on any app server)."""

    __tablename__ = "worker_heartbeat"
    name: Mapped[str] = mapped_column(String(200), primary_key=True)  # host:pid
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    beat_at: Mapped[datetime] = mapped_column(UtcDateTime)
    timers_fired: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))


class UserRole(Base):
    __tablename__ = "user_role"
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(60), primary_key=True, index=True)
    user: Mapped[User] = relationship(back_populates="roles")


class ApiToken(Base):
    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ProcessModel(Base):
    __tablename__ = "process_model"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str | None] = mapped_column(String(100))


class ProcessModelVersion(Base):
    __tablename__ = "process_model_version"
    __table_args__ = (UniqueConstraint("model_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("process_model.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    process_id: Mapped[str] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    files: Mapped[dict[str, str]] = mapped_column(JSON)
    deployed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    deployed_by: Mapped[str] = mapped_column(String(80))
    validation: Mapped[list[Any]] = mapped_column(JSON, default=list)  # Problem.stored() dicts
    source: Mapped[str] = mapped_column(String(20), default="disk")  # disk | upload | modeller
    main_file: Mapped[str] = mapped_column(String(300), default="")
    model: Mapped[ProcessModel] = relationship(lazy="joined")


class Client(Base):
    __tablename__ = "client"
    id: Mapped[int] = mapped_column(primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(40), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    identity_code: Mapped[str | None] = mapped_column(String(20), unique=True)
    municipality: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(80))


class Consent(Base):
    __tablename__ = "consent"
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    scope: Mapped[str] = mapped_column(String(500))
    given_at: Mapped[datetime] = mapped_column(UtcDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    recorded_by: Mapped[str] = mapped_column(String(80))
    withdrawn_by: Mapped[str | None] = mapped_column(String(80))
    withdrawal_reason: Mapped[str | None] = mapped_column(String(500))


class ProcessInstance(Base):
    __tablename__ = "process_instance"
    __table_args__ = (Index("ix_process_instance_activity", "status", "last_activity_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id"), index=True)
    model_version_id: Mapped[int] = mapped_column(ForeignKey("process_model_version.id"))
    status: Mapped[str] = mapped_column(String(20), index=True)  # running | completed
    case_manager_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    # the organisation that owns the path (its intake coordinators see it)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", name="fk_process_instance_organisation"), index=True
    )
    outcome: Mapped[str | None] = mapped_column(String(60))
    end_event: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_activity_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    state: Mapped[str] = mapped_column(Text, deferred=True)  # large: loaded when used
    serializer_version: Mapped[str] = mapped_column(String(20))
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": lock_version}

    client: Mapped[Client] = relationship(lazy="joined")
    # versions carry all their files: loaded once per session when used, not with every row
    model_version: Mapped[ProcessModelVersion] = relationship(lazy="select")
    case_manager: Mapped[User | None] = relationship(lazy="joined")
    organisation: Mapped[Organisation | None] = relationship(lazy="joined")


class HumanTask(Base):
    """The worklist: one row per user task that is or was ready."""

    __tablename__ = "human_task"
    __table_args__ = (
        Index("ix_human_task_state_role", "state", "role"),
        Index("ix_human_task_state_assignee", "state", "assignee_id"),
        Index("ix_human_task_completed_by", "completed_by_id", "instance_id"),
        # the weekly trend counts from these alone (the path last: checked against the
        # reader's report scope as the index is read)
        Index("ix_human_task_created", "created_at", "model_version_id", "instance_id"),
        Index(
            "ix_human_task_completed", "completed_at", "due_at", "model_version_id", "instance_id"
        ),
        # the stall figures: open steps per model version and step, by age, and their path
        Index(
            "ix_human_task_open_steps",
            "state",
            "model_version_id",
            "bpmn_id",
            "created_at",
            "due_at",
            "instance_id",
        ),
        # the worklist's pages in its orders, the task's id last (due: no due date last)
        Index("ix_human_task_open_due", "state", "due_at", "created_at", "id"),
        Index("ix_human_task_open_created", "state", "created_at", "id"),
        # who may see an open task, decided from this index alone (access.task_list_condition):
        # counts, tab figures and step choices of a worklist never touch the path rows
        Index(
            "ix_human_task_open_visible",
            "state",
            "role",
            "organisation_id",
            "owner_organisation_id",
            "assignee_id",
            "bpmn_id",
            "due_at",
            "client_id",
        ),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the workflow task's id
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    # task: a user task; wait: an awaited external decision (a message catch event) that the
    # role recording it has in its worklist until the decision is recorded
    kind: Mapped[str] = mapped_column(String(10), default="task", server_default="task")
    # the instance's model version (a copy, kept in step on migration): figures per version
    # read the worklist alone
    model_version_id: Mapped[int] = mapped_column(ForeignKey("process_model_version.id"))
    bpmn_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(300))
    phase: Mapped[str | None] = mapped_column(String(30))
    role: Mapped[str | None] = mapped_column(String(60))  # who may do it now
    lane_role: Mapped[str | None] = mapped_column(String(60))  # the role of its lane
    # the organisation whose staff do it (the lane's); another one than the path's owner
    # offers it only while the client's consent to multi-organisation handling is in force
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", name="fk_human_task_organisation")
    )
    # copies of the path's owner and client (a path keeps both for life)
    owner_organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", name="fk_human_task_owner_organisation")
    )
    client_id: Mapped[int | None] = mapped_column(
        ForeignKey("client.id", name="fk_human_task_client")
    )
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    state: Mapped[str] = mapped_column(String(20))  # open | completed | cancelled
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    claimed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    instance: Mapped[ProcessInstance] = relationship(lazy="joined")
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id], lazy="joined")
    claimed_by: Mapped[User | None] = relationship(foreign_keys=[claimed_by_id], lazy="joined")
    completed_by: Mapped[User | None] = relationship(foreign_keys=[completed_by_id], lazy="joined")


class FormSubmission(Base):
    """What a completed task's form said: the client's data, read only with access rights."""

    __tablename__ = "form_submission"
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    task_id: Mapped[str] = mapped_column(String(36))
    bpmn_id: Mapped[str] = mapped_column(String(200))
    task_name: Mapped[str] = mapped_column(String(300))
    form_path: Mapped[str | None] = mapped_column(String(300))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    submitted_by: Mapped[str] = mapped_column(String(80))
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # a correction is a new row naming the entry it corrects (the original stays, as the
    # first revision), with the corrector's reason and the corrected fields a gateway had
    # already decided on (flagged on the client page; the path is not re-routed)
    corrects_id: Mapped[int | None] = mapped_column(
        ForeignKey("form_submission.id", name="fk_form_submission_corrects"), index=True
    )
    correction_reason: Mapped[str | None] = mapped_column(String(500))
    decided_fields: Mapped[list[str] | None] = mapped_column(JSON)


class TaskDraft(Base):
    """A form saved unfinished; removed when the task is completed."""

    __tablename__ = "task_draft"
    task_id: Mapped[str] = mapped_column(ForeignKey("human_task.id"), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    saved_by: Mapped[str] = mapped_column(String(80))
    saved_at: Mapped[datetime] = mapped_column(UtcDateTime)


class WaitingEvent(Base):
    """A timer or message an instance waits for. The timer worker reads this table."""

    __tablename__ = "waiting_event"
    __table_args__ = (Index("ix_waiting_event_due", "kind", "settled_at", "due_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    task_id: Mapped[str] = mapped_column(String(36))
    bpmn_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(10))  # timer | message
    message_name: Mapped[str | None] = mapped_column(String(200))
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    settled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Event(Base):
    """Append-only history of every instance: who did what, when, in which role."""

    __tablename__ = "event"
    __table_args__ = (
        Index("ix_event_instance_time", "instance_id", "occurred_at"),
        Index("ix_event_kind_element", "kind", "bpmn_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    bpmn_id: Mapped[str | None] = mapped_column(String(200))
    element_name: Mapped[str | None] = mapped_column(String(300))
    task_id: Mapped[str | None] = mapped_column(String(36))
    actor: Mapped[str | None] = mapped_column(String(80))  # username, or "system"
    role: Mapped[str | None] = mapped_column(String(60))
    phase: Mapped[str | None] = mapped_column(String(30))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Deployment(Base):
    """Every deployment attempt, accepted or refused: who, when, which file hash, the result."""

    __tablename__ = "deployment"
    id: Mapped[int] = mapped_column(primary_key=True)
    model_key: Mapped[str] = mapped_column(String(100), index=True)
    attempted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    attempted_by: Mapped[str] = mapped_column(String(80))
    source: Mapped[str] = mapped_column(String(20))
    file_name: Mapped[str] = mapped_column(String(300))
    content_hash: Mapped[str] = mapped_column(String(64))
    accepted: Mapped[bool] = mapped_column(Boolean)
    version_number: Mapped[int | None] = mapped_column(Integer)
    problems: Mapped[list[Any]] = mapped_column(JSON, default=list)  # Problem.stored() dicts


class SlaTarget(Base):
    """A service-level target in working days for a step (BPMN id) or a whole phase, for one
    model or (model_key NULL) for every model. Set by an administrator without a deploy."""

    __tablename__ = "sla_target"
    __table_args__ = (UniqueConstraint("model_key", "bpmn_id", "phase"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    model_key: Mapped[str | None] = mapped_column(String(100))
    bpmn_id: Mapped[str | None] = mapped_column(String(200))
    phase: Mapped[str | None] = mapped_column(String(30))
    working_days: Mapped[int] = mapped_column(Integer)
    updated_by: Mapped[str] = mapped_column(String(80))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PilotTarget(Base):
    """A pilot's target number of clients for a group (e.g. Eksote's tracks P1+2, P3, P4):
    clients whose path recorded `group_field` = `group_value` count towards it."""

    __tablename__ = "pilot_target"
    id: Mapped[int] = mapped_column(primary_key=True)
    model_key: Mapped[str] = mapped_column(String(100))
    label: Mapped[str] = mapped_column(String(100))
    bpmn_id: Mapped[str] = mapped_column(String(200))  # the step whose form records the group
    group_field: Mapped[str] = mapped_column(String(100))
    group_value: Mapped[str] = mapped_column(String(100))
    target_min: Mapped[int] = mapped_column(Integer)
    target_max: Mapped[int] = mapped_column(Integer)


class Milestone(Base):
    """The first time an instance reached a milestone of the path (for lead times)."""

    __tablename__ = "milestone"
    __table_args__ = (
        # lead times (ranked in the index's order) and coverage read this index alone
        Index(
            "ix_milestone_lead",
            "name",
            "lead_days",
            "model_version_id",
            "lead_from_at",
            "instance_id",
        ),
    )
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(30), primary_key=True)
    reached_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    # the instance's model version (a copy, kept in step on migration)
    model_version_id: Mapped[int] = mapped_column(ForeignKey("process_model_version.id"))
    # the lead time that ends here (e.g. contact -> team), noted when the milestone is reached
    lead_from_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    lead_days: Mapped[float | None] = mapped_column(Float)


class ImportedDataset(Base):
    """An event log brought in from outside Polku (e.g. a pilot run before it): kept apart
    from Polku's own history and always shown as imported."""

    __tablename__ = "imported_dataset"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    model_key: Mapped[str] = mapped_column(String(100))
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime)
    imported_by: Mapped[str] = mapped_column(String(80))
    rows: Mapped[int] = mapped_column(Integer)
    cases: Mapped[int] = mapped_column(Integer)
    # how the file's columns and activity names were read (import_mapping.ImportMapping.stored):
    # the next import of a data set of the same name starts from it; None for a standard CSV
    mapping: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ImportedEvent(Base):
    __tablename__ = "imported_event"
    __table_args__ = (Index("ix_imported_event_case", "dataset_id", "case_id", "timestamp"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("imported_dataset.id"))
    case_id: Mapped[str] = mapped_column(String(100))
    activity: Mapped[str] = mapped_column(String(300))
    timestamp: Mapped[datetime] = mapped_column(UtcDateTime)
    resource: Mapped[str | None] = mapped_column(String(100))
    lifecycle: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str | None] = mapped_column(String(60))
    attributes: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the file's other columns


class ImportJob(Base):
    """An event-log import running in the background, with its progress: any app process can
    answer the page that follows it. `state` is running, done or failed; a running job whose
    `updated_at` is old was cut short (its import was rolled back). Byte counts stay below the
    upload limit (web/ui/event_log.py), far under what an Integer holds."""

    __tablename__ = "import_job"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    started_by: Mapped[str] = mapped_column(String(80))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    name: Mapped[str] = mapped_column(String(200))
    model_key: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(20))
    lines_done: Mapped[int] = mapped_column(Integer)
    bytes_done: Mapped[int] = mapped_column(Integer)
    total_bytes: Mapped[int | None] = mapped_column(Integer)
    dataset_id: Mapped[int | None] = mapped_column(ForeignKey("imported_dataset.id"))
    rows: Mapped[int | None] = mapped_column(Integer)
    cases: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))


from engine.persistence.audit import AccessLog  # noqa: E402,F401  (kept importable from here)
from engine.persistence.client_sign_in import ClientSession  # noqa: E402,F401
from engine.persistence.daily_work import Notification, PathNote  # noqa: E402,F401
from engine.persistence.employment import EmploymentEvent, IpsFidelityRound  # noqa: E402,F401
from engine.persistence.path_migrations import PathMigration  # noqa: E402,F401
from engine.persistence.relationships import Organisation  # noqa: E402  (its tables join ours)
