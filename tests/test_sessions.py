"""Sessions kept on the server: logging out and closing an account end them at once, so do an
idle half hour and the absolute lifetime; API tokens are listed and revoked by their owner;
sign-in is throttled per account and per address, and every attempt is in the access log."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from engine.clock import FrozenClock
from engine.persistence.tables import AccessLog, User
from engine.services import users
from engine.services.access import Actor
from tests.conftest import PASSWORD
from web import create_app, throttle


@pytest.fixture
def app(
    tmp_path: Path, clock: FrozenClock, template_database: tuple[Path, dict[str, Actor]]
) -> Iterator[Flask]:
    path = tmp_path / "sessions.db"
    shutil.copyfile(template_database[0], path)
    site = create_app(
        {
            "TESTING": True,
            "DATABASE_AUTO_UPGRADE": True,
            "DATABASE_URL": f"sqlite:///{path}",
            "CLOCK": clock,
            "SECRET_KEY": "sessions",
            "WTF_CSRF_ENABLED": False,
            "SIGN_IN_THROTTLE": True,
        }
    )
    throttle.limiter.reset()
    yield site
    site.extensions["polku"].db.dispose()


def signed_in(app: Flask, username: str = "kaisa") -> FlaskClient:
    client = app.test_client()
    answer = client.post("/login", data={"username": username, "password": PASSWORD})
    assert answer.status_code == 302, answer.text
    return client


def works(client: FlaskClient) -> bool:
    return client.get("/").status_code == 200


def cookie_of(client: FlaskClient, app: Flask) -> str:
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME", "session"))
    assert cookie is not None
    return cookie.value


def test_logging_out_ends_the_session_even_for_a_copied_cookie(app: Flask) -> None:
    first = signed_in(app)
    copy = app.test_client()
    copy.set_cookie("session", cookie_of(first, app))
    assert works(copy)
    assert first.post("/logout").status_code == 302
    assert copy.get("/").status_code == 302  # the stolen cookie is worth nothing now


def test_an_idle_session_ends_after_half_an_hour(app: Flask, clock: FrozenClock) -> None:
    client = signed_in(app)
    for _ in range(3):
        clock.advance(minutes=29)
        assert works(client)  # in use: kept alive
    clock.advance(minutes=31)
    assert client.get("/").headers["Location"].startswith("/login")


def test_a_session_ends_after_its_lifetime_however_busy(app: Flask, clock: FrozenClock) -> None:
    client = signed_in(app)
    for _ in range(29):  # every 20 minutes for 9 h 40 min
        clock.advance(minutes=20)
        assert works(client)
    clock.advance(minutes=21)
    assert client.get("/").status_code == 302


def test_closing_an_account_ends_its_sessions_at_once(app: Flask) -> None:
    client = signed_in(app)
    with app.extensions["polku"].uow() as uow:
        uow.session.execute(update(User).where(User.username == "kaisa").values(is_demo=True))
        uow.commit()
    assert users.close_demo_accounts(app.extensions["polku"].uow()) == ["kaisa"]
    assert client.get("/").status_code == 302


def test_the_worklist_search_is_in_neither_the_address_nor_the_cookie(app: Flask) -> None:
    client = signed_in(app)
    searched = client.post("/worklist/filter", data={"client": "Virtanen"})
    assert "Virtanen" not in searched.headers["Location"]
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    assert "Virtanen" not in repr(serializer.loads(cookie_of(client, app)))
    assert 'value="Virtanen"' in client.get("/").text
    other = signed_in(app)  # another session of the same person has its own search
    assert 'value="Virtanen"' not in other.get("/").text


def test_api_tokens_are_listed_and_revoked_by_their_owner(app: Flask) -> None:
    client = app.test_client()

    def token(username: str) -> str:
        answer = client.post("/api/v1/tokens", json={"username": username, "password": PASSWORD})
        assert answer.status_code == 201
        return str(answer.json["token"])

    first, second, others = token("kaisa"), token("kaisa"), token("lauri")
    listed = client.get("/api/v1/tokens", headers={"Authorization": f"Bearer {second}"})
    assert listed.status_code == 200 and len(listed.json) == 2
    assert [t["current"] for t in listed.json] == [True, False]
    assert "token" not in listed.json[0]  # never the value itself
    lauri = client.get("/api/v1/tokens", headers={"Authorization": f"Bearer {others}"}).json
    refused = client.delete(
        f"/api/v1/tokens/{lauri[0]['id']}", headers={"Authorization": f"Bearer {first}"}
    )
    assert refused.status_code == 404  # another person's token is not found
    bye = client.delete("/api/v1/tokens/current", headers={"Authorization": f"Bearer {first}"})
    assert bye.status_code == 204
    gone = client.get("/api/v1/processes", headers={"Authorization": f"Bearer {first}"})
    assert gone.status_code == 401
    still = client.get("/api/v1/processes", headers={"Authorization": f"Bearer {second}"})
    assert still.status_code == 200


def test_password_guessing_is_throttled_per_account_and_logged(app: Flask) -> None:
    client = app.test_client()
    for _ in range(5):
        wrong = client.post("/login", data={"username": "kaisa", "password": "guess"})
        assert wrong.status_code == 200 and "Väärä käyttäjätunnus tai salasana" in wrong.text
    held = client.post("/login", data={"username": "kaisa", "password": PASSWORD})
    assert held.status_code == 429 and int(held.headers["Retry-After"]) > 0
    assert "Liian monta kirjautumisyritystä" in held.text
    # the API's door is the same account's door
    api = client.post("/api/v1/tokens", json={"username": "kaisa", "password": PASSWORD})
    assert api.status_code == 429 and api.headers["Retry-After"].isdigit()
    assert "try again in" in api.json["detail"]
    # another account is not held up by kaisa's guesser, and success does not count
    for _ in range(6):
        lauri = client.post("/login", data={"username": "lauri", "password": PASSWORD})
        assert lauri.status_code == 302
    with app.extensions["polku"].uow() as uow:
        rows = list(
            uow.session.execute(
                select(AccessLog.username, AccessLog.basis, AccessLog.success).where(
                    AccessLog.action == "sign-in"
                )
            )
        )
    kaisa = [(basis, success) for name, basis, success in rows if name == "kaisa"]
    assert kaisa.count(("wrong username or password", False)) == 5
    assert kaisa.count(("throttled", False)) == 2
    assert [r for r in rows if r[0] == "lauri"] == [("lauri", "signed in", True)] * 6


def test_one_address_cannot_try_account_after_account(app: Flask) -> None:
    client = app.test_client()
    answers = [
        client.post("/login", data={"username": f"user{i}", "password": "x"}).status_code
        for i in range(31)
    ]
    assert answers[:30] == [200] * 30 and answers[30] == 429


def test_polku_users_close_shuts_a_person_out_at_once(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from web.cli import main

    page = signed_in(app, "lauri")
    api = app.test_client()
    token = api.post("/api/v1/tokens", json={"username": "lauri", "password": PASSWORD}).json
    monkeypatch.setenv("POLKU_DATABASE_URL", app.config["DATABASE_URL"])
    closed = CliRunner().invoke(main, ["users", "close", "lauri"])
    assert closed.exit_code == 0, closed.output
    assert page.get("/").status_code == 302
    bearer = {"Authorization": f"Bearer {token['token']}"}
    assert api.get("/api/v1/processes", headers=bearer).status_code == 401
    again = app.test_client().post("/login", data={"username": "lauri", "password": PASSWORD})
    assert again.status_code == 200 and "Väärä käyttäjätunnus tai salasana" in again.text
    unknown = CliRunner().invoke(main, ["users", "close", "nobody"])
    assert unknown.exit_code == 1 and "there is no user 'nobody'" in unknown.output
