"""Conformance to the national reference path: how the closed paths followed its five phases
(encounter, referral, assessment and plan, services, follow-up), phase by phase.

A path's phase sequence is read from its history as Polku keeps it in indexed tables: the
phase tags of its completed worklist rows (`human_task.phase`, in the order they were
completed), repeats in a row merged ("assessment, assessment" is one visit). Against the
reference order each closed path either fits (every phase once, in order) or deviates:

- skipped: a phase missing while a later one was reached;
- repeated: a phase entered again after the path had left it;
- out of order: a phase first reached after a phase that comes later in the reference;
- ended early: the path closed before reaching the last phase (the phases after its
  furthest one are missing; an exit to urgent care or occupational health is one).

Fitness is the share of paths that fit. Each deviation's effect on lead time is the median
lead time (days from the path's start to its closing) of the paths with it against those
without it. The variants are the distinct phase sequences, with their frequencies.

Counts only the paths the reader may count (`ReportPaths`, passed in by the services); no
workflow is deserialized."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.analytics.report_paths import ReportPaths
from engine.analytics.stalls import DAY, Scope, VersionInfo, _period, versions_in_scope
from engine.persistence.tables import HumanTask, ProcessInstance
from engine.workflow.loader import PHASES

REFERENCE: tuple[str, ...] = PHASES
DEVIATIONS = ("skipped", "repeated", "out_of_order", "ended_early")


def collapse(phases: Iterable[str]) -> tuple[str, ...]:
    """The phase sequence with repeats in a row merged."""
    result: list[str] = []
    for phase in phases:
        if not result or result[-1] != phase:
            result.append(phase)
    return tuple(result)


def deviations(
    sequence: Sequence[str], closed: bool = True, reference: Sequence[str] = REFERENCE
) -> dict[str, set[str]]:
    """The deviations of one collapsed phase sequence from the reference, each with the
    phases it concerns (empty: the path fits). Phases outside the reference are ignored."""
    order = {phase: i for i, phase in enumerate(reference)}
    known = collapse(p for p in sequence if p in order)
    found: dict[str, set[str]] = defaultdict(set)
    seen: list[str] = []  # the phases in the order first reached
    for phase in known:
        if phase in seen:  # repeats in a row are merged: the path left it and came back
            found["repeated"].add(phase)
            continue
        if any(order[earlier] > order[phase] for earlier in seen):
            found["out_of_order"].add(phase)
        seen.append(phase)
    reached = {order[p] for p in known}
    furthest = max(reached, default=-1)
    for i, phase in enumerate(reference):
        if i in reached:
            continue
        found["skipped" if i < furthest else "ended_early"].add(phase)
    if not closed:
        found.pop("ended_early", None)
    return dict(found)


@dataclass
class ClosedPath:
    instance_id: int
    model_version_id: int
    sequence: tuple[str, ...]
    lead_days: float
    found: dict[str, set[str]]

    @property
    def fits(self) -> bool:
        return not self.found


@dataclass
class GroupFitness:
    """One model version's paths (its region's)."""

    model_key: str
    region: str | None
    version: int
    paths: int
    fitting: int

    @property
    def fitness(self) -> float | None:
        return self.fitting / self.paths if self.paths else None


@dataclass
class DeviationRow:
    deviation: str
    paths: int
    by_phase: dict[str, int]
    median_with: float | None  # lead time, days
    median_without: float | None


@dataclass
class VariantRow:
    phases: tuple[str, ...]
    paths: int
    share: float
    fits: bool
    median_days: float | None


@dataclass
class PhaseRow:
    phase: str
    reached: int
    counts: dict[str, int]  # deviation -> paths with it at this phase
    deviating: int  # paths with any deviation at this phase


@dataclass
class Conformance:
    paths: int
    fitting: int
    groups: list[GroupFitness] = field(default_factory=list)
    deviations: list[DeviationRow] = field(default_factory=list)
    variants: list[VariantRow] = field(default_factory=list)
    phases: list[PhaseRow] = field(default_factory=list)

    @property
    def fitness(self) -> float | None:
        return self.fitting / self.paths if self.paths else None


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def closed_paths(
    session: Session, scope: Scope, paths: ReportPaths, versions: Iterable[int] | None = None
) -> list[ClosedPath]:
    """The closed paths of the scope (closed in its period) with their phase sequences: one
    statement over the closed paths (by status) and their completed worklist rows (by path)."""
    query = (
        select(
            ProcessInstance.id,
            ProcessInstance.model_version_id,
            ProcessInstance.created_at,
            ProcessInstance.completed_at,
            HumanTask.phase,
        )
        .outerjoin(
            HumanTask,
            (HumanTask.instance_id == ProcessInstance.id)
            & (HumanTask.state == "completed")
            & HumanTask.phase.is_not(None),
        )
        .where(
            ProcessInstance.status == "completed",
            ProcessInstance.completed_at.is_not(None),
            paths.condition,
            *_period(ProcessInstance.completed_at, scope),
        )
        .order_by(ProcessInstance.id, HumanTask.completed_at, HumanTask.created_at)
    )
    if versions is not None:
        query = query.where(ProcessInstance.model_version_id.in_(list(versions)))
    phases: dict[int, list[str]] = defaultdict(list)
    heads: dict[int, tuple[int, float]] = {}
    for instance_id, version_id, started, closed, phase in session.execute(query):
        if instance_id not in heads and closed is not None:
            heads[instance_id] = (version_id, (closed - started).total_seconds() / DAY)
        if phase is not None:
            phases[instance_id].append(phase)
    result = []
    for instance_id, (version_id, lead) in heads.items():
        sequence = collapse(phases.get(instance_id, []))
        result.append(
            ClosedPath(instance_id, version_id, sequence, lead, deviations(sequence, True))
        )
    return result


def summarise(closed: list[ClosedPath], versions: dict[int, VersionInfo]) -> Conformance:
    """Fitness per model version, the deviations with their lead-time effect, the variants
    and the figures per phase, of the given closed paths."""
    report = Conformance(len(closed), sum(1 for p in closed if p.fits))
    per_version: dict[int, list[ClosedPath]] = defaultdict(list)
    for path in closed:
        per_version[path.model_version_id].append(path)
    for version_id, group in per_version.items():
        info = versions.get(version_id)
        if info is None:
            continue
        report.groups.append(
            GroupFitness(
                info.model_key,
                info.region,
                info.number,
                len(group),
                sum(1 for p in group if p.fits),
            )
        )
    report.groups.sort(key=lambda g: (g.model_key, g.version))
    for deviation in DEVIATIONS:
        having = [p for p in closed if deviation in p.found]
        by_phase = Counter(phase for p in having for phase in p.found[deviation])
        report.deviations.append(
            DeviationRow(
                deviation,
                len(having),
                {phase: by_phase[phase] for phase in REFERENCE if by_phase[phase]},
                _median([p.lead_days for p in having]),
                _median([p.lead_days for p in closed if deviation not in p.found]),
            )
        )
    variants: dict[tuple[str, ...], list[ClosedPath]] = defaultdict(list)
    for path in closed:
        variants[path.sequence].append(path)
    report.variants = sorted(
        (
            VariantRow(
                sequence,
                len(group),
                len(group) / len(closed),
                group[0].fits,
                _median([p.lead_days for p in group]),
            )
            for sequence, group in variants.items()
        ),
        key=lambda v: (-v.paths, v.phases),
    )
    for phase in REFERENCE:
        counts = {d: sum(1 for p in closed if phase in p.found.get(d, ())) for d in DEVIATIONS}
        report.phases.append(
            PhaseRow(
                phase,
                sum(1 for p in closed if phase in p.sequence),
                counts,
                sum(1 for p in closed if any(phase in s for s in p.found.values())),
            )
        )
    return report


def conformance(session: Session, scope: Scope, paths: ReportPaths) -> Conformance:
    """The conformance of the closed paths in scope (closed in its period)."""
    versions = versions_in_scope(session, scope)
    scoped = scope.model_key or scope.version
    closed = closed_paths(session, scope, paths, versions if scoped else None)
    return summarise(closed, versions)

