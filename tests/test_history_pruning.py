"""The saved workflow state stays bounded by the path's open work (engine/workflow/pruning.py).

Every shipped model is walked twice on the real BPMN, step by step through save and load: once
as SpiffWorkflow keeps it (every finished task) and once pruned after every step. After every
step both must offer the same ready tasks with the same data, wait for the same timers and
messages, and end the same way; and the pruned state must not grow with the rounds of a loop.
"""

from __future__ import annotations

import json
from copy import deepcopy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from engine.services.demo import sample
from engine.workflow import pruning, runtime
from engine.workflow.engine import WorkflowEngine
from engine.workflow.loader import load_model
from engine.workflow.model import ParsedModel

ROOT = Path(__file__).resolve().parent.parent
WALKS = Path(__file__).parent / "walks"
Step = dict[str, Any]


@pytest.fixture(scope="module")
def engine() -> WorkflowEngine:
    return WorkflowEngine(ROOT / "processes")


_MODELS: dict[str, ParsedModel] = {}


def parsed(engine: WorkflowEngine, key: str) -> ParsedModel:
    if key not in _MODELS:
        source = engine.source(key)
        assert source is not None
        model, problems = load_model(source, engine.roles)
        assert model is not None, problems
        _MODELS[key] = model
    return _MODELS[key]


class Run:
    """One path driven through save and load after every step, pruned or not."""

    def __init__(self, engine: WorkflowEngine, model: ParsedModel, prune: bool) -> None:
        self.serializer, self.model, self.prune = engine.serializer, model, prune
        workflow = self.serializer.new_workflow(model)
        runtime.start(workflow)
        self.state = self._save(workflow)

    def _save(self, workflow: Any) -> str:
        if self.prune:
            pruning.prune(workflow)
        return self.serializer.dumps(workflow)

    def step(self, step: Step) -> dict[str, Any]:
        workflow = self.serializer.loads(self.state, self.model)
        if "task" in step:
            ready = [
                t for t in runtime.ready_user_tasks(workflow) if t.task_spec.bpmn_id == step["task"]
            ]
            assert ready, f"{step['task']} is not ready"
            runtime.complete_user_task(workflow, str(ready[0].id), deepcopy(step["data"]))
        elif "message" in step:
            runtime.deliver_message(workflow, step["message"], deepcopy(step.get("data", {})))
        else:  # every timer waiting now falls due, as after a long pause
            for timer in runtime.waiting_timers(workflow):
                if timer.task_id in {t.task_id for t in runtime.waiting_timers(workflow)}:
                    runtime.fire_timer(workflow, timer.task_id, datetime.now(UTC))
        self.state = self._save(workflow)
        return observe(self.serializer.loads(self.state, self.model))

    def task_count(self) -> int:
        dct = json.loads(self.state)
        return len(dct["tasks"]) + sum(len(s["tasks"]) for s in dct["subprocesses"].values())


def observe(workflow: Any) -> dict[str, Any]:
    """What a person or the engine's next step can notice of a workflow."""
    return {
        "ready": sorted(
            (t.task_spec.bpmn_id, json.dumps(t.data, sort_keys=True, default=str))
            for t in runtime.ready_user_tasks(workflow)
        ),
        "timers": sorted(t.bpmn_id for t in runtime.waiting_timers(workflow)),
        "messages": sorted(m.message_name for m in runtime.waiting_messages(workflow)),
        "completed": workflow.is_completed(),
        "end": runtime.end_event_reached(workflow),
    }


def task(bpmn_id: str, **overrides: Any) -> Step:
    return {"task": bpmn_id, "data": sample(bpmn_id, **overrides)}


def national_walk(
    rounds: int, revisions: int = 0, unclear: int = 0, decision: bool = False
) -> list[Step]:
    steps = [task("Task_encounter"), task("Task_initial_interview")]
    steps += [task(t) for t in ("Task_physician_assessment", "Task_functional_assessment")]
    steps.append(task("Task_social_assessment"))
    steps.append(task("Task_client_situation"))  # the client's own view
    for _ in range(unclear):
        steps.append(task("Task_support_plan", conclusion="unclear"))
        steps.append(task("Task_client_plan_acceptance"))
        steps.append(
            {"task": "Task_additional_investigations", "data": {"additional_findings": "x"}}
        )
    steps.append(task("Task_support_plan"))
    steps.append(task("Task_client_plan_acceptance"))
    arrange = task("Task_arrange_services", awaits_external_decision=decision)
    steps.append(arrange)
    if decision:
        steps.append({"message": "kela_decision", "data": {"decision": "approved"}})
    for number in range(rounds + revisions):
        steps.append({"timer": True})
        revise = number < revisions
        steps.append(task("Task_follow_up_review", plan_revision_needed=revise))
        if revise:
            steps.append(arrange)
    steps += [{"timer": True}, task("Task_follow_up_review", close_path=True)]
    steps += [task("Task_client_feedback"), task("Task_closing")]
    return steps


