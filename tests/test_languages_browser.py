"""In the browser (issue 14, §6): a Swedish task form — the step's name, the labels, the help
text and the choices in Swedish; English dates day first; an unknown address answers with a
styled page in Swedish."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
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
def live_server(tmp_path: Path) -> Iterator[tuple[str, int]]:
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_AUTO_UPGRADE": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'languages.db'}",
            "SECRET_KEY": "languages-browser-test",
        }
    )
    ctx = app.extensions["polku"]
    for username, language, roles in (
        ("sven", "sv", ["work_ability_coordinator"]),
        ("emma", "en", ["work_ability_coordinator"]),
        ("dora", "sv", ["process_designer"]),
    ):
        users.create_user(
            ctx.uow(), ctx.engine.roles, username=username,
            display_name=f"{username.title()} Testare", password=PASSWORD,
            roles=roles, language=language,
        )  # fmt: skip
    sven = next(Actor.from_user(u) for u in users.list_users(ctx.uow()) if u.username == "sven")
    client_id = clients.create_client(ctx.uow(), ctx.clock, sven, full_name="Greta Gran")
    instances.start_instance(ctx.uow(), ctx.engine, ctx.clock, sven, client_id, "national")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", client_id
    server.shutdown()
    ctx.db.dispose()


def test_a_swedish_task_form(page: Any, live_server: tuple[str, int]) -> None:
    base, _ = live_server
    log_in(page, base, "sven")
    assert page.locator("html").get_attribute("lang") == "sv"
    page.get_by_role("link", name="Möte och att ta upp frågan", exact=True).click()
    assert page.get_by_role("heading", name="Möte och att ta upp frågan").first.is_visible()
    channel = page.get_by_label("Hänvisningskanal")
    assert channel.is_visible()
    assert page.get_by_text(
        "Varifrån klienten hänvisades eller hur hen sökte sig till tjänsten."
    ).is_visible()
    options = page.locator("select[name=entry_channel] option").all_inner_texts()
    assert "FPA" in options and "Kela" not in options
    assert "Arbets- och näringstjänsterna" in options
    assert page.locator("select[name=entry_channel] option[value=kela]").inner_text() == "FPA"
    assert page.get_by_text("Ohjautumiskanava").count() == 0
    shot(page, "task-form-swedish")


def test_english_dates_are_day_first(page: Any, live_server: tuple[str, int]) -> None:
    base, client_id = live_server
    log_in(page, base, "emma")
    page.goto(f"{base}/clients/{client_id}")
    assert page.locator("html").get_attribute("lang") == "en"
    today = datetime.now(UTC).astimezone(ZoneInfo("Europe/Helsinki"))
    shown = page.locator("time").first.inner_text()
    assert shown.startswith(today.strftime("%d/%m/%Y")), shown
    assert "AM" not in shown and "PM" not in shown
    assert page.get_by_text("Encounter and raising the subject").first.is_visible()


def test_an_unknown_address_is_a_styled_swedish_page(
    page: Any, live_server: tuple[str, int]
) -> None:
    base, _ = live_server
    log_in(page, base, "sven")
    response = page.goto(f"{base}/ingen/sadan/sida")
    assert response is not None and response.status == 404
    assert page.locator("html").get_attribute("lang") == "sv"
    assert page.get_by_role("heading", name="Hittades inte").is_visible()
    assert page.get_by_role("link", name="Tillbaka till arbetslistan").is_visible()
    assert "Not Found" not in page.content()
    check(page, "not-found-swedish")


def test_the_designer_translates_a_text_in_the_browser(
    page: Any, live_server: tuple[str, int]
) -> None:
    base, _ = live_server
    log_in(page, base, "dora")
    page.goto(f"{base}/designer/national")
    page.get_by_role("link", name="Texter på svenska och engelska").click()
    check(page, "designer-texts")
    page.get_by_label("Endast texter som saknar översättning").check()
    page.get_by_role("button", name="Visa").click()
    assert page.get_by_text("Alla texter har sina översättningar.").is_visible()
    page.goto(f"{base}/designer/national/texts")
    row = page.locator("fieldset", has_text="Kohtaaminen ja puheeksiotto").first
    row.get_by_label("English").fill("")
    page.get_by_role("button", name="Spara som en ny version").click()
    assert page.get_by_text("Sparad som version 2.").is_visible()
    page.get_by_label("Endast texter som saknar översättning").check()
    page.get_by_role("button", name="Visa").click()
    assert page.locator("fieldset", has_text="Kohtaaminen ja puheeksiotto").count() == 1
