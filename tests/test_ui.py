"""The server-rendered pages through the Flask test client: login, worklist, a form with errors
and without, CSRF, refusals, the client page, the Kela advisor recording a decision."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.clock import FrozenClock
from engine.services import users
from tests.conftest import PASSWORD, STAFF
from tests.test_api import Api, database_fingerprint
from web import create_app


@pytest.fixture
def app(tmp_path: Any, clock: FrozenClock) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_AUTO_UPGRADE": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'ui.db'}",
            "CLOCK": clock,
            "SECRET_KEY": "ui-test",
            "WTF_CSRF_ENABLED": False,
        }
    )
    ctx = app.extensions["polku"]
    for username, roles in STAFF.items():
        users.create_user(
            ctx.uow(),
            ctx.engine.roles,
            username=username,
            display_name=f"{username.title()} Testinen",
            password=PASSWORD,
            roles=roles,
        )
    yield app
    ctx.db.dispose()


def login(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.text
    return client


def encounter_form(**overrides: str) -> dict[str, str]:
    form = {
        "entry_channel": "kela",
        "kykyviisari_done": "false",
        "health_check_offered": "true",
        "urgent": "false",
        "occupational_health_covered": "false",
        "consent_multi_org": "true",
        "notes": "Ensikäynti.",
    }
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


def test_pages_need_a_login_and_a_wrong_password_is_said_in_finnish(app: Flask) -> None:
    client = app.test_client()
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    wrong = client.post("/login", data={"username": "kaisa", "password": "nope"})
    assert wrong.status_code in (200, 401)
    assert 'lang="fi"' in wrong.text and "Kirjaudu" in wrong.text


def test_a_form_with_errors_changes_nothing_and_a_good_one_moves_the_client_on(
    app: Flask,
) -> None:
    iid = Api(app.test_client()).start_path()
    client = login(app, "kaisa")
    worklist = client.get("/")
    assert "Kohtaaminen ja puheeksiotto" in worklist.text
    task_id = re.search(r'href="/tasks/([0-9a-f-]{36})"', worklist.text).group(1)  # type: ignore[union-attr]

    before = database_fingerprint(app)
    bad = client.post(
        f"/tasks/{task_id}", data=encounter_form(urgent=None, kykyviisari_work_ability="paljon")
    )
    assert bad.status_code == 400
    assert "Tämä kenttä on pakollinen." in bad.text
    assert 'aria-invalid="true"' in bad.text
    assert "Ensikäynti." in bad.text  # what was typed is kept
    assert database_fingerprint(app) == before

    good = client.post(f"/tasks/{task_id}", data=encounter_form())
    assert good.status_code == 302
    page = client.get(good.headers["Location"])
    assert page.status_code == 200
    assert "Alkuhaastattelu ja neuvonta" in page.text  # the next step is open
    api = Api(app.test_client())
    view = api.get(f"/instances/{iid}", "kaisa").json
    assert [t["bpmn_id"] for t in view["open_tasks"]] == ["Task_initial_interview"]


def test_forms_without_a_csrf_token_are_refused(tmp_path: Any, clock: FrozenClock) -> None:
    app = create_app(
        {
            "DATABASE_AUTO_UPGRADE": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'csrf.db'}",
            "CLOCK": clock,
            "SECRET_KEY": "csrf-test",
        }
    )
    ctx = app.extensions["polku"]
    users.create_user(
        ctx.uow(),
        ctx.engine.roles,
        username="kaisa",
        display_name="Kaisa",
        password=PASSWORD,
        roles=["work_ability_coordinator"],
    )
    client = app.test_client()
    response = client.post("/login", data={"username": "kaisa", "password": PASSWORD})
    assert response.status_code == 400
    ctx.db.dispose()


def test_someone_without_a_basis_cannot_open_the_client_page(app: Flask) -> None:
    Api(app.test_client()).start_path()
    response = login(app, "lauri").get("/clients/1")
    assert response.status_code == 403
    assert 'lang="fi"' in response.text


def test_the_kela_advisor_records_the_decision_on_the_client_page(app: Flask) -> None:
    api = Api(app.test_client())
    iid = api.start_path()
    api.complete("kaisa", iid, "Task_encounter")
    api.complete("kaisa", iid, "Task_initial_interview")
    for user, task in (
        ("lauri", "Task_physician_assessment"),
        ("fanni", "Task_functional_assessment"),
        ("sanna", "Task_social_assessment"),
        ("timo", "Task_support_plan"),
    ):
        api.complete(user, iid, task)
    api.complete("aino", iid, "Task_arrange_services", awaits_external_decision=True)

    client = login(app, "kerttu")
    assert "/clients/1" in client.get("/clients").text
    page = client.get("/clients/1")
    # the list of what the path waits for links to the decision's worklist item and form
    assert page.status_code == 200 and "odotettu päätös" in page.text
    assert "Kirjaa päätös" in page.text
    response = client.post(
        f"/clients/1/paths/{iid}/messages",
        data={
            "message_name": "kela_decision",
            "decision": "approved",
            "note": "Kuntoutustuki myönnetty",
        },
    )
    assert response.status_code == 302
    view = api.get(f"/instances/{iid}", "aino").json
    assert [w["kind"] for w in view["waiting"]] == ["timer"]


def test_designer_pages(app: Flask) -> None:
    ctx = app.extensions["polku"]
    users.create_user(
        ctx.uow(),
        ctx.engine.roles,
        username="dora",
        display_name="Dora",
        password=PASSWORD,
        roles=["process_designer"],
    )
    client = login(app, "dora")
    models = client.get("/designer")
    assert models.status_code == 200
    for name in ("kainuu", "iisalmi", "rovaniemi", "eksote", "national"):
        assert f"/designer/{name}" in models.text
    detail = client.get("/designer/national")
    assert detail.status_code == 200
    assert "Mallikansio" in detail.text  # version 1 came from the model folder at start-up
    compared = client.get("/designer/compare?base=national&other=rovaniemi")
    assert compared.status_code == 200
    assert "Task_consultation_hour" in compared.text or "Konsultaatio" in compared.text
    xml = client.get("/designer/national/versions/1.bpmn")
    assert xml.status_code == 200 and b"national_path" in xml.data
    assert login(app, "kaisa").get("/designer").status_code == 403
