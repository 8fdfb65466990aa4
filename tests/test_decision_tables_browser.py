"""In the browser (issue 15 §3): a designer opens Kainuu's decision table in dmn-js from the
model page, changes a cell, saves, and the new version routes paths by the changed rule."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from SpiffWorkflow.util.task import TaskState
from werkzeug.serving import make_server

from engine.services import deployment
from tests.conftest import ROOT
from tests.test_accessibility import check
from tests.test_browser import browser_type_launch_args, log_in
from tests.test_version_diff import make_designer
from web import create_app

pytestmark = pytest.mark.browser
__all__ = ["browser_type_launch_args"]  # the Chromium the browser tests use
DMN_JS = ROOT / "node_modules" / "dmn-js" / "dist" / "dmn-modeler.production.min.js"
WALK = json.loads((ROOT / "tests" / "walks" / "kainuu.json").read_text("utf-8"))["walks"][0]

if not DMN_JS.exists():
    pytest.skip("dmn-js is not installed (npm ci)", allow_module_level=True)


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[tuple[str, Any]]:
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_AUTO_UPGRADE": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'dmn-browser.db'}",
            "SECRET_KEY": "dmn-browser-test",
        }
    )
    ctx = app.extensions["polku"]
    make_designer(ctx)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", ctx
    server.shutdown()
    ctx.db.dispose()


def _latest(ctx: Any) -> Any:
    with ctx.uow() as uow:
        row = deployment.latest_version(uow, "kainuu")
        assert row is not None
        return row


def _social_assessment_opens(ctx: Any, number: int, **team_meeting: Any) -> bool:
    """Walk version `number` of Kainuu to its parallel assessments (in memory, the walks'
    data); whether the social services' assessment is among the open tasks."""
    with ctx.uow() as uow:
        row = deployment.get_version(uow, "kainuu", number)
        assert row is not None
        model = ctx.engine.model_for_version(row.content_hash, "kainuu", row.files)
    workflow = ctx.engine.serializer.new_workflow(model)
    workflow.do_engine_steps()
    for step in WALK["steps"]:
        ready = workflow.get_tasks(state=TaskState.READY, manual=True)
        [task] = [t for t in ready if t.task_spec.bpmn_id == step["task"]]
        data = step["data"]
        if step["task"] == "Task_team_meeting":
            data = {**data, **team_meeting}
        task.set_data(**data)
        task.run()
        workflow.do_engine_steps()
        if step["task"] == "Task_team_meeting":
            break
    ready = workflow.get_tasks(state=TaskState.READY, manual=True)
    return "Task_social_assessment" in {t.task_spec.bpmn_id for t in ready}


def test_a_designer_edits_a_cell_and_the_new_version_routes_by_it(
    page: Any, live_server: tuple[str, Any]
) -> None:
    base, ctx = live_server
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    before = _latest(ctx).number
    health = {"service_need": "health", "assessments_needed": []}
    assert not _social_assessment_opens(ctx, before, **health)

    log_in(page, base, "dora")
    page.goto(f"{base}/designer/kainuu")
    page.get_by_role("link", name="Muokkaa päätöstaulua Asiakkuuden vastuutaho").click()
    page.wait_for_selector("#decision-editor[data-ready=true]")
    cell = page.locator('[data-element-id="OutputEntry_health_social"] [contenteditable]')
    assert cell.inner_text().strip() == '"social" in assessments_needed'
    cell.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("true")
    page.locator("h1").click()  # leave the cell
    page.get_by_role("button", name="Tallenna uutena versiona").click()
    status = page.locator("#decision-status")
    status.get_by_text(f"Tallennettu versioksi {before + 1}.").wait_for()
    assert not errors, errors

    latest = _latest(ctx)
    assert latest.number == before + 1 and latest.source == "decisions"
    assert "<text>true</text>" in latest.files["decisions/responsibility.dmn"]
    # the new version sends a health-need client to the social assessment, the old one not
    assert _social_assessment_opens(ctx, before + 1, **health)
    assert not _social_assessment_opens(ctx, before, **health)
    assert not _social_assessment_opens(
        ctx, before + 1, service_need="employment", assessments_needed=[]
    )

    # a broken cell is refused with the problem listed, and nothing is saved
    cell = page.locator('[data-element-id="OutputEntry_employment_sector"] [contenteditable]')
    cell.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("open('x')")
    page.locator("h1").click()
    page.get_by_role("button", name="Tallenna uutena versiona").click()
    problems = page.locator("#decision-problems")
    problems.wait_for(state="visible")
    assert "open('x')" in problems.inner_text()
    check(page, "designer-decision-table")
    assert _latest(ctx).number == before + 1
