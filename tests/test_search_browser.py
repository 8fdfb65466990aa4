"""In a real headless Chromium (issue 14 §5 and §1): a coordinator finds clients with the
list's search, starts a path with the search and a model chosen (none chosen in advance), is
refused a second running path of the same model and starts it with a reason; colleagues write
and read notes by their class; the history reads as sentences."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from engine.persistence.tables import ProcessInstance
from engine.services import clients, users
from engine.services.access import Actor
from tests.conftest import PASSWORD
from tests.test_browser import CHROMIUM, browser_type_launch_args, live_server, log_in, shot

__all__ = ["browser_type_launch_args", "live_server", "CHROMIUM"]
pytestmark = pytest.mark.browser
CODE = "131052-308T"


def _add(app: Any, full_name: str, identity_code: str | None = None) -> int:
    ctx = app.extensions["polku"]
    kaisa = next(u for u in users.list_users(ctx.uow()) if u.username == "kaisa")
    return clients.create_client(ctx.uow(), ctx.clock, Actor.from_user(kaisa),
                                 full_name=full_name, identity_code=identity_code)  # fmt: skip


def _paths(app: Any) -> int:
    with app.extensions["polku"].uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(ProcessInstance)) or 0)


def _search(page: Any, text: str) -> None:
    page.fill("#q", text)
    page.locator("form[role=search] button[type=submit]").first.click()
    page.wait_for_load_state()


def test_a_search_in_the_client_list(page: Any, live_server: tuple[str, Any]) -> None:
    base, app = live_server
    _add(app, "Veera Virtala", CODE)
    log_in(page, base, "kaisa")
    page.goto(f"{base}/clients")
    table = page.locator("#client-table")
    assert table.get_by_text("Liisa Laine").is_visible()
    _search(page, "virt")
    assert page.url == f"{base}/clients"  # the text went by POST, not into the address
    assert table.get_by_text("Ville Virtanen").is_visible()
    assert table.get_by_text("Veera Virtala").is_visible()
    assert table.get_by_text("Liisa Laine").count() == 0
    assert "2 asiakasta löytyi nimellä." in page.locator("#client-count").inner_text()
    assert page.locator("#q").input_value() == "virt"  # kept in the session
    _search(page, CODE[:6])  # a part of an identity code finds nobody
    assert page.get_by_text("Haulla ei löytynyt asiakkaita.").is_visible()
    _search(page, CODE.lower())
    assert table.get_by_text("Veera Virtala").is_visible()
    assert "henkilötunnuksella (tarkka haku)" in page.locator("#client-count").inner_text()
    assert CODE.lower() not in page.url and CODE not in page.url
    shot(page, "client-search")
    page.get_by_role("button", name="Tyhjennä haku").click()
    page.wait_for_load_state()
    assert table.get_by_text("Liisa Laine").is_visible()
    assert page.locator("#q").input_value() == ""


def test_the_duplicate_path_is_refused_then_started_with_a_reason(
    page: Any, live_server: tuple[str, Any]
) -> None:
    base, app = live_server
    ctx = app.extensions["polku"]
    before = _paths(app)
    users.create_user(ctx.uow(), ctx.engine.roles, username="paula",
                      display_name="Paula Testinen", password=PASSWORD,
                      roles=["service_counsellor"])  # fmt: skip
    # a service counsellor starts paths but may not start a second one of the same model
    log_in(page, base, "paula")
    page.goto(f"{base}/clients")
    _search(page, "Ville Virtanen")
    form = page.locator("#start-path-form")
    assert form.locator("#s-client_id").input_value() != ""  # the one found is chosen
    assert form.locator("#s-process").input_value() == ""  # no model chosen in advance
    form.locator("#s-process").select_option("national")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.get_by_text("Asiakkaalla on jo käynnissä polku").first.is_visible()
    assert page.get_by_text("Vain koordinaattori voi aloittaa toisen polun.").first.is_visible()
    assert page.locator("#s-override_reason").count() == 0
    assert _paths(app) == before  # refused: no path started

    # a coordinator is told the same, and may start it anyway with a reason
    log_in(page, base, "kaisa")
    page.goto(f"{base}/clients")
    _search(page, "Ville Virtanen")
    form = page.locator("#start-path-form")
    form.locator("#s-process").select_option("national")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.get_by_text("Asiakkaalla on jo käynnissä polku").first.is_visible()
    reason = page.locator("#s-override_reason")
    assert reason.is_visible()
    assert _paths(app) == before
    reason.fill("Asiakas muutti toiselle alueelle; uusi polku sinne.")
    shot(page, "duplicate-path")
    page.locator("#start-path-form button[type=submit]").click()
    page.wait_for_url(lambda url: "/clients/" in url)
    assert page.get_by_text("Polku aloitettiin.").is_visible()
    assert _paths(app) == before + 1  # the second path, once
    assert page.get_by_text(
        "Saman mallin polku oli jo käynnissä; toisen polun aloittamisen peruste kirjattiin."
    ).first.is_visible()


def test_a_note_is_written_and_read_by_colleagues(page: Any, live_server: tuple[str, Any]) -> None:
    base, _app = live_server
    log_in(page, base, "aino")  # Liisa Laine's case manager
    page.goto(f"{base}/clients")
    _search(page, "Liisa")
    page.locator("#client-table a.pseudonym").first.click()
    page.wait_for_url(lambda url: "/clients/" in url)
    client_url = page.url
    # the history as sentences, with display names and the step's name
    assert page.get_by_text(
        "Aino Testinen nimettiin vastuutyöntekijäksi lomakkeella "
        "”Työkyvyn tuen suunnitelma ja asiakasvastaavasta sopiminen”."
    ).first.is_visible()
    assert page.get_by_text("Kaisa Testinen aloitti polun").first.is_visible()
    assert page.locator("li.event").filter(has_text="named in").count() == 0
    notes = page.locator("section.path-notes").first
    notes.locator("summary").click()
    notes.locator("textarea[name=text]").fill("Lääkitys muuttui viime viikolla.")
    notes.locator("select[name=visibility]").select_option("health")
    notes.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.get_by_text("Muistiinpano lisättiin.").is_visible()
    assert page.get_by_text(
        "Aino Testinen kirjoitti muistiinpanon (Terveystiedot): ”Lääkitys muuttui viime viikolla.”"
    ).first.is_visible()

    log_in(page, base, "lauri")  # the physician: health data is his work
    page.goto(client_url)
    assert page.get_by_text("Lääkitys muuttui viime viikolla.").first.is_visible()

    log_in(page, base, "sanna")  # the social worker's work does not need it
    page.goto(client_url)
    assert page.get_by_text("Lääkitys muuttui").count() == 0
    assert page.get_by_text(
        "Aino Testinen kirjoitti muistiinpanon (Terveystiedot), jota työsi ei edellytä."
    ).first.is_visible()
    shot(page, "path-note-hidden")
