"""The client's own pages in a phone-sized browser (360 x 740, headless Chromium): sign in
through the local OpenID provider (strong identification with a test identity code), read
the path and the support plan, withdraw and give consent, read who has handled the data; each
page fits the width, starts with a skip link for the keyboard, and has no serious or critical
axe-core (WCAG 2.1 AA) violation."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from engine.clock import FrozenClock
from engine.services import users
from tests.conftest import PASSWORD, ROOT, STAFF
from tests.oidc_provider import OpenIDProvider, running
from tests.test_api import Api, make_app
from tests.test_authorization_matrix import DOERS
from tests.test_client_portal import BEFORE_CLIENT, CODE_A, PEOPLE, client_settings

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
PHONE = {"width": 360, "height": 740}
ARTEFACTS = ROOT / "test-artifacts"
GOAL = "Osa-aikatyö kevääseen mennessä"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}"),
]


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    return {
        "executable_path": CHROMIUM,
        "headless": True,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": PHONE, "has_touch": True, "is_mobile": True}


@pytest.fixture
def provider() -> Iterator[OpenIDProvider]:
    with running(PEOPLE, client_id="polku-oma", redirect_uris=[]) as found:
        yield found


@pytest.fixture
def site(tmp_path: Path, provider: OpenIDProvider) -> Iterator[str]:
    clock = FrozenClock()
    app = make_app(f"sqlite:///{tmp_path / 'oma.db'}", clock)
    app.config.update(CLIENT_OIDC=client_settings(provider), WTF_CSRF_ENABLED=True)
    from web import client_sso

    client_sso.init_app(app)
    ctx = app.extensions["polku"]
    for username, roles in STAFF.items():
        users.create_user(
            ctx.uow(),
            ctx.engine.roles,
            username=username,
            display_name=username.title(),
            password=PASSWORD,
            roles=roles,
        )
    api = Api(app.test_client())
    made = api.post(
        "/clients", "kaisa", json={"full_name": "Anna Aaltonen", "identity_code": CODE_A}
    )
    path = int(
        api.post(
            "/instances", "kaisa", json={"client": made.json["id"], "process": "national"}
        ).json["id"]
    )
    for step in BEFORE_CLIENT:
        api.complete(DOERS[step], path, step)
    api.complete("client", path, "Task_client_situation")
    api.complete("timo", path, "Task_support_plan", main_goal=GOAL)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    provider.client.redirect_uris.append(f"{base}/oma/kirjaudu/paluu")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield base
    server.shutdown()
    server.server_close()
    ctx.db.dispose()


def check(page: Any, name: str) -> None:
    """No serious or critical axe-core violation; nothing wider than the phone."""
    page.wait_for_load_state("networkidle")
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"oma-{name}.png"), full_page=True)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name}: {width} px wide"
    if not AXE.exists():
        return
    page.add_script_tag(url="/vendor/axe-core/axe.min.js")
    found = page.evaluate(
        "tags => axe.run(document, {resultTypes: ['violations'], runOnly: {type: 'tag', "
        "values: tags}}).then(r => r.violations.filter(v => ['serious', 'critical']"
        ".includes(v.impact)).map(v => v.id + ': ' + v.nodes.map(n => n.target).join(' ')))",
        WCAG,
    )
    assert found == [], f"{name}: {found}"


def test_a_client_on_a_phone_reads_the_path_and_plan_and_changes_consent(
    page: Any, site: str, provider: OpenIDProvider
) -> None:
    page.goto(site + "/oma")
    assert "/oma/kirjaudu" in page.url
    check(page, "sign-in")
    page.keyboard.press("Tab")  # the keyboard starts at the skip link
    assert page.evaluate("() => document.activeElement.className") == "skip-link"
    page.get_by_role("link", name="Tunnistaudu").click()
    page.wait_for_url(f"{provider.issuer}/authorize**")
    page.fill("#idp-username", "anna")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(site + "/oma")

    assert page.get_by_role("heading", name="Oma polkuni", level=1).is_visible()
    assert page.locator(".oma-phases li[aria-current=step]").count() == 1
    assert page.get_by_text("Asiakasvastaavasi").is_visible()
    check(page, "my-path")

    page.get_by_role("link", name="Tuen suunnitelmani").first.click()
    assert page.get_by_text(GOAL).is_visible()
    check(page, "my-plan")

    page.get_by_role("link", name="Suostumukseni").click()
    assert page.get_by_text("Olet antanut suostumuksesi.").is_visible()
    check(page, "my-consent")
    page.get_by_role("button", name="Peru suostumukseni").click()
    assert page.get_by_text("Et ole antanut suostumusta.").is_visible()
    page.get_by_role("button", name="Annan suostumukseni").click()
    assert page.get_by_text("Olet antanut suostumuksesi.").is_visible()

    page.get_by_role("link", name="Tietoni").click()
    assert page.get_by_role("heading", name="Kuka on käsitellyt tietojani").is_visible()
    assert page.locator(".oma-log li").count() > 3
    check(page, "my-data")

    page.get_by_role("link", name="Omat tehtäväni").click()
    check(page, "my-tasks")
    page.get_by_role("button", name="Kirjaudu ulos").click()
    page.wait_for_url("**/oma/kirjaudu**")
    page.goto(site + "/oma")
    assert "/oma/kirjaudu" in page.url
