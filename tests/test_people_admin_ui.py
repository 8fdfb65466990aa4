"""Administering people and organisations in the browser and over the API (issue 11): an
administrator adds a person with roles and organisations, who can then sign in; nobody else
reaches the pages; closing an account signs its holder out at once and lists their open work,
which is handed over in the browser; how long a closed path stays readable is a setting; the
organisations round-trip over the API; `polku users` knows them too."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.persistence.tables import AccessLog
from engine.services import users
from tests.conftest import PASSWORD
from tests.test_api import Api, app  # noqa: F401  (the app fixture, on SQLite and PostgreSQL)

OTHER_PASSWORD = "a long enough password"


def _admin(app: Flask) -> None:  # noqa: F811
    ctx = app.extensions["polku"]
    users.create_user(ctx.uow(), ctx.engine.roles, username="ylla", display_name="Ylläpitäjä",
                      password=PASSWORD, roles=[], is_admin=True)  # fmt: skip


def _browser(app: Flask, username: str, password: str = PASSWORD) -> FlaskClient:  # noqa: F811
    client = app.test_client()
    signed = client.post("/login", data={"username": username, "password": password})
    assert signed.status_code == 302 and "/login" not in signed.headers["Location"], username
    return client


def _user_id(api: Api, username: str) -> int:
    return next(int(p["id"]) for p in api.get("/users", "ylla").json if p["username"] == username)


def _text(response: Any) -> str:
    return response.get_data(as_text=True)


def _row(page: str, name: str) -> str:
    """The list's row of the person of this name."""
    return page[page.index(f">{name}</a>") :].split("</tr>")[0]


def test_an_administrator_adds_a_person_who_can_sign_in(app: Flask) -> None:  # noqa: F811
    _admin(app)
    admin, api = _browser(app, "ylla"), Api(app.test_client())
    page = admin.get("/admin/people")
    assert page.status_code == 200
    assert re.search(r'href="/admin/people"\s+aria-current="page"', _text(page))  # the nav item
    assert 'name="organisations" value="hva-kainuu"' in _text(page)
    assert 'name="roles" value="physician"' in _text(page)

    added = admin.post("/admin/people", data={
        "username": "lotta", "display_name": "Lotta Lääkäri", "password": OTHER_PASSWORD,
        "roles": ["physician", "nurse"], "organisations": ["hva-kainuu", "hva-lappi"],
    })  # fmt: skip
    assert added.status_code == 302
    lotta_id = _user_id(api, "lotta")
    assert added.headers["Location"].endswith(f"/admin/people/{lotta_id}")
    row = _row(_text(admin.get("/admin/people")), "Lotta Lääkäri")
    assert "Sairaanhoitaja, Lääkäri" in row  # roles in the reader's language (Finnish)
    assert "Kainuun hyvinvointialue, Lapin hyvinvointialue" in row
    assert "Salasanalla" in row and "Käytössä" in row  # a password; the account is open

    person = api.get(f"/users/{lotta_id}", "ylla").json
    assert person["roles"] == ["nurse", "physician"] and person["has_password"]
    assert person["organisations"] == ["hva-kainuu", "hva-lappi"]
    lotta = _browser(app, "lotta", OTHER_PASSWORD)
    assert lotta.get("/").status_code == 200
    assert 'href="/admin/people"' not in _text(lotta.get("/"))  # no nav item for her

    sso = admin.post("/admin/people", data={
        "username": "sami", "display_name": "Sami Sairaanhoitaja", "password": "",
        "roles": ["nurse"], "organisations": ["hva-kainuu"],
    })  # fmt: skip
    assert sso.status_code == 302
    assert api.get(f"/users/{_user_id(api, 'sami')}", "ylla").json["has_password"] is False
    assert "Kertakirjautumisella" in _row(_text(admin.get("/admin/people")), "Sami Sairaanhoitaja")
    tried = app.test_client().post("/login", data={"username": "sami", "password": "x" * 12})
    assert tried.status_code == 200 and "/worklist" not in tried.headers.get("Location", "")

    taken = admin.post("/admin/people", data={"username": "lotta", "display_name": "Toinen",
                                               "password": OTHER_PASSWORD})  # fmt: skip
    assert taken.status_code == 400 and "Käyttäjätunnus on jo käytössä." in _text(taken)
    odd = admin.post("/admin/people", data={"username": "olli", "display_name": "Olli",
                                             "organisations": ["nowhere"]})  # fmt: skip
    assert odd.status_code == 400 and "Tuntematon organisaatio: nowhere" in _text(odd)
    assert "olli" not in {p["username"] for p in api.get("/users", "ylla").json}

    changed = admin.post(f"/admin/people/{lotta_id}", data={
        "display_name": "Lotta L.", "roles": ["physician"], "organisations": ["hva-kainuu"],
    })  # fmt: skip
    assert changed.status_code == 302
    person = api.get(f"/users/{lotta_id}", "ylla").json
    assert person["display_name"] == "Lotta L." and person["roles"] == ["physician"]
    assert person["organisations"] == ["hva-kainuu"]
    assert lotta.get("/").status_code == 200  # roles changed: she stays signed in


