"""Two app servers (`polku serve`, gunicorn with two workers each) and two timer workers on one
PostgreSQL, driven by concurrent clients: no lost update, every timer fired exactly once, a
session made on one server valid on the other; then the database goes away and comes back."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from engine.clock import system_clock
from engine.persistence import schema
from engine.persistence.database import make_engine, make_session_factory
from engine.persistence.tables import Event, HumanTask, WorkerHeartbeat
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import organisations, users
from engine.services.demo import sample
from engine.workflow.engine import WorkflowEngine
from tests.client_tasks import client_catches_up
from tests.conftest import PASSWORD, PROCESSES, ROOT, STAFF
from tests.postgres import PostgresServer, find_bindir, free_port

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(find_bindir() is None, reason="no PostgreSQL server binaries"),
]
API = "/api/v1"
ASSESSMENTS = ("Task_physician_assessment", "Task_functional_assessment", "Task_social_assessment")
ASSESSOR = {"Task_physician_assessment": "lauri", "Task_functional_assessment": "fanni",
            "Task_social_assessment": "sanna"}  # fmt: skip
CYCLES = 3
PROPS = (
    "<bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property "
    'name="formJsonSchemaFilename" value="forms/f.json" /><spiffworkflow:property name="phase" '
    'value="follow_up" /></spiffworkflow:properties></bpmn:extensionElements>'
)
# Start -> a 1 s duration timer -> Review, with a non-interrupting R3/PT1S cycle -> Remind.
TIMER_MODEL = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="D" targetNamespace="t">
  <bpmn:process id="timers" name="Timers" isExecutable="true">
    <bpmn:laneSet id="LS"><bpmn:lane id="L" name="Työkykykoordinaattori">
      <bpmn:flowNodeRef>Review</bpmn:flowNodeRef><bpmn:flowNodeRef>Remind</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="S"><bpmn:outgoing>F0</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="F0" sourceRef="S" targetRef="Wait" />
    <bpmn:intermediateCatchEvent id="Wait" name="Wait"><bpmn:incoming>F0</bpmn:incoming>
      <bpmn:outgoing>F1</bpmn:outgoing><bpmn:timerEventDefinition>
      <bpmn:timeDuration xsi:type="bpmn:tFormalExpression">PT1S</bpmn:timeDuration>
      </bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="F1" sourceRef="Wait" targetRef="Review" />
    <bpmn:userTask id="Review" name="Review">{PROPS}<bpmn:incoming>F1</bpmn:incoming>
      <bpmn:outgoing>F2</bpmn:outgoing></bpmn:userTask>
    <bpmn:boundaryEvent id="Every" name="Every second" cancelActivity="false"
      attachedToRef="Review"><bpmn:outgoing>F3</bpmn:outgoing><bpmn:timerEventDefinition>
        <bpmn:timeCycle xsi:type="bpmn:tFormalExpression">R{CYCLES}/PT1S</bpmn:timeCycle>
      </bpmn:timerEventDefinition></bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="F3" sourceRef="Every" targetRef="Remind" />
    <bpmn:userTask id="Remind" name="Remind">{PROPS}<bpmn:incoming>F3</bpmn:incoming>
      <bpmn:outgoing>F4</bpmn:outgoing></bpmn:userTask>
    <bpmn:sequenceFlow id="F4" sourceRef="Remind" targetRef="E2" />
    <bpmn:endEvent id="E2"><bpmn:incoming>F4</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="F2" sourceRef="Review" targetRef="E1" />
    <bpmn:endEvent id="E1"><bpmn:incoming>F2</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>"""


