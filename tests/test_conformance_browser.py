"""The conformance page in a real browser (headless Chromium): the national diagram is drawn
with each phase's figures as a badge on its first step and its steps coloured, the page reads
in Finnish with its shares rounded as the tables show them, and it passes axe-core."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from engine.clock import FrozenClock
from engine.services import users
from engine.services.access import Actor
from engine.services.demo import DEMO_COUNTIES
from tests.conftest import LONG_SESSIONS, PASSWORD, Services
from tests.test_conformance import build
from tests.test_event_import_browser import AXE, CHROMIUM, axe_violations
from web import create_app

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}"),
    pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed (npm ci)"),
]


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    return {"executable_path": CHROMIUM, "headless": True,
            "args": ["--no-sandbox", "--disable-gpu", "--no-first-run"]}  # fmt: skip


@pytest.fixture
def base(tmp_path: Path, template_database: tuple[Path, dict[str, Actor]]) -> Iterator[str]:
    path = tmp_path / "browser.db"
    shutil.copyfile(template_database[0], path)
    clock = FrozenClock()
    app = create_app({"TESTING": True, "DATABASE_AUTO_UPGRADE": True,
                      "DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "browser",
                      "CLOCK": clock, **LONG_SESSIONS})  # fmt: skip
    ctx = app.extensions["polku"]
    users.create_user(ctx.uow(), ctx.engine.roles, username="maija", display_name="Maija",
                      password=PASSWORD, roles=["manager"],
                      organisations=DEMO_COUNTIES)  # fmt: skip
    build(Services(ctx.engine, clock, ctx.session_factory, {}))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    ctx.db.dispose()


def test_the_conformance_page_paints_the_phases_on_the_diagram(page: Any, base: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", "maija")
    page.fill("#password", PASSWORD)
    page.click("form.stacked button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(f"{base}/dashboard")
    page.get_by_role("link", name="Yhdenmukaisuus", exact=True).click()
    page.wait_for_url("**/dashboard/conformance")
    page.fill("#f-since", "2026-11-01")
    page.get_by_role("button", name="Näytä").click()
    page.wait_for_url("**/dashboard/conformance?*since=2026-11-01*")
    assert page.locator("h1").inner_text() == "Yhdenmukaisuus kansallisen polun kanssa"
    summary = page.locator("#conformance-summary").inner_text()
    assert "5 päättynyttä polkua laskettu." in summary and "40,0 %" in summary
    page.wait_for_selector('#conformance[data-diagram-ready="true"]', timeout=20_000)
    badges = page.locator("#conformance .heat-badge")
    assert badges.count() == 5  # one per phase, on its first step
    texts = [badges.nth(i).inner_text() for i in range(badges.count())]
    assert any(t.startswith("Arviointi ja suunnitelma: 1 ohitti") for t in texts), texts
    assert page.locator("#conformance .djs-shape.heat-mid").count() >= 1  # 2 of 5 deviate
    assert axe_violations(page) == []
