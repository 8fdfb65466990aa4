"""The bpmn.io editors speak the reader's language (web/static/polku-i18n.js): the modeller's
palette, context pad, replace menu and properties panel, and the decision-table editor's
labels, in Finnish by default, in Swedish and in English when the reader chooses so."""

from __future__ import annotations

from typing import Any

import pytest

from tests.test_designer_properties_browser import (  # noqa: F401  (fixtures)
    browser_type_launch_args,
    live_server,
    log_in,
    select,
)

pytestmark = pytest.mark.browser

PALETTE_TASK = '.djs-palette .entry[data-action="create.task"]'
GROUP_TITLES = "#modeller-properties .bio-properties-panel-group-header-title"


def _open_editor(page: Any, base: str) -> None:
    page.goto(f"{base}/designer/national/edit")
    page.wait_for_selector('#modeller[data-modeller-ready="true"]')
    select(page, "Task_further_investigations")
    page.locator("select#bio-properties-panel-polku-phase").wait_for()


def _groups(page: Any) -> list[str]:
    return [t.strip() for t in page.locator(GROUP_TITLES).all_inner_texts()]


@pytest.mark.parametrize(
    ("lang", "create_task", "general", "header", "append_gateway", "replace_entry"),
    [
        ("fi", "Luo tehtävä", "Yleiset", "Käyttäjätehtävä", "Lisää haara perään",
         "Manuaalinen tehtävä"),
        ("sv", "Skapa uppgift", "Allmänt", "Användaruppgift", "Lägg till gateway efter",
         "Manuell uppgift"),
        ("en", "Create task", "General", "User Task", "Append gateway", "Manual task"),
    ],
)  # fmt: skip
def test_the_modeller_speaks_the_readers_language(
    page: Any,
    live_server: tuple[str, Any],  # noqa: F811
    lang: str,
    create_task: str,
    general: str,
    header: str,
    append_gateway: str,
    replace_entry: str,
) -> None:
    base, _app = live_server
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, base, "dora")
    if lang != "fi":
        page.goto(f"{base}/lang/{lang}")
    _open_editor(page, base)
    assert page.get_attribute("html", "lang") == lang
    assert page.locator(PALETTE_TASK).get_attribute("aria-label") == create_task
    assert general in _groups(page)
    assert page.locator(".bio-properties-panel-header-type").inner_text().strip().casefold() == (
        header.casefold()
    )
    # the context pad of the selected task, and its replace menu
    pad = page.locator('.djs-context-pad .entry[data-action="append.gateway"]')
    pad.wait_for()
    assert pad.get_attribute("title") == append_gateway
    page.locator('.djs-context-pad .entry[data-action="replace"]').click()
    menu = page.locator(".djs-popup-results")
    menu.wait_for()
    assert replace_entry in menu.inner_text()
    assert errors == []


@pytest.mark.parametrize(("lang", "hit_policy"), [("fi", "Osumasääntö:"), ("en", "Hit policy:")])
def test_the_decision_table_editor_speaks_the_readers_language(
    page: Any,
    live_server: tuple[str, Any],  # noqa: F811
    lang: str,
    hit_policy: str,
) -> None:
    base, _app = live_server
    log_in(page, base, "dora")
    if lang != "fi":
        page.goto(f"{base}/lang/{lang}")
    page.goto(f"{base}/designer/kainuu")
    page.locator('a[href*="/decisions/"]').first.click()
    page.wait_for_selector("#decision-editor[data-ready=true]")
    assert page.locator(".hit-policy .dms-label").first.inner_text().strip() == hit_policy
