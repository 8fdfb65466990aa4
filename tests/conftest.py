"""Shared fixtures: databases (SQLite and a real PostgreSQL), the engine, users, a path driver."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine, select, text

from engine.clock import FrozenClock
from engine.persistence import schema
from engine.persistence.database import make_engine, make_session_factory
from engine.persistence.tables import Client, HumanTask, ProcessInstance
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import clients, instances, users
from engine.services.access import Actor
from engine.services.demo import SAMPLE_FORM_DATA, demo_organisations, sample
from engine.services.deployment import deploy_all
from engine.workflow.engine import WorkflowEngine
from engine.workflow.roles import CLIENT
from tests.client_tasks import client_catches_up
from tests.postgres import find_bindir, postgres_server

# The tests serve plain http on 127.0.0.1: session cookies cannot be Secure-only there (outside
# demo mode Polku makes them so by default), and the processes the tests start inherit this.
os.environ.setdefault("POLKU_SECURE_COOKIES", "0")
# Hundreds of sign-ins from 127.0.0.1: throttling is tested on its own (test_sessions.py).
os.environ.setdefault("POLKU_SIGN_IN_THROTTLE", "0")


def home_organisations(roles: list[str]) -> list[str]:
    """Where a test user works when a test does not say: their role's organisation in North
    Savo (one county, so national paths they start are owned by it without a choice)."""
    if "kela_advisor" in roles:
        return ["kela"]
    if "employment_expert" in roles:
        return ["tyollisyys-ylasavo"]
    if not roles or roles == ["process_designer"]:
        return []
    return ["hva-pohjois-savo"]


def _joining_home_organisations(create: Any) -> Any:
    """Users a test creates without organisations join `home_organisations(roles)` (set once
    for the whole run, so module-scoped fixtures get it too): production code always names
    them (people administration, single sign-on, the demo)."""

    def create_user(*args: Any, **kwargs: Any) -> int:
        if kwargs.get("organisations") is None:
            kwargs["organisations"] = home_organisations(list(kwargs.get("roles") or []))
        return int(create(*args, **kwargs))

    return create_user


users.create_user = _joining_home_organisations(users.create_user)  # type: ignore[method-assign]
# Passwords stay argon2id, with the lightest cost: a real one takes 0.2 s a hash here, and the
# tests create and sign in people by the thousand. (Servers the tests start as processes of
# their own keep the real cost; a hash carries its parameters, so either verifies anywhere.)
users._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


# For tests that move Polku's clock by days while someone stays signed in.
LONG_SESSIONS = {"SESSION_IDLE_MINUTES": 10**7, "SESSION_LIFETIME_HOURS": 10**6}

ROOT = Path(__file__).resolve().parent.parent
PROCESSES = ROOT / "processes"
PASSWORD = "correct horse battery"

# username -> roles; one person per role the national path needs, plus two case managers.
STAFF = {
    "kaisa": ["work_ability_coordinator"],
    "timo": ["case_coordinator"],
    "lauri": ["physician"],
    "fanni": ["physiotherapist"],
    "sanna": ["social_worker"],
    "aino": ["rehabilitation_counsellor"],
    "ari": ["job_coach"],
    "kerttu": ["kela_advisor"],
}
# The other team roles, for the regional paths (created once, in the template database only).
MORE_STAFF = {
    "paula": ["service_counsellor"],
    "tea": ["public_health_nurse"],
    "saara": ["nurse"],
    "mikko": ["mental_health_worker"],
    "pia": ["psychologist"],
    "tuomas": ["employment_expert"],
    "tiina": ["work_ability_team"],
}


@pytest.fixture(scope="session")
def workflow_engine() -> WorkflowEngine:
    return WorkflowEngine(PROCESSES)


@pytest.fixture(scope="session")
def pg_base_url() -> Iterator[str]:
    if find_bindir() is None:
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl) on this machine")
    with postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from fresh_database(request, tmp_path, "polku")


def fresh_database(request: pytest.FixtureRequest, directory: Path, prefix: str) -> Iterator[str]:
    """A new empty database of the fixture's kind (`request.param`: sqlite or postgresql),
    removed afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{directory / f'{prefix}.db'}"
        return
    base = request.getfixturevalue("pg_base_url")
    name = f"{prefix}_" + uuid.uuid4().hex[:12]
    admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@dataclass
