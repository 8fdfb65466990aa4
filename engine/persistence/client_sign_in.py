"""Clients' own sign-in (issue 17 §1): a client signs in with strong identification
(Suomi.fi e-Identification over OpenID Connect) and has a session of their own, kept apart
from the professionals' (`user_session`): a client's session never opens a professional's page
and a professional's never opens a client's."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.persistence.tables import Base, UtcDateTime


class ClientSession(Base):
    """A client's signed-in browser session. The cookie holds the token; only its SHA-256 is
    stored. Ended by signing out, after an idle time and after an absolute lifetime."""

    __tablename__ = "client_session"
    __table_args__ = (Index("ix_client_session_client", "client_id", "ended_at"),)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the token
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", name="fk_client_session_client"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ended_because: Mapped[str | None] = mapped_column(String(40))  # logout | idle | lifetime
