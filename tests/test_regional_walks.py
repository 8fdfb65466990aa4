"""Every regional variant walked to at least two different outcomes on the real BPMN, replaying
the walks in tests/walks/*.json through the services (tasks, messages, timers)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from engine.persistence.tables import ProcessInstance
from engine.services import instances
from tests.conftest import Services

WALKS = Path(__file__).parent / "walks"
CASES = [
    pytest.param(doc["model"], walk, id=f"{doc['model']}-{walk['name']}")
    for path in sorted(WALKS.glob("*.json"))
    for doc in [json.loads(path.read_text(encoding="utf-8"))]
    for walk in doc["walks"]
]


def test_every_region_has_two_outcomes() -> None:
    outcomes: dict[str, set[str]] = {}
    for path in WALKS.glob("*.json"):
        doc = json.loads(path.read_text(encoding="utf-8"))
        outcomes[doc["model"]] = {w["outcome"] for w in doc["walks"]}
    assert {"kainuu", "iisalmi", "rovaniemi", "eksote"} <= set(outcomes)
    assert all(len(found) >= 2 for found in outcomes.values()), outcomes


@pytest.mark.parametrize(("model", "walk"), CASES)
def test_walk(services: Services, model: str, walk: dict[str, Any]) -> None:
    iid = services.start(model)
    for number, step in enumerate(walk["steps"], 1):
        where = f"step {number} of '{walk['name']}'"
        if "task" in step:
            task = services.open_task(iid, step["task"])
            instances.complete_task(
                services.uow(),
                services.engine,
                services.clock,
                services.doer(task),
                task.id,
                step["data"],
            )
        elif "message" in step:
            instances.deliver_message(
                services.uow(),
                services.engine,
                services.clock,
                services.actors["kerttu"],
                iid,
                step["message"],
                step.get("data", {}),
            )
        elif step.get("timer"):
            services.clock.advance(days=400)
            fired = instances.fire_due_timers(services.uow, services.engine, services.clock)
            assert fired >= 1, f"{where}: no timer was due"
        else:
            raise AssertionError(f"{where}: unknown step {step}")
    with services.uow() as uow:
        row = uow.session.get(ProcessInstance, iid)
        assert row is not None
        assert (row.status, row.outcome) == ("completed", walk["outcome"])
