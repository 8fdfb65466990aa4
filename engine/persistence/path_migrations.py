"""The record of moving running paths to another version of their model: who moved which paths
from which version to which, when, with which steps mapped; and per path its state before the
move, so that the model's last migration can be undone while the path has not progressed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.persistence.tables import Base, UtcDateTime


class PathMigration(Base):
    """One migration of a model's running paths (the undo sets `undone_at` and `undone_by`)."""

    __tablename__ = "path_migration"
    __table_args__ = (Index("ix_path_migration_model", "model_key", "migrated_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    model_key: Mapped[str] = mapped_column(String(100))
    from_version: Mapped[int] = mapped_column(Integer)
    to_version: Mapped[int] = mapped_column(Integer)
    migrated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    migrated_by: Mapped[str] = mapped_column(String(80))
    step_map: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # old id -> new id
    undone_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    undone_by: Mapped[str | None] = mapped_column(String(80))
    paths: Mapped[list[PathMigrationPath]] = relationship(
        back_populates="migration", order_by="PathMigrationPath.instance_id"
    )


class PathMigrationPath(Base):
    """A path a migration moved: its state before (for the undo) and a hash of its state after
    (the path has not progressed while its state is still that). `outcome`: moved, undone, or
    kept (not undoable: it had progressed, or was no longer running)."""

    __tablename__ = "path_migration_path"
    __table_args__ = (Index("ix_path_migration_path_instance", "instance_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    migration_id: Mapped[int] = mapped_column(
        ForeignKey("path_migration.id", name="fk_path_migration_path_migration")
    )
    instance_id: Mapped[int] = mapped_column(
        ForeignKey("process_instance.id", name="fk_path_migration_path_instance")
    )
    state_before: Mapped[str] = mapped_column(Text)
    state_after_hash: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(10), default="moved")
    migration: Mapped[PathMigration] = relationship(back_populates="paths")
