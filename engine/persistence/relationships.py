"""Who belongs where and who is related to a client's path: organisations and their members,
people named in a path, emergency access and the access policy's settings. The access policy
(`engine.services.access`) reads these indexed tables; nothing here decides anything."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.persistence.tables import Base, UtcDateTime


class Organisation(Base):
    """A data controller or service provider: a wellbeing county's social and health services,
    a municipal employment authority, Kela. Kept in step with `processes/organisations.json`."""

    __tablename__ = "organisation"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    names: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # by language
    kind: Mapped[str] = mapped_column(String(40))  # wellbeing_county | employment_services | kela
    region: Mapped[str | None] = mapped_column(String(100))  # None: serves every region


class UserOrganisation(Base):
    """A person works for an organisation (and holds their roles there)."""

    __tablename__ = "user_organisation"
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id"), primary_key=True, index=True
    )


class PathMember(Base):
    """A team member named in a client's path (e.g. in the support plan): a basis to read it."""

    __tablename__ = "path_member"
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True, index=True)
    named_in: Mapped[str] = mapped_column(String(300))
    named_at: Mapped[datetime] = mapped_column(UtcDateTime)


class EmergencyAccess(Base):
    """A professional without a basis opened a path after giving a reason; the supervisor
    reviews every such opening."""

    __tablename__ = "emergency_access"
    __table_args__ = (
        Index("ix_emergency_access_open", "user_id", "instance_id", "expires_at"),
        Index("ix_emergency_access_review", "reviewed_at", "opened_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"))
    reason: Mapped[str] = mapped_column(String(500))
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    reviewed_by: Mapped[str | None] = mapped_column(String(80))
    reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    review_note: Mapped[str | None] = mapped_column(String(500))


class PolicySetting(Base):
    """A setting of the access policy an administrator changes (e.g. how many days after a
    path closes its former team may still read it)."""

    __tablename__ = "policy_setting"
    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[int] = mapped_column(Integer)
    changed_by: Mapped[str] = mapped_column(String(80))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)