def regional_walks() -> list[Any]:
    cases = []
    for path in sorted(WALKS.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        for walk in doc["walks"]:
            cases.append(
                pytest.param(doc["model"], walk["steps"], id=f"{doc['model']}-{walk['name']}")
            )
    return cases


def with_rounds(steps: list[Step], rounds: int) -> list[Step]:
    """The walk with `rounds` more follow-up rounds before its closing review."""
    closing = next(
        i
        for i, s in enumerate(steps)
        if s.get("task") == "Task_follow_up_review" and s["data"].get("close_path")
    )
    start = max(i for i in range(closing) if "timer" in steps[i])
    review = dict(steps[closing], data=dict(steps[closing]["data"], close_path=False))
    one_round = [steps[start], review]
    previous = [i for i in range(start) if "timer" in steps[i]]
    if previous and any(
        s.get("task") == "Task_follow_up_review" for s in steps[previous[-1] : start]
    ):
        one_round = steps[previous[-1] : start]  # the walk's own continuing round
    return steps[:start] + one_round * rounds + steps[start:]


def assert_same(model: ParsedModel, engine: WorkflowEngine, steps: list[Step]) -> Run:
    full, pruned = Run(engine, model, prune=False), Run(engine, model, prune=True)
    for number, step in enumerate(steps, 1):
        expected, got = full.step(step), pruned.step(step)
        assert got == expected, f"step {number} ({step.get('task') or step}) differs"
    assert got["completed"], "the walk did not end the path"
    return pruned


NATIONAL = [
    pytest.param(national_walk(3), id="three-reviews"),
    pytest.param(national_walk(2, revisions=2), id="plan-revised-twice"),
    pytest.param(national_walk(1, unclear=3), id="unclear-conclusion-three-times"),
    pytest.param(national_walk(2, decision=True), id="kela-decision"),
]


@pytest.mark.parametrize("steps", NATIONAL)
def test_the_national_path_runs_the_same_pruned(engine: WorkflowEngine, steps: list[Step]) -> None:
    assert_same(parsed(engine, "national"), engine, steps)


@pytest.mark.parametrize(("model", "steps"), regional_walks())
def test_every_regional_walk_runs_the_same_pruned(
    engine: WorkflowEngine, model: str, steps: list[Step]
) -> None:
    assert_same(parsed(engine, model), engine, steps)


@pytest.mark.parametrize(("model", "steps"), regional_walks())
def test_regional_follow_up_loops_run_the_same_pruned(
    engine: WorkflowEngine, model: str, steps: list[Step]
) -> None:
    if not any(s.get("task") == "Task_follow_up_review" for s in steps):
        pytest.skip("this walk ends before follow-up")
    assert_same(parsed(engine, model), engine, with_rounds(steps, 4))


def _state_after(engine: WorkflowEngine, model: ParsedModel, steps: list[Step], prune: bool) -> Run:
    run = Run(engine, model, prune=prune)
    for step in steps:
        run.step(step)
    return run


@pytest.mark.parametrize("key", ["national", "kainuu", "rovaniemi", "eksote", "iisalmi"])
def test_the_saved_state_does_not_grow_with_follow_up_rounds(
    engine: WorkflowEngine, key: str
) -> None:
    model = parsed(engine, key)
    if key == "national":
        walk = {n: national_walk(n)[:-3] for n in (5, 25)}  # up to the last review's timer
    else:
        doc = json.loads((WALKS / f"{key}.json").read_text(encoding="utf-8"))
        steps = next(
            w["steps"]
            for w in doc["walks"]
            if any(s.get("task") == "Task_closing" for s in w["steps"])
        )
        walk = {n: with_rounds(steps, n)[:-3] for n in (5, 25)}  # the review, feedback, closing
    # 5 rounds against 25 (the benchmark measures 50: docs/benchmarks.md)
    after_5, after_25 = (_state_after(engine, model, walk[n], prune=True) for n in (5, 25))
    assert after_25.task_count() == after_5.task_count()
    assert len(after_25.state) <= 1.05 * len(after_5.state)
    unpruned = _state_after(engine, model, walk[25], prune=False)
    assert unpruned.task_count() > 3 * after_25.task_count()  # what pruning saves
