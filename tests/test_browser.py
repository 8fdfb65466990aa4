"""End to end in a real headless Chromium (Debian's, driven by Playwright): a professional logs
in, finds a task on the worklist, fills its form wrongly then rightly, and sees the client
move on."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from engine.services import clients, instances, users
from engine.services.access import Actor
from tests.conftest import PASSWORD, ROOT, STAFF
from web import create_app

pytestmark = pytest.mark.browser
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTEFACTS = ROOT / "test-artifacts"

if not Path(CHROMIUM).exists():
    pytest.skip(f"no Chromium at {CHROMIUM} (make test installs Debian's)", allow_module_level=True)


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    return {
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[tuple[str, Any]]:
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'ui.db'}",
            "SECRET_KEY": "browser-test",
        }
    )
    ctx = app.extensions["polku"]
    for username, roles in STAFF.items():
        users.create_user(
            ctx.uow(),
            ctx.engine.roles,
            username=username,
            display_name=f"{username.title()} Testinen",
            password=PASSWORD,
            roles=roles,
        )
    kaisa = users.authenticate(ctx.uow(), "kaisa", PASSWORD)
    actor = Actor.from_user(kaisa)
    client_id = clients.create_client(ctx.uow(), ctx.clock, actor, full_name="Ville Virtanen")
    instances.start_instance(ctx.uow(), ctx.engine, ctx.clock, actor, client_id, "national")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", app
    server.shutdown()
    ctx.db.dispose()


def shot(page: Any, name: str) -> None:
    ARTEFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)


def log_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")


def test_a_professional_completes_a_task_in_the_browser(
    page: Any, live_server: tuple[str, Any]
) -> None:
    base, _app = live_server
    page.goto(base + "/")
    assert "/login" in page.url  # pages need a login
    log_in(page, base, "kaisa")
    assert page.locator("html").get_attribute("lang") == "fi"
    assert page.get_by_role("heading", name="Oma työlista").is_visible()
    shot(page, "worklist")

    page.get_by_role("link", name="Kohtaaminen ja puheeksiotto").click()
    shot(page, "task-form")
    # First a mistake the server must catch: switch off the browser's own checks and send
    # the form with required answers missing.
    page.evaluate("document.querySelector('form.task-form').noValidate = true")
    page.get_by_role("button", name="Suorita tehtävä").last.click()
    assert page.locator(".error-summary").is_visible()
    assert page.get_by_text("Tämä kenttä on pakollinen").first.is_visible()
    shot(page, "task-form-errors")

    page.select_option("select[name=entry_channel]", "social_services")
    for name, value in (
        ("kykyviisari_done", "false"),
        ("health_check_offered", "true"),
        ("urgent", "false"),
        ("occupational_health_covered", "false"),
        ("consent_multi_org", "true"),
    ):
        page.check(f"input[name={name}][value={value}]")
    page.fill("textarea[name=notes]", "Asiakas otti puheeksi jaksamisen.")
    page.get_by_role("button", name="Suorita tehtävä").last.click()

    # The client page shows the path moved on to the initial interview.
    assert "/clients/" in page.url
    assert page.get_by_text("Alkuhaastattelu ja neuvonta").first.is_visible()
    assert page.get_by_text("Kohtaaminen ja puheeksiotto").first.is_visible()
    shot(page, "client-page")

    page.goto(base + "/")
    assert page.get_by_role("link", name="Alkuhaastattelu ja neuvonta").is_visible()


def test_english_is_selectable(page: Any, live_server: tuple[str, Any]) -> None:
    base, _app = live_server
    log_in(page, base, "lauri")
    page.goto(base + "/lang/en")
    page.goto(base + "/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="My worklist").is_visible()
    assert page.get_by_text("No tasks are waiting for you.").is_visible()
