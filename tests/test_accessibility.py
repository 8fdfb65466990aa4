"""WCAG 2.1 AA in a real browser: axe-core (served at /vendor/axe-core/axe.min.js) runs on every
page — logged out, each worklist view, a task form with and without errors, handing over, the
team view, the caseload, the clients, a client page, the support plan, the designer pages, an
error page — in Finnish, and on the main pages in Swedish and English. No violation of impact
"serious" or "critical" is allowed. Screenshots of the pages go to test-artifacts/."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from engine.clock import FrozenClock
from engine.persistence.tables import HumanTask
from engine.services import clients, instances, sla, users, workspace
from engine.services.access import Actor
from engine.services.demo import complete, sample
from engine.workflow.loader import PHASES
from tests.conftest import PASSWORD, ROOT, STAFF
from tests.test_browser import CHROMIUM, browser_type_launch_args  # noqa: F401
from web import create_app

pytestmark = pytest.mark.browser
ARTEFACTS = ROOT / "test-artifacts" / "accessibility"
AXE = "/vendor/axe-core/axe.min.js"
BLOCKING = ("serious", "critical")
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]

if not Path(CHROMIUM).exists():
    pytest.skip(f"no Chromium at {CHROMIUM}", allow_module_level=True)
if not (ROOT / "node_modules" / "axe-core" / "axe.min.js").exists():
    pytest.skip("axe-core is not installed (npm ci)", allow_module_level=True)


@dataclass
class Site:
    base: str
    app: Any
    clients: dict[str, int]
    paths: dict[str, int]
    tasks: dict[str, str]


def _walk(ctx: Any, clock: Any, actors: dict[str, Actor], iid: int, *steps: Any) -> None:
    for step in steps:
        bpmn_id, data = step if isinstance(step, tuple) else (step, sample(step))
        complete(ctx.uow, ctx.engine, clock, actors, iid, bpmn_id, data)


def _open_task(ctx: Any, iid: int, bpmn_id: str) -> str:
    with ctx.uow() as uow:
        task_id = uow.session.scalar(
            select(HumanTask.id).where(
                HumanTask.instance_id == iid,
                HumanTask.bpmn_id == bpmn_id,
                HumanTask.state == "open",
            )
        )
        assert task_id is not None
        return str(task_id)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A service with clients at different points of the national path, some tasks overdue,
    a support plan with two revisions, Kykyviisari answered twice, a withdrawn consent."""
    now = datetime.now(UTC).replace(microsecond=0)
    clock = FrozenClock(now - timedelta(days=70))
    path = tmp_path_factory.mktemp("a11y") / "a11y.db"
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_AUTO_UPGRADE": True,
            "DATABASE_URL": f"sqlite:///{path}",
            "SECRET_KEY": "a11y",
            "CLOCK": clock,
        }
    )
    ctx = app.extensions["polku"]
    staff = {
        **STAFF,
        "kalle": ["work_ability_coordinator"],
        "dora": ["process_designer"],
        "maija": ["manager"],
        "admin": [],
    }
    for username, roles in staff.items():
        users.create_user(
            ctx.uow(),
            ctx.engine.roles,
            username=username,
            display_name=f"{username.title()} Testinen",
            password=PASSWORD,
            roles=roles,
            is_admin=username == "admin",
        )
    actors = {u.username: Actor.from_user(u) for u in users.list_users(ctx.uow())}
    for phase in PHASES:
        sla.set_target(
            ctx.uow(), clock, actors["admin"], model_key=None, bpmn_id=None, phase=phase,
            working_days=5,
        )  # fmt: skip
    kaisa = actors["kaisa"]

    def start(name: str) -> tuple[int, int]:
        client_id = clients.create_client(
            ctx.uow(), clock, kaisa, full_name=name, municipality="Iisalmi"
        )
        return client_id, instances.start_instance(
            ctx.uow(), ctx.engine, clock, kaisa, client_id, "national"
        )

    to_plan = (
        "Task_encounter",
        "Task_initial_interview",
        "Task_physician_assessment",
        "Task_functional_assessment",
        "Task_social_assessment",
        "Task_client_situation",  # the client's own view (the client does it)
    )
    ville = start("Ville Virtanen")
    liisa = start("Liisa Laine")
    _walk(ctx, clock, actors, liisa[1], *to_plan)
    unclear = sample("Task_support_plan", conclusion="unclear", case_manager="aino")
    _walk(
        ctx, clock, actors, liisa[1],
        ("Task_support_plan", unclear),
        "Task_client_plan_acceptance",
        ("Task_additional_investigations", sample("Task_further_investigations")),
        ("Task_support_plan", sample("Task_support_plan", case_manager="aino")),
        "Task_client_plan_acceptance",
        "Task_arrange_services",
    )  # fmt: skip
    pekka = start("Pekka Peltonen")
    _walk(ctx, clock, actors, pekka[1], "Task_encounter")
    interview = _open_task(ctx, pekka[1], "Task_initial_interview")
    instances.claim_task(ctx.uow(), clock, kaisa, interview)
    workspace.withdraw_consent(ctx.uow(), clock, kaisa, pekka[0], "Asiakas perui suostumuksen.")
    # past the 30-day follow-up timer
    clock.now = now + timedelta(days=31)
    instances.fire_due_timers(ctx.uow, ctx.engine, clock)
    _walk(ctx, clock, actors, liisa[1], "Task_follow_up_review")
    clock.now = now + timedelta(days=40)  # the tasks made at the start are overdue by now
    anna = start("Anna Aaltonen")
    workspace.hand_over(
        ctx.uow(), clock, kaisa, _open_task(ctx, anna[1], "Task_encounter"), "kalle", "Loma"
    )

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Site(
        f"http://127.0.0.1:{server.server_port}",
        app,
        clients={"ville": ville[0], "liisa": liisa[0], "pekka": pekka[0], "anna": anna[0]},
        paths={"ville": ville[1], "liisa": liisa[1], "pekka": pekka[1], "anna": anna[1]},
        tasks={"encounter": _open_task(ctx, ville[1], "Task_encounter")},
    )
    server.shutdown()
    ctx.db.dispose()


