"""Five months of made-up history for the demo, so that the managers' pages have something to
show: paths started week by week on the national model, each walked step by step on a clock
that runs in the past; some closed with an onward referral, some still waiting (a few of them
past their targets). The names are invented. Deterministic: the same data every time."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from engine.analytics.metrics import REFERRAL_CATEGORIES
from engine.clock import Clock, FrozenClock
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import clients, instances
from engine.services.access import Actor
from engine.services.demo import TO_PLAN, complete, sample
from engine.workflow.engine import WorkflowEngine

FIRST_NAMES = (
    "Aila", "Eino", "Helmi", "Ilkka", "Kaarina", "Lasse", "Maarit", "Niko", "Oona", "Petri",
    "Riikka", "Sami", "Tuula", "Veikko", "Ylva", "Arto", "Elina", "Hannu", "Irma", "Jouni",
    "Katja", "Leo", "Minna", "Olli",
)  # fmt: skip
LAST_NAMES = (
    "Heikkinen", "Koskinen", "Lehtonen", "Mäkelä", "Nieminen", "Ojala", "Rantanen", "Salo",
    "Toivonen", "Virtanen", "Hiltunen", "Kettunen",
)  # fmt: skip
MUNICIPALITIES = ("Iisalmi", "Kajaani", "Rovaniemi", "Lappeenranta", "Kemijärvi")
TIMER = "timer"
FEEDBACK_TEXTS = (
    "Sain apua ja minua kuunneltiin.",
    "Odotin tiimin tapaamista liian kauan.",
    "Asiakasvastaava oli helppo tavoittaa.",
)
HISTORY_DAYS = 150


def _path(rng: random.Random, outcome: str) -> list[tuple[str, dict[str, Any]]]:
    first_score = rng.randint(2, 6)
    steps = [(step, sample(step)) for step in TO_PLAN]
    steps[0] = ("Task_encounter", sample("Task_encounter", kykyviisari_work_ability=first_score))
    return [
        *steps,
        ("Task_arrange_services", sample("Task_arrange_services")),
        (TIMER, {}),
        (
            "Task_follow_up_review",
            sample(
                "Task_follow_up_review",
                kykyviisari_work_ability=min(10, first_score + rng.randint(-1, 3)),
                close_path=True,
            ),
        ),
        (
            "Task_client_feedback",
            sample(
                "Task_client_feedback",
                feedback_score=(2, 3, 4, 4, 5, 5)[first_score % 6],
                feedback_text=FEEDBACK_TEXTS[first_score % len(FEEDBACK_TEXTS)],
            ),
        ),
        ("Task_closing", sample("Task_closing", outcome=outcome)),
    ]


def seed_history(
    uow_factory: Callable[[], UnitOfWork],
    engine: WorkflowEngine,
    clock: Clock,
    actors: dict[str, Actor],
    count: int = 24,
) -> None:
    rng = random.Random(2026)
    now = clock()
    coordinator = actors["koordinaattori"]
    for i in range(count):
        history = FrozenClock(now - timedelta(days=HISTORY_DAYS - i * (HISTORY_DAYS // count)))
        name = f"{FIRST_NAMES[i % len(FIRST_NAMES)]} {LAST_NAMES[(i * 5) % len(LAST_NAMES)]}"
        client_id = clients.create_client(
            uow_factory(),
            history,
            coordinator,
            full_name=name,
            municipality=MUNICIPALITIES[i % len(MUNICIPALITIES)],
        )
        instance_id = instances.start_instance(
            uow_factory(), engine, history, coordinator, client_id, "national"
        )
        steps = _path(rng, REFERRAL_CATEGORIES[i % len(REFERRAL_CATEGORIES)])
        # every third path is walked to the end if time allows; the others stop on the way
        stop = len(steps) if i % 3 == 0 else rng.randint(1, len(steps) - 2)
        for bpmn_id, data in steps[:stop]:
            if bpmn_id == TIMER:
                history.advance(days=31)
            else:
                history.advance(days=rng.uniform(0.3, 9.0), hours=rng.uniform(0, 6))
            if history() >= now:
                break
            if bpmn_id == TIMER:
                instances.fire_due_timers(uow_factory, engine, history)
            else:
                complete(uow_factory, engine, history, actors, instance_id, bpmn_id, data)
