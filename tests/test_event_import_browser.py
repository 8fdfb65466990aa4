"""A big event log uploaded in a real browser (issue 13): the page that follows the import in
the background moves its progress bar from the server's answers, passes axe-core, and shows
how many events came when the import ends."""

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
from tests.conftest import LONG_SESSIONS, PASSWORD, ROOT
from tests.test_event_import_stream import event_log
from web import create_app

CHROMIUM = "/usr/bin/chromium"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTEFACTS = ROOT / "test-artifacts" / "accessibility"
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
    app = create_app({"TESTING": True, "DATABASE_AUTO_UPGRADE": True,
                      "DATABASE_URL": f"sqlite:///{path}", "SECRET_KEY": "browser",
                      "EVENT_LOG_INLINE_BYTES": 0, **LONG_SESSIONS})  # fmt: skip
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


def axe_violations(page: Any) -> list[str]:
    page.add_script_tag(url="/vendor/axe-core/axe.min.js")  # the page's policy: no inline code
    found = page.evaluate(
        "() => axe.run(document, {resultTypes: ['violations'], runOnly: {type: 'tag', "
        "values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"
    )
    return [f"{v['id']}: {v['help']}" for v in found["violations"]
            if v["impact"] in ("serious", "critical")]  # fmt: skip


def test_the_progress_of_a_big_upload_in_the_browser(page: Any, base: str, tmp_path: Path) -> None:
    log = tmp_path / "pilotti.csv"
    log.write_text(event_log(250_000), encoding="utf-8")  # some seconds to import
    page.goto(f"{base}/login")
    page.fill("#username", "maija")
    page.fill("#password", PASSWORD)
    page.click("form.stacked button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(f"{base}/dashboard/event-log")
    page.fill("#f-name", "Iso pilotti")
    page.set_input_files("#f-file", str(log))
    page.get_by_role("button", name="Tuo").click()
    page.wait_for_url("**/dashboard/event-log/imports/*")
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    if page.locator("#import-bar").count():  # still running: the bar moves by itself
        page.wait_for_function(
            "() => { const bar = document.querySelector('#import-bar');"
            " return !bar || Number(bar.value) > 0; }",
            timeout=30_000,
        )
        page.screenshot(path=str(ARTEFACTS / "event-log-import-progress.png"), full_page=True)
        assert axe_violations(page) == []
    page.get_by_text("tuotiin erillisenä aineistona: 249 999 tapahtumaa").wait_for(timeout=60_000)
    page.screenshot(path=str(ARTEFACTS / "event-log-import-done.png"), full_page=True)
    assert axe_violations(page) == []
    page.get_by_role("link", name="Näytä mittarit").click()
    assert "Iso pilotti" in page.content()