def log_in(page: Any, base: str, username: str) -> None:
    page.context.clear_cookies()  # whoever was signed in
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("form.stacked button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def check(page: Any, name: str) -> None:
    """Run axe-core on the page as it is; fail on serious or critical violations."""
    page.wait_for_load_state("networkidle")
    page.wait_for_function(  # diagrams drawn, or failed visibly
        "() => [...document.querySelectorAll('.diagram-status')]"
        ".every(s => !s.textContent.trim() || s.classList.contains('diagram-failed'))"
    )
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=AXE)
    results = page.evaluate(
        "tags => axe.run(document, "
        "{resultTypes: ['violations'], runOnly: {type: 'tag', values: tags}})",
        WCAG_TAGS,
    )
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)
    blocking = [v for v in results["violations"] if v["impact"] in BLOCKING]
    report = "\n".join(
        f"{v['impact']}: {v['id']} – {v['help']}\n    "
        + "\n    ".join(n["target"][0] if n["target"] else "?" for n in v["nodes"][:5])
        for v in blocking
    )
    assert not blocking, f"{name} ({page.url}):\n{report}"


def test_the_login_and_error_pages(page: Any, site: Site) -> None:
    page.goto(f"{site.base}/login")
    check(page, "login")
    page.fill("#username", "kaisa")
    page.fill("#password", "wrong")
    page.click("form.stacked button[type=submit]")
    check(page, "login-error")
    log_in(page, site.base, "kaisa")
    page.goto(f"{site.base}/clients/999999")
    assert page.get_by_role("heading", name="Ei löytynyt").is_visible()
    check(page, "error-404")


def test_the_worklist_views_and_the_task_pages(page: Any, site: Site) -> None:
    log_in(page, site.base, "kaisa")
    for view in ("all", "mine", "role", "overdue"):
        page.goto(f"{site.base}/?view={view}")
        check(page, f"worklist-{view}")
    page.goto(f"{site.base}/?sort=client")
    page.get_by_label("Asiakas", exact=True).fill("Virtanen")
    page.get_by_role("button", name="Näytä").click()
    assert "Virtanen" not in page.url
    check(page, "worklist-sorted-filtered")

    page.goto(f"{site.base}/tasks/{site.tasks['encounter']}")
    check(page, "task-form")
    page.evaluate("document.querySelector('form.task-form').noValidate = true")
    page.get_by_role("button", name="Suorita tehtävä").last.click()
    assert page.locator(".error-summary").is_visible()
    check(page, "task-form-errors")
    page.get_by_role("button", name="Tallenna luonnos").click()
    assert page.get_by_text("Luonnos tallennettu").first.is_visible()
    check(page, "task-form-draft")

    page.goto(f"{site.base}/tasks/{site.tasks['encounter']}/hand-over")
    check(page, "hand-over")
    page.get_by_role("button", name="Siirrä").click()  # the browser's own checks are on
    page.evaluate("document.querySelector('form.stacked').noValidate = true")
    page.get_by_role("button", name="Siirrä").click()
    assert page.locator(".error-summary").is_visible()
    check(page, "hand-over-errors")


