"""HTTP load through the production server (`polku serve`: gunicorn with gthread workers) on
the benchmark data set (build_dataset.py), with real paths to work on (real_paths.py).

    .venv/bin/python bench/http_load.py --url postgresql+psycopg://postgres@127.0.0.1:PORT/polku_bench

1. Prepares: the schema, 8 staff and the manager (bench/accounts.py), `--paths` new national
   paths started and advanced through the services; then starts `polku serve` (no timer
   workers: the synthetic paths' timers cannot run) and signs everyone in: the staff through
   the login form (the pages) and `POST /api/v1/tokens` (the API), the manager through the form.
2. Open loop: a request every 1/`--rate` s for `--duration` s, whatever the server does; the
   staff take turns (their own sessions); every `--dashboard-every`th slot is the manager's,
   on the next dashboard page. Latency counts from the *scheduled* start, so a slow answer
   delays no later request and hides nothing (no coordinated omission).
3. Closed loop: 1, 2, 4, 8 clients without pause, each completing a task and then reading that
   person's worklist, `--closed-seconds` each: the most the server does, and where it stops
   growing.
4. Memory: VmRSS (and PSS) of each gunicorn worker after the run, with every model loaded.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import requests
import urllib3
from accounts import MANAGER, PASSWORD, STAFF
from load_report import (
    Recorder,
    closed_table,
    cpu_line,
    cpu_now,
    machine,
    memory_table,
    open_table,
    pss_rss,
    served_table,
)
from pg import free_port
from real_paths import Ready, TaskPool, form_data, load_open_tasks, prepare
from run import PAGES
from sqlalchemy import func, make_url, select, text

from engine.persistence import schema
from engine.persistence.database import make_engine, make_session_factory
from engine.persistence.tables import Event, HumanTask, ProcessInstance
from engine.persistence.unit_of_work import UnitOfWork
from engine.workflow.engine import WorkflowEngine

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("complete", "worklist", "client")


@dataclass
class Server:
    base: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)  # polku serve stops gunicorn in order
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_server(url: str, port: int, workers: int | None, threads: int | None) -> Server:
    log = Path(tempfile.mkdtemp(prefix="polku-load-")) / "server.log"
    env = {
        **os.environ,
        "POLKU_DATABASE_URL": url,
        "POLKU_SECRET_KEY": secrets.token_hex(32),
        "POLKU_SECURE_COOKIES": "0",  # plain http on 127.0.0.1
        # every request's line, with its time in the app: read back for the table of it
        "POLKU_LOG_LEVEL": "INFO",
        "POLKU_LOG_FORMAT": "text",
    }
    if threads:
        env["POLKU_WEB_THREADS"] = str(threads)
    command = [sys.executable, "-m", "web.cli", "serve", "--timer-workers", "0",
               "--port", str(port)] + (["--workers", str(workers)] if workers else [])  # fmt: skip
    print("server: " + " ".join(command[1:]) + f"  (log: {log})", flush=True)
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    server = Server(f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"the server exited ({process.returncode}):\n{log.read_text()[-3000:]}")
        try:
            if requests.get(f"{server.base}/healthz", timeout=2).status_code == 200:
                return server
        except requests.RequestException:
            pass
        time.sleep(0.5)
    server.stop()
    sys.exit(f"the server did not answer /healthz in 300 s; its log: {log}")


@dataclass
class Person:
    name: str
    cookie: str = ""
    token: str = ""
    turns: int = 0


@dataclass
class Load:
    """Signed-in people, the HTTP connections and the real paths' tasks."""

    base: str
    pool: TaskPool
    http: urllib3.PoolManager
    people: dict[str, Person] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def sign_in(self, name: str, api: bool) -> Person:
        person = Person(name)
        with requests.Session() as browser:
            page = browser.get(f"{self.base}/login", timeout=30)
            found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            answer = browser.post(
                f"{self.base}/login", allow_redirects=False, timeout=30,
                data={"username": name, "password": PASSWORD,
                      "csrf_token": found.group(1) if found else ""},
            )  # fmt: skip
            if answer.status_code != 302:
                sys.exit(f"{name} could not sign in: {answer.status_code}")
            person.cookie = "; ".join(f"{c.name}={c.value}" for c in browser.cookies)
        if api:
            answer = requests.post(f"{self.base}/api/v1/tokens", timeout=30,
                                   json={"username": name, "password": PASSWORD})  # fmt: skip
            if answer.status_code != 201:
                sys.exit(f"{name} got no API token: {answer.status_code} {answer.text[:200]}")
            person.token = answer.json()["token"]
        self.people[name] = person
        return person

    def note(self, what: str) -> None:
        with self.lock:
            if len(self.problems) < 10:
                self.problems.append(what)

    def _send(self, method: str, path: str, **options: Any) -> urllib3.BaseHTTPResponse | None:
        """The answer; None (noted, counted as status 0) when the request failed without one."""
        try:
            return self.http.request(method, self.base + path, redirect=False, retries=False,
                                     **options)  # fmt: skip
        except urllib3.exceptions.HTTPError as exc:  # refused, reset, timed out …
            self.note(f"{method} {path}: {type(exc).__name__}: {str(exc)[:200]}")
            return None

    def get(self, person: Person, path: str) -> int:
        answer = self._send("GET", path, headers={"Cookie": person.cookie})
        if answer is None:
            return 0
        if answer.status != 200:
            self.note(f"GET {path} as {person.name}: {answer.status}")
        return answer.status

    def complete(self, task: Ready) -> int:
        person = self.people[task.user]
        body = json.dumps({"data": form_data(task.bpmn_id, task.instance_id)}).encode()
        answer = self._send(
            "POST", f"/api/v1/tasks/{task.task_id}/complete", body=body,
            headers={"Authorization": f"Bearer {person.token}",
                     "Content-Type": "application/json"},
        )  # fmt: skip
        if answer is None:
            self.pool.done(task, None)
            return 0
        if answer.status == 200:
            self.pool.done(task, json.loads(answer.data))
        elif answer.status == 409:
            self.pool.again(task)
        else:
            self.pool.done(task, None)
            self.note(f"complete {task.bpmn_id} as {task.user}: {answer.status} "
                       f"{answer.data[:300].decode(errors='replace')}")  # fmt: skip
        return answer.status

    def act(self, kind: str, name: str) -> tuple[str, int] | None:
        """One request of the person's; None when there was nothing to do."""
        person = self.people[name]
        person.turns += 1
        if kind == "complete":
            task = self.pool.take(name)
            return None if task is None else ("complete", self.complete(task))
        if kind == "worklist":
            return "worklist", self.get(person, "/")
        client = self.pool.client_of(name, person.turns)
        return None if client is None else ("client page", self.get(person, f"/clients/{client}"))

    def dashboard(self, turn: int) -> tuple[str, int]:
        title, path = PAGES[turn % len(PAGES)]
        return f"dashboard: {title}", self.get(self.people[MANAGER], path)