def test_only_administrators_reach_the_pages(app: Flask) -> None:  # noqa: F811
    _admin(app)
    api = Api(app.test_client())
    kaisa_id, lauri_id = _user_id(api, "kaisa"), _user_id(api, "lauri")
    for username in ("kaisa", "timo"):
        client = _browser(app, username)
        assert 'href="/admin/people"' not in _text(client.get("/"))
        for path in ("/admin/people", f"/admin/people/{lauri_id}", "/admin/settings"):
            assert client.get(path).status_code == 403, path
        for path, data in (
            ("/admin/people", {"username": "uusi", "display_name": "Uusi"}),
            (f"/admin/people/{lauri_id}", {"display_name": "X", "roles": ["nurse"]}),
            (f"/admin/people/{lauri_id}/account", {"action": "close", "confirm": "1"}),
            (f"/admin/people/{kaisa_id}/tasks/x/hand-over", {"to_username": "timo", "reason": "r"}),
            (f"/admin/people/{kaisa_id}/paths/1/case-manager", {"username": "aino", "reason": "r"}),
            ("/admin/settings", {"days_after_closing": "1"}),
        ):
            assert client.post(path, data=data).status_code == 403, path
    lauri = api.get(f"/users/{lauri_id}", "ylla").json
    assert lauri["active"] and lauri["display_name"] == "Lauri"  # nothing changed
    assert "uusi" not in {p["username"] for p in api.get("/users", "ylla").json}


def test_closing_signs_out_at_once_and_the_open_work_is_handed_over(app: Flask) -> None:  # noqa: F811
    _admin(app)
    admin, api = _browser(app, "ylla"), Api(app.test_client())
    instance_id = api.start_path()
    task_id = api.task_of("kaisa", instance_id, "Task_encounter")
    assert api.post(f"/tasks/{task_id}/claim", "kaisa").status_code == 200
    kaisa_id = _user_id(api, "kaisa")
    work = api.get(f"/users/{kaisa_id}", "ylla").json["open_work"]
    assert [w["task_id"] for w in work] == [task_id]
    organisations = [work[0]["organisation"]] if work[0]["organisation"] else []
    made = admin.post("/admin/people", data={
        "username": "kalle", "display_name": "Kalle Koordinaattori", "password": OTHER_PASSWORD,
        "roles": ["work_ability_coordinator"], "organisations": organisations,
    })  # fmt: skip
    assert made.status_code == 302
    kaisa = _browser(app, "kaisa")
    assert kaisa.get("/").status_code == 200
    kaisa_token = {"Authorization": f"Bearer {api.token('kaisa')}"}

    unconfirmed = admin.post(f"/admin/people/{kaisa_id}/account", data={"action": "close"})
    assert unconfirmed.status_code == 400 and "Vahvista tilin sulkeminen" in _text(unconfirmed)
    closed = admin.post(f"/admin/people/{kaisa_id}/account",
                        data={"action": "close", "confirm": "1"})  # fmt: skip
    assert closed.status_code == 302
    after = kaisa.get("/")  # her next request: signed out
    assert after.status_code == 302 and "/login" in after.headers["Location"]
    assert app.test_client().get("/api/v1/processes", headers=kaisa_token).status_code == 401

    page = admin.get(f"/admin/people/{kaisa_id}")
    text = _text(page)
    assert page.status_code == 200 and "Tili suljettiin" not in text
    assert "Avoin työ" in text and work[0]["name"] in text
    pseudonym = work[0]["client_pseudonym"]
    assert pseudonym.startswith("A-") and pseudonym in text
    assert "Mehiläinen" not in text  # administrators see no client's name
    hand_over = f"/admin/people/{kaisa_id}/tasks/{task_id}/hand-over"
    assert f'action="{hand_over}"' in text and 'value="kalle"' in text

    no_reason = admin.post(hand_over, data={"to_username": "kalle", "reason": ""})
    assert no_reason.status_code == 400
    stranger = admin.post(hand_over, data={"to_username": "lauri", "reason": "Poissa"})
    assert stranger.status_code == 400  # not holding the task's role
    moved = admin.post(hand_over, data={"to_username": "kalle", "reason": "Tili suljettu"})
    assert moved.status_code == 302
    kalle = Api(app.test_client())
    kalle.tokens["kalle"] = (
        app.test_client()
        .post("/api/v1/tokens", json={"username": "kalle", "password": OTHER_PASSWORD})
        .json["token"]
    )
    mine = kalle.get("/tasks", "kalle", query_string={"instance": instance_id}).json["items"]
    assert [(t["id"], t["assignee"]) for t in mine if t["id"] == task_id] == [(task_id, "kalle")]
    kalle_page = _browser(app, "kalle", OTHER_PASSWORD).get("/?view=mine")
    assert f"/tasks/{task_id}" in _text(kalle_page)
    assert api.get(f"/users/{kaisa_id}", "ylla").json["open_work"] == []
    assert "Henkilöllä ei ole avoimia tehtäviä." in _text(admin.get(f"/admin/people/{kaisa_id}"))

    reopened = admin.post(f"/admin/people/{kaisa_id}/account", data={"action": "reopen"})
    assert reopened.status_code == 302
    assert _browser(app, "kaisa").get("/").status_code == 200


