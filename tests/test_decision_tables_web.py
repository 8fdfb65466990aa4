"""The designer's decision-table editor (issue 15 §3): the page, the DMN text, and saving an
edited table as a new model version (designers only; a broken table is refused with its
problems and nothing is saved)."""

from __future__ import annotations

from flask import Flask

from engine.persistence.tables import Deployment
from engine.services import designer, users
from tests.conftest import PASSWORD
from tests.test_ui import app, login  # noqa: F401  (the app fixture)

URL = "/designer/kainuu/decisions/responsibility.dmn"
OLD_CELL = '<text>"social" in assessments_needed</text>'


def _designer(app: Flask) -> None:  # noqa: F811
    ctx = app.extensions["polku"]
    users.create_user(
        ctx.uow(), ctx.engine.roles, username="dora", display_name="Dora",
        password=PASSWORD, roles=["process_designer"],
    )  # fmt: skip


def _latest(app: Flask) -> int:  # noqa: F811
    versions = designer.model_versions(app.extensions["polku"].uow(), "kainuu")
    return max(v.number for v in versions)


def test_the_model_page_links_the_table_and_the_editor_opens(app: Flask) -> None:  # noqa: F811
    _designer(app)
    client = login(app, "dora")
    page = client.get("/designer/kainuu")
    assert page.status_code == 200
    assert URL in page.text and "Päätöstaulut" in page.text
    editor = client.get(URL)
    assert editor.status_code == 200
    assert "dmn-js/dmn-modeler.js" in editor.text and "polku-decisions.js" in editor.text
    xml = client.get(f"{URL}/versions/{_latest(app)}.dmn")
    assert xml.status_code == 200 and xml.mimetype == "text/plain"
    assert "Decision_responsibility" in xml.text
    assert xml.headers["Content-Security-Policy"].startswith("default-src 'none'")
    script = client.get("/vendor/dmn-js/dmn-modeler.js")
    assert script.status_code == 200
    script.close()
    assert client.get("/designer/kainuu/decisions/nope.dmn").status_code == 404


def test_only_designers_open_or_save_tables(app: Flask) -> None:  # noqa: F811
    client = login(app, "kaisa")
    assert client.get(URL).status_code == 403
    answer = client.post(URL, json={"xml": "<definitions/>"})
    assert answer.status_code == 403


def test_saving_an_edited_table_makes_a_version(app: Flask) -> None:  # noqa: F811
    _designer(app)
    client = login(app, "dora")
    before = _latest(app)
    xml = client.get(f"{URL}/versions/{before}.dmn").text
    assert xml.count(OLD_CELL) == 4
    edited = xml.replace(OLD_CELL, "<text>true</text>", 1)
    answer = client.post(URL, json={"xml": edited})
    assert answer.status_code == 201, answer.text
    body = answer.json
    assert body is not None and body["version"] == before + 1 and body["created"] is True
    saved = client.get(f"{URL}/versions/{before + 1}.dmn").text
    assert saved.count(OLD_CELL) == 3
    # the same table again: no new version
    again = client.post(URL, json={"xml": edited})
    assert again.status_code == 200 and (again.json or {})["created"] is False
    versions = designer.model_versions(app.extensions["polku"].uow(), "kainuu")
    assert [v.source for v in versions if v.number == before + 1] == ["decisions"]


def test_a_broken_table_is_refused_with_its_problems(app: Flask) -> None:  # noqa: F811
    _designer(app)
    client = login(app, "dora")
    before = _latest(app)
    xml = client.get(f"{URL}/versions/{before}.dmn").text
    broken = xml.replace("<text>service_need</text>", "<text>service_needs</text>")
    broken = broken.replace('<text>"social_services"</text>', "<text>open('x')</text>")
    answer = client.post(URL, json={"xml": broken})
    assert answer.status_code == 400
    problems = (answer.json or {})["problems"]
    messages = " ".join(p["message"] for p in problems)
    assert "service_needs" in messages and "open('x')" in messages
    assert all(p["file"] == "decisions/responsibility.dmn" for p in problems)
    assert _latest(app) == before  # nothing saved
    with app.extensions["polku"].uow() as uow:
        refused = uow.session.query(Deployment).filter_by(model_key="kainuu", accepted=False)
        assert [d.source for d in refused] == ["decisions"]
    # a file that is no DMN at all, and a request without XML
    doctype = '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "y">]><definitions/>'
    assert client.post(URL, json={"xml": doctype}).status_code == 400
    assert client.post(URL, json={}).status_code == 400