@dataclass
class Site:
    """One or more app servers on one database, seen from outside."""

    servers: list[str]
    database_url: str
    pg: PostgresServer
    tokens: dict[str, str]
    processes: list[subprocess.Popen[bytes]]

    def token(self, username: str) -> str:
        if username not in self.tokens:
            answer = requests.post(
                f"{self.servers[0]}{API}/tokens",
                json={"username": username, "password": PASSWORD},
                timeout=30,
            )
            assert answer.status_code == 201, answer.text
            self.tokens[username] = answer.json()["token"]
        return self.tokens[username]

    def call(self, server: int, method: str, path: str, user: str, **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.token(user)}"}
        return requests.request(
            method, f"{self.servers[server]}{API}{path}", headers=headers, timeout=30, **kw
        )

    def start(self, process: str) -> int:
        made = self.call(0, "POST", "/clients", "kaisa", json={"full_name": "Testi Asiakas"})
        assert made.status_code == 201, made.text
        started = self.call(
            1, "POST", "/instances", "kaisa", json={"client": made.json()["id"], "process": process}
        )
        assert started.status_code == 201, started.text
        return int(started.json()["id"])

    def client_catches_up(self, instance: int, bpmn_id: str) -> None:
        """The client does their own open tasks first (as the client, in the engine)."""
        database = make_engine(self.database_url)
        try:
            client_catches_up(
                lambda: UnitOfWork(make_session_factory(database)), WorkflowEngine(PROCESSES),
                system_clock, instance, bpmn_id,
            )  # fmt: skip
        finally:
            database.dispose()

    def task(self, server: int, user: str, instance: int, bpmn_id: str) -> str:
        self.client_catches_up(instance, bpmn_id)
        listed = self.call(server, "GET", "/tasks", user, params={"instance": instance})
        assert listed.status_code == 200, listed.text
        found = [t["id"] for t in listed.json()["items"] if t["bpmn_id"] == bpmn_id]
        assert found, f"{bpmn_id} is not open for {user}"
        return str(found[0])

    def complete(self, server: int, user: str, task_id: str, bpmn_id: str) -> requests.Response:
        data = sample(bpmn_id)
        if bpmn_id == "Task_support_plan":
            data["case_manager"] = "aino"
        return self.call(  # type: ignore[no-any-return]
            server, "POST", f"/tasks/{task_id}/complete", user, json={"data": data}
        )

    def count(self, query: Any) -> int:
        database = make_engine(self.database_url)
        try:
            with UnitOfWork(make_session_factory(database)) as uow:
                return int(uow.session.scalar(query) or 0)
        finally:
            database.dispose()


