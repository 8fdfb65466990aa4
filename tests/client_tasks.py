"""Completing the client's own tasks in tests, as the client themself.

The client's portal (sign-in, pages under /oma/) completes a client task for a signed-in client;
the tests that walk a path through the staff API or the services complete the client's steps
here, through the same engine command, with the client's actor (`Actor.for_client`): the
access rule of `engine.services.access_client` is what lets them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from engine.clock import Clock
from engine.persistence.tables import HumanTask
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import instances
from engine.services.access import Actor
from engine.services.demo import sample
from engine.workflow.engine import WorkflowEngine
from engine.workflow.roles import CLIENT

CLIENT_STEPS = frozenset(
    {"Task_client_situation", "Task_client_plan_acceptance", "Task_client_feedback"}
)


def complete_as_client(
    uow_factory: Callable[[], UnitOfWork],
    engine: WorkflowEngine,
    clock: Clock,
    instance_id: int,
    bpmn_id: str,
    data: dict[str, Any],
) -> str:
    """Complete the path's open client task `bpmn_id` as the path's client; the task's id."""
    with uow_factory() as uow:
        row = uow.session.scalar(
            select(HumanTask).where(
                HumanTask.instance_id == instance_id,
                HumanTask.bpmn_id == bpmn_id,
                HumanTask.state == "open",
            )
        )
        assert row is not None, f"{bpmn_id} is not open on path {instance_id}"
        task_id, client = row.id, row.instance.client
    instances.complete_task(uow_factory(), engine, clock, Actor.for_client(client), task_id, data)
    return task_id


def open_steps(uow_factory: Callable[[], UnitOfWork], instance_id: int) -> list[tuple[str, str]]:
    """(bpmn id, role) of the path's open user tasks."""
    with uow_factory() as uow:
        return [
            (row.bpmn_id, row.role or "")
            for row in uow.session.scalars(
                select(HumanTask).where(
                    HumanTask.instance_id == instance_id,
                    HumanTask.state == "open",
                    HumanTask.kind == "task",
                )
            )
        ]


def client_catches_up(
    uow_factory: Callable[[], UnitOfWork],
    engine: WorkflowEngine,
    clock: Clock,
    instance_id: int,
    wanted: str,
) -> None:
    """Before a staff step a test names: while that step is not open and the client has open
    tasks of their own, the client does them (with the demo's sample answers: the plan is
    accepted). Tests written for the team's steps go on as before; the client's own tasks
    are tested explicitly elsewhere (tests/test_client_tasks.py)."""
    if wanted in CLIENT_STEPS:
        return
    for _round in range(10):
        steps = open_steps(uow_factory, instance_id)
        if any(bpmn_id == wanted for bpmn_id, _role in steps):
            return
        theirs = [bpmn_id for bpmn_id, role in steps if role == CLIENT]
        if not theirs:
            return
        for bpmn_id in theirs:
            complete_as_client(uow_factory, engine, clock, instance_id, bpmn_id, sample(bpmn_id))
