"""The clients' feedback for the managers' pages: the closing survey's answers aggregated by
region, phase and period (`engine.analytics.feedback`), never per person, over the paths the
reader's figures count (`access.report_condition`).

Who sees what:
- the aggregates: whoever may open the dashboards (`access.may_see_dashboards`); a group of
  fewer than five answers shows "too few answers";
- the free texts: only the managers of the organisation that owns the path, without names,
  pseudonyms or paths, each with its month and region only. Each path whose text is shown is
  logged as read (client feedback) for that client."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from engine.analytics import feedback
from engine.analytics.report_paths import ReportPaths
from engine.clock import Clock
from engine.errors import InvalidInput
from engine.persistence.tables import FormSubmission, ProcessInstance
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import access
from engine.services.access_roles import SUPERVISOR_ROLE
from engine.services.dashboards import require_dashboard

TEXT_BASIS = "manager of the owning organisation: client feedback without names"


@dataclass
class FeedbackReport:
    period: str
    groups: list[feedback.Group] = field(default_factory=list)
    answers: int = 0  # answers with a score, in the reader's scope
    texts: list[feedback.FreeText] = field(default_factory=list)
    sees_texts: bool = False  # the reader is a manager of an organisation owning paths


def may_read_free_texts(actor: access.Actor) -> bool:
    """Managers read the free texts of the paths their own organisations own."""
    return SUPERVISOR_ROLE in actor.roles and bool(actor.organisations)


def feedback_report(
    uow: UnitOfWork, clock: Clock, actor: access.Actor, period: str = "quarter"
) -> FeedbackReport:
    require_dashboard(actor)
    if period not in feedback.PERIODS:
        raise InvalidInput(
            f"unknown period {period!r}",
            {"period": [f"one of {', '.join(feedback.PERIODS)}"]},
            code="feedback_period_unknown", params={"period": period},
        )  # fmt: skip
    now = clock()
    with uow:
        found = feedback.answers(uow.session, ReportPaths(access.report_condition(actor)))
        report = FeedbackReport(
            period=period,
            groups=feedback.aggregate(found, period),
            answers=sum(1 for a in found if a.score is not None),
            sees_texts=may_read_free_texts(actor),
        )
        if report.sees_texts:
            own = [a for a in found if a.owner_organisation_id in actor.organisations]
            report.texts = feedback.free_texts(own)
            if report.texts:
                _log_text_reads(uow, now, actor)
        uow.commit()
        return report


def _log_text_reads(uow: UnitOfWork, now: datetime, actor: access.Actor) -> None:
    """One access-log row per client whose feedback text the manager read."""
    rows = uow.session.execute(
        select(ProcessInstance.client_id, ProcessInstance.id)
        .join(FormSubmission, FormSubmission.instance_id == ProcessInstance.id)
        .where(
            FormSubmission.form_path.like(f"%{feedback.FEEDBACK_FORM}"),
            ProcessInstance.organisation_id.in_(sorted(actor.organisations)),
        )
        .distinct()
    ).all()
    for client_id, instance_id in rows:
        access.log(
            uow, now, actor, "read", "client feedback", client_id=client_id,
            instance_id=instance_id, basis=TEXT_BASIS, detail="free texts without names",
        )  # fmt: skip
