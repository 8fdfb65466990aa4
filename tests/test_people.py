"""Administering people (issue 11, section 1, in part): administrators add a colleague, change
roles and passwords, close an account (sessions and tokens end at once, open work is listed
for hand-over); nobody else may; every change is in the access log; `polku users …` too."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from engine.persistence.tables import AccessLog
from engine.services import users
from tests.conftest import PASSWORD
from tests.test_api import Api, app  # noqa: F401  (the app fixture, on SQLite and PostgreSQL)


def _admin(app: Flask) -> None:  # noqa: F811
    ctx = app.extensions["polku"]
    users.create_user(ctx.uow(), ctx.engine.roles, username="ylla", display_name="Ylläpitäjä",
                      password=PASSWORD, roles=[], is_admin=True)  # fmt: skip


def test_only_administrators_manage_people(app: Flask) -> None:  # noqa: F811
    api = Api(app.test_client())
    for username in ("kaisa", "lauri"):
        assert api.get("/users", username).status_code == 403
        body = {"username": "uusi", "display_name": "Uusi", "roles": ["physician"]}
        assert api.post("/users", username, json=body).status_code == 403


def test_an_administrator_adds_changes_and_closes_an_account(app: Flask) -> None:  # noqa: F811
    _admin(app)
    api = Api(app.test_client())
    made = api.post("/users", "ylla", json={
        "username": "lotta", "display_name": "Lotta Lääkäri", "roles": ["physician"],
        "password": "a long enough password",
    })  # fmt: skip
    assert made.status_code == 201, made.json
    person = made.json
    assert person["roles"] == ["physician"] and person["active"] and not person["single_sign_on"]
    assert made.headers["Location"].endswith(f"/users/{person['id']}")
    signed = app.test_client().post(
        "/api/v1/tokens", json={"username": "lotta", "password": "a long enough password"}
    )
    assert signed.status_code == 201
    lotta = {"Authorization": f"Bearer {signed.json['token']}"}

    taken = api.post("/users", "ylla", json={"username": "lotta", "display_name": "Toinen"})
    assert taken.status_code == 400 and "username" in taken.json["errors"]
    odd = api.post("/users", "ylla", json={"username": "x1", "display_name": "X",
                                           "roles": ["astronaut"]})  # fmt: skip
    assert odd.status_code == 400 and "roles" in odd.json["errors"]

    change = {"roles": ["physician", "nurse"], "display_name": "Lotta L."}
    changed = api.call("PATCH", f"/users/{person['id']}", "ylla", json=change)
    assert changed.status_code == 200 and changed.json["roles"] == ["nurse", "physician"]
    client = app.test_client()
    assert client.get("/api/v1/processes", headers=lotta).status_code == 200  # roles: no sign-out

    closed = api.call("PATCH", f"/users/{person['id']}", "ylla", json={"active": False})
    assert closed.status_code == 200 and closed.json["active"] is False
    assert "open_work" in closed.json
    assert client.get("/api/v1/processes", headers=lotta).status_code == 401  # at once
    login = {"username": "lotta", "password": "a long enough password"}
    again = client.post("/api/v1/tokens", json=login)
    assert again.status_code == 401

    listed = {p["username"]: p for p in api.get("/users", "ylla").json}
    assert listed["ylla"]["active"] and listed["lotta"]["active"] is False
    with app.extensions["polku"].uow() as uow:
        logged = list(uow.session.scalars(
            select(AccessLog.basis).where(AccessLog.resource == f"user {person['id']}")
        ))  # fmt: skip
    assert logged[0].startswith("administrator: roles physician")
    assert any("closed" in row for row in logged)


def test_an_administrator_cannot_close_their_own_account(app: Flask) -> None:  # noqa: F811
    _admin(app)
    api = Api(app.test_client())
    me = next(p for p in api.get("/users", "ylla").json if p["username"] == "ylla")
    refused = api.call("PATCH", f"/users/{me['id']}", "ylla", json={"active": False})
    assert refused.status_code == 400 and "own account" in refused.json["detail"]
    assert api.call("PATCH", "/users/999999", "ylla", json={"active": False}).status_code == 404
    short = api.call("PATCH", f"/users/{me['id']}", "ylla", json={"password": "short"})
    assert short.status_code == 400 and "password" in short.json["errors"]


def test_a_single_sign_on_person_is_added_without_a_password(app: Flask) -> None:  # noqa: F811
    _admin(app)
    api = Api(app.test_client())
    made = api.post("/users", "ylla", json={"username": "sso.person", "display_name": "S",
                                            "roles": ["nurse"], "password": None})  # fmt: skip
    assert made.status_code == 201
    for guess in ("", "polku-demo", "None"):
        tried = app.test_client().post(
            "/api/v1/tokens", json={"username": "sso.person", "password": guess or "x"}
        )
        assert tried.status_code in (400, 401)


def test_polku_users_add_and_list(app: Flask, monkeypatch: object) -> None:  # noqa: F811
    from click.testing import CliRunner

    from web.cli import main

    monkeypatch.setenv("POLKU_DATABASE_URL", app.config["DATABASE_URL"])  # type: ignore[attr-defined]
    monkeypatch.setenv("POLKU_SECRET_KEY", "cli")  # type: ignore[attr-defined]
    runner = CliRunner()
    command = ["users", "add", "pirjo", "--name", "Pirjo Psykologi", "--role", "psychologist"]
    added = runner.invoke(main, command, input="salasana-123\nsalasana-123\n")
    assert added.exit_code == 0, added.output
    sso = runner.invoke(
        main, ["users", "add", "sami", "--name", "Sami", "--role", "nurse", "--sso"]
    )
    assert sso.exit_code == 0, sso.output
    bad = runner.invoke(main, ["users", "add", "x", "--name", "X", "--role", "astronaut", "--sso"])
    assert bad.exit_code == 1 and "Unknown role: astronaut" in bad.output
    listed = runner.invoke(main, ["users", "list"]).output
    assert "pirjo\tPirjo Psykologi\tpsychologist\topen\tpassword" in listed
    token = app.test_client().post(
        "/api/v1/tokens", json={"username": "pirjo", "password": "salasana-123"}
    )
    assert token.status_code == 201


def test_an_administrator_sets_a_persons_email_over_the_api(app: Flask) -> None:  # noqa: F811
    _admin(app)
    api = Api(app.test_client())
    lauri = next(p for p in api.get("/users", "ylla").json if p["username"] == "lauri")
    url = f"/users/{lauri['id']}"
    for bad in ("nope", "a@b", "x@example.fi\r\nBcc: y@example.fi", 5):
        body = {"email": bad, "display_name": "Lauri L."}
        refused = api.call("PATCH", url, "ylla", json=body)
        assert refused.status_code == 400 and "email" in refused.json["errors"]
    assert api.get(url, "ylla").json["display_name"] == lauri["display_name"]  # nothing changed

    set_alone = api.call("PATCH", url, "ylla", json={"email": " lauri@example.fi "})
    assert set_alone.status_code == 200 and set_alone.json["email"] == "lauri@example.fi"
    both = api.call("PATCH", url, "ylla", json={"email": "l.l@example.fi", "language": "sv"})
    assert both.status_code == 200
    assert (both.json["email"], both.json["language"]) == ("l.l@example.fi", "sv")
    assert api.get(url, "ylla").json["email"] == "l.l@example.fi"
    assert api.call("PATCH", url, "lauri", json={"email": "x@y.fi"}).status_code == 403
    cleared = api.call("PATCH", url, "ylla", json={"email": None})
    assert cleared.status_code == 200 and cleared.json["email"] is None
    with app.extensions["polku"].uow() as uow:
        logged = list(uow.session.scalars(
            select(AccessLog.basis).where(AccessLog.basis == "administrator: e-mail of lauri")
        ))  # fmt: skip
    assert len(logged) == 3