def _wait_until(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise AssertionError(f"not within {seconds:g} s: {what}")


def _processes(tmp_path: Path) -> Path:
    target = tmp_path / "processes"
    shutil.copytree(
        PROCESSES, target, ignore=shutil.ignore_patterns("eksote", "iisalmi", "kainuu", "rovaniemi")
    )
    (target / "timers" / "forms").mkdir(parents=True)
    (target / "timers" / "timers.bpmn").write_text(TIMER_MODEL, encoding="utf-8")
    (target / "timers" / "forms" / "f.json").write_text('{"type": "object", "properties": {}}')
    return target


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp_path = tmp_path_factory.mktemp("multiprocess")
    pg = PostgresServer()
    url = pg.create_database("polku")
    processes = _processes(tmp_path)
    database = make_engine(url)
    schema.upgrade(database)
    engine = WorkflowEngine(processes)
    with UnitOfWork(make_session_factory(database)) as uow:  # the staff's organisations
        organisations.sync(uow, organisations.catalogue(processes))
        uow.commit()
    for username, roles in STAFF.items():
        users.create_user(UnitOfWork(make_session_factory(database)), engine.roles,
                          username=username, display_name=username.title(), password=PASSWORD,
                          roles=roles)  # fmt: skip
    database.dispose()
    env = {
        **os.environ,
        "POLKU_DATABASE_URL": url,
        "POLKU_SECRET_KEY": "one-secret-for-every-server",
        "POLKU_PROCESSES_DIR": str(processes),
        "POLKU_WEB_WORKERS": "2",
        "POLKU_TIMER_WORKERS": "1",
        "POLKU_TIMER_INTERVAL": "0.3",
        "POLKU_LOG_LEVEL": "WARNING",
    }
    env.pop("POLKU_DEMO", None)
    ports = [free_port(), free_port()]
    logs = [open(tmp_path / f"server{i}.log", "w") for i in range(2)]  # noqa: SIM115
    servers = [
        subprocess.Popen(
            [sys.executable, "-m", "web.cli", "serve", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        for port, log in zip(ports, logs, strict=True)
    ]
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for url_ in urls:
            _wait_until(lambda u=url_: requests.get(f"{u}/readyz", timeout=2).ok, 90,  # type: ignore[misc]
                        f"{url_} ready")  # fmt: skip
        yield Site(urls, url, pg, {}, servers)
    finally:
        for server in servers:
            if server.poll() is None:
                server.send_signal(signal.SIGTERM)
        for server in servers:
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        for log in logs:
            log.close()
        pg.remove()


def signed_in(site: Site, server: int) -> requests.Session:
    """A browser session signed in as kaisa through one server's login form."""
    browser = requests.Session()
    login = browser.get(f"{site.servers[server]}/login", timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
    assert token, "the login form has a CSRF token"
    answer = browser.post(
        f"{site.servers[server]}/login",
        data={"csrf_token": token.group(1), "username": "kaisa", "password": PASSWORD},
        timeout=10,
    )
    assert answer.ok and "/login" not in answer.url
    return browser


def test_a_session_made_on_one_server_is_valid_on_the_other(site: Site) -> None:
    browser = signed_in(site, 0)
    other = browser.get(f"{site.servers[1]}/", timeout=10, allow_redirects=False)
    assert other.status_code == 200, "the second server knows the session"
    assert "Kaisa" in other.text


def test_concurrent_completions_on_two_servers_lose_no_update(site: Site) -> None:
    paths = [site.start("national") for _ in range(4)]
    for path in paths:
        for bpmn_id in ("Task_encounter", "Task_initial_interview"):
            task = site.task(0, "kaisa", path, bpmn_id)
            assert site.complete(0, "kaisa", task, bpmn_id).status_code == 200

    def assess(job: tuple[int, str, int]) -> list[int]:
        """Complete one parallel assessment, retrying while another server holds the path."""
        path, bpmn_id, server = job
        user, statuses = ASSESSOR[bpmn_id], []
        task = site.task(server, user, path, bpmn_id)
        for _ in range(20):
            answer = site.complete(server, user, task, bpmn_id)
            statuses.append(answer.status_code)
            if answer.status_code != 409:
                break
            time.sleep(0.05)
        return statuses

    jobs = [(p, b, i % 2) for p in paths for i, b in enumerate(ASSESSMENTS)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(assess, jobs))
    assert all(statuses[-1] == 200 for statuses in outcomes), outcomes

    # the same task twice at once, from both servers: done once, refused once
    doubles = [site.task(0, "timo", p, "Task_support_plan") for p in paths]
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(
            lambda j: site.complete(j[1], "timo", j[0], "Task_support_plan").status_code,
            [(t, s) for t in doubles for s in (0, 1)],
        ))  # fmt: skip
    assert sorted(answers) == sorted([200, 409] * len(paths)), answers

    for path in paths:  # every assessment recorded once, and the join moved every path on
        for bpmn_id in (*ASSESSMENTS, "Task_support_plan"):
            assert site.count(
                select(func.count(HumanTask.id)).where(
                    HumanTask.instance_id == path, HumanTask.bpmn_id == bpmn_id,
                    HumanTask.state == "completed",
                )
            ) == 1, (path, bpmn_id)  # fmt: skip
        site.client_catches_up(path, "Task_arrange_services")  # the client accepts the plan
        assert site.count(
            select(func.count(HumanTask.id)).where(
                HumanTask.instance_id == path, HumanTask.bpmn_id == "Task_arrange_services",
                HumanTask.state == "open",
            )
        ) == 1  # fmt: skip


def _timer_fired(path: int, bpmn_id: str) -> Any:
    return select(func.count(Event.id)).where(
        Event.instance_id == path, Event.kind == "timer_fired", Event.bpmn_id == bpmn_id
    )


def test_every_timer_fires_exactly_once_with_two_workers(site: Site) -> None:
    paths = [site.start("timers") for _ in range(12)]

    def all_fired() -> bool:
        return all(site.count(_timer_fired(p, "Every")) >= CYCLES for p in paths)

    _wait_until(all_fired, 60, "every cycle fired")
    time.sleep(2)  # a double firing would show by now: the workers run every 0.3 s
    for path in paths:
        assert site.count(_timer_fired(path, "Wait")) == 1
        assert site.count(_timer_fired(path, "Every")) == CYCLES
        assert site.count(
            select(func.count(HumanTask.id)).where(
                HumanTask.instance_id == path, HumanTask.bpmn_id == "Remind"
            )
        ) == CYCLES  # fmt: skip
    assert site.count(select(func.count(WorkerHeartbeat.name))) == 2
    # each server's /metrics adds up its own processes: gunicorn's workers and its timer worker
    scraped = requests.get(f"{site.servers[0]}/metrics", timeout=10).text
    assert re.search(r'^polku_http_request_seconds_count\{endpoint="api\.', scraped, re.M)
    assert re.search(r"^polku_timers_fired_total \d", scraped, re.M)
    assert len(re.findall(r"^polku_worker_heartbeat_age_seconds\{", scraped, re.M)) == 2
    fired_by = site.count(
        select(func.count(WorkerHeartbeat.name)).where(WorkerHeartbeat.timers_fired > 0)
    )
    assert fired_by >= 1


def test_when_the_database_goes_away_requests_answer_503_and_everything_recovers(
    site: Site,
) -> None:
    """Runs last in this module: it stops the database and starts it again."""
    path = site.start("national")
    task = site.task(0, "kaisa", path, "Task_encounter")
    events = site.count(select(func.count(Event.id)).where(Event.instance_id == path))
    site.token("kaisa")
    browser = signed_in(site, 0)
    site.pg.stop()
    try:
        refused = site.complete(0, "kaisa", task, "Task_encounter")
        assert refused.status_code == 503
        assert refused.headers["Retry-After"].isdigit()
        assert refused.headers["Content-Type"].startswith("application/problem+json")
        assert "database" in refused.json()["detail"]
        listed = site.call(1, "GET", "/tasks", "kaisa")
        assert listed.status_code == 503
        assert requests.get(f"{site.servers[1]}/readyz", timeout=10).status_code == 503
        assert requests.get(f"{site.servers[1]}/healthz", timeout=10).status_code == 200
        page = browser.get(f"{site.servers[0]}/", timeout=10, allow_redirects=False)
        assert page.status_code == 503 and page.headers["Retry-After"].isdigit()
        assert "Tilapäisesti poissa käytöstä" in page.text  # a page in the reader's language
        time.sleep(2)  # the workers fail a round or two and back off
    finally:
        site.pg.start()
    for server in site.servers:  # the servers reconnect by themselves
        _wait_until(lambda s=server: requests.get(f"{s}/readyz", timeout=5).ok, 30,  # type: ignore[misc]
                    f"{server} ready again")  # fmt: skip
    # nothing was half written: the refused completion left the task open and no event
    assert site.count(select(func.count(Event.id)).where(Event.instance_id == path)) == events
    assert site.complete(1, "kaisa", task, "Task_encounter").status_code == 200
    # the timer workers resumed
    timers = site.start("timers")
    _wait_until(lambda: site.count(_timer_fired(timers, "Wait")) == 1, 60, "a timer fired")


def _children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in found.split()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").exists() and " Z " not in Path(f"/proc/{pid}/stat").read_text()


def test_ctrl_c_stops_the_server_and_its_workers_cleanly(site: Site) -> None:
    server = site.processes[0]
    children = _children(server.pid)  # gunicorn's master and the timer worker
    grandchildren = [g for c in children for g in _children(c)]  # gunicorn's workers
    assert len(children) == 2 and len(grandchildren) == 2
    server.send_signal(signal.SIGINT)
    assert server.wait(timeout=30) == 0
    assert not [p for p in children + grandchildren if _alive(p)]
    assert requests.get(f"{site.servers[1]}/healthz", timeout=5).ok  # the other server serves on
