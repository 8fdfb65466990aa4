"""Reading the path and correcting an entry in a real headless Chromium (issue 14 §1-2): a
colleague reads an assessment from the client page; an entry is corrected, its revision is
shown, and a correction to data a gateway had decided on is flagged on the client page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from engine.persistence.tables import Client, FormSubmission
from tests.test_browser import (  # noqa: F401  (fixtures)
    browser_type_launch_args,
    live_server,
    log_in,
    shot,
)

pytestmark = pytest.mark.browser


def _client_page(page: Any, base: str, app: Any) -> None:
    with app.extensions["polku"].uow() as uow:
        client_id = uow.session.scalar(select(Client.id).order_by(Client.id.desc()).limit(1))
    page.goto(f"{base}/clients/{client_id}")


def _entry_task(app: Any, bpmn_id: str) -> str:
    with app.extensions["polku"].uow() as uow:
        task = uow.session.scalar(
            select(FormSubmission.task_id).where(FormSubmission.bpmn_id == bpmn_id)
        )
    assert task is not None
    return str(task)


def test_a_colleague_reads_an_assessment(
    page: Any,
    live_server: tuple[str, Any],  # noqa: F811  (the fixture imported above)
) -> None:
    base, app = live_server
    # the physiotherapist (health data) reads the physician's assessment from the client page
    log_in(page, base, "fanni")
    _client_page(page, base, app)
    recorded = page.get_by_role("heading", name="Kirjattu tähän mennessä")
    assert recorded.first.is_visible()
    page.locator("summary", has_text="Arviointi ja suunnitelma").first.click()
    entry = page.locator(".recorded-entry", has_text="Lääkärin")
    assert entry.first.is_visible()
    assert entry.first.get_by_text("Pitkäaikainen selkäkipu.").is_visible()
    entry.first.get_by_role("link").first.click()
    page.wait_for_url(re.compile(r"/tasks/"))
    assert page.get_by_role("heading", name="Mitä kirjattiin").is_visible()
    assert page.get_by_text("Pitkäaikainen selkäkipu.").is_visible()
    assert page.get_by_role("link", name="Korjaa kirjaus").count() == 0  # not hers to correct
    shot(page, "entry-read")
    # the social worker's work does not need health data: the page says a part is not shown
    log_in(page, base, "sanna")
    page.goto(f"{base}/tasks/{_entry_task(app, 'Task_physician_assessment')}")
    assert page.get_by_role("heading", name="Mitä kirjattiin").is_visible()
    assert page.get_by_text("Pitkäaikainen selkäkipu.").count() == 0
    assert page.locator(".hidden-fields").first.is_visible()


def test_an_entry_corrected(
    page: Any,
    live_server: tuple[str, Any],  # noqa: F811  (the fixture imported above)
) -> None:
    base, app = live_server
    log_in(page, base, "lauri")  # the physician corrects their own assessment
    page.goto(f"{base}/tasks/{_entry_task(app, 'Task_physician_assessment')}")
    page.get_by_role("link", name="Korjaa kirjaus").click()
    page.get_by_label("Diagnoosit ja terveydentilan yhteenveto").fill("Pitkäaikainen niskakipu.")
    # without a reason the server refuses and says why
    page.evaluate("document.querySelector('#correct-form').noValidate = true")
    page.get_by_role("button", name="Tallenna korjaus").click()
    assert page.locator(".error-summary").is_visible()
    assert page.get_by_text("Kerro korjauksen syy.").first.is_visible()
    page.get_by_label("Korjauksen syy").fill("Diagnoosi kirjattiin väärin")
    page.get_by_role("button", name="Tallenna korjaus").click()
    page.wait_for_url(re.compile(r"/tasks/[^/]+$|/tasks/[^/]+#"))
    assert page.get_by_text("Kirjaus korjattiin.").is_visible()
    assert page.get_by_text("Pitkäaikainen niskakipu.").first.is_visible()
    revisions = page.locator("section.revisions tbody tr")
    assert revisions.count() == 2
    assert revisions.first.get_by_text("Diagnoosi kirjattiin väärin").is_visible()
    # the original stays readable
    revisions.nth(1).get_by_role("link").click()
    assert page.get_by_text("Tämä on kirjauksen aiempi versio.").is_visible()
    assert page.get_by_text("Pitkäaikainen selkäkipu.").first.is_visible()
    shot(page, "entry-corrected")
    # the case coordinator corrects the plan's conclusion, which a gateway already decided on
    log_in(page, base, "timo")
    page.goto(f"{base}/tasks/{_entry_task(app, 'Task_support_plan')}/correct")
    page.get_by_label("Hoito tai kuntoutus ensin").check()
    page.get_by_label("Korjauksen syy").fill("Johtopäätös valittiin väärin")
    page.get_by_role("button", name="Tallenna korjaus").click()
    page.wait_for_url(re.compile(r"/tasks/"))
    log_in(page, base, "aino")  # the case manager sees the flag on the client page
    _client_page(page, base, app)
    flag = page.locator(".correction-flag").first
    assert flag.is_visible()
    assert "Johtopäätös" in flag.inner_text() and "ei ohjattu" not in flag.inner_text()
    shot(page, "correction-flag")