def test_a_closed_case_managers_paths_get_a_new_case_manager(app: Flask) -> None:  # noqa: F811
    _admin(app)
    admin, api = _browser(app, "ylla"), Api(app.test_client())
    instance_id = api.start_path()
    api.complete("kaisa", instance_id, "Task_encounter")
    api.complete("kaisa", instance_id, "Task_initial_interview",
                 team_decision="further_investigations")  # fmt: skip
    for user, step in (("lauri", "Task_further_investigations"),
                       ("lauri", "Task_physician_assessment"),
                       ("fanni", "Task_functional_assessment"),
                       ("sanna", "Task_social_assessment"),
                       ("timo", "Task_support_plan")):  # fmt: skip
        api.complete(user, instance_id, step)
    aino_id = _user_id(api, "aino")
    managed = api.get(f"/users/{aino_id}", "ylla").json["case_managed"]
    assert [p["instance_id"] for p in managed] == [instance_id]
    owner = [managed[0]["organisation"]] if managed[0]["organisation"] else []
    assert admin.post("/admin/people", data={
        "username": "aila", "display_name": "Aila Asiakasvastaava", "password": OTHER_PASSWORD,
        "roles": ["rehabilitation_counsellor"], "organisations": owner,
    }).status_code == 302  # fmt: skip
    closing = {"action": "close", "confirm": "1"}
    assert admin.post(f"/admin/people/{aino_id}/account", data=closing).status_code == 302
    page = _text(admin.get(f"/admin/people/{aino_id}"))
    change = f"/admin/people/{aino_id}/paths/{instance_id}/case-manager"
    assert "Asiakasvastaavana" in page and f'action="{change}"' in page
    assert managed[0]["client_pseudonym"] in page and "Mehiläinen" not in page

    missing = admin.post(change, data={"username": "aila", "reason": ""})
    assert missing.status_code == 400
    done = admin.post(change, data={"username": "aila", "reason": "Tili suljettu"})
    assert done.status_code == 302
    assert api.get(f"/users/{aino_id}", "ylla").json["case_managed"] == []
    aila = _user_id(api, "aila")
    assert [p["instance_id"] for p in api.get(f"/users/{aila}", "ylla").json["case_managed"]] == [
        instance_id
    ]


def test_the_days_a_closed_path_stays_readable(app: Flask) -> None:  # noqa: F811
    _admin(app)
    admin, api = _browser(app, "ylla"), Api(app.test_client())
    assert api.get("/settings/access", "ylla").json["days_after_closing"] == 30
    page = admin.get("/admin/settings")
    assert page.status_code == 200 and 'value="30"' in _text(page)
    for wrong in ("abc", "3651", "-1", ""):
        refused = admin.post("/admin/settings", data={"days_after_closing": wrong})
        assert refused.status_code == 400 and "Anna päivien määrä" in _text(refused), wrong
    saved = admin.post("/admin/settings", data={"days_after_closing": "90"})
    assert saved.status_code == 302
    found = api.get("/settings/access", "ylla").json
    assert found["days_after_closing"] == 90 and found["changed_by"] == "ylla"
    assert 'value="90"' in _text(admin.get("/admin/settings"))

    assert api.get("/settings/access", "kaisa").status_code == 403
    body = {"days_after_closing": 7}
    assert api.call("PUT", "/settings/access", "kaisa", json=body).status_code == 403
    assert api.get("/settings/access", "ylla").json["days_after_closing"] == 90
    for wrong in (3651, -1, True, "7", None):
        out = api.call("PUT", "/settings/access", "ylla", json={"days_after_closing": wrong})
        assert out.status_code == 400 and "days_after_closing" in out.json["errors"], wrong
    put = api.call("PUT", "/settings/access", "ylla", json=body)
    assert put.status_code == 200 and put.json["days_after_closing"] == 7
    with app.extensions["polku"].uow() as uow:
        logged = list(uow.session.scalars(
            select(AccessLog.basis).where(AccessLog.resource == "setting days_after_closing")
        ))  # fmt: skip
    assert logged == [
        "administrator: days after closing 30 -> 90",
        "administrator: days after closing 90 -> 7",
    ]