def open_loop(load: Load, seconds: float, rate: float, pattern: list[str],
              dashboard_every: int, threads: int) -> Recorder:  # fmt: skip
    recorder = Recorder()
    staff = list(STAFF)

    def run(job: Callable[[], tuple[str, int] | None], due: float) -> None:
        started = time.perf_counter()
        try:
            done = job()
        except Exception as exc:  # a bug of the load's own: counted and shown, never hidden
            load.note(f"{type(exc).__name__}: {exc}")
            done = ("failed in the load generator", 0)
        recorder.add(done, due, started, time.perf_counter())

    slots = int(seconds * rate)
    with ThreadPoolExecutor(max_workers=threads) as executor:
        begin = time.perf_counter() + 0.1
        staff_turn = dashboard_turn = 0
        for slot in range(slots):
            job: Callable[[], tuple[str, int] | None]
            if dashboard_every and slot % dashboard_every == dashboard_every - 1:
                job = partial(load.dashboard, dashboard_turn)
                dashboard_turn += 1
            else:
                name, kind = staff[staff_turn % len(staff)], pattern[
                    (staff_turn // len(staff)) % len(pattern)]  # fmt: skip
                job = partial(load.act, kind, name)
                staff_turn += 1
            due = begin + slot / rate
            pause = due - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            executor.submit(run, job, due)
    return recorder


def closed_loop(load: Load, clients: int, seconds: float) -> tuple[Recorder, float, bool]:
    recorder, ran_out = Recorder(), threading.Event()
    begin = time.perf_counter()
    stop = begin + seconds

    def client() -> None:
        while time.perf_counter() < stop:
            task = load.pool.take()
            if task is None:
                ran_out.set()
                return
            started = time.perf_counter()
            status = load.complete(task)
            middle = time.perf_counter()
            recorder.add(("complete", status), started, started, middle)
            status = load.get(load.people[task.user], "/")
            recorder.add(("worklist", status), middle, middle, time.perf_counter())

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return recorder, time.perf_counter() - begin, ran_out.is_set()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the benchmark database (SQLAlchemy URL)")
    parser.add_argument("--paths", type=int, default=600, help="new real paths to prepare")
    parser.add_argument("--duration", type=float, default=60, help="open loop, seconds")
    parser.add_argument("--rate", type=float, default=20, help="open loop, requests a second")
    parser.add_argument("--mix", default="complete=2,worklist=1,client=1",
                        help="each staff member's requests in turn")  # fmt: skip
    parser.add_argument("--dashboard-every", type=int, default=40,
                        help="every Nth slot is a dashboard page (0: none)")  # fmt: skip
    parser.add_argument("--closed-seconds", type=float, default=20)
    parser.add_argument("--closed-levels", default="1,2,4,8")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=None, help="threads per worker")
    parser.add_argument("--port", type=int, default=None, help="default: a free port")
    parser.add_argument("--client-threads", type=int, default=64, help="load generator's")
    args = parser.parse_args()
    pattern = [k for item in args.mix.split(",") for k in [item.split("=")[0]]
               * int(item.split("=")[1])]  # fmt: skip
    if not pattern or set(pattern) - set(KINDS):
        parser.error(f"--mix: kinds are {', '.join(KINDS)}")
    pattern = interleave(pattern)

    print("# HTTP load on Polku\n\n```\n" + " ".join(["python", *sys.argv]) + "\n```\n")
    db = make_engine(args.url)
    schema.upgrade(db)
    factory = make_session_factory(db)
    uow = lambda: UnitOfWork(factory)  # noqa: E731
    print(machine(db))
    started = time.perf_counter()
    print(f"preparing {args.paths} real paths …", flush=True)
    prepare(uow, WorkflowEngine(ROOT / "processes"), args.paths)
    print(f"prepared in {time.perf_counter() - started:.0f} s", flush=True)
    with factory() as session:
        instances = session.scalar(select(func.count(ProcessInstance.id)))
        events = session.scalar(select(func.count(Event.id)))
        open_rows = session.scalar(select(func.count()).where(HumanTask.state == "open"))
        version = session.execute(text("select version()")).scalar() if db.dialect.name == \
            "postgresql" else "SQLite"  # fmt: skip
    db.dispose()
    print(f"data set: {instances:,} paths, {events:,} events, {open_rows:,} open tasks; {version}")
    pool = TaskPool()
    load_open_tasks(uow, pool)
    print(f"{pool.size()} open tasks on real paths to complete\n")

    server = start_server(args.url, args.port or free_port(), args.workers, args.threads)
    try:
        http = urllib3.PoolManager(maxsize=args.client_threads, timeout=urllib3.Timeout(60))
        load = Load(server.base, pool, http)
        for name in STAFF:
            load.sign_in(name, api=True)
        load.sign_in(MANAGER, api=False)
        warm(load, 4 * (args.workers or 8))
        processes = [pid for _, pid, _, _ in pss_rss(server.pid)]
        port = make_url(args.url).port if args.url.startswith("postgresql") else None
        before, offset = cpu_now(processes, port), server.log.stat().st_size
        recorder = open_loop(load, args.duration, args.rate, pattern, args.dashboard_every,
                             args.client_threads)  # fmt: skip
        print(f"\n## Open loop: {args.rate:g} requests/s for {args.duration:g} s\n")
        print(open_table(recorder, args.duration))
        print(cpu_line(before, cpu_now(processes, port)) + "\n")
        time.sleep(0.5)  # the last requests' log lines
        print(served_table(server.log, offset, server.log.stat().st_size))
        print(f"\n## Closed loop: no pause, {args.closed_seconds:g} s per level\n")
        levels, cpu = [], []
        for clients in (int(n) for n in args.closed_levels.split(",")):
            before = cpu_now(processes, port)
            levels.append((clients, *closed_loop(load, clients, args.closed_seconds)))
            cpu.append(f"- {clients} clients: " + cpu_line(before, cpu_now(processes, port)))
        print(closed_table(levels))
        print("\n" + "\n".join(cpu))
        print("\n## Memory of the gunicorn workers after the run\n")
        print(memory_table(pss_rss(server.pid)))
        if load.problems:
            print("\nfirst problems:\n" + "\n".join(f"- {p}" for p in load.problems))
        print(f"\n{pool.size()} open tasks left on real paths")
    finally:
        server.stop()


def interleave(kinds: list[str]) -> list[str]:
    """complete,complete,worklist,client -> complete,worklist,complete,client."""
    counts = {k: kinds.count(k) for k in dict.fromkeys(kinds)}
    order: list[str] = []
    while any(counts.values()):
        for kind in counts:
            if counts[kind]:
                order.append(kind)
                counts[kind] -= 1
    return order


def warm(load: Load, times: int) -> None:
    """Every worker parses every model (the targets page reads them all), on new connections
    served concurrently so that each worker takes some."""
    manager = load.people[MANAGER]

    def fetch() -> None:
        requests.get(f"{load.base}/dashboard/targets", headers={"Cookie": manager.cookie},
                     timeout=60)  # fmt: skip

    with ThreadPoolExecutor(max_workers=16) as executor:
        for _ in range(times):
            executor.submit(fetch)


if __name__ == "__main__":
    main()
