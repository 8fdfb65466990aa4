"""Styled 403, 404, 405 and 500 pages in the reader's language at every address (issue 14, §6);
the API under /api/ keeps answering with problem documents."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask, abort
from flask.testing import FlaskClient

from engine.clock import FrozenClock
from engine.services import users
from tests.conftest import PASSWORD
from web import create_app

SECRET = "the database password is hunter2"


@pytest.fixture
def app(tmp_path: Path, clock: FrozenClock) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "PROPAGATE_EXCEPTIONS": False,  # as in production: an exception becomes the 500 page
            "DATABASE_AUTO_UPGRADE": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'errors.db'}",
            "CLOCK": clock,
            "SECRET_KEY": "errors-test",
            "WTF_CSRF_ENABLED": False,
        }
    )

    @app.get("/broken")
    def broken() -> str:
        raise RuntimeError(SECRET)

    @app.get("/forbidden")
    def forbidden() -> str:
        abort(403)

    ctx = app.extensions["polku"]
    for username, language in (("sven", "sv"), ("emma", "en"), ("kaisa", "fi")):
        users.create_user(
            ctx.uow(), ctx.engine.roles, username=username, display_name=username.title(),
            password=PASSWORD, roles=["work_ability_coordinator"], language=language,
        )  # fmt: skip
    yield app
    ctx.db.dispose()


def signed_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.text
    return client


def test_an_unknown_address_is_a_styled_page_in_the_readers_language(app: Flask) -> None:
    sven = signed_in(app, "sven")
    page = sven.get("/no/such/page")
    assert page.status_code == 404
    assert 'lang="sv"' in page.text and "Hittades inte" in page.text
    assert "polku.css" in page.text and "Sven" in page.text  # the frame, signed in
    assert "Not Found" not in page.text
    emma = signed_in(app, "emma").get("/no/such/page")
    assert emma.status_code == 404 and 'lang="en"' in emma.text and "Not found" in emma.text
    anonymous = app.test_client().get("/no/such/page")
    assert anonymous.status_code == 404 and 'lang="fi"' in anonymous.text
    assert "Ei löytynyt" in anonymous.text and "Kirjaudu" in anonymous.text


def test_a_language_chosen_without_signing_in_holds_on_the_error_page(app: Flask) -> None:
    client = app.test_client()
    client.get("/lang/sv")
    page = client.get("/nothing-here")
    assert page.status_code == 404 and 'lang="sv"' in page.text


def test_a_wrong_method_is_a_styled_405(app: Flask) -> None:
    page = signed_in(app, "sven").delete("/")
    assert page.status_code == 405
    assert 'lang="sv"' in page.text and "polku.css" in page.text
    assert "Method Not Allowed" not in page.text


def test_an_abort_outside_the_pages_is_a_styled_403(app: Flask) -> None:
    page = signed_in(app, "sven").get("/forbidden")
    assert page.status_code == 403
    assert 'lang="sv"' in page.text and "Åtkomst nekad" in page.text
    assert "polku.css" in page.text


def test_an_unhandled_error_is_a_styled_500_without_its_text(app: Flask) -> None:
    page = signed_in(app, "sven").get("/broken")
    assert page.status_code == 500
    assert 'lang="sv"' in page.text and "polku.css" in page.text
    assert SECRET not in page.text and "RuntimeError" not in page.text
    assert "Internal Server Error" not in page.text
    fi = app.test_client().get("/broken")
    assert fi.status_code == 500 and 'lang="fi"' in fi.text and "Jokin meni vikaan" in fi.text
    assert SECRET not in fi.text


def test_the_api_keeps_its_problem_documents(app: Flask) -> None:
    client = app.test_client()
    missing = client.get("/api/v1/no-such-thing")
    assert missing.status_code == 404
    assert missing.content_type == "application/problem+json"
    assert missing.get_json()["status"] == 404
    wrong = client.delete("/api/v1/processes")
    assert wrong.status_code == 405 and wrong.get_json()["status"] == 405


def test_an_unhandled_error_in_the_api_is_a_problem_document_without_its_text(
    app: Flask,
) -> None:
    @app.get("/api/v1/broken-for-the-test")
    def api_broken() -> str:
        raise RuntimeError(SECRET)

    response = app.test_client().get("/api/v1/broken-for-the-test")
    assert response.status_code == 500
    assert response.content_type == "application/problem+json"
    assert SECRET not in response.text
