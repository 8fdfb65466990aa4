"""Build the benchmark data set: 100,000 instances and about 2,000,000 events (with their
worklist rows, milestones and waiting timers) in a fresh database, using the real models.

    .venv/bin/python bench/build_dataset.py --url sqlite:////tmp/polku-bench.db

Rows are written in bulk straight into the tables (running 100,000 paths through the engine
would take hours); their shape follows what the engine writes.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select

from engine.analytics.stalls import LEAD_FROM
from engine.analytics.workdays import due_at
from engine.clock import FrozenClock
from engine.persistence import schema
from engine.persistence.database import make_engine, make_session_factory
from engine.persistence.tables import (
    Client,
    Event,
    HumanTask,
    Milestone,
    ProcessInstance,
    ProcessModel,
    ProcessModelVersion,
    WaitingEvent,
)
from engine.persistence.unit_of_work import UnitOfWork
from engine.services.deployment import deploy_all
from engine.workflow.engine import WorkflowEngine

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
OUTCOMES = [
    "employment_company",
    "employment_company_wage_subsidy",
    "employment_city",
    "work_trial",
    "study",
    "apprenticeship",
    "pension_decision",
    "other_service",
    "no_onward_referral",
]


def build(url: str, instances: int, events_per_instance: int, seed: int) -> None:
    rng = random.Random(seed)
    db = make_engine(url)
    schema.upgrade(db)
    factory = make_session_factory(db)
    engine = WorkflowEngine(ROOT / "processes")
    deploy_all(UnitOfWork(factory), engine, FrozenClock(NOW), actor="bench")
    with factory() as session:
        versions = [
            (v.id, v.model.key, v.content_hash, v.files)
            for v in session.scalars(select(ProcessModelVersion).join(ProcessModel))
        ]
    models = {key: engine.model_for_version(h, key, files) for _, key, h, files in versions}
    steps = {key: [(i, m.user_tasks[i]) for i in m.step_order] for key, m in models.items()}
    started = time.perf_counter()
    batch = 5000
    next_event = 1
    with db.begin() as conn:
        for first in range(1, instances + 1, batch):
            ids = range(first, min(first + batch, instances + 1))
            clients, paths, tasks, events, milestones, waits = [], [], [], [], [], []
            for iid in ids:
                version_id, key, _, _ = versions[iid % len(versions)]
                created = NOW - timedelta(days=rng.uniform(0, 720))
                clients.append(
                    {
                        "id": iid,
                        "pseudonym": f"A-{iid:08x}",
                        "full_name": f"Asiakas {iid}",
                        "identity_code": None,
                        "municipality": None,
                        "created_at": created,
                        "created_by": "bench",
                    }
                )
                path = steps[key]
                reached = rng.randint(1, len(path))
                finished = reached == len(path) and rng.random() < 0.8
                moment = created
                n_events = 0
                events.append(
                    _event(
                        next_event + n_events, iid, moment, "instance_started", None, None, None, {}
                    )
                )
                n_events += 1
                milestones.append({"instance_id": iid, "name": "contact", "reached_at": moment})
                team_reached = False
                for position, (bpmn_id, info) in enumerate(path[:reached]):
                    open_now = position == reached - 1 and not finished
                    ready = moment
                    events.append(
                        _event(
                            next_event + n_events,
                            iid,
                            ready,
                            "task_ready",
                            bpmn_id,
                            info.name,
                            info.role,
                            {},
                            info.phase,
                        )
                    )
                    n_events += 1
                    if info.phase == "assessment" and not team_reached:
                        team_reached = True
                        milestones.append({"instance_id": iid, "name": "team", "reached_at": ready})
                    due = due_at(ready, rng.choice((5, 10, 15)))
                    task = {
                        "id": f"{iid:08d}-{position:04d}-0000-0000-000000000000",
                        "instance_id": iid,
                        "model_version_id": version_id,
                        "bpmn_id": bpmn_id,
                        "name": info.name,
                        "phase": info.phase,
                        "role": info.role,
                        "lane_role": info.role,
                        "assignee_id": None,
                        "state": "open" if open_now else "completed",
                        "created_at": ready,
                        "due_at": due,
                        "claimed_by_id": None,
                        "claimed_at": None,
                        "completed_by_id": None,
                        "completed_at": None,
                    }
                    if not open_now:
                        moment = ready + timedelta(days=rng.expovariate(1 / 6))
                        if moment > NOW:
                            moment = NOW - timedelta(minutes=1)
                        task["completed_at"] = moment
                        choices: dict[str, object] = {}
                        if bpmn_id == "Task_closing":
                            choices = {
                                "outcome": rng.choice(OUTCOMES),
                                "employment_started": rng.random() < 0.4,
                            }
                        if "kykyviisari" in bpmn_id or bpmn_id in (
                            "Task_encounter",
                            "Task_follow_up_review",
                        ):
                            choices["kykyviisari_work_ability"] = rng.randint(0, 10)
                        events.append(
                            _event(
                                next_event + n_events,
                                iid,
                                moment,
                                "task_completed",
                                bpmn_id,
                                info.name,
                                info.role,
                                {"fields": [], "choices": choices},
                                info.phase,
                            )
                        )
                        n_events += 1
                        if (info.form_path or "").endswith("support_plan.schema.json"):
                            milestones.append(
                                {"instance_id": iid, "name": "plan", "reached_at": moment}
                            )
                            milestones.append(
                                {"instance_id": iid, "name": "case_manager", "reached_at": moment}
                            )
                    tasks.append(task)
                # gateways and events the engine records on its own fill the rest
                while n_events < events_per_instance - (1 if finished else 0):
                    events.append(
                        _event(
                            next_event + n_events,
                            iid,
                            moment,
                            "element_completed",
                            "Gateway_x",
                            "Gateway",
                            None,
                            {"type": "ExclusiveGateway"},
                        )
                    )
                    n_events += 1
                if finished:
                    events.append(
                        _event(
                            next_event + n_events,
                            iid,
                            moment,
                            "instance_completed",
                            "End_closed",
                            None,
                            None,
                            {},
                        )
                    )
                    n_events += 1
                    milestones.append({"instance_id": iid, "name": "closed", "reached_at": moment})
                elif rng.random() < 0.2:
                    waits.append(
                        {
                            "instance_id": iid,
                            "task_id": f"w-{iid}",
                            "bpmn_id": "Event_follow_up_timer",
                            "name": "Seurantajakso",
                            "kind": "timer",
                            "message_name": None,
                            "due_at": NOW + timedelta(days=rng.randint(1, 30)),
                            "created_at": moment,
                            "settled_at": None,
                        }
                    )
                next_event += n_events
                paths.append(
                    {
                        "id": iid,
                        "client_id": iid,
                        "model_version_id": version_id,
                        "status": "completed" if finished else "running",
                        "case_manager_id": None,
                        "outcome": rng.choice(OUTCOMES) if finished else None,
                        "end_event": "End_closed" if finished else None,
                        "created_at": created,
                        "updated_at": moment,
                        "completed_at": moment if finished else None,
                        "last_activity_at": moment,
                        "state": "{}",
                        "serializer_version": "bench",
                        "lock_version": 1,
                    }
                )
            conn.execute(insert(Client), clients)
            conn.execute(insert(ProcessInstance), paths)
            version_of = {p["id"]: p["model_version_id"] for p in paths}
            reached = {(m["instance_id"], m["name"]): m["reached_at"] for m in milestones}
            for milestone in milestones:
                milestone["model_version_id"] = version_of[milestone["instance_id"]]
                begun = reached.get((milestone["instance_id"], LEAD_FROM.get(milestone["name"])))
                milestone["lead_from_at"] = begun
                milestone["lead_days"] = (
                    (milestone["reached_at"] - begun).total_seconds() / 86400 if begun else None
                )
            conn.execute(insert(HumanTask), tasks)
            conn.execute(insert(Event), events)
            conn.execute(insert(Milestone), milestones)
            if waits:
                conn.execute(insert(WaitingEvent), waits)
            print(
                f"{min(first + batch - 1, instances)} instances, {next_event - 1} events, "
                f"{time.perf_counter() - started:.0f} s",
                flush=True,
            )


def _event(
    event_id: int,
    iid: int,
    moment: datetime,
    kind: str,
    bpmn_id: str | None,
    name: str | None,
    role: str | None,
    data: dict[str, object],
    phase: str | None = None,
) -> dict[str, object]:
    return {
        "id": event_id,
        "instance_id": iid,
        "occurred_at": moment,
        "kind": kind,
        "bpmn_id": bpmn_id,
        "element_name": name,
        "task_id": None,
        "actor": "system" if kind != "task_completed" else "bench",
        "role": role,
        "data": data,
        "phase": phase,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="sqlite:////tmp/polku-bench.db")
    parser.add_argument("--instances", type=int, default=100_000)
    parser.add_argument("--events-per-instance", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    build(args.url, args.instances, args.events_per_instance, args.seed)
    with make_engine(args.url).connect() as conn:  # planner statistics, as a live database has
        conn.exec_driver_sql("ANALYZE")
        conn.commit()


if __name__ == "__main__":
    main()
