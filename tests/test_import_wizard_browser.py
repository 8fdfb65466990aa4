"""The import wizard in a real browser (issue 16 §3): a Finnish spreadsheet saved as CSV is
uploaded, its preview passes axe-core, a step is chosen for an activity, and the data set's
metrics open; a bad date is named with its line, and the page passes axe-core then too."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from engine.services import users
from engine.services.access import Actor
from engine.services.demo import DEMO_COUNTIES
from tests.conftest import LONG_SESSIONS, PASSWORD
from tests.test_event_import_browser import (  # noqa: F401  (the browser's launch arguments)
    ARTEFACTS,
    axe_violations,
    browser_type_launch_args,
    pytestmark,
)
from tests.test_import_wizard import FINNISH
from web import create_app


@pytest.fixture
def base(tmp_path: Path, template_database: tuple[Path, dict[str, Actor]]) -> Iterator[str]:
    path = tmp_path / "browser.db"
    shutil.copyfile(template_database[0], path)
    app = create_app({"TESTING": True, "DATABASE_AUTO_UPGRADE": True,
                      "DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "browser",
                      "EVENT_LOG_UPLOAD_DIR": str(tmp_path / "uploads"),
                      **LONG_SESSIONS})  # fmt: skip
    ctx = app.extensions["polku"]
    users.create_user(ctx.uow(), ctx.engine.roles, username="maija", display_name="Maija",
                      password=PASSWORD, roles=["manager"],
                      organisations=DEMO_COUNTIES)  # fmt: skip
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    ctx.db.dispose()


def _sign_in(page: Any, base: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", "maija")
    page.fill("#password", PASSWORD)
    page.click("form.stacked button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def _upload(page: Any, base: str, file: Path) -> None:
    page.goto(f"{base}/dashboard/event-log")
    page.fill("#f-name", "Kainuun pilotti")
    page.set_input_files("#f-file", str(file))
    page.get_by_role("button", name="Esikatsele ja valitse sarakkeet").click()
    page.wait_for_url("**/dashboard/event-log/uploads/*")


def test_the_wizard_in_the_browser(page: Any, base: str, tmp_path: Path) -> None:
    log = tmp_path / "pilotti.csv"
    log.write_text(FINNISH, encoding="utf-8")
    _sign_in(page, base)
    _upload(page, base, log)
    assert page.locator("#f-case").input_value() == "Asiakas"
    assert page.locator("#f-timestamp").input_value() == "Aika"
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / "event-log-wizard.png"), full_page=True)
    assert axe_violations(page) == []
    page.get_by_label("Puheeksiotto").select_option("step:Task_encounter")
    page.get_by_role("button", name="Tuo", exact=True).click()
    page.wait_for_url("**/dashboard/metrics*")
    assert "Kainuun pilotti" in page.content()

    bad = tmp_path / "huono.csv"
    bad.write_text(FINNISH.replace("6.8.2024 10:00", "31.2.2024"), encoding="utf-8")
    _upload(page, base, bad)
    # the last import's choices are offered again
    assert page.get_by_label("Puheeksiotto").input_value() == "step:Task_encounter"
    page.get_by_role("button", name="Tuo", exact=True).click()
    page.get_by_text("Rivi 7: Aika: '31.2.2024'").first.wait_for()
    page.screenshot(path=str(ARTEFACTS / "event-log-wizard-refused.png"), full_page=True)
    assert axe_violations(page) == []
