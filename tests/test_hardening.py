"""Bad input answers 4xx naming the problem, never 500, on SQLite and PostgreSQL; uploaded
BPMN never runs in Polku's origin; every response carries the security headers."""

from __future__ import annotations

from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.clock import FrozenClock
from engine.services import users
from engine.services.clients import _HETU_CHECK, valid_identity_code
from tests.conftest import PASSWORD, PROCESSES, STAFF
from tests.test_api import Api, database_fingerprint, make_app

HUGE = 2**70
SCRIPTED_BPMN = (
    (PROCESSES / "national" / "national_path.bpmn")
    .read_text(encoding="utf-8")
    .replace(
        "<bpmn:extensionElements>",
        '<bpmn:extensionElements><html:script xmlns:html="http://www.w3.org/1999/xhtml">'
        "window.polkuPwned = 1</html:script>",
        1,
    )
)


@pytest.fixture
def app(database_url: str, clock: FrozenClock) -> Iterator[Flask]:
    """The app on SQLite and on PostgreSQL, with the national path's staff."""
    site = make_app(database_url, clock)
    ctx = site.extensions["polku"]
    for username, roles in STAFF.items():
        users.create_user(
            ctx.uow(), ctx.engine.roles, username=username, display_name=username.title(),
            password=PASSWORD, roles=roles,
        )  # fmt: skip
    yield site
    ctx.db.dispose()


def _designer(app: Flask) -> FlaskClient:
    ctx = app.extensions["polku"]
    users.create_user(ctx.uow(), ctx.engine.roles, username="dora", display_name="Dora",
                      password=PASSWORD, roles=["process_designer"])  # fmt: skip
    client = app.test_client()
    assert client.post("/login", data={"username": "dora", "password": PASSWORD}).status_code
    return client


def _problem(answer: object, status: int, words: str) -> None:
    assert answer.status_code == status, (answer.status_code, answer.get_data(as_text=True))  # type: ignore[attr-defined]
    body = answer.json  # type: ignore[attr-defined]
    assert body["status"] == status and words in body["detail"], body


def test_ids_beyond_64_bits_are_not_found_or_invalid(app: Flask) -> None:
    api = Api(app.test_client())
    _problem(api.get(f"/instances/{HUGE}", "kaisa"), 404, "")
    _problem(api.get(f"/instances/{HUGE}/diagram", "kaisa"), 404, "")
    refused = api.post("/instances", "kaisa", json={"client": HUGE, "process": "national"})
    assert refused.status_code == 400 and "client" in refused.json["errors"]
    listed = api.get("/tasks", "kaisa", query_string={"instance": str(HUGE)})
    assert listed.status_code == 400 and "instance" in listed.json["errors"]
    page = app.test_client()
    page.post("/login", data={"username": "kaisa", "password": PASSWORD})
    assert page.get(f"/clients/{HUGE}").status_code == 404
    assert page.get(f"/paths/{HUGE}/plan").status_code == 404


def test_nul_characters_and_deep_json_are_refused_and_change_nothing(app: Flask) -> None:
    api = Api(app.test_client())
    api.token("kaisa")
    page = app.test_client()
    page.post("/login", data={"username": "kaisa", "password": PASSWORD})
    before = database_fingerprint(app)
    _problem(api.post("/clients", "kaisa", json={"full_name": "Matti\u0000Meikäläinen"}),
             400, "NUL character")  # fmt: skip
    body = '{"full_name": "Maija", "municipality": ' + "[" * 5000 + "]" * 5000 + "}"
    _problem(api.post("/clients", "kaisa", data=body, content_type="application/json"),
             400, "nests deeper than 64 levels")  # fmt: skip
    assert page.get("/clients?q=%00").status_code == 400
    assert database_fingerprint(app) == before


def test_an_identity_code_with_an_impossible_date_is_refused(app: Flask) -> None:
    digits = "300299" + "123"  # 30 February 1999: the check character itself is right
    code = f"300299-123{_HETU_CHECK[int(digits) % 31]}"
    assert not valid_identity_code(code)
    assert valid_identity_code("131052-308T") and valid_identity_code("010100A900F")
    api = Api(app.test_client())
    refused = api.post("/clients", "kaisa", json={"full_name": "Testi", "identity_code": code})
    assert refused.status_code == 400 and "identity_code" in refused.json["errors"]


def test_an_upload_name_with_a_line_break_is_refused(app: Flask) -> None:
    designer = _designer(app)
    answer = designer.post(
        "/designer/national/upload",
        data={"bpmn_file": (BytesIO(SCRIPTED_BPMN.encode()), "evil\r\nSet-Cookie: x.bpmn")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 400
    assert "\r\n" not in "".join(f"{k}: {v}" for k, v in answer.headers.items())


def test_uploaded_bpmn_is_shown_as_text_that_cannot_run(app: Flask, tmp_path: Path) -> None:
    designer = _designer(app)
    saved = designer.post(
        "/designer/national/upload",
        data={"bpmn_file": (BytesIO(SCRIPTED_BPMN.encode()), "national_path.bpmn")},
        content_type="multipart/form-data",
    )
    assert saved.status_code in (200, 302), saved.text
    number = 2  # the models on disk are version 1
    shown = designer.get(f"/designer/national/versions/{number}.bpmn")
    assert shown.status_code == 200 and "polkuPwned" in shown.text
    assert shown.mimetype == "text/plain"
    assert shown.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in shown.headers["Content-Security-Policy"]
    downloaded = designer.get(f"/designer/national/versions/{number}.bpmn?download=1")
    assert downloaded.headers["Content-Disposition"].startswith("attachment;")
    assert downloaded.mimetype == "application/octet-stream"


def test_every_response_carries_the_security_headers(app: Flask) -> None:
    client = app.test_client()
    login_page = client.get("/login")
    policy = login_page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert login_page.headers["X-Frame-Options"] == "DENY"
    assert login_page.headers["Referrer-Policy"] == "same-origin"
    client.post("/login", data={"username": "kaisa", "password": PASSWORD})
    worklist = client.get("/")
    assert worklist.status_code == 200 and worklist.headers["Cache-Control"] == "no-store"
    assert "<script>" not in worklist.text  # no inline script for the policy to break
