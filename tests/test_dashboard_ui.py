"""The managers' pages through the Flask test client: where clients wait (tables and the
heatmap's data), stalled clients, the pilot metrics on cohorts known by hand (Rovaniemi's
onward-referral table, Eksote's targets vs actual), CSV downloads of every table, service-level
target administration, the event log out and in; and management pages holding no names."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.clock import FrozenClock
from engine.services import demo, instances, sla, users
from engine.services.access import Actor
from engine.services.demo import DEMO_COUNTIES
from engine.workflow.loader import PHASES
from tests.conftest import LONG_SESSIONS, PASSWORD, Services
from tests.test_api import database_fingerprint
from tests.test_regional_walks import test_walk as replay
from tests.test_workspace_ui import login, text_of
from web import create_app

WALKS = Path(__file__).parent / "walks"
PAGES = [
    "/dashboard",
    "/dashboard/stalled",
    "/dashboard/metrics",
    "/dashboard/targets",
    "/dashboard/event-log",
]


@pytest.fixture
def app(
    tmp_path: Path, clock: FrozenClock, template_database: tuple[Path, dict[str, Actor]]
) -> Iterator[Flask]:
    """The site on a copy of the test template database (every region's staff), with an
    administrator, a manager, and every step due in five working days."""
    path = tmp_path / "dash.db"
    shutil.copyfile(template_database[0], path)
    site = create_app({"TESTING": True, "DATABASE_AUTO_UPGRADE": True,
                       "DATABASE_URL": f"sqlite:///{path}", "CLOCK": clock,
                       "SECRET_KEY": "dashboards", "WTF_CSRF_ENABLED": False,
                       **LONG_SESSIONS})  # fmt: skip
    ctx = site.extensions["polku"]
    for username, name, roles, admin in [
        ("admin", "Ylläpitäjä", [], True),
        ("maija", "Maija Manageri", ["manager"], False),
    ]:
        users.create_user(ctx.uow(), ctx.engine.roles, username=username, display_name=name,
                          password=PASSWORD, roles=roles, is_admin=admin,
                          organisations=DEMO_COUNTIES if "manager" in roles else None)  # fmt: skip
    root = Actor.from_user(users.authenticate(ctx.uow(), "admin", PASSWORD))
    for phase in PHASES:
        sla.set_target(ctx.uow(), clock, root, model_key=None, bpmn_id=None, phase=phase,
                       working_days=5)  # fmt: skip
    yield site
    ctx.db.dispose()


@pytest.fixture
def svc(app: Flask, clock: FrozenClock) -> Services:
    ctx = app.extensions["polku"]
    actors = {u.username: Actor.from_user(u) for u in users.list_users(ctx.uow())}
    return Services(ctx.engine, clock, ctx.session_factory, actors)


@pytest.fixture
def manager(app: Flask) -> FlaskClient:
    client = login(app, "maija")
    client.get("/lang/en")  # the figures are checked in English; the catalogues are complete
    return client


def walks(model: str) -> dict[str, Any]:
    doc = json.loads((WALKS / f"{model}.json").read_text(encoding="utf-8"))
    return {w["name"]: w for w in doc["walks"]}


def cohort(svc: Services, model: str, names: list[str]) -> None:
    known = walks(model)
    for name in names:
        replay(svc, model, known[name])


def csv_rows(client: FlaskClient, url: str) -> list[list[str]]:
    response = client.get(url)
    assert response.status_code == 200, url
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))


def download_links(html: str) -> list[str]:
    return [h.replace("&amp;", "&") for h in re.findall(r'href="([^"]*download=[^"]*)"', html)]


def client_names(svc: Services) -> list[str]:
    from sqlalchemy import select

    from engine.persistence.tables import Client

    with svc.uow() as uow:
        return [c.full_name for c in uow.session.scalars(select(Client))]


# ---------------------------------------------------------------- where clients wait


def test_the_dashboard_counts_waiting_clients_per_step_and_on_the_diagram(
    app: Flask,
    svc: Services,
    manager: FlaskClient,
    clock: FrozenClock,
) -> None:
    svc.start()
    late = svc.start()
    svc.walk(late, "Task_encounter", "Task_initial_interview")
    clock.advance(days=30)  # every step is due in five working days: now all are overdue
    svc.start()  # one that is not late

    page = manager.get("/dashboard?model=national")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Clients waiting per step" in text
    steps = {r[0]: r for r in csv_rows(manager, "/dashboard?model=national&download=steps")[1:]}
    encounter = steps["Encounter and raising the subject"]  # the model's text in English
    assert encounter[5:7] == ["2", "1"]  # two waiting, one overdue
    assert float(encounter[9]) == 30.0  # the oldest has waited thirty days

    heat = manager.get("/dashboard/diagram.json?model=national").get_json()
    cells = {c["id"]: c for c in heat["cells"]}
    assert cells["Task_encounter"]["waiting"] == 2 and cells["Task_encounter"]["share"] == 0.5
    assert all(f'id="{cell_id}"' in heat["xml"] for cell_id in cells)  # on the main diagram
    # every table on the page downloads, with as many rows as the page shows
    for link in download_links(page.text):
        rows = csv_rows(manager, link)
        assert rows[0], link


def test_steps_inside_a_called_subprocess_count_on_the_call_activity(
    app: Flask,
    svc: Services,
    manager: FlaskClient,
) -> None:
    iid = svc.start("eksote")
    for step in walks("eksote")["apprenticeship"]["steps"][:6]:  # up to the support plan
        task = svc.open_task(iid, step["task"])
        instances.complete_task(svc.uow(), svc.engine, svc.clock, svc.doer(task), task.id,
                                step["data"])  # fmt: skip
    heat = manager.get("/dashboard/diagram.json?model=eksote").get_json()
    [cell] = heat["cells"]
    assert cell["id"] != "Task_support_plan"  # a step of the shared subprocess...
    assert f'<bpmn:callActivity id="{cell["id"]}"' in heat["xml"]  # ...painted on its caller


def test_bad_filters_are_refused_naming_the_field(manager: FlaskClient) -> None:
    page = manager.get("/dashboard?model=nowhere&since=tomorrow")
    assert page.status_code == 400
    assert 'id="error-summary"' in page.text
    assert page.text.count('aria-invalid="true"') == 2
    page = manager.get("/dashboard?version=2")  # a version without a model
    assert page.status_code == 400
    page = manager.get("/dashboard/stalled?quiet_days=0")
    assert page.status_code == 400 and 'id="f-quiet_days-error"' in page.text
    assert manager.get("/dashboard?download=nothing").status_code == 404


# ---------------------------------------------------------------- stalled clients, no names


def test_a_stalled_client_appears_by_pseudonym_and_leaves_the_list(
    app: Flask,
    svc: Services,
    manager: FlaskClient,
    clock: FrozenClock,
) -> None:
    iid = svc.start()
    assert "0 stalled clients" in text_of(manager.get("/dashboard/stalled").text)
    clock.advance(days=14)
    rows = csv_rows(manager, "/dashboard/stalled?download=stalled-clients")
    assert len(rows) == 2
    header, row = rows
    assert row[0].startswith("A-") and "Encounter and raising the subject" in row[2]
    assert int(row[4]) >= 1  # working days over target
    # a coordinator may see the client: the name links to the client page
    coordinator = login(app, "kaisa")
    page = coordinator.get("/dashboard/stalled")
    assert "Testi Asiakas" in page.text and "/clients/" in page.text
    svc.walk(iid, "Task_encounter")
    assert len(csv_rows(manager, "/dashboard/stalled?download=stalled-clients")) == 1


def test_management_pages_and_downloads_hold_no_names(
    app: Flask,
    svc: Services,
    manager: FlaskClient,
    clock: FrozenClock,
) -> None:
    cohort(svc, "rovaniemi", list(walks("rovaniemi")))
    svc.start()
    clock.advance(days=20)
    names = client_names(svc)
    assert names
    for url in PAGES + ["/dashboard?model=rovaniemi", "/dashboard/metrics?model=rovaniemi"]:
        page = manager.get(url)
        assert page.status_code == 200, url
        bodies = [page.text] + [manager.get(link).text for link in download_links(page.text)]
        bodies.append(manager.get("/dashboard/event-log/download?format=xes").text)
        for body in bodies:
            for name in names:
                assert name not in body, (url, name)


def test_professionals_without_a_coordinating_role_get_no_dashboards(
    app: Flask,
) -> None:
    physician = login(app, "lauri")
    assert "/dashboard" not in physician.get("/").text  # no link in the menu
    for url in PAGES + ["/dashboard/diagram.json", "/dashboard/event-log/download"]:
        assert physician.get(url).status_code == 403, url


# ---------------------------------------------------------------- the pilots' metrics


def test_metrics_on_the_rovaniemi_cohort_laid_out_as_its_table(
    svc: Services,
    manager: FlaskClient,
) -> None:
    cohort(svc, "rovaniemi", list(walks("rovaniemi")))  # four clients, known by hand
    base = "/dashboard/metrics?model=rovaniemi&download="
    clients = {r[0]: r[1:] for r in csv_rows(manager, base + "clients")[1:]}
    # distinct persons, each figure with its cohort rule beside it
    assert clients["Contacted"] == ["4", "", "", "First contact in the period"]
    assert clients["Enrolled in the team"] == ["3", "", "", "Taken on by the team in the period"]
    referrals = csv_rows(manager, base + "onward-referrals")
    assert [r[0] for r in referrals[1:4]] == [
        "Employment in a company",
        "with wage subsidy",
        "Total to companies",
    ]
    # by relationship: the coached person's employment; every client's also the work trial
    assert referrals[2][1:] == ["1", "100.0", "1", "50.0"]  # company with wage subsidy
    assert referrals[3][1:] == ["1", "100.0", "1", "50.0"]  # the companies' total
    assert {r[0]: r[1:] for r in referrals}["Work trial"] == ["0", "0.0", "1", "50.0"]
    assert referrals[-1][1:] == ["1", "100.0", "2", "100.0"]
    employment = {r[0]: r[1:] for r in csv_rows(manager, base + "employment")[1:]}
    assert employment["Persons employed"][:3] == ["1", "1", "1.0"]
    page = manager.get("/dashboard/metrics?model=rovaniemi")
    assert page.status_code == 200
    assert page.text.count("<svg") >= 1  # the onward-referral chart
    # another region's figures hold none of these clients
    other = csv_rows(manager, "/dashboard/metrics?model=kainuu&download=clients")
    assert other[1][:2] == ["Contacted", "0"]


def test_eksote_targets_against_actual_clients_on_a_known_cohort(
    app: Flask,
    svc: Services,
    manager: FlaskClient,
) -> None:
    demo.add_pilot_targets(app.extensions["polku"].uow())
    # P4 twice, P3 once, P2 once (through the team meeting twice: still one client), one
    # urgent-care exit that never reaches the team.
    cohort(
        svc,
        "eksote",
        [
            "employment_third_sector_wage_subsidy",
            "employment_third_sector_wage_subsidy",
            "other_service",
            "apprenticeship",
            "urgent_care",
        ],
    )
    rows = csv_rows(manager, "/dashboard/metrics?model=eksote&download=targets")
    table = {r[0]: r[2:] for r in rows[1:]}
    assert table == {
        "P1+2": ["15", "20", "1", "6.7"],
        "P3": ["15", "15", "1", "6.7"],
        "P4": ["40", "40", "2", "5.0"],
    }
    none = csv_rows(manager, "/dashboard/metrics?model=eksote&since=2099-01-01&download=targets")
    assert [r[4] for r in none[1:]] == ["0", "0", "0"]  # a period with no clients


# ---------------------------------------------------------------- service-level targets


def test_an_administrator_sets_and_removes_a_target_and_due_dates_follow(
    app: Flask,
    svc: Services,
    manager: FlaskClient,
) -> None:
    iid = svc.start()
    before = svc.open_task(iid, "Task_encounter").due_at
    admin = login(app, "admin")
    admin.get("/lang/en")
    form = {"model_key": "national", "target": "step:Task_encounter", "working_days": "1"}
    assert admin.post("/dashboard/targets", data=form).status_code == 302
    after = svc.open_task(iid, "Task_encounter").due_at
    assert after is not None and before is not None and after < before
    listed = csv_rows(admin, "/dashboard/targets?download=service-level-targets")
    step = "Step: Encounter and raising the subject"  # the model's text in English
    assert ["national", step, "1"] in [r[:3] for r in listed], listed

    # a manager sees the targets but may not change them
    page = manager.get("/dashboard/targets")
    assert page.status_code == 200 and 'name="working_days"' not in page.text
    fingerprint = database_fingerprint(app)
    assert manager.post("/dashboard/targets", data=form | {"working_days": "9"}).status_code == 403
    # bad input is refused, naming the field, and changes nothing
    bad = admin.post("/dashboard/targets", data=form | {"working_days": "lots"})
    assert bad.status_code == 400 and 'id="f-working_days-error"' in bad.text
    bad = admin.post("/dashboard/targets", data=form | {"target": "phase:lunch"})
    assert bad.status_code == 400 and 'id="f-target-error"' in bad.text
    assert database_fingerprint(app) == fingerprint

    removed = admin.post("/dashboard/targets", data=form | {"action": "remove"})
    assert removed.status_code == 302
    assert svc.open_task(iid, "Task_encounter").due_at == before


# ---------------------------------------------------------------- the event log


GOOD_LOG = (
    "case_id,activity,timestamp,resource,lifecycle,outcome\n"
    "p-1,Kohtaaminen ja puheeksiotto,2024-01-02T09:00:00+02:00,nurse,complete,\n"
    "p-1,Lääkärin työkykyarvio,2024-01-09T09:00:00+02:00,physician,complete,\n"
    "p-1,Asiakkuuden päättäminen,2024-05-01T09:00:00Z,case_manager,complete,study\n"
    "p-2,Kohtaaminen ja puheeksiotto,2024-02-01T09:00:00Z,nurse,complete,\n"
)


def test_the_event_log_downloads_and_a_log_imports_as_a_marked_data_set(
    app: Flask,
    svc: Services,
    manager: FlaskClient,
) -> None:
    iid = svc.start()
    svc.walk(iid, "Task_encounter")
    exported = manager.get("/dashboard/event-log/download?format=csv&model=national")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    header = exported.text.splitlines()[0]
    assert header.startswith("case_id,activity,timestamp,resource,lifecycle")
    assert "Testi Asiakas" not in exported.text

    sent = manager.post(
        "/dashboard/event-log/imports",
        data={"name": "Pilotti 2023", "model": "national",
              "file": (io.BytesIO(GOOD_LOG.encode()), "pilotti.csv")},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert sent.status_code == 302 and "dataset=" in sent.headers["Location"]
    page = manager.get(sent.headers["Location"])
    assert "Pilotti 2023" in page.text and "dataset-banner" in page.text
    clients = csv_rows(manager, sent.headers["Location"] + "&download=clients")
    assert clients[1][:2] == ["Contacted", "2"]
    assert "Pilotti 2023" in manager.get("/dashboard/event-log").text


def test_a_malformed_log_is_refused_on_the_page_naming_the_line(
    app: Flask,
    manager: FlaskClient,
) -> None:
    fingerprint = database_fingerprint(app)
    bad = GOOD_LOG.replace("2024-02-01T09:00:00Z", "last spring")
    sent = manager.post(
        "/dashboard/event-log/imports",
        data={"name": "Pilotti", "model": "national",
              "file": (io.BytesIO(bad.encode()), "pilotti.csv")},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert sent.status_code == 400
    assert "Line 5: timestamp &#39;last spring&#39; is not an ISO 8601 time" in sent.text
    missing = manager.post(
        "/dashboard/event-log/imports",
        data={"name": "", "model": "national"},
        content_type="multipart/form-data",
    )
    assert missing.status_code == 400 and 'id="f-file-error"' in missing.text
    assert 'id="f-name-error"' in missing.text
    assert database_fingerprint(app) == fingerprint


def test_the_demo_data_gives_the_dashboards_something_to_show(tmp_path: Path) -> None:
    site = create_app({"TESTING": True, "DATABASE_AUTO_UPGRADE": True,
                       "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}",
                       "SECRET_KEY": "demo", "WTF_CSRF_ENABLED": False})  # fmt: skip
    ctx = site.extensions["polku"]
    assert demo.seed(ctx.uow, ctx.engine, ctx.clock)
    client = site.test_client()
    client.post("/login", data={"username": "esihenkilo", "password": demo.DEMO_PASSWORD})
    for url in PAGES:
        assert client.get(url).status_code == 200, url
    targets = csv_rows(client, "/dashboard/metrics?model=eksote&download=targets")
    assert [r[0] for r in targets[1:]] == ["P1+2", "P3", "P4"]
