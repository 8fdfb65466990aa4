"""Real paths for the HTTP load: national paths started and advanced through the services (the
synthetic ones of build_dataset.py keep no workflow state and cannot be run), their open
tasks, and the form data each step takes.

Each prepared path is advanced 0 to 6 steps (path number modulo 7), so that from the first
second every member of the staff has work: the coordinators' encounter and interview, the
three assessments, the team coordinator's support plan, the case managers' arranging of
services. After that step a path waits for its 30-day follow-up timer: it has no more work.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from accounts import CASE_MANAGERS, STAFF, STAFF_COUNTY, ensure_manager, ensure_staff
from build_dataset import SYNTHETIC
from sqlalchemy import select
from sqlalchemy.orm import aliased

from engine.clock import system_clock
from engine.persistence.tables import HumanTask, Organisation, ProcessInstance, User
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import clients, instances
from engine.services.access import Actor
from engine.services.demo import TO_PLAN, sample
from engine.workflow.engine import WorkflowEngine
from engine.workflow.roles import CLIENT

# North Savo's municipalities: the staff's county owns the paths of the clients who live there
MUNICIPALITIES = ("Iisalmi", "Kiuruvesi", "Lapinlahti", "Sonkajärvi", "Vieremä", "Kuopio")
STEPS = (*TO_PLAN, "Task_arrange_services")


def form_data(bpmn_id: str, instance_id: int) -> dict[str, Any]:
    """The answers for a step: the demo's typical ones; the plan names one of the two case
    managers (by path), and its conclusion leads on to arranging services."""
    if bpmn_id == "Task_support_plan":
        return sample(bpmn_id, case_manager=CASE_MANAGERS[instance_id % 2])
    return sample(bpmn_id)


def prepare(
    uow: Callable[[], UnitOfWork], engine: WorkflowEngine, paths: int, progress: bool = True
) -> dict[str, Actor]:
    """The staff and the manager (created if missing), and `paths` new national paths."""
    ensure_manager(uow, engine)
    staff = ensure_staff(uow, engine)
    coordinator = staff["bench_coordinator"]
    for number in range(paths):
        client_id = clients.create_client(
            uow(), system_clock, coordinator, full_name=f"Kuormitus Asiakas {number}",
            municipality=MUNICIPALITIES[number % len(MUNICIPALITIES)],
        )  # fmt: skip
        instance_id = instances.start_instance(
            uow(), engine, system_clock, coordinator, client_id, "national"
        )
        for bpmn_id in STEPS[: number % len(STEPS)]:
            with uow() as unit:
                task = unit.session.scalar(
                    select(HumanTask).where(
                        HumanTask.instance_id == instance_id,
                        HumanTask.bpmn_id == bpmn_id,
                        HumanTask.state == "open",
                    )
                )
                assert task is not None, f"{bpmn_id} is not open on path {instance_id}"
                task_id, role, assignee = task.id, task.role, task.assignee_id
                client = Actor.for_client(task.instance.client)
            doer = client if role == CLIENT else next(
                a for a in staff.values()
                if a.user_id == assignee or (assignee is None and role in a.roles)
            )  # fmt: skip
            instances.complete_task(
                uow(), engine, system_clock, doer, task_id, form_data(bpmn_id, instance_id)
            )
        if progress and (number + 1) % 50 == 0:
            print(f"  {number + 1} paths prepared", flush=True)
    return staff


@dataclass(frozen=True)
class Ready:
    """An open task of a real path and who of the staff does it."""

    task_id: str
    instance_id: int
    client_id: int
    bpmn_id: str
    user: str


class TaskPool:
    """The open tasks of the real paths, per member of the staff. A task is handed out while
    no other request works on the same path (two people completing parallel assessments of
    one path at the same instant would only measure the optimistic lock's 409)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: dict[str, deque[Ready]] = {name: deque() for name in STAFF}
        self._busy: set[int] = set()
        self._seen: set[str] = set()
        self._clients: dict[str, deque[int]] = {name: deque(maxlen=50) for name in STAFF}

    def _doer(self, role: str | None, assignee: str | None, instance_id: int) -> str | None:
        if assignee is not None:
            return assignee if assignee in self._queues else None
        holders = [name for name, roles in STAFF.items() if role in roles]
        return holders[instance_id % len(holders)] if holders else None

    def add(self, task_id: str, instance_id: int, client_id: int, bpmn_id: str,
            role: str | None, assignee: str | None) -> None:  # fmt: skip
        with self._lock:
            user = self._doer(role, assignee, instance_id)
            if user is None or task_id in self._seen:
                return
            self._seen.add(task_id)
            self._queues[user].append(Ready(task_id, instance_id, client_id, bpmn_id, user))
            self._clients[user].append(client_id)

    def take(self, user: str | None = None) -> Ready | None:
        """A task of `user` if they have one free, else of whoever has the most waiting."""
        with self._lock:
            order = sorted(self._queues, key=lambda u: (u != user, -len(self._queues[u])))
            for name in order:
                queue = self._queues[name]
                for _ in range(len(queue)):
                    task = queue.popleft()
                    if task.instance_id not in self._busy:
                        self._busy.add(task.instance_id)
                        return task
                    queue.append(task)
            return None

    def done(self, task: Ready, response: dict[str, Any] | None) -> None:
        """The task was completed (`response`: the API's instance) or failed (None)."""
        with self._lock:
            self._busy.discard(task.instance_id)
        for row in (response or {}).get("open_tasks", []):
            self.add(row["id"], task.instance_id, task.client_id, row["bpmn_id"], row["role"],
                     row.get("assignee"))  # fmt: skip

    def again(self, task: Ready) -> None:
        """Try the task later (the path was busy: 409)."""
        with self._lock:
            self._busy.discard(task.instance_id)
            self._queues[task.user].append(task)

    def client_of(self, user: str, turn: int) -> int | None:
        """A client whose path the user works on (their page is theirs to read)."""
        with self._lock:
            known = self._clients[user]
            return known[turn % len(known)] if known else None

    def size(self) -> int:
        with self._lock:
            return sum(len(q) for q in self._queues.values())


def load_open_tasks(uow: Callable[[], UnitOfWork], pool: TaskPool) -> None:
    """Every open task of a running real path in the staff's county, from the database
    (before the load starts)."""
    assignee = aliased(User)
    with uow() as unit:
        rows = unit.session.execute(
            select(HumanTask.id, HumanTask.instance_id, ProcessInstance.client_id,
                   HumanTask.bpmn_id, HumanTask.role, assignee.username)
            .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
            .outerjoin(assignee, assignee.id == HumanTask.assignee_id)
            .join(Organisation, Organisation.id == HumanTask.organisation_id)
            .where(HumanTask.state == "open", ProcessInstance.status == "running",
                   ProcessInstance.serializer_version != SYNTHETIC,
                   Organisation.code == STAFF_COUNTY)
            .order_by(HumanTask.created_at)
        ).all()  # fmt: skip
    for row in rows:
        pool.add(*row)
