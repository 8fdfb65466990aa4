"""The modeller's properties panel's endpoints through the Flask test client: what it offers,
the condition check (valid, not allowed with its message in Finnish, unknown fields), the
timer's reading, and that only designers may ask."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.clock import FrozenClock
from engine.services import users
from tests.conftest import PASSWORD, STAFF
from web import create_app


@pytest.fixture
def app(tmp_path: Any, clock: FrozenClock) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_AUTO_UPGRADE": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'properties.db'}",
            "CLOCK": clock,
            "SECRET_KEY": "properties-test",
            "WTF_CSRF_ENABLED": False,
        }
    )
    ctx = app.extensions["polku"]
    for username, roles in {**STAFF, "dora": ["process_designer"]}.items():
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


def condition(client: FlaskClient, expression: str, **extra: Any) -> dict[str, Any]:
    response = client.post(
        "/designer/national/properties/condition", json={"expression": expression, **extra}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json or {}
    return body


def timer(client: FlaskClient, kind: str, expression: str) -> dict[str, Any]:
    response = client.post(
        "/designer/national/properties/timer", json={"kind": kind, "expression": expression}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json or {}
    return body


def test_the_catalogue_offers_roles_phases_forms_and_subprocesses(app: Flask) -> None:
    client = login(app, "dora")
    response = client.get("/designer/national/properties.json?version=1")
    assert response.status_code == 200
    body = response.json or {}
    roles = {r["code"]: r for r in body["roles"]}
    assert roles["physician"]["lane_name"] == "Lääkäri"
    assert roles["physician"]["name"] == "Lääkäri"
    assert "process_designer" not in roles and "auditor" not in roles
    assert roles["kela_advisor"]["organisation"] == "kela"
    assert [p["code"] for p in body["phases"]] == [
        "encounter",
        "referral",
        "assessment",
        "services",
        "follow_up",
    ]
    forms = {f["path"]: f for f in body["forms"]}
    assert "forms/encounter.schema.json" in forms
    assert "common/forms/support_plan.schema.json" in forms
    assert "urgent" in forms["forms/encounter.schema.json"]["fields"]
    ids = {s["id"] for s in body["subprocesses"]}
    assert {"support_plan_subprocess", "follow_up_review_subprocess"} <= ids
    assert "national_path" not in ids
    assert body["condition_url"] == "/designer/national/properties/condition"
    assert client.get("/designer/nothing/properties.json").status_code == 404


def test_a_valid_condition_is_ok(app: Flask) -> None:
    client = login(app, "dora")
    body = condition(client, "urgent == True and age >= 18", fields=["urgent", "age"])
    assert body["ok"] is True
    assert body["message"] == "Ehto on kelvollinen."
    assert body["names"] == ["age", "urgent"]
    assert body["unknown"] == []


def test_a_condition_that_is_not_allowed_is_named_in_finnish(app: Flask) -> None:
    client = login(app, "dora")
    body = condition(client, "len(reasons) > 2")
    assert body["ok"] is False
    assert body["code"] == "expression_call"
    assert body["message"] == "Ehto ei ole sallittu: funktiokutsut eivät ole sallittuja"
    syntax = condition(client, "urgent ==")
    assert syntax["ok"] is False and syntax["code"] == "expression_syntax"
    assert syntax["message"].startswith("Ehto ei ole sallittu: ")
    empty = condition(client, "")
    assert empty["ok"] is False and empty["code"] == "expression_empty"


def test_a_condition_reading_a_field_no_upstream_form_has_is_flagged(app: Flask) -> None:
    client = login(app, "dora")
    body = condition(client, "urgnet == True", fields=["urgent"])
    assert body["ok"] is True
    assert body["code"] == "condition_unknown_fields"
    assert body["unknown"] == ["urgnet"]
    assert "urgnet" in body["message"]


def test_the_condition_message_follows_the_readers_language(app: Flask) -> None:
    client = login(app, "dora")
    client.get("/lang/en")
    assert condition(client, "a.b")["message"] == (
        "The condition is not allowed: attribute access is not allowed"
    )


def test_a_timer_is_read_in_plain_words(app: Flask) -> None:
    client = login(app, "dora")
    cycle = timer(client, "cycle", "R6/P1D")
    assert cycle["ok"] is True
    assert cycle["reading"] == "Joka päivä, 6 kertaa."
    assert timer(client, "duration", "P30D")["reading"] == "Odottaa 30 päivää."
    assert timer(client, "duration", "P1M2D")["reading"] == "Odottaa 1 kuukausi 2 päivää."
    assert timer(client, "cycle", "R/P2W")["reading"] == "Väli 2 viikkoa, loputtomasti."
    date = timer(client, "date", "2026-12-01T09:00:00+02:00")
    assert date["ok"] is True and "1.12.2026" in date["reading"]
    bad = timer(client, "duration", "30D")
    assert bad["ok"] is False and bad["code"] == "timer_invalid"
    assert bad["message"].startswith("Ajastimen lauseke '30D' ei ole kelvollinen ISO 8601")
    client.get("/lang/en")
    assert timer(client, "cycle", "R6/P1D")["reading"] == "Every day, 6 times."
    assert timer(client, "duration", "PT1H")["reading"] == "Waits 1 hour."


def test_only_designers_may_ask(app: Flask) -> None:
    client = login(app, "kaisa")
    assert client.get("/designer/national/properties.json").status_code == 403
    refused = client.post(
        "/designer/national/properties/condition", json={"expression": "urgent == True"}
    )
    assert refused.status_code == 403
    assert refused.json == {"error": "Vain prosessisuunnittelijat voivat muuttaa prosessimalleja."}
    timed = client.post(
        "/designer/national/properties/timer", json={"kind": "cycle", "expression": "R6/P1D"}
    )
    assert timed.status_code == 403
    anonymous = app.test_client().get("/designer/national/properties.json")
    assert anonymous.status_code in (302, 401, 403)
