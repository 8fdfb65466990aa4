"""Build the benchmark data set: 100,000 instances and about 2,000,000 events (with their
worklist rows, milestones and waiting timers) in a fresh database, using the real models.

    .venv/bin/python bench/build_dataset.py --url sqlite:////tmp/polku-bench.db
    .venv/bin/python bench/build_dataset.py --url postgresql+psycopg://postgres@127.0.0.1:PORT/polku_bench

Rows are written in bulk straight into the tables (running 100,000 paths through the engine
would take hours); their shape follows what the engine writes, including who owns each path
(the wellbeing county of the model's region, or of the client's municipality for the national
model) and the organisation of each task's lane. On PostgreSQL the rows go in with COPY. The
build ends with the manager account `bench/run.py` and `bench/http_load.py` sign in with
(a member of every organisation) and fresh planner statistics. The synthetic paths keep no
workflow state (`state` "{}"): they are read, never run.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from accounts import ensure_manager
from sqlalchemy import JSON, Connection, func, insert, select

from engine.analytics.stalls import LEAD_FROM
from engine.analytics.workdays import due_at
from engine.clock import FrozenClock
from engine.errors import InvalidInput
from engine.persistence import schema
from engine.persistence.database import make_engine, make_session_factory
from engine.persistence.tables import (
    Base,
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
from engine.services import organisations
from engine.services.deployment import deploy_all
from engine.services.progress import CASE_MANAGER_FALLBACK_ROLE
from engine.workflow.engine import WorkflowEngine
from engine.workflow.model import ParsedModel
from engine.workflow.roles import CASE_MANAGER

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SYNTHETIC = "bench"  # serializer_version of the synthetic paths (they cannot be run)
BATCH = 5000
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
Rows = list[dict[str, Any]]
Writer = Callable[[type[Base], Rows], None]


class Owners:
    """Who owns a path of each model and which organisation does each lane, as the services
    decide it (`organisations.owner_for_new_path`, `task_organisation`), worked out once per
    model, municipality and lane role so that each row costs a dict look-up."""

    def __init__(self, factory: Any, engine: WorkflowEngine, models: dict[str, ParsedModel]):
        cat = organisations.catalogue(engine.processes_dir)
        self.municipalities: dict[str, list[tuple[str, int]]] = {}
        self.lanes: dict[tuple[str, int, str | None], int] = {}
        places = [
            m
            for entry in cat.organisations.values()
            if entry.get("kind") == organisations.WELLBEING_COUNTY
            for m in entry.get("municipalities", [])
        ]
        with UnitOfWork(factory) as uow:
            rows = {m.key: m for m in uow.session.scalars(select(ProcessModel))}
            for key, model in models.items():
                try:  # a regional model: its region's county, clients from its municipalities
                    county = self._owner(uow, cat, rows[key], None)
                    entry = cat.organisations[county.code]
                    choices = [(m, county.id) for m in entry.get("municipalities", [])]
                    owners = [county]
                except InvalidInput:  # the national model: the county of the municipality
                    found = [(m, self._owner(uow, cat, rows[key], m)) for m in places]
                    choices = [(m, o.id) for m, o in found]
                    owners = list({o.id: o for _, o in found}.values())
                self.municipalities[key] = choices
                for owner in owners:
                    for info in model.user_tasks.values():
                        self.lanes[(key, owner.id, info.role)] = organisations.task_organisation(
                            uow, cat, owner, info.role, model.lane_organisations
                        )

    @staticmethod
    def _owner(uow: UnitOfWork, cat: Any, model: ProcessModel, place: str | None) -> Any:
        return organisations.owner_for_new_path(
            uow, cat, model, Client(municipality=place), frozenset(), None
        )


def build(url: str, instances: int, events_per_instance: int, seed: int) -> None:
    rng = random.Random(seed)
    db = make_engine(url)
    schema.upgrade(db)
    factory = make_session_factory(db)
    with factory() as session:
        if session.scalar(select(func.count(ProcessInstance.id))):
            raise SystemExit("the database already holds paths: build into a fresh database")
    engine = WorkflowEngine(ROOT / "processes")
    deploy_all(UnitOfWork(factory), engine, FrozenClock(NOW), actor="bench")
    with factory() as session:
        versions = [
            (v.id, v.model.key, v.content_hash, v.files)
            for v in session.scalars(select(ProcessModelVersion).join(ProcessModel))
        ]
    models = {key: engine.model_for_version(h, key, files) for _, key, h, files in versions}
    owners = Owners(factory, engine, models)
    started = time.perf_counter()
    next_event = 1
    with db.begin() as conn:
        write = _writer(conn)
        for first in range(1, instances + 1, BATCH):
            tables = (Client, ProcessInstance, HumanTask, Event, Milestone, WaitingEvent)
            rows: dict[type[Base], Rows] = {t: [] for t in tables}
            for iid in range(first, min(first + BATCH, instances + 1)):
                version_id, key, _, _ = versions[iid % len(versions)]
                next_event = _path(rng, rows, iid, version_id, models[key], key, owners,
                                   next_event, events_per_instance)  # fmt: skip
            for table, batch in rows.items():
                write(table, batch)
            done = min(first + BATCH - 1, instances)
            print(f"{done} instances, {next_event - 1} events, "
                  f"{time.perf_counter() - started:.0f} s", flush=True)  # fmt: skip
        if conn.dialect.name == "postgresql":  # the ids were given: move the sequences on
            for name in ("client", "process_instance", "event"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                    f"(SELECT coalesce(max(id), 1) FROM {name}))"
                )
    took = time.perf_counter() - started
    print(f"rows written in {took:.0f} s ({took / max(instances, 1) * 10_000:.1f} s "
          "per 10,000 paths)", flush=True)  # fmt: skip
    db.dispose()


def _path(
    rng: random.Random,
    rows: dict[type[Base], Rows],
    iid: int,
    version_id: int,
    model: ParsedModel,
    key: str,
    owners: Owners,
    next_event: int,
    events_per_instance: int,
) -> int:
    """One path's rows; returns the next free event id."""
    created = NOW - timedelta(days=rng.uniform(0, 720))
    municipality, owner = rng.choice(owners.municipalities[key])
    rows[Client].append({"id": iid, "pseudonym": f"A-{iid:08x}", "full_name": f"Asiakas {iid}",
                         "identity_code": None, "municipality": municipality,
                         "created_at": created, "created_by": "bench"})  # fmt: skip
    events, tasks = rows[Event], rows[HumanTask]
    milestones: Rows = []
    start = len(events)

    def event(moment: datetime, kind: str, bpmn_id: str | None = None, name: str | None = None,
              role: str | None = None, data: dict[str, Any] | None = None,
              phase: str | None = None) -> None:  # fmt: skip
        event_id = next_event + len(events) - start
        events.append(_event(event_id, iid, moment, kind, bpmn_id, name, role, data or {}, phase))

    path = [(i, model.user_tasks[i]) for i in model.step_order]
    reached = rng.randint(1, len(path))
    finished = reached == len(path) and rng.random() < 0.8
    moment = created
    event(moment, "instance_started")
    milestones.append({"instance_id": iid, "name": "contact", "reached_at": moment})
    team_reached = False
    for position, (bpmn_id, info) in enumerate(path[:reached]):
        open_now = position == reached - 1 and not finished
        ready = moment
        event(ready, "task_ready", bpmn_id, info.name, info.role, {}, info.phase)
        if info.phase == "assessment" and not team_reached:
            team_reached = True
            milestones.append({"instance_id": iid, "name": "team", "reached_at": ready})
        # the case manager's steps go to the team coordinator while nobody is named
        role = CASE_MANAGER_FALLBACK_ROLE if info.role == CASE_MANAGER else info.role
        task = {
            "id": f"{iid:08d}-{position:04d}-0000-0000-000000000000",
            "instance_id": iid, "model_version_id": version_id, "bpmn_id": bpmn_id,
            "name": info.name, "phase": info.phase, "role": role, "lane_role": info.role,
            "organisation_id": owners.lanes[(key, owner, info.role)], "assignee_id": None,
            "owner_organisation_id": owner, "client_id": iid,
            "state": "open" if open_now else "completed", "created_at": ready,
            "due_at": due_at(ready, rng.choice((5, 10, 15))), "claimed_by_id": None,
            "claimed_at": None, "completed_by_id": None, "completed_at": None,
        }  # fmt: skip
        if not open_now:
            moment = min(ready + timedelta(days=rng.expovariate(1 / 6)), NOW - timedelta(minutes=1))
            task["completed_at"] = moment
            choices: dict[str, object] = {}
            if bpmn_id == "Task_closing":
                choices = {"outcome": rng.choice(OUTCOMES),
                           "employment_started": rng.random() < 0.4}  # fmt: skip
            if "kykyviisari" in bpmn_id or bpmn_id in ("Task_encounter", "Task_follow_up_review"):
                choices["kykyviisari_work_ability"] = rng.randint(0, 10)
            event(moment, "task_completed", bpmn_id, info.name, info.role,
                  {"fields": [], "choices": choices}, info.phase)  # fmt: skip
            if (info.form_path or "").endswith("support_plan.schema.json"):
                milestones.append({"instance_id": iid, "name": "plan", "reached_at": moment})
                milestones.append(
                    {"instance_id": iid, "name": "case_manager", "reached_at": moment}
                )
        tasks.append(task)
    # gateways and events the engine records on its own fill the rest
    while len(events) - start < events_per_instance - (1 if finished else 0):
        event(moment, "element_completed", "Gateway_x", "Gateway", None,
              {"type": "ExclusiveGateway"})  # fmt: skip
    if finished:
        event(moment, "instance_completed", "End_closed")
        milestones.append({"instance_id": iid, "name": "closed", "reached_at": moment})
    elif rng.random() < 0.2:
        rows[WaitingEvent].append({
            "instance_id": iid, "task_id": f"w-{iid}", "bpmn_id": "Event_follow_up_timer",
            "name": "Seurantajakso", "kind": "timer", "message_name": None,
            "due_at": NOW + timedelta(days=rng.randint(1, 30)), "created_at": moment,
            "settled_at": None,
        })  # fmt: skip
    rows[ProcessInstance].append({
        "id": iid, "client_id": iid, "model_version_id": version_id,
        "status": "completed" if finished else "running", "case_manager_id": None,
        "organisation_id": owner, "outcome": rng.choice(OUTCOMES) if finished else None,
        "end_event": "End_closed" if finished else None, "created_at": created,
        "updated_at": moment, "completed_at": moment if finished else None,
        "last_activity_at": moment, "state": "{}", "serializer_version": SYNTHETIC,
        "lock_version": 1,
    })  # fmt: skip
    reached_at = {m["name"]: m["reached_at"] for m in milestones}
    for milestone in milestones:
        begun = reached_at.get(LEAD_FROM.get(milestone["name"], ""))
        milestone["model_version_id"] = version_id
        milestone["lead_from_at"] = begun
        milestone["lead_days"] = (
            (milestone["reached_at"] - begun).total_seconds() / 86400 if begun else None
        )
    rows[Milestone].extend(milestones)
    return next_event + len(events) - start


