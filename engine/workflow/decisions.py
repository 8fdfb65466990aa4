"""Which data a model's gateways decide on: the variable names their outgoing flows' conditions
use (engine.workflow.expressions), by the gateway's BPMN id. A correction of a field that a
gateway the path has passed decided on is flagged (engine.services.corrections)."""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow

from engine.workflow import expressions
from engine.workflow.model import ParsedModel


def _condition_texts(task_spec: Any) -> list[str]:
    texts = []
    for operator, _target in getattr(task_spec, "cond_task_specs", None) or []:
        if operator is None:
            continue
        args = getattr(operator, "args", None)
        texts.append(str(args[0] if args else operator))
    return texts


def gateway_fields(model: ParsedModel) -> dict[str, set[str]]:
    """Gateway BPMN id -> the names its conditions read (gateways without conditions left
    out), over the main process and its called subprocesses."""
    found: dict[str, set[str]] = {}
    for process_spec in [model.spec, *model.subprocess_specs.values()]:
        for task_spec in process_spec.task_specs.values():
            bpmn_id = getattr(task_spec, "bpmn_id", None)
            texts = _condition_texts(task_spec)
            if bpmn_id is None or not texts:
                continue
            names: set[str] = set()
            for text in texts:
                try:
                    names |= expressions.names_used(text)
                except expressions.ExpressionError:
                    continue  # the loader refuses such a model; nothing to flag here
            if names:
                found.setdefault(bpmn_id, set()).update(names)
    return found


_MISSING = object()


def carry_correction(
    workflow: BpmnWorkflow, before: dict[str, Any], after: dict[str, Any], changed: list[str]
) -> None:
    """Put a corrected entry's values into the workflow data that later steps, gateways and
    prefills read, where that data still holds the value corrected (`before`): a later step
    that recorded the field itself keeps its own value. That data is the unfinished tasks'
    and the finished tasks' the saved state still keeps (pruning dropped the rest): a waiting
    event takes its data from its finished parent again when it fires. Nothing moves: no
    task is run or cancelled."""
    for task in workflow.get_tasks():
        for name in changed:
            if task.data.get(name, _MISSING) != before.get(name, _MISSING):
                continue
            if name in after:
                task.data[name] = after[name]
            else:
                task.data.pop(name, None)