def test_organisations_over_the_api(app: Flask) -> None:  # noqa: F811
    _admin(app)
    api = Api(app.test_client())
    listed = api.get("/organisations", "kaisa")  # anyone signed in
    assert listed.status_code == 200
    kela = next(o for o in listed.json if o["code"] == "kela")
    assert kela["kind"] == "kela" and kela["region"] is None and kela["names"]["sv"]
    assert app.test_client().get("/api/v1/organisations").status_code == 401

    made = api.post("/users", "ylla", json={
        "username": "lotta", "display_name": "Lotta", "roles": ["physician"],
        "password": OTHER_PASSWORD, "organisations": ["hva-lappi", "hva-kainuu"],
    })  # fmt: skip
    assert made.status_code == 201, made.json
    assert made.json["organisations"] == ["hva-kainuu", "hva-lappi"]
    patched = api.call("PATCH", f"/users/{made.json['id']}", "ylla",
                       json={"organisations": ["kela"]})  # fmt: skip
    assert patched.status_code == 200 and patched.json["organisations"] == ["kela"]
    assert api.get(f"/users/{made.json['id']}", "ylla").json["organisations"] == ["kela"]

    unknown = api.post("/users", "ylla", json={"username": "olli", "display_name": "Olli",
                                               "organisations": ["nowhere"]})  # fmt: skip
    assert unknown.status_code == 400 and "organisations" in unknown.json["errors"]
    assert "nowhere" in unknown.json["errors"]["organisations"][0]
    bad = api.call("PATCH", f"/users/{made.json['id']}", "ylla",
                   json={"organisations": ["kela", "nowhere"]})  # fmt: skip
    assert bad.status_code == 400 and "organisations" in bad.json["errors"]
    assert api.get(f"/users/{made.json['id']}", "ylla").json["organisations"] == ["kela"]
    spec = api.client.get("/api/v1/openapi.json").json
    assert {"/api/v1/organisations", "/api/v1/settings/access"} <= set(spec["paths"])


def test_polku_users_add_with_organisations(app: Flask, monkeypatch: Any) -> None:  # noqa: F811
    from click.testing import CliRunner

    from web.cli import main

    monkeypatch.setenv("POLKU_DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setenv("POLKU_SECRET_KEY", "cli")
    runner = CliRunner()
    command = ["users", "add", "sami", "--name", "Sami", "--role", "nurse", "--sso",
               "--organisation", "hva-kainuu", "--organisation", "kela"]  # fmt: skip
    added = runner.invoke(main, command)
    assert added.exit_code == 0, added.output
    bad = runner.invoke(main, ["users", "add", "x", "--name", "X", "--sso",
                               "--organisation", "nowhere"])  # fmt: skip
    assert bad.exit_code == 1 and "Unknown organisation: nowhere" in bad.output
    listed = runner.invoke(main, ["users", "list"]).output
    assert "sami\tSami\tnurse\topen\tsingle sign-on\thva-kainuu,kela" in listed
    assert "lauri\tLauri\tphysician\topen\tpassword\t" in listed

    api = Api(app.test_client())
    instance_id = api.start_path()
    task_id = api.task_of("kaisa", instance_id, "Task_encounter")
    assert api.post(f"/tasks/{task_id}/claim", "kaisa").status_code == 200
    closed = runner.invoke(main, ["users", "close", "kaisa"])
    assert closed.exit_code == 0, closed.output
    assert f"path {instance_id}" in closed.output and f"task {task_id}" in closed.output
    assert (
        "kaisa\tKaisa\twork_ability_coordinator\tclosed\t"
        in runner.invoke(main, ["users", "list"]).output
    )
