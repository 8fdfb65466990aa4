"""Moving a running workflow onto another version of its model.

An instance may move when every element it stands on — the steps it is at now (in its task
tree) and the ones it has passed (in its history: the saved tree forgets the finished past, see
pruning.py) — exists in the new version. Predicted (not yet reached) branches are
dropped and predicted again from the new version, so the path continues the new way.

A current step the new version lacks may be mapped to another step (`step_map`, old id -> new
id): its token moves there. Only a user task of the main diagram that is ready (or started) maps,
and only to a user task of the new main diagram that follows the element the old step came from
(the same way in: the token takes the old step's place): its state is a place in the tree with
the task's data and nothing the task type keeps of its own. A timer or message event (its deadline,
its subscription), a gateway (the branches it waits for), a subprocess or a step inside one is
refused with a reason.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine.errors import Text
from engine.workflow.model import ParsedModel
from engine.workflow.serializer import WorkflowSerializer

_CURRENT = TaskState.READY | TaskState.WAITING | TaskState.STARTED
_UNFINISHED = TaskState.NOT_FINISHED_MASK
_MAPPABLE = TaskState.READY | TaskState.STARTED


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


def mappable(old: ParsedModel, new: ParsedModel, source: str, target: str) -> bool:
    """May a token at `source` (old version) move to `target` (new version)? Both user tasks of
    the main diagram."""
    return (
        source in old.user_tasks
        and source in old.spec.task_specs
        and target in new.user_tasks
        and target in new.spec.task_specs
    )


def obstacles(
    state_text: str,
    old: ParsedModel,
    new: ParsedModel,
    label: str,
    passed: Iterable[str] = (),
    step_map: Mapping[str, str] | None = None,
) -> list[str]:
    """Why this workflow cannot move to `new` (empty when it can). `passed` are the elements
    the path's history says it has passed; `step_map` maps current steps missing in `new`."""
    state = json.loads(state_text)
    known = _spec_names(new)
    mapping = step_map or {}
    reasons: list[str] = []
    for name in sorted(set(passed) - known):
        shown = old.elements.get(name, name)
        reasons.append(_passed_missing(shown, name, label))
    for number, tasks in enumerate(_task_dicts(state)):
        ahead = _not_yet_reached(tasks)
        for task_id, task in tasks.items():
            name = task["task_spec"]
            if task_id in ahead or name in known:
                continue
            shown = old.elements.get(name, name)
            if task["state"] & _CURRENT and name in mapping:
                if (
                    number == 0
                    and task["state"] & _MAPPABLE
                    and mappable(old, new, name, mapping[name])
                ):
                    previous = _previous_step(tasks, task)
                    if previous is None or _follows(new, previous, mapping[name]):
                        continue
                    reason = Text(
                        "migration_map_not_in_place",
                        "the current step '{step}' ({element}) cannot be mapped to "
                        "{target_step}: in {target} that step does not follow '{previous}' as "
                        "the current one does",
                        step=shown,
                        element=name,
                        target_step=mapping[name],
                        target=label,
                        previous=old.elements.get(previous, previous),
                    )
                    if reason not in reasons:
                        reasons.append(reason)
                    continue
                reason = Text(
                    "migration_map_refused",
                    "the current step '{step}' ({element}) cannot be mapped to {target_step}: "
                    "only a ready user task of the main diagram maps, to a user task",
                    step=shown,
                    element=name,
                    target_step=mapping[name],
                )
            elif task["state"] & _CURRENT:
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


def _previous_step(tasks: dict[str, Any], task: dict[str, Any]) -> str | None:
    """The element the task's token came from (its parent in the tree), if it is kept."""
    parent = tasks.get(task.get("parent") or "")
    return str(parent["task_spec"]) if parent else None


def _follows(new: ParsedModel, previous: str, target: str) -> bool:
    """Does `target` directly follow `previous` in the new version? A mapped token takes the
    place of the old step: the same way in, so that a join later waits for what it waited for,
    and no boundary event of the new step (its parent would be the step's boundary split) is
    left without its split."""
    spec = new.spec.task_specs.get(previous)
    return spec is not None and target in {o.name for o in spec.outputs}


def _passed_missing(shown: str, name: str, label: str) -> Text:
    return Text(
        "migration_passed_missing",
        "step '{step}' ({element}) that the path has passed is not in {target}",
        step=shown,
        element=name,
        target=label,
    )


def migrate(
    state_text: str,
    new: ParsedModel,
    serializer: WorkflowSerializer,
    step_map: Mapping[str, str] | None = None,
) -> BpmnWorkflow:
    """Restore the workflow on the new version's spec and predict its future again; a current
    step of `step_map` that the new version lacks moves to its mapped step (check `obstacles`
    first: it refuses what cannot move)."""
    state = json.loads(state_text)
    for tasks in _task_dicts(state):
        _prune_predicted(tasks)
    known = _spec_names(new)
    for task in state["tasks"].values():
        name = task["task_spec"]
        if step_map and name in step_map and name not in known and task["state"] & _MAPPABLE:
            task["task_spec"] = step_map[name]
    workflow = serializer.loads(json.dumps(state), new)
    for task in workflow.get_tasks(state=TaskState.DEFINITE_MASK):
        task.task_spec._predict(task, mask=TaskState.NOT_FINISHED_MASK)
    return workflow
