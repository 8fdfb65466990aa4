"""In the browser (issue 15 §2): a designer adds a field to the encounter form, previews it and
saves a new version; a path started on that version shows the field on its task page."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from engine.services import clients, instances, users
from engine.services.access import Actor
from tests.conftest import PASSWORD
from tests.test_accessibility import check
from tests.test_browser import browser_type_launch_args, log_in, shot
from web import create_app

pytestmark = pytest.mark.browser
__all__ = ["browser_type_launch_args"]  # the Chromium the browser tests use


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[tuple[str, Flask]]:
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_AUTO_UPGRADE": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'form-editor.db'}",
            "SECRET_KEY": "form-editor-browser-test",
        }
    )
    ctx = app.extensions["polku"]
    for username, roles in (
        ("dora", ["process_designer"]),
        ("kaisa", ["work_ability_coordinator"]),
    ):
        users.create_user(
            ctx.uow(), ctx.engine.roles, username=username, display_name=username.title(),
            password=PASSWORD, roles=roles, language="fi",
        )  # fmt: skip
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", app
    server.shutdown()
    ctx.db.dispose()


def test_a_designer_adds_a_field_and_a_new_path_shows_it(
    page: Any, live_server: tuple[str, Flask]
) -> None:
    base, app = live_server
    log_in(page, base, "dora")
    page.goto(f"{base}/designer/national")
    page.get_by_role("link", name="Lomakkeet", exact=True).click()
    page.get_by_role("link", name="Kohtaaminen ja puheeksiotto").click()
    assert page.get_by_role("heading", name="Esikatselu").is_visible()
    check(page, "form-editor")
    page.get_by_role("button", name="Lisää kenttä").click()
    added = page.locator("fieldset.form-editor-field").last
    added.get_by_label("Nimi", exact=True).fill("contact_channel")
    added.get_by_label("Otsikko", exact=True).fill("Yhteydenottotapa")
    added.get_by_label("Laji").select_option("choice")
    added.get_by_label("Vaihtoehdot", exact=True).fill("phone = Puhelin\nvisit = Käynti")
    preview = page.locator("#form-preview")
    preview.get_by_text("Yhteydenottotapa").wait_for()  # the script's live preview
    page.get_by_role("button", name="Esikatselu", exact=True).click()  # the server's
    assert preview.get_by_text("Yhteydenottotapa").is_visible()
    assert preview.get_by_label("Käynti").count() == 1
    shot(page, "form-editor-preview")
    page.get_by_role("button", name="Tallenna uutena versiona").click()
    assert page.get_by_text("Tallennettu versioksi 2.").is_visible()

    ctx = app.extensions["polku"]
    kaisa = next(Actor.from_user(u) for u in users.list_users(ctx.uow()) if u.username == "kaisa")
    client_id = clients.create_client(ctx.uow(), ctx.clock, kaisa, full_name="Liisa Lomake")
    instances.start_instance(ctx.uow(), ctx.engine, ctx.clock, kaisa, client_id, "national")
    log_in(page, base, "kaisa")
    page.get_by_role("link", name="Kohtaaminen ja puheeksiotto", exact=True).first.click()
    assert page.get_by_text("Yhteydenottotapa").is_visible()
    assert page.get_by_label("Puhelin").count() == 1
    shot(page, "form-editor-new-field-on-task")
