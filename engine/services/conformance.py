"""Conformance to the national reference path, for managers: how the closed paths of their
report scope followed its five phases, per region, model version and period (the figures:
`engine.analytics.conformance`), as tables and painted on a model's diagram.

Open to whoever may open the dashboards (`access.may_see_dashboards`); every figure counts
only the paths of the reader's report scope (`access.report_condition`). Aggregates only: no
client is named or counted outside the reader's scope."""

from __future__ import annotations

from dataclasses import dataclass

from engine.analytics import conformance as figures
from engine.analytics.report_paths import ReportPaths
from engine.analytics.stalls import Scope, versions_in_scope
from engine.clock import Clock
from engine.errors import NotFound
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import access
from engine.services.dashboards import require_dashboard
from engine.services.deployment import get_version, latest_version
from engine.workflow.engine import WorkflowEngine


def report(uow: UnitOfWork, clock: Clock, actor: access.Actor, scope: Scope) -> figures.Conformance:
    """The conformance of the closed paths in scope (closed in its period)."""
    require_dashboard(actor)
    with uow:
        return figures.conformance(uow.session, scope, ReportPaths(access.report_condition(actor)))


@dataclass
class PhaseCell:
    """One element of the diagram and the figures of its phase; `first`: the phase's first
    element on the diagram, which carries the phase's badge (the others its colour)."""

    element_id: str
    phase: str
    first: bool
    row: figures.PhaseRow
    paths: int

    @property
    def share(self) -> float:
        """The share of the paths that deviate at this phase (unrounded)."""
        return self.row.deviating / self.paths if self.paths else 0.0


@dataclass
class ConformanceDiagram:
    model_key: str
    version: int
    xml: str
    paths: int
    cells: list[PhaseCell]


def diagram(
    uow: UnitOfWork,
    engine: WorkflowEngine,
    clock: Clock,
    actor: access.Actor,
    model_key: str,
    number: int | None,
    scope: Scope,
) -> ConformanceDiagram:
    """The conformance figures of one model's closed paths (of version `number`, or of every
    version), per phase, on the elements of that phase on the diagram of that version (or the
    latest), a called subprocess's on its caller."""
    require_dashboard(actor)
    with uow:
        version = (
            latest_version(uow, model_key)
            if number is None
            else get_version(uow, model_key, number)
        )
        if version is None:
            raise NotFound(
                f"process model '{model_key}' has no version {number}",
                code="model_version_not_found",
                params={"key": model_key, "number": number},
            )
        model = engine.model_for_version(version.content_hash, model_key, version.files)
        narrowed = Scope(model_key, number, scope.since, scope.until)  # None: every version
        versions = versions_in_scope(uow.session, narrowed)
        paths = ReportPaths(access.report_condition(actor))
        closed = figures.closed_paths(uow.session, narrowed, paths, versions)
        result = figures.summarise(closed, versions)
        xml = version.files[version.main_file]
        number = version.number
    phase_of: dict[str, str] = {}
    steps = [(t.bpmn_id, t.phase) for t in model.user_tasks.values()]
    steps += [(w.bpmn_id, w.phase) for w in model.waits.values()]
    for bpmn_id, phase in steps:
        if phase in figures.REFERENCE:
            phase_of.setdefault(model.top_level.get(bpmn_id, bpmn_id), phase)
    rows = {row.phase: row for row in result.phases}
    placed = sorted(phase_of, key=lambda e: (_position(xml, e), e))
    cells, badged = [], set()
    for element in placed:
        phase = phase_of[element]
        cells.append(PhaseCell(element, phase, phase not in badged, rows[phase], result.paths))
        badged.add(phase)
    return ConformanceDiagram(model_key, number, xml, result.paths, cells)


def _position(xml: str, element_id: str) -> int:
    """Where the element is defined in the diagram's file (its phase's first gets the badge)."""
    found = xml.find(f'id="{element_id}"')
    return found if found >= 0 else len(xml)