def test_the_team_view_and_the_caseload(page: Any, site: Site) -> None:
    log_in(page, site.base, "timo")
    page.goto(f"{site.base}/team")
    check(page, "team")
    page.goto(f"{site.base}/team?group=role&overdue=1")
    check(page, "team-by-role-overdue")
    page.goto(f"{site.base}/caseload?case_manager=aino")
    check(page, "caseload-of-aino")
    log_in(page, site.base, "aino")
    page.goto(f"{site.base}/caseload")
    assert page.get_by_text("Liisa Laine").first.is_visible()
    check(page, "caseload")


def test_the_clients_the_client_page_and_the_plan(page: Any, site: Site) -> None:
    log_in(page, site.base, "timo")
    page.goto(f"{site.base}/clients")
    check(page, "clients")
    page.goto(f"{site.base}/clients/{site.clients['liisa']}")
    page.locator("details.plan-panel > summary").first.click()
    check(page, "client-page")
    page.goto(f"{site.base}/clients/{site.clients['pekka']}")
    for summary in page.locator("details.panel > summary").all():
        summary.click()
    check(page, "client-page-consent-withdrawn")
    page.goto(f"{site.base}/paths/{site.paths['liisa']}/plan")
    check(page, "plan")
    page.emulate_media(media="print")
    page.screenshot(path=str(ARTEFACTS / "plan-print.png"), full_page=True)
    assert not page.locator("header.site-header").is_visible()
    page.emulate_media(media="screen")
    page.goto(f"{site.base}/paths/{site.paths['liisa']}/plan?revision=1")
    check(page, "plan-older-revision")


def test_the_designer_pages(page: Any, site: Site) -> None:
    log_in(page, site.base, "dora")
    page.goto(f"{site.base}/designer")
    check(page, "designer-models")
    page.goto(f"{site.base}/designer/national")
    check(page, "designer-model")
    page.goto(f"{site.base}/designer/compare?base=national&other=kainuu")
    check(page, "designer-compare")
    page.goto(f"{site.base}/designer/national/edit")
    page.wait_for_selector('[data-element-id="Task_encounter"]')
    check(page, "designer-edit")


def test_the_dashboard_pages(page: Any, site: Site) -> None:
    log_in(page, site.base, "maija")
    page.goto(f"{site.base}/dashboard?model=national")
    badge = page.locator('.heat-badge[data-heat-id="Task_encounter"]')
    badge.wait_for()
    assert re.search(r"\d+ odottaa", badge.inner_text()), badge.inner_text()
    check(page, "dashboard")
    page.goto(f"{site.base}/dashboard?model=nowhere&since=eilen")
    check(page, "dashboard-errors")
    page.goto(f"{site.base}/dashboard/stalled")
    assert "Ville Virtanen" not in page.content()  # pseudonyms only for a manager
    check(page, "stalled")
    page.goto(f"{site.base}/dashboard/metrics?model=national")
    check(page, "metrics")
    page.goto(f"{site.base}/dashboard/event-log")
    page.set_input_files("#f-file", files=[{"name": "loki.csv", "mimeType": "text/csv",
                                             "buffer": b"case_id,activity\nx,y\n"}])  # fmt: skip
    page.fill("#f-name", "Vanha pilotti")
    page.get_by_role("button", name="Tuo").click()
    # a file in another shape than Polku's own export opens the import wizard
    page.wait_for_url(re.compile(r"/dashboard/event-log/uploads/"))
    assert page.locator("table").first.is_visible()
    check(page, "event-log-wizard")
    log_in(page, site.base, "admin")
    page.goto(f"{site.base}/dashboard/targets")
    check(page, "service-level-targets")
    log_in(page, site.base, "timo")  # a coordinator sees the stalled clients by name
    page.goto(f"{site.base}/dashboard/stalled")
    assert page.get_by_role("link", name="Ville Virtanen").count() == 1
    check(page, "stalled-coordinator")


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_the_main_pages_in_swedish_and_english(page: Any, site: Site, lang: str) -> None:
    log_in(page, site.base, "timo")
    page.goto(f"{site.base}/lang/{lang}")
    assert page.locator("html").get_attribute("lang") == lang
    for name, url in (
        ("worklist", "/"),
        ("team", "/team"),
        ("client-page", f"/clients/{site.clients['liisa']}"),
        ("plan", f"/paths/{site.paths['liisa']}/plan"),
    ):
        page.goto(site.base + url)
        check(page, f"{lang}-{name}")


def test_axe_finds_a_real_violation(page: Any, site: Site) -> None:
    """The check is not vacuous: a field without a label on a page is reported."""
    page.goto(f"{site.base}/login")
    page.evaluate(
        "() => { const i = document.createElement('input'); i.type = 'text';"
        " document.querySelector('main').appendChild(i); }"
    )
    with pytest.raises(AssertionError, match="label"):
        check(page, "axe-sanity")
