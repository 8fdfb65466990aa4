"""A designer moves one of two running paths to a new version in a real headless Chromium:
ticks the path, sees with the dry run that one path will move, confirms, and undoes it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from engine.persistence.tables import ProcessInstance
from engine.services import clients, designer, instances, users
from engine.services.access import Actor
from tests.conftest import PASSWORD, STAFF
from tests.test_browser import browser_type_launch_args, log_in, shot
from tests.test_versions import EXTRA_STEP
from web import create_app

pytestmark = pytest.mark.browser
__all__ = ["browser_type_launch_args"]  # the Chromium the fixture launches


@pytest.fixture
def designer_site(tmp_path: Path) -> Iterator[tuple[str, Any, list[int]]]:
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_AUTO_UPGRADE": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'migration.db'}",
            "SECRET_KEY": "browser-test",
        }
    )
    ctx = app.extensions["polku"]
    for username, roles in {**STAFF, "dora": ["process_designer"]}.items():
        users.create_user(
            ctx.uow(), ctx.engine.roles, username=username,
            display_name=f"{username.title()} Testinen", password=PASSWORD, roles=roles,
        )  # fmt: skip
    actors = {u.username: Actor.from_user(u) for u in users.list_users(ctx.uow())}
    paths = []
    for name in ("Ville Virtanen", "Liisa Laine"):
        client = clients.create_client(ctx.uow(), ctx.clock, actors["kaisa"], full_name=name)
        paths.append(
            instances.start_instance(
                ctx.uow(),
                ctx.engine,
                ctx.clock,
                actors["kaisa"],
                client,
                "national",
                "hva-pohjois-savo",
            )  # fmt: skip
        )
    designer.deploy_bpmn(
        ctx.uow(), ctx.engine, ctx.clock, actors["dora"], "national", "national_path.bpmn",
        EXTRA_STEP.encode(),
    )  # fmt: skip
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", app, paths
    server.shutdown()
    ctx.db.dispose()


def _versions(app: Any, paths: list[int]) -> list[int]:
    with app.extensions["polku"].uow() as uow:
        rows = [uow.session.get(ProcessInstance, i) for i in paths]
        return [row.model_version.number for row in rows if row is not None]


def test_a_partial_migration_and_its_undo(
    page: Any, designer_site: tuple[str, Any, list[int]]
) -> None:
    base, app, paths = designer_site
    second = paths[1]
    log_in(page, base, "dora")
    page.goto(f"{base}/designer/national")
    page.click("#migrate-title ~ form button[type=submit]")  # "Näytä polut": 1 -> 2
    page.wait_for_selector("#migration-choice")
    page.check("#mode-paths")
    page.uncheck(f"#path-{second}")
    page.click("#migration-dry-run")
    page.wait_for_selector("#migration-confirm-button")
    assert "1 polku siirtyy" in page.inner_text("#migration-count")
    assert _versions(app, paths) == [1, 1]  # the dry run moved nothing
    shot(page, "migration-confirm")
    page.click("#migration-confirm-button")
    page.wait_for_selector("#undo-dry-run")
    assert "1 polku siirrettiin" in page.inner_text("#migration-count")
    assert _versions(app, paths) == [2, 1]

    page.click("#undo-dry-run")
    page.wait_for_selector("#undo-confirm-button")
    assert "1 polku siirtyy takaisin" in page.inner_text("#undo-count")
    page.click("#undo-confirm-button")
    page.wait_for_selector("#undo-count")
    assert "1 polku siirrettiin takaisin" in page.inner_text("#undo-count")
    assert _versions(app, paths) == [1, 1]
    shot(page, "migration-undone")
