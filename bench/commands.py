"""A command's cost against SpiffWorkflow's own round trip, and its cost over a long history.

    .venv/bin/python bench/commands.py                      # SQLite file in a temp directory
    .venv/bin/python bench/commands.py --url postgresql+psycopg://postgres@127.0.0.1:PORT/bench

Part 1, side by side. The same national-path walk (ten user tasks, Kela's decision as a message,
two follow-up timers) is run for `--paths` clients in two ways, step by step in interleaved
blocks, so that noise on a shared machine hits both alike:
- *raw*: SpiffWorkflow alone, as its documentation shows it: deserialize with its default
  serializer, complete the task (or fire the timer, or deliver the message), run the engine,
  serialize; the parsed model is the same object Polku uses;
- *Polku*: the service command (`instances.complete_task`, `fire_due_timers`,
  `deliver_message`): access check, form validation, the workflow, worklist rows, events,
  waiting timers, the access log and one commit.
It prints the mean and percentiles of each and the ratio Polku / raw.

Part 2, history. One path loops follow-up reviews (timer, review that continues). The review
step is timed around 5, 10, 25 and 50 rounds, with Polku's pruning of the finished past
(engine/workflow/pruning.py) and, in the same run, without it.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from engine.clock import FrozenClock
from engine.persistence import schema
from engine.persistence.database import make_engine, make_session_factory
from engine.persistence.tables import HumanTask, WaitingEvent
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import clients, instances, users
from engine.services.access import Actor
from engine.services.demo import DEMO_USERS, demo_organisations, sample
from engine.services.deployment import deploy_all, latest_version
from engine.workflow import pruning
from engine.workflow.engine import WorkflowEngine
from engine.workflow.model import ParsedModel
from engine.workflow.roles import CLIENT
from engine.workflow.script_engine import RestrictedScriptEngine

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
Step = tuple[str, Any]  # ("task", (bpmn_id, data)) | ("message", (name, payload)) | ("timer", None)


def walk() -> list[Step]:
    steps: list[Step] = [
        ("task", (t, sample(t)))
        for t in (
            "Task_encounter",
            "Task_initial_interview",
            "Task_physician_assessment",
            "Task_functional_assessment",
            "Task_social_assessment",
            "Task_client_situation",  # the client's own task (the client does it)
        )
    ]
    steps.append(
        ("task", ("Task_support_plan", sample("Task_support_plan", case_manager="asiakasvastaava")))
    )
    steps.append(("task", ("Task_client_plan_acceptance", sample("Task_client_plan_acceptance"))))
    arrange = sample("Task_arrange_services", awaits_external_decision=True, decision_source="kela")
    steps.append(("task", ("Task_arrange_services", arrange)))
    steps.append(
        ("message", ("kela_decision", {"decision": "approved", "decision_date": "2026-12-01"}))
    )
    steps += [("timer", None), ("task", ("Task_follow_up_review", sample("Task_follow_up_review")))]
    steps += [
        ("timer", None),
        ("task", ("Task_follow_up_review", sample("Task_follow_up_review", close_path=True))),
    ]
    steps.append(("task", ("Task_closing", sample("Task_closing"))))
    return steps


class Raw:
    """SpiffWorkflow alone, with its default serializer (the spec travels in the JSON)."""

    def __init__(self, model: ParsedModel) -> None:
        self.model = model
        self.serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
        self.script_engine = RestrictedScriptEngine()

    def new(self) -> str:
        workflow = BpmnWorkflow(
            self.model.spec, self.model.subprocess_specs, script_engine=self.script_engine
        )
        workflow.do_engine_steps()
        return str(self.serializer.serialize_json(workflow))

    def step(self, state: str, step: Step) -> str:
        workflow = self.serializer.deserialize_json(state)
        workflow.script_engine = self.script_engine
        kind, arg = step
        if kind == "task":
            bpmn_id, data = arg
            task = next(
                t
                for t in workflow.get_tasks(state=TaskState.READY, manual=True)
                if t.task_spec.bpmn_id == bpmn_id
            )
            task.set_data(**data)
            task.run()
        elif kind == "message":
            name, payload = arg
            workflow.send_event(BpmnEvent(MessageEventDefinition(name), payload=payload))
        else:
            for task in workflow.get_tasks(state=TaskState.WAITING):
                if task.task_spec.bpmn_id == "Event_follow_up_timer":
                    task._set_internal_data(event_fired=True)
            workflow.refresh_timers()
        workflow.do_engine_steps()
        return str(self.serializer.serialize_json(workflow))


class Polku:
    """The service commands on a real database."""

    def __init__(self, url: str, engine: WorkflowEngine) -> None:
        self.engine = engine
        self.clock = FrozenClock(NOW)
        db = make_engine(url)
        schema.upgrade(db)
        self.factory = make_session_factory(db)
        deploy_all(self.uow(), engine, self.clock, actor="bench")
        self.actors: dict[str, Actor] = {}
        for username, name, roles in DEMO_USERS:
            user_id = users.create_user(
                self.uow(),
                engine.roles,
                username=username,
                display_name=name,
                password="bench-password-123",
                roles=roles,
                organisations=demo_organisations(roles),
            )
            user = users.get_user(self.uow(), user_id)
            assert user is not None
            self.actors[username] = Actor.from_user(user)
        self.coordinator = self.actors["koordinaattori"]

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.factory)

    def start(self) -> int:
        client = clients.create_client(
            self.uow(),
            self.clock,
            self.coordinator,
            full_name="Bench Client",
            municipality="Iisalmi",
        )
        return instances.start_instance(
            self.uow(), self.engine, self.clock, self.coordinator, client, "national"
        )

    def prepare(self, instance_id: int, step: Step) -> Callable[[], object]:
        """The command for `step`, with who does it looked up beforehand (not timed)."""
        kind, arg = step
        if kind == "task":
            bpmn_id, data = arg
            with self.uow() as uow:
                row = uow.session.scalar(
                    select(HumanTask).where(
                        HumanTask.instance_id == instance_id,
                        HumanTask.bpmn_id == bpmn_id,
                        HumanTask.state == "open",
                    )
                )
                assert row is not None, f"{bpmn_id} is not open"
                task_id, role, assignee = row.id, row.role, row.assignee_id
                client = Actor.for_client(row.instance.client)
            doer = client if role == CLIENT else next(
                a
                for a in self.actors.values()
                if (assignee and a.user_id == assignee) or (not assignee and role in a.roles)
            )  # fmt: skip
            return lambda: instances.complete_task(
                self.uow(), self.engine, self.clock, doer, task_id, data
            )
        if kind == "message":
            name, payload = arg
            kela = self.actors["kelaneuvoja"]
            return lambda: instances.deliver_message(
                self.uow(), self.engine, self.clock, kela, instance_id, name, payload
            )
        with self.uow() as uow:  # make this instance's timer the only one due
            waiting = uow.session.scalar(
                select(WaitingEvent).where(
                    WaitingEvent.instance_id == instance_id,
                    WaitingEvent.kind == "timer",
                    WaitingEvent.settled_at.is_(None),
                )
            )
            assert waiting is not None
            waiting.due_at = NOW - timedelta(days=1)
            uow.commit()
        return lambda: instances.fire_due_timers(self.uow, self.engine, self.clock, limit=1)


def percentile(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def side_by_side(polku: Polku, raw: Raw, paths: int) -> None:
    steps = walk()
    raw_states = [raw.new() for _ in range(paths)]
    ids = [polku.start() for _ in range(paths)]
    times: dict[str, dict[str, list[float]]] = {"raw": {}, "polku": {}}
    for number, step in enumerate(steps):
        commands = [polku.prepare(i, step) for i in ids]
        blocks = ["raw", "polku"] if number % 2 == 0 else ["polku", "raw"]
        for block in blocks:
            samples = times[block].setdefault(step[0], [])
            for n in range(paths):
                if block == "raw":
                    start = time.perf_counter()
                    raw_states[n] = raw.step(raw_states[n], step)
                else:
                    start = time.perf_counter()
                    commands[n]()
                samples.append(time.perf_counter() - start)
    print(f"## Side by side: {paths} national paths, {len(steps)} steps each\n")
    print(
        "| command | raw SpiffWorkflow ms (mean / p50 / p99) | Polku ms (mean / p50 / p99) |",
        end="",
    )
    print(" ratio of means |")
    print("|---|---|---|---|")
    every: dict[str, list[float]] = {"raw": [], "polku": []}
    for kind in ("task", "message", "timer"):
        r, p = times["raw"][kind], times["polku"][kind]
        every["raw"] += r
        every["polku"] += p
        print(f"| {kind} | {_fmt(r)} | {_fmt(p)} | {statistics.mean(p) / statistics.mean(r):.2f} |")
    r, p = every["raw"], every["polku"]
    ratio = statistics.mean(p) / statistics.mean(r)
    print(f"| **every step** | {_fmt(r)} | {_fmt(p)} | **{ratio:.2f}** |\n")


def _fmt(samples: list[float]) -> str:
    ms = [s * 1000 for s in samples]
    return f"{statistics.mean(ms):.2f} / {percentile(ms, 50):.2f} / {percentile(ms, 99):.2f}"


def history(polku: Polku, marks: list[int], prune: bool) -> dict[int, float]:
    """The review step's mean time around each mark (3 rounds ending at it)."""
    original = pruning.prune
    if not prune:
        pruning.prune = lambda workflow: 0  # type: ignore[assignment]
    try:
        instance_id = polku.start()
        for step in walk()[:7]:
            polku.prepare(instance_id, step)()
        polku.prepare(instance_id, ("message", ("kela_decision", {"decision": "approved"})))()
        review = ("task", ("Task_follow_up_review", sample("Task_follow_up_review")))
        result: dict[int, float] = {}
        samples: list[float] = []
        for loop in range(1, max(marks) + 1):
            polku.prepare(instance_id, ("timer", None))()
            command = polku.prepare(instance_id, review)
            start = time.perf_counter()
            command()
            samples.append(time.perf_counter() - start)
            if loop in marks:
                result[loop] = statistics.mean(samples[-3:])
        return result
    finally:
        pruning.prune = original


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", help="database URL (default: a SQLite file in a temp directory)")
    parser.add_argument("--paths", type=int, default=40)
    parser.add_argument("--marks", default="5,10,25,50")
    args = parser.parse_args()
    logging.getLogger("spiff").setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.url or f"sqlite:///{tmp}/bench-engine.db"
        engine = WorkflowEngine(ROOT / "processes")
        polku = Polku(url, engine)
        with polku.uow() as uow:
            version = latest_version(uow, "national")
            assert version is not None
            model = engine.model_for_version(version.content_hash, "national", version.files)
        print(f"database: {polku.factory.kw['bind'].dialect.name}\n")
        side_by_side(polku, Raw(model), args.paths)
        marks = [int(m) for m in args.marks.split(",")]
        pruned, kept = history(polku, marks, prune=True), history(polku, marks, prune=False)
        print("## One path looping follow-up reviews: the review step (mean of 3 rounds)\n")
        print("| rounds | pruned ms | without pruning ms |\n|---|---|---|")
        for mark in marks:
            print(f"| {mark} | {pruned[mark] * 1000:.2f} | {kept[mark] * 1000:.2f} |")
        first, last = marks[0], marks[-1]
        print(
            f"\nafter {last} rounds / after {first}: pruned {pruned[last] / pruned[first]:.2f}, "
            f"without pruning {kept[last] / kept[first]:.2f}"
        )


if __name__ == "__main__":
    main()
