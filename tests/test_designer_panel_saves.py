"""What the modeller's properties panel saves beyond the BPMN, through the Flask test client: a
lane's organisation travels with the save into the new version's model.json (checked: known
organisation codes and roles, a refusal names the field), and a step's service-level target is
set from the panel by an administrator only, through the targets page's service."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.clock import FrozenClock
from engine.services import designer, sla, users
from engine.services.deployment import get_version
from tests.conftest import PASSWORD, STAFF
from web import create_app

ADMIN = "ansa"


@pytest.fixture
def app(tmp_path: Any, clock: FrozenClock) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_AUTO_UPGRADE": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'panel.db'}",
            "CLOCK": clock,
            "SECRET_KEY": "panel-test",
            "WTF_CSRF_ENABLED": False,
        }
    )
    ctx = app.extensions["polku"]
    for username, roles in {**STAFF, "dora": ["process_designer"], ADMIN: []}.items():
        users.create_user(
            ctx.uow(), ctx.engine.roles, username=username, display_name=username.title(),
            password=PASSWORD, roles=roles, is_admin=username == ADMIN,
        )  # fmt: skip
    yield app
    ctx.db.dispose()


def _login(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.text
    return client


def _body(response: Any) -> dict[str, Any]:
    body: dict[str, Any] = response.json or {}
    return body


def _save(client: FlaskClient, app: Flask, key: str, **extra: Any) -> Any:
    _, xml = designer.version_bpmn(app.extensions["polku"].uow(), key, 1)
    return client.post(f"/designer/{key}/versions", json={"xml": xml + "\n", **extra})


def _model_json(app: Flask, key: str, number: int) -> dict[str, Any]:
    with app.extensions["polku"].uow() as uow:
        version = get_version(uow, key, number)
        assert version is not None
        return dict(json.loads(version.files["model.json"]))


def test_a_lane_organisation_is_saved_into_model_json(app: Flask) -> None:
    client = _login(app, "dora")
    saved = _save(client, app, "kainuu", lane_organisations={"employment_expert": "kela"})
    assert saved.status_code == 201, saved.text
    number = _body(saved)["version"]
    data = _model_json(app, "kainuu", number)
    assert data["lane_organisations"] == {"employment_expert": "kela"}
    assert data["region"] == "Kainuu" and data["process_id"] == "kainuu_path"  # kept

    # the panel offers it back, and the organisations of the model's region first
    body = client.get(f"/designer/kainuu/properties.json?version={number}").json or {}
    assert body["lane_organisations"] == {"employment_expert": "kela"}
    roles = {r["code"]: r for r in body["roles"]}
    assert roles["employment_expert"]["organisation"] == "kela"
    assert roles["employment_expert"]["default_organisation"] == "tyollisyys-kainuu"
    codes = [o["code"] for o in body["organisations"]]
    near = [o["code"] for o in body["organisations"] if o["in_region"]]
    assert set(near) == {"hva-kainuu", "tyollisyys-kainuu", "kela"}
    assert codes[: len(near)] == near

    # an empty mapping takes the model's naming away again
    again = client.post(
        "/designer/kainuu/versions",
        json={"xml": designer.version_bpmn(app.extensions["polku"].uow(), "kainuu", number)[1],
              "lane_organisations": {}},
    )  # fmt: skip
    assert again.status_code == 201, again.text
    assert "lane_organisations" not in _model_json(app, "kainuu", _body(again)["version"])


def test_a_model_without_model_json_gets_one(app: Flask) -> None:
    client = _login(app, "dora")
    saved = _save(client, app, "national", lane_organisations={"physician": "hva-kainuu"})
    assert saved.status_code == 201, saved.text
    assert _model_json(app, "national", 2) == {"lane_organisations": {"physician": "hva-kainuu"}}


def test_an_unknown_organisation_or_role_is_refused_naming_the_field(app: Flask) -> None:
    client = _login(app, "dora")
    bad_code = _save(client, app, "kainuu", lane_organisations={"physician": "no-such-org"})
    assert bad_code.status_code == 400
    assert _body(bad_code)["field"] == "lane_organisations"
    assert _body(bad_code)["error"] == (
        "Mallia ei tallennettu: kaistojen organisaatiot eivät ole kelvollisia."
    )
    assert "no-such-org" in _body(bad_code)["problems"][0]["message"]
    bad_role = _save(client, app, "kainuu", lane_organisations={"wizard": "kela"})
    assert bad_role.status_code == 400 and _body(bad_role)["field"] == "lane_organisations"
    assert "wizard" in _body(bad_role)["problems"][0]["message"]
    designer_role = _save(client, app, "kainuu", lane_organisations={"process_designer": "kela"})
    assert designer_role.status_code == 400
    not_a_map = _save(client, app, "kainuu", lane_organisations=["kela"])
    assert not_a_map.status_code == 400 and _body(not_a_map)["field"] == "lane_organisations"
    numbers = [v.number for v in designer.model_versions(app.extensions["polku"].uow(), "kainuu")]
    assert numbers == [1]  # nothing was saved


def test_an_administrator_sets_a_steps_target_from_the_panel(
    app: Flask, clock: FrozenClock
) -> None:
    client = _login(app, ADMIN)
    body = client.get("/designer/national/properties.json").json or {}
    assert body["may_set_targets"] is True
    assert body["targets_url"] == "/dashboard/targets"
    answer = client.post(
        body["target_url"], json={"bpmn_id": "Task_further_investigations", "working_days": 7}
    )
    assert answer.status_code == 200, answer.text
    assert _body(answer)["message"] == "Tavoite tallennettiin."
    assert {
        "model_key": "national", "bpmn_id": "Task_further_investigations", "phase": None,
        "working_days": 7,
    } in _body(answer)["targets"]  # fmt: skip
    (row,) = sla.list_targets(app.extensions["polku"].uow())
    assert (row.model_key, row.bpmn_id, row.working_days) == (
        "national", "Task_further_investigations", 7,
    )  # fmt: skip
    assert row.updated_by == ADMIN and row.updated_at == clock()  # as the targets page records

    too_many = client.post(body["target_url"], json={"bpmn_id": "Task_x", "working_days": 400})
    assert too_many.status_code == 400
    removed = client.post(
        body["target_url"], json={"bpmn_id": "Task_further_investigations", "working_days": None}
    )
    assert removed.status_code == 200 and _body(removed)["targets"] == []


def test_a_designer_who_is_not_an_administrator_may_not_set_a_target(app: Flask) -> None:
    client = _login(app, "dora")
    body = client.get("/designer/national/properties.json").json or {}
    assert body["may_set_targets"] is False
    assert body["targets_url"] is None  # the dashboards are not open to a designer
    refused = client.post(
        "/designer/national/properties/target",
        json={"bpmn_id": "Task_further_investigations", "working_days": 7},
    )
    assert refused.status_code == 403
    assert refused.json == {"error": "Vain ylläpitäjät asettavat palvelutasotavoitteet."}
    assert sla.list_targets(app.extensions["polku"].uow()) == []
    staff = _login(app, "kaisa").post(
        "/designer/national/properties/target",
        json={"bpmn_id": "Task_further_investigations", "working_days": 7},
    )
    assert staff.status_code == 403
