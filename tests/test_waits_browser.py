"""Every wait is someone's work, in a real headless Chromium: a Kela wait in the advisor's
worklist is recorded and the path goes on; the case manager brings the follow-up review
forward and it falls due on the new day; a second path of the same model is refused and
started only with a reason; a claimed task shows under "assigned to me"."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from engine.clock import FrozenClock
from engine.persistence.tables import HumanTask, ProcessInstance, WaitingEvent
from engine.services import clients, instances, users
from engine.services.access import Actor
from engine.services.demo import TO_PLAN, sample
from tests.client_tasks import CLIENT_STEPS, complete_as_client
from tests.conftest import LONG_SESSIONS, STAFF
from tests.test_browser import browser_type_launch_args, log_in, shot
from web import create_app

pytestmark = pytest.mark.browser
__all__ = ["browser_type_launch_args"]  # the Chromium the fixture launches
HELSINKI = ZoneInfo("Europe/Helsinki")


class World:
    def __init__(
        self, base: str, app: Any, clock: FrozenClock, paths: dict[str, tuple[int, int]]
    ) -> None:
        self.base, self.app, self.clock = base, app, clock
        self.paths = {name: iid for name, (iid, _client) in paths.items()}
        self.clients = {name: client for name, (_iid, client) in paths.items()}

    @property
    def ctx(self) -> Any:
        return self.app.extensions["polku"]

    def open_rows(self, path: str, kind: str = "task") -> list[HumanTask]:
        with self.ctx.uow() as uow:
            return list(
                uow.session.scalars(
                    select(HumanTask).where(
                        HumanTask.instance_id == self.paths[path],
                        HumanTask.state == "open",
                        HumanTask.kind == kind,
                    )
                )
            )

    def paths_of(self, client: str) -> list[int]:
        with self.ctx.uow() as uow:
            return list(
                uow.session.scalars(
                    select(ProcessInstance.id)
                    .where(ProcessInstance.client_id == self.clients[client])
                    .order_by(ProcessInstance.id)
                )
            )

    def timers(self, path: str) -> list[WaitingEvent]:
        with self.ctx.uow() as uow:
            return list(
                uow.session.scalars(
                    select(WaitingEvent).where(
                        WaitingEvent.instance_id == self.paths[path],
                        WaitingEvent.kind == "timer",
                        WaitingEvent.settled_at.is_(None),
                    )
                )
            )


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    clock = FrozenClock()
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_AUTO_UPGRADE": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'waits.db'}",
            "SECRET_KEY": "browser-test",
            "CLOCK": clock,
            **LONG_SESSIONS,
        }
    )
    ctx = app.extensions["polku"]
    for username, roles in STAFF.items():
        users.create_user(
            ctx.uow(), ctx.engine.roles, username=username,
            display_name=f"{username.title()} Testinen", password="correct horse battery",
            roles=roles,
        )  # fmt: skip
    actors = {u.username: Actor.from_user(u) for u in users.list_users(ctx.uow())}

    def walk(name: str, last: tuple[str, dict[str, Any]]) -> tuple[int, int]:
        client = clients.create_client(ctx.uow(), ctx.clock, actors["kaisa"], full_name=name)
        iid = instances.start_instance(
            ctx.uow(), ctx.engine, ctx.clock, actors["kaisa"], client, "national"
        )
        for bpmn_id, extra in [*((s, {}) for s in TO_PLAN), last]:
            if bpmn_id in CLIENT_STEPS:  # the client's own task: the client themself
                complete_as_client(ctx.uow, ctx.engine, ctx.clock, iid, bpmn_id, sample(bpmn_id))
                continue
            with ctx.uow() as uow:
                row = uow.session.scalar(
                    select(HumanTask).where(
                        HumanTask.instance_id == iid,
                        HumanTask.bpmn_id == bpmn_id,
                        HumanTask.state == "open",
                    )
                )
                assert row is not None, bpmn_id
                task_id, role, assignee = row.id, row.role, row.assignee_id
            doer = next(
                a
                for a in actors.values()
                if a.user_id == assignee or (not assignee and role in a.roles)
            )
            data = sample(bpmn_id, **extra)
            if bpmn_id == "Task_support_plan":
                data["case_manager"] = "aino"
            instances.complete_task(ctx.uow(), ctx.engine, ctx.clock, doer, task_id, data)
        return iid, client

    paths = {
        "kela": walk("Kerttu Kelanen", ("Task_arrange_services", {
            "awaits_external_decision": True, "decision_source": "kela"})),
        "review": walk("Reijo Seuranta", ("Task_arrange_services", {})),
    }  # fmt: skip
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield World(f"http://127.0.0.1:{server.server_port}", app, clock, paths)
    server.shutdown()
    ctx.db.dispose()


def test_a_kela_wait_in_the_advisors_worklist_is_recorded(page: Any, world: World) -> None:
    log_in(page, world.base, "kerttu")
    row = page.locator("tr", has_text="Kelan tai eläkelaitoksen päätös saapunut")
    assert row.get_by_text("Odotettu päätös").is_visible()  # the worklist marks the wait
    shot(page, "waits-advisor-worklist")
    row.get_by_role("link", name="Kelan tai eläkelaitoksen päätös saapunut", exact=True).click()
    assert page.get_by_role("heading", name="Kelan tai eläkelaitoksen päätös saapunut").is_visible()
    # a wrong form first: the server says what is missing
    page.evaluate("document.querySelector('form.task-form').noValidate = true")
    page.get_by_role("button", name="Kirjaa päätös").last.click()
    assert page.locator(".error-summary").is_visible()
    page.get_by_label("Myönteinen", exact=True).check()
    page.fill("input[name=decision_date]", "2026-12-01")
    page.select_option("select[name=benefit_kind]", "rehabilitation_allowance")
    page.fill("textarea[name=decision_note]", "Kuntoutustuki puoleksi vuodeksi.")
    shot(page, "waits-decision-form")
    page.get_by_role("button", name="Kirjaa päätös").last.click()
    assert page.get_by_text("kirjattiin: polku jatkuu").is_visible()
    assert page.locator("tr", has_text="Kelan tai eläkelaitoksen päätös saapunut").count() == 0
    assert world.open_rows("kela", "wait") == []
    assert len(world.timers("kela")) == 1  # on to the follow-up period


def test_the_case_manager_brings_the_review_forward(page: Any, world: World) -> None:
    [timer] = world.timers("review")
    assert timer.due_at is not None
    day = (world.clock() + timedelta(days=7)).astimezone(HELSINKI).date()
    log_in(page, world.base, "aino")
    page.goto(f"{world.base}/clients/{world.clients['review']}")
    waiting = page.locator("#waiting-{}".format(world.paths["review"]))
    assert waiting.is_visible()
    page.get_by_text("Aikaista tai siirrä seurantakäyntiä").click()
    page.fill(f"#review-{world.paths['review']}-due", day.isoformat())
    page.fill(f"#review-{world.paths['review']}-reason", "Asiakas aloittaa työkokeilun")
    shot(page, "waits-review-form")
    page.get_by_role("button", name="Muuta seurantapäivää").click()
    assert page.get_by_text("Seurantakäynti on nyt").is_visible()
    assert page.get_by_text(f"{day.day}.{day.month}.{day.year}").first.is_visible()
    [moved] = world.timers("review")
    assert moved.due_at == datetime(day.year, day.month, day.day, 9, tzinfo=HELSINKI).astimezone(
        UTC
    )
    # Polku's clock reaches the new day: the review falls due, weeks before the 30 days
    world.clock.advance(days=8)
    assert instances.fire_due_timers(world.ctx.uow, world.ctx.engine, world.clock) == 1
    page.goto(world.base + "/")
    assert page.get_by_role("link", name="Seurantakäynti", exact=True).is_visible()


def test_the_duplicate_path_is_refused_then_started_with_a_reason(page: Any, world: World) -> None:
    log_in(page, world.base, "kaisa")
    page.goto(f"{world.base}/clients/{world.clients['review']}")
    page.select_option("#start-process", "national")
    page.locator("#start-path-form button[type=submit]").click()
    reason = page.locator("#start-override_reason")
    assert reason.is_visible()  # refused: a path of the model already runs
    assert page.get_by_text("Työkyvyn tuen palvelupolku").first.is_visible()
    assert world.paths_of("review") == [world.paths["review"]]  # refused: no path started
    shot(page, "waits-duplicate-refused")
    reason.fill("Asiakas muuttaa toiselle alueelle, uusi polku siellä")
    page.locator("#start-path-form button[type=submit]").click()
    assert "#path-" in page.url
    assert page.get_by_text("Polku aloitettiin").first.is_visible()
    [first, second] = world.paths_of("review")
    assert first == world.paths["review"] and page.url.endswith(f"#path-{second}")


def test_a_claimed_task_shows_under_assigned_to_me(page: Any, world: World) -> None:
    [wait] = world.open_rows("kela", "wait")
    log_in(page, world.base, "kerttu")
    page.locator("tr", has_text="Kelan tai eläkelaitoksen päätös saapunut").get_by_role(
        "button", name="Ota työn alle"
    ).click()
    page.goto(world.base + "/?view=mine")
    assert page.locator("tr", has_text="Kelan tai eläkelaitoksen päätös saapunut").is_visible()
    kerttu = next(u for u in users.list_users(world.ctx.uow()) if u.username == "kerttu")
    [claimed] = world.open_rows("kela", "wait")
    assert (claimed.id, claimed.claimed_by_id) == (wait.id, kerttu.id)
