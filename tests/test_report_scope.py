"""Reports scoped by the access policy (`access.report_condition`): a manager's dashboard
figures, stall list, pilot metrics and event-log export count only their own organisation's
paths, and the paths where their organisation does a task while the client's consent to
multi-organisation handling is in force. After the consent is withdrawn nothing of the client
crosses organisation lines, not even as a count; an administrator of no organisation sees empty
figures. Through the services and through the pages."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.analytics.eventlog import case_id
from engine.analytics.stalls import Scope
from engine.clock import FrozenClock
from engine.persistence.relationships import Organisation
from engine.persistence.tables import AccessLog, HumanTask, ProcessInstance
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import dashboards, instances, users, workspace
from engine.services.access import Actor
from tests.conftest import LONG_SESSIONS, PASSWORD, Services
from tests.test_workspace_ui import login
from web import create_app

WALKS = Path(__file__).parent / "walks"
NORTH_SAVO, SOUTH_KARELIA, KELA = "hva-pohjois-savo", "hva-etela-karjala", "kela"
SECRET = "report-scope"


def person(
    svc: Services,
    username: str,
    roles: list[str],
    organisations: list[str],
    *,
    is_admin: bool = False,
) -> Actor:
    user_id = users.create_user(
        svc.uow(), svc.engine.roles, username=username, display_name=username.title(),
        password=PASSWORD, roles=roles, organisations=organisations, is_admin=is_admin,
    )  # fmt: skip
    user = users.get_user(svc.uow(), user_id)
    assert user is not None
    return Actor.from_user(user)


@dataclass
class World:
    north: list[int]  # national paths owned by North Savo
    south: int  # an Eksote path, owned by South Karelia
    kela_path: int  # North Savo's Iisalmi path with Kela's review step open, consent given
    kela_client: int

    @property
    def north_savo_paths(self) -> set[int]:
        return {*self.north, self.kela_path}


def two_organisations(svc: Services) -> World:
    north = [svc.start(), svc.start()]
    south = svc.start("eksote")
    kela_path = svc.start("iisalmi")
    walk = json.loads((WALKS / "iisalmi.json").read_text(encoding="utf-8"))["walks"][0]
    encounter, interview = walk["steps"][:2]
    assert encounter["task"] == "Task_encounter" and encounter["data"]["consent_multi_org"]
    assert interview["task"] == "Task_initial_interview"
    for step in (encounter, interview):
        task = svc.open_task(kela_path, step["task"])
        instances.complete_task(
            svc.uow(), svc.engine, svc.clock, svc.doer(task), task.id, step["data"]
        )
    with svc.uow() as uow:
        owner = {
            i.id: i.organisation.code if i.organisation else None
            for i in uow.session.scalars(select(ProcessInstance))
        }
        kela = uow.session.scalar(select(Organisation.id).where(Organisation.code == KELA))
        kela_steps = uow.session.scalars(
            select(HumanTask.bpmn_id).where(
                HumanTask.instance_id == kela_path,
                HumanTask.state == "open",
                HumanTask.organisation_id == kela,
            )
        ).all()
        kela_client = uow.session.scalar(
            select(ProcessInstance.client_id).where(ProcessInstance.id == kela_path)
        )
    assert owner == {north[0]: NORTH_SAVO, north[1]: NORTH_SAVO, south: SOUTH_KARELIA,
                     kela_path: NORTH_SAVO}  # fmt: skip
    assert kela_steps == ["Task_kela_review"]  # Kela does a task on North Savo's path
    assert kela_client is not None
    return World(north, south, kela_path, kela_client)


def waiting(svc: Services, paths: set[int]) -> int:
    """The open steps of these paths, counted from the worklist itself."""
    return sum(len(svc.open_tasks(i)) for i in paths)


def figures(svc: Services, actor: Actor) -> tuple[int, set[str], int]:
    """(clients waiting on the dashboard, the models those steps belong to, clients contacted
    in the pilot metrics): what a manager reads off their pages."""
    board = dashboards.dashboard(svc.uow(), svc.clock, actor, Scope())
    metrics = dashboards.pilot_metrics(svc.uow(), svc.clock, actor, Scope())
    return (
        sum(s.waiting for s in board.steps),
        {s.model_key for s in board.steps},
        metrics.contacted,
    )


def stalled_paths(svc: Services, actor: Actor) -> set[int]:
    return {r.instance_id for r in dashboards.stalled(svc.uow(), svc.clock, actor, Scope())}


def exported_cases(svc: Services, actor: Actor, fmt: str = "csv") -> set[str]:
    text = "".join(dashboards.export_log(svc.uow(), svc.clock, actor, Scope(), SECRET, fmt))
    if fmt == "xes":
        return {
            line.split('value="')[1].split('"')[0]
            for line in text.splitlines()
            if line.startswith("<trace>")
        }
    rows = list(csv.DictReader(io.StringIO(text)))
    return {r["case_id"] for r in rows}


def cases(paths: set[int]) -> set[str]:
    return {case_id(SECRET, i) for i in paths}


def disclosures(svc: Services, username: str) -> list[AccessLog]:
    with svc.uow() as uow:
        return list(
            uow.session.scalars(
                select(AccessLog)
                .where(
                    AccessLog.username == username,
                    AccessLog.resource.like("event_log.%"),
                    AccessLog.client_id.is_(None),  # the export's summary row (one per client too)
                )
                .order_by(AccessLog.id)
            )
        )


def withdraw(svc: Services, world: World) -> None:
    workspace.withdraw_consent(
        svc.uow(), svc.clock, svc.actors["kaisa"], world.kela_client, "Asiakas perui suostumuksen"
    )


# ---------------------------------------------------------------- through the services


def test_each_manager_counts_only_their_own_organisations_paths(services: Services) -> None:
    world = two_organisations(services)
    north = person(services, "niina", ["manager"], [NORTH_SAVO])
    south = person(services, "eero", ["auditor"], [SOUTH_KARELIA])

    assert figures(services, north) == (
        waiting(services, world.north_savo_paths),
        {"national", "iisalmi"},
        3,
    )
    assert figures(services, south) == (waiting(services, {world.south}), {"eksote"}, 1)

    heat = dashboards.heatmap(services.uow(), services.engine, services.clock, south, "national")
    assert heat.cells == []  # North Savo's national paths are not South Karelia's to count
    heat = dashboards.heatmap(services.uow(), services.engine, services.clock, north, "national")
    assert sum(c.waiting for c in heat.cells) == 2

    services.clock.advance(days=30)  # every running path goes quiet: all of them stall
    assert stalled_paths(services, north) == world.north_savo_paths
    assert stalled_paths(services, south) == {world.south}
    for row in dashboards.stalled(services.uow(), services.clock, north, Scope()):
        assert row.name is None  # management reads pseudonyms

    assert exported_cases(services, north) == cases(world.north_savo_paths)
    assert exported_cases(services, south) == cases({world.south})
    assert exported_cases(services, south, "xes") == cases({world.south})
    [csv_row, xes_row] = disclosures(services, "eero")
    assert (csv_row.action, csv_row.resource, csv_row.client_id) == (
        "disclose",
        "event_log.csv",
        None,
    )
    assert csv_row.success and "paths exported: 1" in csv_row.basis
    assert xes_row.resource == "event_log.xes"
    assert "paths exported: 3" in disclosures(services, "niina")[0].basis


def test_kela_counts_a_path_only_while_the_clients_consent_is_in_force(
    services: Services,
) -> None:
    world = two_organisations(services)
    kela = person(services, "kaija", ["manager"], [KELA])
    north = person(services, "niina", ["manager"], [NORTH_SAVO])
    services.clock.advance(days=30)

    # consent in force: the one path where Kela does a task counts, and nothing else
    assert figures(services, kela) == (waiting(services, {world.kela_path}), {"iisalmi"}, 1)
    assert stalled_paths(services, kela) == {world.kela_path}
    assert exported_cases(services, kela) == cases({world.kela_path})

    withdraw(services, world)
    services.clock.advance(days=30)  # the withdrawal is an event on the path: quiet again

    # withdrawn: the client is gone from Kela's figures, stall list and export
    assert figures(services, kela) == (0, set(), 0)
    assert stalled_paths(services, kela) == set()
    assert exported_cases(services, kela) == set()
    board = dashboards.dashboard(services.uow(), services.clock, kela, Scope())
    assert all(week.opened == week.completed == 0 for week in board.trend)
    assert all(d.count == 0 for d in board.lead_times.values())
    assert [r.basis.rsplit(": ", 1)[1] for r in disclosures(services, "kaija")] == ["1", "0"]
    # the owning organisation still counts its own path
    assert figures(services, north)[0] == waiting(services, world.north_savo_paths)
    assert world.kela_path in stalled_paths(services, north)
    assert case_id(SECRET, world.kela_path) in exported_cases(services, north)


def test_an_administrator_of_no_organisation_sees_empty_figures(services: Services) -> None:
    two_organisations(services)
    admin = person(services, "root", [], [], is_admin=True)
    services.clock.advance(days=30)
    assert dashboards.may_see_dashboards(admin)  # may open the dashboards ...
    assert figures(services, admin) == (0, set(), 0)  # ... but counts no client
    assert stalled_paths(services, admin) == set()
    assert exported_cases(services, admin) == set()


def test_a_coordinator_reads_names_only_on_paths_they_may_read(services: Services) -> None:
    world = two_organisations(services)
    sirpa = person(services, "sirpa", ["case_coordinator"], [NORTH_SAVO])
    services.clock.advance(days=30)
    rows = dashboards.stalled(services.uow(), services.clock, sirpa, Scope())
    assert {r.instance_id for r in rows} == world.north_savo_paths  # not South Karelia's
    assert all(r.name == "Testi Asiakas" for r in rows)  # her organisation's intake
    with services.uow() as uow:
        logged = uow.session.scalars(
            select(AccessLog.instance_id).where(
                AccessLog.username == "sirpa", AccessLog.resource == "stall_list"
            )
        ).all()
    assert set(logged) == world.north_savo_paths


# ---------------------------------------------------------------- through the pages


@pytest.fixture
def site(
    tmp_path: Path, clock: FrozenClock, template_database: tuple[Path, dict[str, Actor]]
) -> Iterator[Flask]:
    path = tmp_path / "scope.db"
    shutil.copyfile(template_database[0], path)
    app = create_app({"TESTING": True, "DATABASE_AUTO_UPGRADE": True,
                      "DATABASE_URL": f"sqlite:///{path}", "CLOCK": clock,
                      "SECRET_KEY": SECRET, "WTF_CSRF_ENABLED": False,
                      **LONG_SESSIONS})  # fmt: skip
    yield app
    app.extensions["polku"].db.dispose()


def site_services(app: Flask, clock: FrozenClock) -> Services:
    ctx = app.extensions["polku"]
    actors = {
        u.username: Actor.from_user(u) for u in users.list_users(UnitOfWork(ctx.session_factory))
    }
    return Services(ctx.engine, clock, ctx.session_factory, actors)


def page_rows(client: FlaskClient, url: str) -> list[list[str]]:
    response = client.get(url)
    assert response.status_code == 200, url
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))[1:]


def page_figures(client: FlaskClient) -> tuple[int, int, set[str]]:
    """(clients waiting per the steps table, stalled clients listed, cases in the event log
    download), as the manager downloads them from the pages."""
    steps = page_rows(client, "/dashboard?download=steps")
    stalled = page_rows(client, "/dashboard/stalled?download=stalled-clients")
    log = page_rows(client, "/dashboard/event-log/download?format=csv")
    return sum(int(r[5]) for r in steps), len(stalled), {r[0] for r in log}


def test_the_pages_show_each_manager_their_own_scope_and_kela_loses_the_client(
    site: Flask, clock: FrozenClock
) -> None:
    svc = site_services(site, clock)
    world = two_organisations(svc)
    person(svc, "niina", ["manager"], [NORTH_SAVO])
    person(svc, "eero", ["manager"], [SOUTH_KARELIA])
    person(svc, "kaija", ["manager"], [KELA])
    person(svc, "root", [], [], is_admin=True)
    clock.advance(days=30)
    north, south, kela, admin = (login(site, u) for u in ("niina", "eero", "kaija", "root"))

    assert page_figures(north) == (
        waiting(svc, world.north_savo_paths),
        3,
        {case_id(SECRET, i) for i in world.north_savo_paths},
    )
    assert page_figures(south) == (waiting(svc, {world.south}), 1, {case_id(SECRET, world.south)})
    assert page_figures(kela) == (
        waiting(svc, {world.kela_path}),
        1,
        {case_id(SECRET, world.kela_path)},
    )
    assert page_figures(admin) == (0, 0, set())
    diagram = kela.get("/dashboard/diagram.json?model=iisalmi").get_json()
    assert sum(c["waiting"] for c in diagram["cells"]) == waiting(svc, {world.kela_path})
    metrics = page_rows(kela, "/dashboard/metrics?download=clients")
    assert metrics[0][1] == "1"  # contacted

    withdraw(svc, world)
    clock.advance(days=30)  # the withdrawal is an event on the path: let it go quiet again

    assert page_figures(kela) == (0, 0, set())
    assert kela.get("/dashboard/diagram.json?model=iisalmi").get_json()["cells"] == []
    assert page_rows(kela, "/dashboard/metrics?download=clients")[0][1] == "0"
    assert page_figures(north)[1:] == (3, {case_id(SECRET, i) for i in world.north_savo_paths})
    assert kela.get("/dashboard").status_code == 200  # the page itself still opens, empty
