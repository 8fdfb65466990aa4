"""The team's daily work beside the path itself: notes between colleagues on a path, and the
notifications each person gets (in the app, and in the daily e-mail digest)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.persistence.tables import Base, UtcDateTime


class PathNote(Base):
    """A note on a path between the team. `visibility` is a field class (shared, health,
    social, …): the note is shown to those the access policy lets see that class."""

    __tablename__ = "path_note"
    __table_args__ = (Index("ix_path_note_instance", "instance_id", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(
        ForeignKey("process_instance.id", name="fk_path_note_instance")
    )
    author_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", name="fk_path_note_author"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    visibility: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)


class Notification(Base):
    """Something a person should know: a task offered or assigned to them, handed over to
    them, due tomorrow or overdue, a client of their caseload without events, a message on
    their client's path. `params` hold codes and ids only (never a client's name); the page
    words them in the reader's language. `key` keeps one notice of a kind per thing."""

    __tablename__ = "notification"
    __table_args__ = (
        UniqueConstraint("user_id", "key", name="uq_notification_user_key"),
        Index("ix_notification_unread", "user_id", "read_at", "created_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", name="fk_notification_user"))
    kind: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(200))
    instance_id: Mapped[int | None] = mapped_column(
        ForeignKey("process_instance.id", name="fk_notification_instance")
    )
    task_id: Mapped[str | None] = mapped_column(String(36))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    emailed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
