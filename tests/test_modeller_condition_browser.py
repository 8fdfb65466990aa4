"""A condition written in the modeller decides a path's way (issue 15 §6): a designer changes
the condition of a gateway's flow in the properties panel and saves; a path started on the new
version, its first task completed through the API, takes the branch the new condition opens,
while a path on the old version, with the same entries, goes on the old way."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from engine.services import designer, users
from engine.services.demo import sample
from tests.conftest import PASSWORD, STAFF
from tests.test_api import Api
from tests.test_designer_properties_browser import (  # noqa: F401  (fixtures)
    browser_type_launch_args,
    check_text,
    log_in,
    select,
)
from web import create_app

pytestmark = pytest.mark.browser

NEW_CONDITION = "urgent == True or kykyviisari_work_ability <= 2"


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[tuple[str, Any]]:
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_AUTO_UPGRADE": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'condition.db'}",
            "SECRET_KEY": "condition-browser-test",
            "WTF_CSRF_ENABLED": False,
        }
    )
    ctx = app.extensions["polku"]
    for username, roles in {**STAFF, "dora": ["process_designer"]}.items():
        users.create_user(
            ctx.uow(), ctx.engine.roles, username=username, display_name=username.title(),
            password=PASSWORD, roles=roles,
        )  # fmt: skip
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", app
    server.shutdown()
    ctx.db.dispose()


def _start(api: Api, name: str, identity_code: str) -> int:
    client = api.post("/clients", "kaisa", json={"full_name": name, "identity_code": identity_code})
    assert client.status_code == 201, client.json
    started = api.post(
        "/instances", "kaisa", json={"client": client.json["id"], "process": "national"}
    )
    assert started.status_code == 201, started.json
    return int(started.json["id"])


def _low_work_ability_encounter(api: Api, instance_id: int) -> dict[str, Any]:
    task_id = api.task_of("kaisa", instance_id, "Task_encounter")
    data = sample("Task_encounter", urgent=False, kykyviisari_work_ability=2)
    done = api.post(f"/tasks/{task_id}/complete", "kaisa", json={"data": data})
    assert done.status_code == 200, done.json
    shown = api.get(f"/instances/{instance_id}", "kaisa")
    assert shown.status_code == 200, shown.json
    body: dict[str, Any] = shown.json
    return body


def test_a_condition_set_in_the_modeller_decides_the_new_versions_paths(
    page: Any, live_server: tuple[str, Any]
) -> None:
    base, app = live_server
    api = Api(app.test_client())
    on_old = _start(api, "Olli Vanha", "131052-308T")

    log_in(page, base, "dora")
    page.goto(f"{base}/designer/national/edit")
    page.wait_for_selector('#modeller[data-modeller-ready="true"]')
    select(page, "Flow_urgent_yes")
    condition = page.locator("input#bio-properties-panel-polku-condition")
    condition.wait_for()
    assert condition.input_value() == "urgent == True"
    condition.fill(NEW_CONDITION)
    check_text(page, "condition", "Ehto on kelvollinen.")
    page.locator("#modeller-save").click()
    page.get_by_text("Tallennettu versioksi 2").wait_for()
    _, xml = designer.version_bpmn(app.extensions["polku"].uow(), "national", 2)
    assert "kykyviisari_work_ability &lt;= 2" in xml

    on_new = _start(api, "Uuno Uusi", "010101-123N")
    new = _low_work_ability_encounter(api, on_new)
    assert new["model_version"] == 2
    assert (new["status"], new["outcome"]) == ("completed", "urgent_care")  # the new branch
    assert new["open_tasks"] == []

    old = _low_work_ability_encounter(api, on_old)
    assert old["model_version"] == 1
    assert old["status"] == "running"  # the old condition: not urgent, on to the interview
    assert [t["bpmn_id"] for t in old["open_tasks"]] == ["Task_initial_interview"]
