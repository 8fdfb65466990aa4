"""What http_load.py measured, as Markdown: latencies per kind of request, the closed loop's
throughput per number of clients, the machine, and the memory of the gunicorn workers."""

from __future__ import annotations

import math
import os
import platform
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

MIB = 1024


@dataclass
class Recorder:
    """(kind, status, latency, start lag) of every request, thread-safe."""

    samples: list[tuple[str, int, float, float]] = field(default_factory=list)
    skipped: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, done: tuple[str, int] | None, due: float, started: float, ended: float) -> None:
        with self.lock:
            if done is None:
                self.skipped += 1
            else:
                self.samples.append((done[0], done[1], ended - due, started - due))

    def of(self, kind: str | None = None, prefix: str = "") -> list[tuple[int, float]]:
        return [
            (status, latency)
            for k, status, latency, _ in self.samples
            if (kind is None or k == kind) and k.startswith(prefix)
        ]


def percentile(values: list[float], p: float) -> float:
    """Nearest rank: the smallest value with at least p % of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] if ordered else float("nan")


def _ms(value: float) -> str:
    return "–" if math.isnan(value) else f"{value * 1000:.0f}" if value >= 0.1 else \
        f"{value * 1000:.1f}"  # fmt: skip


def _row(name: str, rows: list[tuple[int, float]]) -> str:
    latencies = [latency for _, latency in rows]
    errors = sum(1 for status, _ in rows if status != 200)
    cells = [percentile(latencies, p) for p in (50, 95, 99)] + [max(latencies, default=math.nan)]
    return f"| {name} | {len(rows)} | {errors} | " + " | ".join(_ms(c) for c in cells) + " |"


def open_table(recorder: Recorder, seconds: float) -> str:
    kinds = list(dict.fromkeys(k for k, *_ in recorder.samples))
    pages = [k for k in kinds if k.startswith("dashboard: ")]
    lines = ["| request | count | errors | p50 ms | p95 ms | p99 ms | max ms |",
             "|---|---|---|---|---|---|---|"]  # fmt: skip
    for kind in [k for k in ("complete", "worklist", "client page") if k in kinds] + pages:
        lines.append(_row(kind, recorder.of(kind)))
    if pages:
        lines.append(_row("every dashboard page", recorder.of(prefix="dashboard: ")))
    lines.append(_row("all requests", recorder.of()))
    lags = [lag for *_, lag in recorder.samples]
    lines.append(
        f"\n{len(recorder.samples)} requests in {seconds:g} s "
        f"({len(recorder.samples) / seconds:.1f}/s). Latency counts from each request's "
        "scheduled start: when the server held every one of the load generator's connections, "
        f"a request waited for one (at most {_ms(max(lags, default=math.nan))} ms, p99 "
        f"{_ms(percentile(lags, 99))} ms), and that wait is in its latency."
        + (f" {recorder.skipped} slots had no task left to complete." if recorder.skipped else "")
    )
    return "\n".join(lines)


def closed_table(levels: list[tuple[int, Recorder, float, bool]]) -> str:
    lines = [
        "| clients | requests/s | completions/s | complete p50 ms | complete p99 ms "
        "| worklist p50 ms | worklist p99 ms | errors |",
        "|---|---|---|---|---|---|---|---|",
    ]
    rates = []
    for clients, recorder, elapsed, ran_out in levels:
        done = recorder.of("complete")
        pages = recorder.of("worklist")
        rate = len(recorder.samples) / elapsed
        rates.append((clients, rate))
        errors = sum(1 for status, _ in done + pages if status != 200)
        lines.append(
            f"| {clients}{' (ran out of tasks)' if ran_out else ''} | {rate:.1f} | "
            f"{len(done) / elapsed:.1f} | {_ms(percentile([x for _, x in done], 50))} | "
            f"{_ms(percentile([x for _, x in done], 99))} | "
            f"{_ms(percentile([x for _, x in pages], 50))} | "
            f"{_ms(percentile([x for _, x in pages], 99))} | {errors} |"
        )
    flat = next((b for a, b in zip(rates, rates[1:], strict=False) if b[1] < a[1] * 1.1), None)
    if flat is not None:
        lines.append(f"\nThroughput stops growing at {flat[0]} clients "
                     f"(less than 10 % more than with fewer): it saturates there.")  # fmt: skip
    elif rates:
        lines.append(f"\nThroughput still grows at {rates[-1][0]} clients.")
    lines.append("Each client completes a task, then reads that person's worklist, no pause.")
    return "\n".join(lines)


def _status(pid: int, key: str, name: str = "status") -> int | None:
    try:
        text = Path(f"/proc/{pid}/{name}").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return None


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def pss_rss(supervisor: int) -> list[tuple[str, int, int | None, int | None]]:
    """(which, pid, VmRSS kB, Pss kB) of the gunicorn master under `polku serve` and of its
    workers."""
    rows: list[tuple[str, int, int | None, int | None]] = []
    for child in _children(supervisor):
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"gunicorn" not in command:
            continue
        rows.append(("master", child, _status(child, "VmRSS"),
                     _status(child, "Pss", "smaps_rollup")))  # fmt: skip
        for worker in _children(child):
            rows.append(("worker", worker, _status(worker, "VmRSS"),
                         _status(worker, "Pss", "smaps_rollup")))  # fmt: skip
    return rows


def memory_table(rows: list[tuple[str, int, int | None, int | None]]) -> str:
    lines = ["| process | pid | VmRSS MB | PSS MB |", "|---|---|---|---|"]
    for which, pid, rss, pss in rows:
        cells = [f"{v / MIB:.0f}" if v is not None else "?" for v in (rss, pss)]
        lines.append(f"| gunicorn {which} | {pid} | {cells[0]} | {cells[1]} |")
    workers = [rss for which, _, rss, _ in rows if which == "worker" and rss]
    if workers:
        lines.append(f"\nLargest worker: {max(workers) / MIB:.0f} MB resident (VmRSS counts the "
                     "pages shared with the preloaded master too; PSS splits them).")  # fmt: skip
    return "\n".join(lines)


def machine(db: Engine) -> str:
    model = next(
        (line.split(":", 1)[1].strip() for line in _lines("/proc/cpuinfo")
         if line.startswith("model name")), platform.processor() or "?",
    )  # fmt: skip
    memory = next((int(line.split()[1]) for line in _lines("/proc/meminfo")
                   if line.startswith("MemTotal:")), 0)  # fmt: skip
    return (
        f"machine: {os.cpu_count()} cores ({model}), {memory / MIB / MIB:.0f} GB memory; "
        f"{platform.system()} {platform.release()}; Python {platform.python_version()}; "
        f"database {db.dialect.name}; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    )


def _lines(path: str) -> list[str]:
    try:
        return Path(path).read_text().splitlines()
    except OSError:
        return []


@dataclass(frozen=True)
class Cpu:
    """CPU time so far, in seconds: the whole machine (busy, all), the server's processes,
    this load generator."""

    busy: float
    total: float
    server: float
    database: float
    generator: float


def _ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime, stime


def postgres_pids(port: int | None) -> list[int]:
    """The PostgreSQL server listening on `port` started with `-p PORT` (as bench/pg.py
    starts it), and its backends; [] when not found."""
    if port is None:
        return []
    wanted = f"\0-p\0{port}\0".encode()
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes() if entry.name.isdigit() else b""
        except OSError:
            continue
        if command.split(b"\0")[0].endswith(b"postgres") and wanted in command + b"\0":
            return [int(entry.name), *_children(int(entry.name))]
    return []


def cpu_now(server_pids: list[int], database_port: int | None) -> Cpu:
    tick = os.sysconf("SC_CLK_TCK")
    first = next(iter(_lines("/proc/stat")), "cpu 0 0 0 0 0").split()[1:]
    values = [int(v) for v in first]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    times = os.times()
    return Cpu(
        (sum(values) - idle) / tick,
        sum(values) / tick,
        sum(_ticks(p) for p in server_pids) / tick,
        sum(_ticks(p) for p in postgres_pids(database_port)) / tick,
        times.user + times.system,
    )


def cpu_line(before: Cpu, after: Cpu) -> str:
    cores = os.cpu_count() or 1
    wall = (after.total - before.total) / cores
    if wall <= 0:
        return ""
    busy, server = after.busy - before.busy, after.server - before.server
    generator, database = after.generator - before.generator, after.database - before.database
    rest = busy - server - generator - database
    return (
        f"CPU: the machine's {cores} cores were {busy / wall / cores:.0%} busy; in cores: "
        f"gunicorn {server / wall:.2f}, PostgreSQL {database / wall:.2f}, the load generator "
        f"{generator / wall:.2f}, other programs {rest / wall:.2f}"
    )


SERVED = re.compile(r" (\d{3}) endpoint=(\S+) duration_ms=([\d.]+)")


def served_table(log: Path, start: int, end: int) -> str:
    """The time the app itself spent per endpoint (from the server's request log between two
    offsets): what is left of a latency is waiting for a free worker thread."""
    with log.open("rb") as handle:
        handle.seek(start)
        lines = handle.read(end - start).decode(errors="replace").splitlines()
    times: dict[str, list[float]] = {}
    for line in lines:
        found = SERVED.search(line)
        if found:
            times.setdefault(found.group(2), []).append(float(found.group(3)) / 1000)
    rows = ["| endpoint (time in the app) | count | p50 ms | p95 ms | p99 ms | max ms |",
            "|---|---|---|---|---|---|"]  # fmt: skip
    for endpoint, values in sorted(times.items(), key=lambda item: -len(item[1])):
        cells = [percentile(values, p) for p in (50, 95, 99)] + [max(values)]
        rows.append(f"| {endpoint} | {len(values)} | " + " | ".join(_ms(c) for c in cells) + " |")
    return "\n".join(rows)
