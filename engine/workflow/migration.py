"""Moving a running workflow onto another version of its model.

An instance may move when every element it stands on — the steps it is at now (in its task
tree) and the ones it has passed (in its history: the saved tree forgets the finished past, see
pruning.py) — exists in the new version. Predicted (not yet reached) branches are
dropped and predicted again from the new version, so the path continues the new way.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine.errors import Text
from engine.workflow.model import ParsedModel
from engine.workflow.serializer import WorkflowSerializer

_CURRENT = TaskState.READY | TaskState.WAITING | TaskState.STARTED
_UNFINISHED = TaskState.NOT_FINISHED_MASK


def _spec_names(model: ParsedModel) -> set[str]:
    names = set(model.spec.task_specs)
    for spec in model.subprocess_specs.values():
        names.update(spec.task_specs)
    return names


def _task_dicts(state: dict[str, Any]) -> list[dict[str, Any]]:
    """Every task mapping of the top workflow and its subprocesses."""
    mappings = [state["tasks"]]
    mappings += [sub["tasks"] for sub in state.get("subprocesses", {}).values()]
    return mappings


def _not_yet_reached(tasks: dict[str, Any]) -> set[str]:
    """Predicted tasks, and FUTURE ones hanging below a step that has not finished: both are
    the old version's guesses about what comes next."""
    result = {i for i, t in tasks.items() if t["state"] & TaskState.PREDICTED_MASK}
    for task_id, task in tasks.items():
        parent = tasks.get(task["parent"]) if task.get("parent") else None
        if task["state"] == TaskState.FUTURE and parent and parent["state"] & _UNFINISHED:
            result.add(task_id)
    # everything below a removed task goes too
    changed = True
    while changed:
        changed = False
        for task_id, task in tasks.items():
            if task_id not in result and task.get("parent") in result:
                result.add(task_id)
                changed = True
    return result


def _prune_predicted(tasks: dict[str, Any]) -> None:
    predicted = _not_yet_reached(tasks)
    for task_id in predicted:
        tasks.pop(task_id)
    for task in tasks.values():
        task["children"] = [c for c in task["children"] if c not in predicted]


def obstacles(
    state_text: str, old: ParsedModel, new: ParsedModel, label: str, passed: Iterable[str] = ()
) -> list[str]:
    """Why this workflow cannot move to `new` (empty when it can). `passed` are the elements
    the path's history says it has passed."""
    state = json.loads(state_text)
    known = _spec_names(new)
    reasons: list[str] = []
    for name in sorted(set(passed) - known):
        shown = old.elements.get(name, name)
        reasons.append(_passed_missing(shown, name, label))
    for tasks in _task_dicts(state):
        ahead = _not_yet_reached(tasks)
        for task_id, task in tasks.items():
            name = task["task_spec"]
            if task_id in ahead or name in known:
                continue
            shown = old.elements.get(name, name)
            if task["state"] & _CURRENT:
                reason = Text(
                    "migration_current_missing",
                    "current step '{step}' ({element}) does not exist in {target}",
                    step=shown,
                    element=name,
                    target=label,
                )
            else:
                reason = _passed_missing(shown, name, label)
            if reason not in reasons:
                reasons.append(reason)
    return reasons


def _passed_missing(shown: str, name: str, label: str) -> Text:
    return Text(
        "migration_passed_missing",
        "step '{step}' ({element}) that the path has passed is not in {target}",
        step=shown,
        element=name,
        target=label,
    )


def migrate(state_text: str, new: ParsedModel, serializer: WorkflowSerializer) -> BpmnWorkflow:
    """Restore the workflow on the new version's spec and predict its future again."""
    state = json.loads(state_text)
    for tasks in _task_dicts(state):
        _prune_predicted(tasks)
    workflow = serializer.loads(json.dumps(state), new)
    for task in workflow.get_tasks(state=TaskState.DEFINITE_MASK):
        task.task_spec._predict(task, mask=TaskState.NOT_FINISHED_MASK)
    return workflow
