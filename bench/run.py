"""Time every dashboard query on the benchmark data set (see build_dataset.py).

    .venv/bin/python bench/run.py --url sqlite:////tmp/polku-bench.db
    .venv/bin/python bench/run.py --url postgresql+psycopg://postgres@127.0.0.1:PORT/polku_bench

Each figure is the median of several runs of the same service call a page makes, after one
warm-up run, on one process. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from accounts import MANAGER, PASSWORD, ensure_manager
from sqlalchemy import func, select

from engine.analytics.stalls import Scope
from engine.clock import FrozenClock
from engine.persistence import schema
from engine.persistence.database import make_engine, make_session_factory
from engine.persistence.tables import Event, HumanTask, ProcessInstance
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import dashboards
from engine.services.access import report_condition
from engine.workflow.engine import WorkflowEngine

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parent.parent


def timed(call: Callable[[], object], runs: int) -> tuple[float, float]:
    call()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), max(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="sqlite:////tmp/polku-bench.db")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    db = make_engine(args.url)
    schema.upgrade(db)  # a data set built before the newest migrations
    factory = make_session_factory(db)
    uow = lambda: UnitOfWork(factory)  # noqa: E731
    clock = FrozenClock(NOW)
    with factory() as session:
        counts = (
            session.scalar(select(func.count(ProcessInstance.id))),
            session.scalar(select(func.count(Event.id))),
            session.scalar(select(func.count(HumanTask.id))),
        )
    # a member of every organisation: its figures count every path (build_dataset.py made it)
    manager = ensure_manager(uow, WorkflowEngine(ROOT / "processes"))
    with factory() as session:
        covered = session.scalar(
            select(func.count(ProcessInstance.id)).where(report_condition(manager))
        )
    print(f"data set: {counts[0]:,} instances, {counts[1]:,} events, {counts[2]:,} worklist rows")
    print(f"database: {db.dialect.name}; {manager.username}'s figures count {covered:,} paths\n")
    pages: list[tuple[str, Callable[[], object]]] = [
        (
            "stall dashboard, all regions",
            lambda: dashboards.dashboard(uow(), clock, manager, Scope()),
        ),
        (
            "stall dashboard, one region",
            lambda: dashboards.dashboard(uow(), clock, manager, Scope(model_key="kainuu")),
        ),
        (
            "stalled clients (500 listed)",
            lambda: dashboards.stalled(uow(), clock, manager, Scope()),
        ),
        (
            "pilot metrics, all regions",
            lambda: dashboards.pilot_metrics(uow(), clock, manager, Scope()),
        ),
        (
            "pilot metrics, one region, one year",
            lambda: dashboards.pilot_metrics(
                uow(),
                clock,
                manager,
                Scope(model_key="rovaniemi", since=datetime(2025, 11, 23, tzinfo=UTC)),
            ),
        ),
    ]
    print("| service call | median s | max s |\n|---|---|---|")
    for name, call in pages:
        median, worst = timed(call, args.runs)
        print(f"| {name} | {median:.3f} | {worst:.3f} |")
    print()
    time_pages(args.url, args.runs)


PAGES = [
    ("where clients wait, all regions (with the national heatmap table)", "/dashboard"),
    ("where clients wait, one region", "/dashboard?model=kainuu"),
    ("heatmap data for the diagram", "/dashboard/diagram.json?model=national"),
    ("stalled clients (500 listed, each read logged)", "/dashboard/stalled"),
    ("pilot metrics, all regions", "/dashboard/metrics"),
    ("pilot metrics, one region, one year", "/dashboard/metrics?model=rovaniemi&since=2025-11-23"),
    ("one table as CSV (steps)", "/dashboard?download=steps"),
    ("service-level targets", "/dashboard/targets"),
]


def time_pages(url: str, runs: int) -> None:
    """The whole pages as a browser gets them: Flask, the services, the templates."""
    from web import create_app

    app = create_app(
        {"DATABASE_AUTO_UPGRADE": True, "DATABASE_URL": url, "SECRET_KEY": "bench",
         "CLOCK": FrozenClock(NOW),
         "WTF_CSRF_ENABLED": False, "LOG_LEVEL": "WARNING"}
    )  # fmt: skip
    client = app.test_client()
    client.post("/login", data={"username": MANAGER, "password": PASSWORD})
    print("| page (HTTP GET through Flask) | median s | max s |\n|---|---|---|")
    for name, path in PAGES:

        def get(path: str = path) -> None:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)

        median, worst = timed(get, runs)
        print(f"| {name} | {median:.3f} | {worst:.3f} |")


if __name__ == "__main__":
    main()
