"""What a client's coaching and follow-up led to, recorded as it happens (issue 16 §2): each
employment relationship started (its sector, with or without wage subsidy), apprenticeship,
work trial and study place is its own row; a person may have several, on several paths. The
closing record's outcome stays as it was; the pilots' metrics count these rows. Beside them, the
team's IPS fidelity self-assessment rounds (Rovaniemi's other indicator)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.persistence.tables import Base, UtcDateTime


class EmploymentEvent(Base):
    """One onward placement of a client on a path. `kind`: employment, apprenticeship,
    work_trial or study; `sector` (company, city, third_sector) for the first three;
    `wage_subsidy` for an employment. Recorded by a professional with a basis on the path."""

    __tablename__ = "employment_event"
    __table_args__ = (Index("ix_employment_event_instance", "instance_id", "started_on"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(
        ForeignKey("process_instance.id", name="fk_employment_event_instance")
    )
    kind: Mapped[str] = mapped_column(String(20))
    sector: Mapped[str | None] = mapped_column(String(20))
    wage_subsidy: Mapped[bool] = mapped_column(Boolean, default=False)
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(80))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class IpsFidelityRound(Base):
    """One round of a team's IPS fidelity self-assessment (the IPS-25 scale): 25 items scored
    1–5 (`scores`, in the scale's order), for the pilot of one model in one organisation."""

    __tablename__ = "ips_fidelity_round"
    __table_args__ = (
        Index("ix_ips_fidelity_round", "organisation_id", "model_key", "assessed_on"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", name="fk_ips_fidelity_round_organisation")
    )
    model_key: Mapped[str] = mapped_column(String(100))
    assessed_on: Mapped[date] = mapped_column(Date)
    scores: Mapped[list[int]] = mapped_column(JSON)
    recorded_by: Mapped[str] = mapped_column(String(80))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