def _writer(conn: Connection) -> Writer:
    """Bulk insert on SQLite; COPY on PostgreSQL (several times faster), in the same
    transaction."""
    if conn.dialect.name != "postgresql":

        def insert_rows(table: type[Base], rows: Rows) -> None:
            if rows:
                conn.execute(insert(table), rows)

        return insert_rows
    raw: Any = conn.connection.dbapi_connection

    def copy_rows(table: type[Base], rows: Rows) -> None:
        if not rows:
            return
        columns = list(rows[0])
        as_json = {c for c in columns if isinstance(table.__table__.c[c].type, JSON)}
        statement = f"COPY {table.__tablename__} ({', '.join(columns)}) FROM STDIN"
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row([json.dumps(row[c]) if c in as_json else row[c] for c in columns])

    return copy_rows


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


def finish(url: str) -> None:
    """The benchmarks' manager account, then planner statistics as a live database has them
    (on PostgreSQL also the visibility map autovacuum would build, for index-only scans)."""
    db = make_engine(url)
    factory = make_session_factory(db)
    manager = ensure_manager(lambda: UnitOfWork(factory), WorkflowEngine(ROOT / "processes"))
    print(f"manager '{manager.username}' in {len(manager.organisations)} organisations")
    started = time.perf_counter()
    if db.dialect.name == "postgresql":
        with db.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM (ANALYZE)")
    else:
        with db.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
    print(f"statistics in {time.perf_counter() - started:.0f} s")
    db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="sqlite:////tmp/polku-bench.db")
    parser.add_argument("--instances", type=int, default=100_000)
    parser.add_argument("--events-per-instance", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    build(args.url, args.instances, args.events_per_instance, args.seed)
    finish(args.url)


if __name__ == "__main__":
    main()
