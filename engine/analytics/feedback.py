"""Client feedback as a measure: the closing survey's answers (a score 1-5 and free text, the
client's own task `client_feedback.schema.json`) aggregated by region, phase and period.

Never per person: a group of fewer than `MIN_ANSWERS` answers shows its count's absence
("too few answers") instead of its mean and distribution, and the free texts carry only the
month they were given and the region, never a name, pseudonym or path. Which paths count is
the access policy's (`ReportPaths`); who sees the free texts is decided by the services."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.analytics.report_paths import ReportPaths
from engine.persistence.relationships import Organisation
from engine.persistence.tables import (
    FormSubmission,
    HumanTask,
    ProcessInstance,
    ProcessModel,
    ProcessModelVersion,
)

FEEDBACK_FORM = "client_feedback.schema.json"
SCORE_FIELD, TEXT_FIELD = "feedback_score", "feedback_text"
SCORES = (1, 2, 3, 4, 5)
MIN_ANSWERS = 5  # a smaller group is never shown: "too few answers"
PERIODS = ("quarter", "month", "year")
HELSINKI = ZoneInfo("Europe/Helsinki")


@dataclass(frozen=True)
class Answer:
    """One client's answer, as the aggregates need it: no person, no path."""

    region: str
    phase: str
    given_at: datetime
    score: int | None
    text: str
    owner_organisation_id: int | None


@dataclass(frozen=True)
class Group:
    region: str
    phase: str
    period: str
    count: int
    mean: float | None  # None: too few answers to show
    distribution: dict[int, int] | None  # score -> answers; None: too few answers

    @property
    def too_few(self) -> bool:
        return self.mean is None


@dataclass(frozen=True)
class FreeText:
    month: str  # "2026-11": never a finer date
    region: str
    text: str


@dataclass
class FeedbackFigures:
    groups: list[Group] = field(default_factory=list)
    total: int = 0
    texts: list[FreeText] = field(default_factory=list)


def period_of(when: datetime, period: str) -> str:
    local = when.astimezone(HELSINKI)
    if period == "month":
        return f"{local.year}-{local.month:02d}"
    if period == "year":
        return str(local.year)
    return f"{local.year} Q{(local.month - 1) // 3 + 1}"


def aggregate(answers: Iterable[Answer], period: str = "quarter") -> list[Group]:
    """The answers with a score grouped by region, phase and period: count, mean and the
    distribution of scores, or neither of the last two for a group of fewer than
    `MIN_ANSWERS` answers."""
    buckets: dict[tuple[str, str, str], list[int]] = {}
    for answer in answers:
        if answer.score in SCORES:
            key = (answer.region, answer.phase, period_of(answer.given_at, period))
            buckets.setdefault(key, []).append(int(answer.score))  # type: ignore[arg-type]
    groups = []
    for (region, phase, when), scores in sorted(buckets.items()):
        shown = len(scores) >= MIN_ANSWERS
        counted = Counter(scores)
        groups.append(
            Group(
                region=region,
                phase=phase,
                period=when,
                count=len(scores),
                mean=round(sum(scores) / len(scores), 2) if shown else None,
                distribution={s: counted.get(s, 0) for s in SCORES} if shown else None,
            )
        )
    return groups


def free_texts(answers: Iterable[Answer]) -> list[FreeText]:
    """The non-empty free texts with the month and region only, newest month first; within a
    month in the order of their text, so nothing tells who answered when."""
    found = [
        FreeText(period_of(a.given_at, "month"), a.region, a.text.strip())
        for a in answers
        if a.text.strip()
    ]
    return sorted(found, key=lambda t: (t.month, t.region, t.text), reverse=True)


def answers(session: Session, paths: ReportPaths) -> list[Answer]:
    """Every feedback answer on the paths the reader's figures count (a corrected answer as
    corrected): region (the model's, else the owning organisation's), phase of the task."""
    owner = Organisation
    rows = session.execute(
        select(
            FormSubmission.id,
            FormSubmission.corrects_id,
            FormSubmission.data,
            FormSubmission.submitted_at,
            HumanTask.phase,
            ProcessModel.region,
            owner.region,
            ProcessInstance.organisation_id,
        )
        .join(ProcessInstance, ProcessInstance.id == FormSubmission.instance_id)
        .join(ProcessModelVersion, ProcessModelVersion.id == ProcessInstance.model_version_id)
        .join(ProcessModel, ProcessModel.id == ProcessModelVersion.model_id)
        .outerjoin(HumanTask, HumanTask.id == FormSubmission.task_id)
        .outerjoin(owner, owner.id == ProcessInstance.organisation_id)
        .where(FormSubmission.form_path.like(f"%{FEEDBACK_FORM}"), paths.condition)
        .order_by(FormSubmission.id)
    ).all()
    latest: dict[int, tuple[dict[str, object], datetime, str, str, int | None]] = {}
    for sid, corrects, data, when, phase, model_region, org_region, org_id in rows:
        entry = corrects or sid
        first = latest.get(entry)
        given_at = first[1] if first else when  # an answer counts when it was first given
        region = model_region or org_region or ""
        latest[entry] = (dict(data or {}), given_at, phase or "", region, org_id)
    found = []
    for data, given_at, phase, region, org_id in latest.values():
        score = data.get(SCORE_FIELD)
        text = data.get(TEXT_FIELD)
        found.append(
            Answer(
                region=region,
                phase=phase,
                given_at=given_at,
                score=score if isinstance(score, int) and not isinstance(score, bool) else None,
                text=text if isinstance(text, str) else "",
                owner_organisation_id=org_id,
            )
        )
    return found