class Services:
    """The engine's dependencies, wired as the web app wires them, without Flask."""

    engine: WorkflowEngine
    clock: FrozenClock
    session_factory: Any
    actors: dict[str, Actor]

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory)

    def new_client(self, name: str = "Testi Asiakas") -> int:
        return clients.create_client(self.uow(), self.clock, self.actors["kaisa"], full_name=name)

    def start(self, model: str = "national", organisation: str | None = None) -> int:
        """A new client's path; a national one is owned by North Savo unless told."""
        client_id = self.new_client()
        if model == "national" and organisation is None:
            organisation = "hva-pohjois-savo"
        return instances.start_instance(
            self.uow(), self.engine, self.clock, self.actors["kaisa"], client_id, model,
            organisation,
        )  # fmt: skip

    def open_tasks(self, instance_id: int, kind: str = "task") -> list[HumanTask]:
        """The path's open user tasks (`kind="wait"`: its awaited decisions' items)."""
        with self.uow() as uow:
            return list(
                uow.session.scalars(
                    select(HumanTask)
                    .where(
                        HumanTask.instance_id == instance_id,
                        HumanTask.state == "open",
                        HumanTask.kind == kind,
                    )
                    .order_by(HumanTask.bpmn_id)
                )
            )

    def open_task(self, instance_id: int, bpmn_id: str) -> HumanTask:
        found = [t for t in self.open_tasks(instance_id) if t.bpmn_id == bpmn_id]
        assert found, (
            f"{bpmn_id} is not open; open: {[t.bpmn_id for t in self.open_tasks(instance_id)]}"
        )
        return found[0]

    def doer(self, task: HumanTask) -> Actor:
        if task.role == CLIENT:  # the client's own task: the client themself does it
            return self.client_actor(task.instance_id)
        for actor in self.actors.values():
            if task.assignee_id == actor.user_id or (
                task.assignee_id is None and task.role in actor.roles
            ):
                return actor
        raise AssertionError(f"nobody may do {task.bpmn_id} (role {task.role})")

    def client_actor(self, instance_id: int) -> Actor:
        """The client of the path, acting themself (as the client's portal signs them in)."""
        with self.uow() as uow:
            path = uow.session.get(ProcessInstance, instance_id)
            assert path is not None
            client = uow.session.get(Client, path.client_id)
            assert client is not None
            return Actor.for_client(client)

    def complete(self, instance_id: int, bpmn_id: str, **overrides: Any) -> None:
        client_catches_up(self.uow, self.engine, self.clock, instance_id, bpmn_id)
        task = self.open_task(instance_id, bpmn_id)
        if bpmn_id == "Task_support_plan":
            overrides.setdefault("case_manager", "aino")
        instances.complete_task(
            self.uow(),
            self.engine,
            self.clock,
            self.doer(task),
            task.id,
            sample(bpmn_id, **overrides),
        )

    def walk(self, instance_id: int, *steps: str | tuple[str, dict[str, Any]]) -> None:
        for step in steps:
            bpmn_id, overrides = (step, {}) if isinstance(step, str) else step
            if bpmn_id not in SAMPLE_FORM_DATA:  # a step with another step's form: data given
                client_catches_up(self.uow, self.engine, self.clock, instance_id, bpmn_id)
                task = self.open_task(instance_id, bpmn_id)
                instances.complete_task(
                    self.uow(), self.engine, self.clock, self.doer(task), task.id, overrides
                )
                continue
            self.complete(instance_id, bpmn_id, **overrides)


def make_staff(
    session_factory: Any, engine: WorkflowEngine, staff: dict[str, list[str]] = STAFF
) -> dict[str, Actor]:
    actors = {}
    for username, roles in staff.items():
        user_id = users.create_user(
            UnitOfWork(session_factory),
            engine.roles,
            username=username,
            display_name=username.title(),
            password=PASSWORD,
            roles=roles,
            organisations=demo_organisations(roles),
        )
        user = users.get_user(UnitOfWork(session_factory), user_id)
        assert user is not None
        actors[username] = Actor.from_user(user)
    return actors


@pytest.fixture(scope="session")
def template_database(
    tmp_path_factory: pytest.TempPathFactory, workflow_engine: WorkflowEngine
) -> tuple[Path, dict[str, Actor]]:
    """A SQLite file with the models deployed and the staff created (password hashing is
    deliberately slow, so it is done once and the file copied for each test)."""
    path = tmp_path_factory.mktemp("template") / "engine.db"
    db = make_engine(f"sqlite:///{path}")
    schema.upgrade(db)
    factory = make_session_factory(db)
    deploy_all(UnitOfWork(factory), workflow_engine, FrozenClock(), actor="test")
    actors = make_staff(factory, workflow_engine, {**STAFF, **MORE_STAFF})
    with db.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    return path, actors


@pytest.fixture
def services(
    tmp_path: Path,
    workflow_engine: WorkflowEngine,
    clock: FrozenClock,
    template_database: tuple[Path, dict[str, Actor]],
) -> Services:
    """Services on a fresh SQLite database with the real models deployed and staff created."""
    template, actors = template_database
    path = tmp_path / "engine.db"
    shutil.copyfile(template, path)
    db = make_engine(f"sqlite:///{path}")
    return Services(workflow_engine, clock, make_session_factory(db), actors)
