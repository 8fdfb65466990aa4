"""Prometheus instruments of the engine's own work: commands and the timer worker.

The web layer exposes them at /metrics (engine code never imports Flask). Under `polku serve`
every process writes into PROMETHEUS_MULTIPROC_DIR and /metrics adds them up.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import Counter, Histogram

COMMAND_SECONDS = Histogram(
    "polku_command_seconds",
    "Time to run one command (one database transaction), by kind and outcome.",
    ["kind", "outcome"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
TIMERS_FIRED = Counter("polku_timers_fired_total", "Timers fired by the timer workers.")
WORKER_ROUNDS = Counter(
    "polku_worker_rounds_total", "Timer worker rounds, by outcome (ok, error).", ["outcome"]
)


@contextmanager
def timed_command(kind: str) -> Iterator[None]:
    """Measure a command; `outcome` is ok, or the error's class name when it raised."""
    start = time.perf_counter()
    outcome = "ok"
    try:
        yield
    except BaseException as exc:
        outcome = type(exc).__name__
        raise
    finally:
        COMMAND_SECONDS.labels(kind=kind, outcome=outcome).observe(time.perf_counter() - start)
