"""Setting two pathway models side by side: steps per phase, what one adds or leaves out, and
whether each covers the five national phases in order."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.errors import NotFound
from engine.persistence.unit_of_work import UnitOfWork
from engine.services.deployment import latest_version
from engine.workflow.engine import WorkflowEngine
from engine.workflow.loader import PHASES
from engine.workflow.model import ParsedModel

Step = tuple[str, str]  # (element id, name)


@dataclass
class ModelRef:
    key: str
    name: str
    version: int


@dataclass
class PhaseComparison:
    phase: str
    base_steps: list[Step]
    other_steps: list[Step]
    shared: list[str]
    added: list[Step]
    left_out: list[Step]


@dataclass
class Comparison:
    base: ModelRef
    other: ModelRef
    phases: list[PhaseComparison] = field(default_factory=list)
    base_order_ok: bool = True
    other_order_ok: bool = True
    base_missing_phases: list[str] = field(default_factory=list)
    other_missing_phases: list[str] = field(default_factory=list)
    untagged: list[Step] = field(default_factory=list)


def compare(uow: UnitOfWork, engine: WorkflowEngine, base_key: str, other_key: str) -> Comparison:
    with uow:
        models = []
        for key in (base_key, other_key):
            version = latest_version(uow, key)
            if version is None:
                raise NotFound(
                    f"process model '{key}' does not exist",
                    code="model_not_found",
                    params={"key": key},
                )
            parsed = engine.model_for_version(version.content_hash, key, version.files)
            models.append((ModelRef(key, version.model.name, version.number), parsed))
    (base_ref, base), (other_ref, other) = models
    result = Comparison(base_ref, other_ref)
    base_by_phase, other_by_phase = _by_phase(base), _by_phase(other)
    for phase in PHASES:
        base_steps, other_steps = base_by_phase.get(phase, []), other_by_phase.get(phase, [])
        base_ids = {i for i, _ in base_steps}
        other_ids = {i for i, _ in other_steps}
        result.phases.append(
            PhaseComparison(
                phase=phase,
                base_steps=base_steps,
                other_steps=other_steps,
                shared=[i for i, _ in other_steps if i in base_ids],
                added=[s for s in other_steps if s[0] not in base_ids],
                left_out=[s for s in base_steps if s[0] not in other_ids],
            )
        )
    result.base_order_ok, result.base_missing_phases = phase_order(base)
    result.other_order_ok, result.other_missing_phases = phase_order(other)
    result.untagged = [
        (i, other.user_tasks[i].name) for i in other.step_order if other.user_tasks[i].phase is None
    ]
    return result


def _by_phase(model: ParsedModel) -> dict[str, list[Step]]:
    grouped: dict[str, list[Step]] = {}
    for task_id in model.step_order:
        info = model.user_tasks[task_id]
        if info.phase:
            grouped.setdefault(info.phase, []).append((task_id, info.name))
    return grouped


def phase_order(model: ParsedModel) -> tuple[bool, list[str]]:
    """(whether the phases first appear in the national order, phases with no step at all)."""
    first: dict[str, int] = {}
    for position, task_id in enumerate(model.step_order):
        phase = model.user_tasks[task_id].phase
        if phase:
            first.setdefault(phase, position)
    missing = [p for p in PHASES if p not in first]
    present = [first[p] for p in PHASES if p in first]
    return present == sorted(present) and not missing, missing
