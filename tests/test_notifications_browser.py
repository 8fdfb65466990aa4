"""Notifications in a real headless Chromium (issue 14 §4): the header counts the unread, the
page lists them by pseudonym, a click leads to the task and marks it read; the person sets
their e-mail address and the digest arrives, naming no client."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from engine.services.digest import DigestSettings, send_digests
from tests.test_accessibility import Site, check, site  # noqa: F401  (fixtures)
from tests.test_browser import (  # noqa: F401  (fixtures)
    browser_type_launch_args,
    live_server,
    log_in,
    shot,
)
from tests.test_digest import Inbox, _readable, free_port

pytestmark = pytest.mark.browser
CLIENT_NAME = "Liisa Laine"  # the live server's client whose case manager Aino is


def test_a_notification_leads_to_the_task_and_the_digest_names_nobody(
    page: Any,
    live_server: tuple[str, Any],  # noqa: F811  (the fixture imported above)
) -> None:
    base, app = live_server
    log_in(page, base, "aino")
    badge = page.locator("#unread-count")
    assert badge.inner_text().strip() == "1"
    page.locator("#notifications-link").click()
    page.wait_for_url(f"{base}/notifications")
    assert page.get_by_role("heading", name="Ilmoitukset").is_visible()
    notice = page.locator("li.notice-unread")
    text = notice.inner_text()
    assert "Palveluiden järjestäminen" in text and re.search(r"asiakas A-\w+", text)
    assert CLIENT_NAME not in page.content()
    shot(page, "notifications")
    notice.get_by_role("button").click()
    page.wait_for_url(re.compile(r"/tasks/[0-9a-f-]+$"))
    assert page.get_by_role("heading", name="Palveluiden järjestäminen").first.is_visible()
    assert page.locator("#unread-count").count() == 0  # read now
    page.goto(f"{base}/notifications")
    assert page.locator("li.notice-unread").count() == 0
    assert page.locator("li.notice").count() == 1

    # the daily digest, to the address Aino sets herself
    page.goto(f"{base}/settings")
    page.fill("#settings-email", "aino@example.fi")
    page.get_by_role("button", name="Tallenna").click()
    page.wait_for_url(f"{base}/settings")
    assert page.locator("#settings-email").input_value() == "aino@example.fi"
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        ctx = app.extensions["polku"]
        mail = DigestSettings(smtp_host="127.0.0.1", smtp_port=port, mail_from="polku@example.fi",
                              base_url=base, digest_hour=0)  # fmt: skip
        assert send_digests(ctx.uow, ctx.clock, mail) == 1
    finally:
        controller.stop()
    [message] = inbox.messages
    body = str(message.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    assert message["To"] == "aino@example.fi"
    assert CLIENT_NAME not in _readable(message) and "Laine" not in _readable(message)
    [link] = re.findall(rf"{re.escape(base)}/tasks/[0-9a-f-]+", body)
    assert "Palveluiden järjestäminen – asiakas A-" in body
    page.goto(link)  # the e-mail's link opens the task
    assert page.get_by_role("heading", name="Palveluiden järjestäminen").first.is_visible()


def test_the_notification_pages_pass_axe(page: Any, site: Site) -> None:  # noqa: F811
    log_in(page, site.base, "kalle")  # an encounter was handed over to him
    page.goto(f"{site.base}/notifications")
    assert page.locator("li.notice-unread").count() >= 1
    check(page, "notifications")
    page.goto(f"{site.base}/settings")
    check(page, "settings")
    page.evaluate("document.querySelector('form.stacked').noValidate = true")
    page.fill("#settings-email", "not an address")
    page.get_by_role("button", name="Tallenna").click()
    assert page.locator(".error-summary").is_visible()
    check(page, "settings-errors")
