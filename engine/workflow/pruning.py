"""Keep a workflow's state bounded by its open work: drop the finished past it cannot return to.

SpiffWorkflow keeps every task it ever created in the workflow's task tree, so a path that
loops (monthly follow-up reviews for years) grows its saved state, and the time to load, run and
save it, with every round. Polku's history lives in its own event table, so the tree only needs
what the engine can still use. The engine looks *up* the tree from open work (a task inherits its
parent's data when it becomes ready; joins and boundary events look for their split among the
ancestors; a parallel join traces each waiting branch back to its inputs), and *across* it only at
unfinished tasks (inclusive and end joins) and at the other instances of a join.

So the sound cut is this: take every unfinished task (ready, waiting, started or predicted);
their lowest common ancestor holds all open work beneath it. Keep the root, the parent of that
ancestor (from which it inherited its data) re-hung directly under the root, and the ancestor's
whole subtree. Everything else is finished and lies outside every open branch: no open task can
reach it by walking up, and nothing the engine runs later walks across to it. Finished
subprocesses whose call activity was dropped are dropped with it; open subprocesses are pruned
the same way inside.

A workflow that has finished (no unfinished task) is left as it is: its end event and data are
what the path's outcome is read from.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState


def prune(workflow: BpmnWorkflow) -> int:
    """Drop the finished tasks no open work can reach; returns how many were dropped."""
    dropped = _prune_one(workflow)
    for subprocess in workflow.subprocesses.values():
        dropped += _prune_one(subprocess)
    while True:  # subprocesses whose call activity is gone, then any nested in them
        orphans = [
            k for k, sub in workflow.subprocesses.items() if not _owner_exists(workflow, sub)
        ]
        if not orphans:
            return dropped
        for task_id in orphans:
            dropped += len(workflow.subprocesses.pop(task_id).tasks)


def _owner_exists(workflow: BpmnWorkflow, subprocess: Any) -> bool:
    """Whether the call activity task that runs `subprocess` is still in some task tree."""
    owner_id: UUID = subprocess.parent_task_id
    if owner_id in workflow.tasks:
        return True
    return any(
        owner_id in sub.tasks for sub in workflow.subprocesses.values() if sub is not subprocess
    )


def _prune_one(workflow: Any) -> int:
    root: Task = workflow.task_tree
    unfinished = [t for t in workflow.tasks.values() if not t.has_state(TaskState.FINISHED_MASK)]
    if not unfinished:
        return 0
    common = _common_ancestor(unfinished)
    if common is None or common is root:
        return 0
    cut = common.parent
    if cut is None or cut is root:
        return 0
    keep: set[UUID] = {root.id, cut.id}
    stack = [common]
    while stack:
        task = stack.pop()
        keep.add(task.id)
        stack.extend(task.children)
    if len(keep) == len(workflow.tasks):
        return 0
    # re-hang: root -> cut -> common; the tasks' data stay as they are (each task holds its own
    # materialized data; the serializer stores it as a difference to the new parent)
    cut._parent = root.id
    cut._children = [common.id]
    root._children = [cut.id]
    dropped = [task_id for task_id in workflow.tasks if task_id not in keep]
    for task_id in dropped:
        del workflow.tasks[task_id]
    if workflow.last_task is not None and workflow.last_task.id not in keep:
        workflow.last_task = None  # set again by the next task that completes
    return len(dropped)


def _common_ancestor(tasks: list[Task]) -> Task | None:
    """The deepest task that is an ancestor of (or equal to) every task given."""
    first = tasks[0]
    path: list[Task] = []
    node: Task | None = first
    while node is not None:
        path.append(node)
        node = node.parent
    path.reverse()  # root .. first
    depth_of = {task.id: depth for depth, task in enumerate(path)}
    best = len(path) - 1
    for task in tasks[1:]:
        node = task
        while node is not None and node.id not in depth_of:
            node = node.parent
        if node is None:
            return None
        best = min(best, depth_of[node.id])
    return path[best]
