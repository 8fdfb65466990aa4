"""In the browser (issue 15, §5): the differences between two versions of the national path
drawn on both diagrams by bpmn-js-differ: the step added in version 2 marked "+" on the new
diagram and listed, the renamed step marked "~" on both, nothing added on the old one."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from tests.conftest import ROOT
from tests.test_accessibility import check
from tests.test_browser import browser_type_launch_args, log_in
from tests.test_version_diff import deploy, make_designer, second_version
from web import create_app

pytestmark = pytest.mark.browser
__all__ = ["browser_type_launch_args"]  # the Chromium the browser tests use
BUNDLE = ROOT / "web" / "static" / "build" / "polku-bpmn.js"

if not BUNDLE.exists():
    pytest.skip("the bpmn.io bundle is not built (make builds it)", allow_module_level=True)


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[str]:
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_AUTO_UPGRADE": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'diff-browser.db'}",
            "SECRET_KEY": "diff-browser-test",
        }
    )
    ctx = app.extensions["polku"]
    deploy(ctx, make_designer(ctx), second_version())
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    ctx.db.dispose()


def test_the_added_step_is_marked_on_the_new_diagram(page: Any, live_server: str) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, live_server, "dora")
    page.goto(f"{live_server}/designer/national")
    page.get_by_role("button", name="Vertaa versioita").click()
    page.wait_for_url("**/designer/national/diff?old=1&new=2")
    page.wait_for_selector("#diagram-new[data-diagram-ready=true]")
    page.wait_for_selector("#diagram-old[data-diagram-ready=true]")

    new, old = page.locator("#diagram-new"), page.locator("#diagram-old")
    added = new.locator('.djs-element.polku-added[data-element-id="Task_extra"]')
    assert added.count() == 1
    badge = new.locator('.diff-badge[data-diff-id="Task_extra"]')
    assert badge.get_attribute("data-diff-kind") == "added"
    assert badge.inner_text().startswith("+")
    assert old.locator('[data-element-id="Task_extra"]').count() == 0
    # the renamed step is marked "~" on both diagrams
    for diagram in (old, new):
        changed = diagram.locator('.diff-badge[data-diff-id="Task_encounter"]')
        assert changed.get_attribute("data-diff-kind") == "changed"
    # and listed: in the table (from the server) and under the new diagram (from the differ)
    row = page.locator('tr[data-diff-row="Task_extra"]')
    assert "Lisätty" in row.inner_text() and "Lisäselvitys" in row.inner_text()
    page.locator("#diagram-new-marks-box summary").click()  # the list, opened
    listed = page.locator('#diagram-new-marks li[data-diff-id="Task_extra"]')
    assert "Lisäselvitys" in listed.inner_text() and "Lisätty" in listed.inner_text()
    renamed = page.locator('#diagram-new-marks li[data-diff-id="Task_encounter"]')
    assert "Muutettu" in renamed.inner_text() and "Nimi" in renamed.inner_text()
    assert page.locator('#diagram-old-marks li[data-diff-id="Task_extra"]').count() == 0
    assert not errors, errors
    check(page, "designer-version-diff")
