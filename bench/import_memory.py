"""Import a 100,000- and a 1,000,000-event log and show that memory does not grow with it.

    .venv/bin/python bench/import_memory.py
    .venv/bin/python bench/import_memory.py --url postgresql+psycopg://user@host/db  # also there

Writes each CSV to a temporary file (the csv module), makes a fresh SQLite database (schema and
models, as `polku db upgrade` and start-up do), and imports the file through the service the
upload page and `polku events import` use (`event_import.import_events`), each import in a
process of its own so that its peak resident memory (`ru_maxrss`) is its own. A second run of
each size traces Python's allocations (`tracemalloc`, which makes it slower, so its time is not
reported). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ACTIVITIES = [
    ("Kohtaaminen ja puheeksiotto", "nurse"),
    ("Työkyvyn tuen tarpeen arviointi", "work_ability_coordinator"),
    ("Lääkärin työkykyarvio", "physician"),
    ("Fysioterapeutin arvio", "physiotherapist"),
    ("Sosiaalityöntekijän arvio", "social_worker"),
    ("Työkyvyn tuen suunnitelma ja asiakasvastaavasta sopiminen", "case_coordinator"),
    ("Palveluiden järjestäminen", "case_manager"),
    ("Seurantatapaaminen", "case_manager"),
    ("Asiakkuuden päättäminen", "case_manager"),
]
OUTCOMES = ["work_trial", "study", "employment_company", "pension_decision", "other_service"]
EVENTS_PER_CASE = 25


def write_log(path: Path, events: int) -> None:
    """`events` rows: cases of 25 events each (start and complete of the steps, in order)."""
    start = datetime(2023, 1, 2, 8, 0, tzinfo=UTC)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["case_id", "activity", "timestamp", "resource", "lifecycle", "outcome"])
        batch: list[tuple[str, ...]] = []
        for n in range(events):
            case, step = divmod(n, EVENTS_PER_CASE)
            activity, role = ACTIVITIES[min(step // 2, len(ACTIVITIES) - 1)]
            moment = start + timedelta(minutes=37 * case, days=3 * step)
            last = step == EVENTS_PER_CASE - 1 or n == events - 1
            batch.append((
                f"pilot-{case:07d}", activity,
                moment.isoformat(timespec="seconds").replace("+00:00", "Z"), role,
                "start" if step % 2 == 0 and not last else "complete",
                OUTCOMES[case % len(OUTCOMES)] if last else "",
            ))  # fmt: skip
            if len(batch) == 10_000:
                writer.writerows(batch)
                batch = []
        writer.writerows(batch)


def prepare(url: str) -> None:
    """The schema and the models, as a new installation has them."""
    from engine.clock import FrozenClock
    from engine.persistence import schema
    from engine.persistence.database import make_engine, make_session_factory
    from engine.persistence.unit_of_work import UnitOfWork
    from engine.services.deployment import deploy_all
    from engine.workflow.engine import WorkflowEngine

    database = make_engine(url)
    schema.upgrade(database)
    factory = make_session_factory(database)
    deploy_all(UnitOfWork(factory), WorkflowEngine(ROOT / "processes"), FrozenClock(), "bench")
    database.dispose()


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def child(url: str, log: Path, trace: bool, batch_rows: int) -> dict[str, Any]:
    """One import, in this process: its time and memory."""
    import engine.persistence.tables  # noqa: F401  (first: it imports the audit tables at its end)
    from engine.clock import system_clock
    from engine.persistence.database import make_engine, make_session_factory
    from engine.persistence.unit_of_work import UnitOfWork
    from engine.services import event_import
    from engine.services.access import Actor

    database = make_engine(url)
    factory = make_session_factory(database)
    manager = Actor(0, "bench_manager", "Bench", frozenset({"manager"}))
    calls = 0

    def progress(_lines: int, _done: int, _total: int | None) -> None:
        nonlocal calls
        calls += 1

    before = _rss_kib()
    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    with log.open("rb") as source:
        imported = event_import.import_events(
            UnitOfWork(factory), system_clock, manager, name=log.name, model_key="national",
            source=source, total_bytes=log.stat().st_size, progress=progress,
            batch_rows=batch_rows,
        )  # fmt: skip
    wall = time.perf_counter() - started
    traced = tracemalloc.get_traced_memory()[1] if trace else None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    database.dispose()
    return {
        "rows": imported.rows, "cases": imported.cases, "wall": wall, "progress_calls": calls,
        "rss_before_kib": before, "rss_peak_kib": peak, "traced_peak": traced,
    }  # fmt: skip


def run_child(url: str, log: Path, trace: bool, batch_rows: int) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", "--url", url, "--log", str(log),
               "--batch", str(batch_rows)] + (["--trace"] if trace else [])  # fmt: skip
    done = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100000,1000000", help="Events per log.")
    parser.add_argument("--url", default=None, help="Also import into this (empty) database.")
    parser.add_argument("--batch", type=int, default=5000, help="Rows per insert batch.")
    parser.add_argument("--no-trace", action="store_true", help="Skip the tracemalloc runs.")
    parser.add_argument("--no-sqlite", action="store_true", help="Only the database of --url.")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--log", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.url, args.log, args.trace, args.batch)))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"{sys.version.split()[0]}, batches of {args.batch} rows\n")
    print("| database | events | file MB | wall s | rows/s | RSS before MB | peak RSS MB "
          "| traced peak MB |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="polku-import-bench-") as folder:
        for size in sizes:
            log = Path(folder) / f"log-{size}.csv"
            write_log(log, size)
            targets = []
            if not args.no_sqlite:
                targets.append(("SQLite", f"sqlite:///{Path(folder) / f'bench-{size}.db'}"))
            if args.url:
                targets.append(("PostgreSQL", args.url))
            for label, url in targets:
                prepare(url)
                plain = run_child(url, log, False, args.batch)
                traced = None if args.no_trace else run_child(url, log, True, args.batch)
                traced_mb = f"{traced['traced_peak'] / 2**20:.1f}" if traced else "-"
                print(
                    f"| {label} | {plain['rows']:,} | {log.stat().st_size / 2**20:.0f} "
                    f"| {plain['wall']:.1f} | {plain['rows'] / plain['wall']:,.0f} "
                    f"| {plain['rss_before_kib'] / 1024:.0f} | {plain['rss_peak_kib'] / 1024:.0f} "
                    f"| {traced_mb} |",
                    flush=True,
                )
            log.unlink()


if __name__ == "__main__":
    main()
