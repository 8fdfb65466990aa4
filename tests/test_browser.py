"""End to end in a real headless Chromium (Debian's, driven by Playwright): a professional logs
in, finds a task on the worklist, fills its form wrongly then rightly, and sees the client
move on; hands a task over, saves a draft, changes the case manager, withdraws a consent."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from engine.persistence.tables import HumanTask
from engine.services import clients, designer, instances, users
from engine.services.access import Actor
from engine.services.demo import sample
from tests.client_tasks import client_catches_up
from tests.conftest import PASSWORD, ROOT, STAFF
from web import create_app

pytestmark = pytest.mark.browser
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTEFACTS = ROOT / "test-artifacts"

if not Path(CHROMIUM).exists():
    pytest.skip(f"no Chromium at {CHROMIUM} (make test installs Debian's)", allow_module_level=True)


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    return {
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[tuple[str, Any]]:
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_AUTO_UPGRADE": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'ui.db'}",
            "SECRET_KEY": "browser-test",
        }
    )
    ctx = app.extensions["polku"]
    for username, roles in {**STAFF, "kalle": ["work_ability_coordinator"]}.items():
        users.create_user(
            ctx.uow(),
            ctx.engine.roles,
            username=username,
            display_name=f"{username.title()} Testinen",
            password=PASSWORD,
            roles=roles,
        )
    actors = {u.username: Actor.from_user(u) for u in users.list_users(ctx.uow())}
    actor = actors["kaisa"]
    client_id = clients.create_client(ctx.uow(), ctx.clock, actor, full_name="Ville Virtanen")
    instances.start_instance(ctx.uow(), ctx.engine, ctx.clock, actor, client_id, "national")
    # A second client whose plan names Aino the case manager; services are being arranged.
    other = clients.create_client(ctx.uow(), ctx.clock, actor, full_name="Liisa Laine")
    iid = instances.start_instance(ctx.uow(), ctx.engine, ctx.clock, actor, other, "national")
    for bpmn_id in (
        "Task_encounter",
        "Task_initial_interview",
        "Task_physician_assessment",
        "Task_functional_assessment",
        "Task_social_assessment",
        "Task_support_plan",
    ):
        client_catches_up(ctx.uow, ctx.engine, ctx.clock, iid, bpmn_id)  # the client's own tasks
        with ctx.uow() as uow:
            row = uow.session.scalar(
                select(HumanTask).where(
                    HumanTask.instance_id == iid,
                    HumanTask.bpmn_id == bpmn_id,
                    HumanTask.state == "open",
                )
            )
            assert row is not None
            task_id, role = row.id, row.role
        doer = next(a for a in actors.values() if role in a.roles)
        data = sample(bpmn_id, case_manager="aino") if bpmn_id == "Task_support_plan" else None
        instances.complete_task(
            ctx.uow(), ctx.engine, ctx.clock, doer, task_id, data or sample(bpmn_id)
        )
    client_catches_up(ctx.uow, ctx.engine, ctx.clock, iid, "Task_arrange_services")  # accepted
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", app
    server.shutdown()
    ctx.db.dispose()


def shot(page: Any, name: str) -> None:
    ARTEFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)


def log_in(page: Any, base: str, username: str) -> None:
    page.context.clear_cookies()  # whoever was signed in before
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("form.stacked button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def test_a_professional_completes_a_task_in_the_browser(
    page: Any, live_server: tuple[str, Any]
) -> None:
    base, _app = live_server
    page.goto(base + "/")
    assert "/login" in page.url  # pages need a login
    log_in(page, base, "kaisa")
    assert page.locator("html").get_attribute("lang") == "fi"
    assert page.get_by_role("heading", name="Oma työlista").is_visible()
    shot(page, "worklist")

    page.get_by_role("link", name="Kohtaaminen ja puheeksiotto", exact=True).click()
    shot(page, "task-form")
    # First a mistake the server must catch: switch off the browser's own checks and send
    # the form with required answers missing.
    page.evaluate("document.querySelector('form.task-form').noValidate = true")
    page.get_by_role("button", name="Suorita tehtävä").last.click()
    assert page.locator(".error-summary").is_visible()
    assert page.get_by_text("Tämä kenttä on pakollinen").first.is_visible()
    shot(page, "task-form-errors")

    page.select_option("select[name=entry_channel]", "social_services")
    for name, value in (
        ("kykyviisari_done", "false"),
        ("health_check_offered", "true"),
        ("urgent", "false"),
        ("occupational_health_covered", "false"),
        ("consent_multi_org", "true"),
    ):
        page.check(f"input[name={name}][value={value}]")
    page.fill("textarea[name=notes]", "Asiakas otti puheeksi jaksamisen.")
    page.get_by_role("button", name="Suorita tehtävä").last.click()

    # The client page shows the path moved on to the initial interview.
    assert "/clients/" in page.url
    assert page.get_by_text("Alkuhaastattelu ja neuvonta").first.is_visible()
    assert page.get_by_text("Kohtaaminen ja puheeksiotto").first.is_visible()
    shot(page, "client-page")

    # The diagram marks where the client is now and what is behind.
    page.wait_for_selector('[data-element-id="Task_initial_interview"].polku-current')
    assert page.locator('[data-element-id="Task_encounter"].polku-done').count() == 1
    shot(page, "client-page-diagram")

    page.goto(base + "/")
    assert page.get_by_role("link", name="Alkuhaastattelu ja neuvonta", exact=True).is_visible()


def test_english_is_selectable(page: Any, live_server: tuple[str, Any]) -> None:
    base, _app = live_server
    log_in(page, base, "lauri")
    page.goto(base + "/lang/en")
    page.goto(base + "/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="My worklist").is_visible()
    assert page.get_by_text("No tasks are waiting for you.").is_visible()


def test_a_designer_saves_a_new_version_in_the_modeller(
    page: Any, live_server: tuple[str, Any]
) -> None:
    base, app = live_server
    ctx = app.extensions["polku"]
    users.create_user(
        ctx.uow(),
        ctx.engine.roles,
        username="dora",
        display_name="Dora Designer",
        password=PASSWORD,
        roles=["process_designer"],
    )
    log_in(page, base, "dora")
    page.goto(f"{base}/designer/national/edit?version=1")
    page.wait_for_selector('[data-element-id="Task_encounter"]')
    save = page.locator("#modeller-save")
    save.wait_for(state="visible")
    page.wait_for_function("!document.querySelector('#modeller-save').disabled")

    # Break the model in the editor: a task nobody can reach is refused, nothing stored.
    page.evaluate("""() => {
        const modeler = window.polkuModeler;
        const factory = modeler.get('elementFactory');
        const canvas = modeler.get('canvas');
        const modeling = modeler.get('modeling');
        const lane = modeler.get('elementRegistry').get('Lane_physician');
        const shape = factory.createShape({type: 'bpmn:UserTask'});
        modeling.createShape(shape, {x: 3000, y: 560}, lane);
    }""")
    save.click()
    problems = page.locator("#modeller-problems")
    problems.wait_for(state="visible")
    assert "siihen ei pääse mistään aloitustapahtumasta" in problems.inner_text()
    assert page.locator(".polku-problem").count() >= 1
    shot(page, "modeller-refused")
    assert [v.number for v in designer.model_versions(ctx.uow(), "national")] == [1]

    page.goto(f"{base}/designer/national/edit?version=1")
    page.wait_for_selector('[data-element-id="Task_encounter"]')
    page.wait_for_function("!document.querySelector('#modeller-save').disabled")
    page.evaluate("""() => {
        const modeler = window.polkuModeler;
        const task = modeler.get('elementRegistry').get('Task_encounter');
        modeler.get('modeling').updateLabel(task, 'Kohtaaminen, puheeksiotto ja Kykyviisari');
    }""")
    page.locator("#modeller-save").click()
    page.get_by_text("Tallennettu versioksi 2").wait_for()
    shot(page, "modeller-saved")
    versions = designer.model_versions(ctx.uow(), "national")
    assert [(v.number, v.source, v.deployed_by) for v in versions][0] == (2, "modeller", "dora")
    _, xml = designer.version_bpmn(ctx.uow(), "national", 2)
    assert "Kohtaaminen, puheeksiotto ja Kykyviisari" in xml


def test_a_task_is_handed_over_to_a_colleague(page: Any, live_server: tuple[str, Any]) -> None:
    base, _app = live_server
    log_in(page, base, "kaisa")
    task_link = page.get_by_role("link", name="Kohtaaminen ja puheeksiotto", exact=True)
    row = page.locator("tr", has=task_link)
    row.get_by_role("link", name="Siirrä kollegalle").click()
    assert page.get_by_role("heading", name="Siirrä kollegalle").is_visible()
    page.get_by_label("Kollega").select_option(label="Kalle Testinen")
    page.get_by_label("Syy").fill("Kalle hoitaa Virtasen asiat tällä viikolla.")
    shot(page, "hand-over")
    page.get_by_role("button", name="Siirrä", exact=True).click()
    assert page.get_by_text("siirrettiin kollegalle Kalle Testinen").is_visible()
    assert page.get_by_role("link", name="Kohtaaminen ja puheeksiotto", exact=True).count() == 0

    log_in(page, base, "kalle")
    page.get_by_role("link", name="Minulle osoitetut (1)").click()
    assert page.get_by_role("link", name="Kohtaaminen ja puheeksiotto", exact=True).is_visible()
    shot(page, "worklist-assigned-to-me")
    page.get_by_role("link", name="Kohtaaminen ja puheeksiotto", exact=True).click()
    page.get_by_role("link", name="Ville Virtanen").first.click()
    assert page.get_by_text("Kalle hoitaa Virtasen asiat tällä viikolla.").is_visible()


def test_a_draft_is_saved_and_found_again(page: Any, live_server: tuple[str, Any]) -> None:
    base, _app = live_server
    log_in(page, base, "kaisa")
    page.get_by_role("link", name="Kohtaaminen ja puheeksiotto", exact=True).click()
    page.select_option("select[name=entry_channel]", "social_services")
    page.check("input[name=urgent][value=false]")
    page.fill("textarea[name=notes]", "Kesken: soitan asiakkaalle huomenna.")
    page.get_by_role("button", name="Tallenna luonnos").click()
    assert page.get_by_text("Luonnos tallennettu").first.is_visible()

    page.get_by_role("navigation", name="Päävalikko").get_by_role("link", name="Työlista").click()
    page.get_by_role("link", name="Kohtaaminen ja puheeksiotto", exact=True).click()
    assert page.locator("#draft-notice").is_visible()
    assert page.input_value("textarea[name=notes]") == "Kesken: soitan asiakkaalle huomenna."
    assert page.input_value("select[name=entry_channel]") == "social_services"
    assert page.is_checked("input[name=urgent][value=false]")
    shot(page, "task-form-draft")


def test_the_case_manager_is_changed_and_the_new_one_sees_the_client(
    page: Any, live_server: tuple[str, Any]
) -> None:
    base, _app = live_server
    log_in(page, base, "aino")
    page.get_by_role("link", name="Asiakkuuteni").click()
    assert page.get_by_role("link", name="Liisa Laine").is_visible()
    shot(page, "caseload")

    log_in(page, base, "timo")
    page.get_by_role("link", name="Asiakkaat").click()
    page.get_by_role("row", name="Liisa Laine").get_by_role("link").first.click()
    page.get_by_text("Vaihda asiakasvastaava").first.click()
    page.get_by_label("Uusi asiakasvastaava").select_option(label="Ari Testinen")
    page.get_by_role("button", name="Vaihda asiakasvastaava").click()
    # The reason is required: the browser does not send the form without one.
    assert page.get_by_text("Asiakasvastaava vaihdettiin").count() == 0
    page.get_by_label("Vaihdon syy").fill("Työhönvalmennus alkaa.")
    page.get_by_role("button", name="Vaihda asiakasvastaava").click()
    assert page.get_by_text("Asiakasvastaava vaihdettiin").is_visible()
    assert page.get_by_text("Työhönvalmennus alkaa.").is_visible()  # in the history

    log_in(page, base, "ari")
    page.get_by_role("link", name="Asiakkuuteni").click()
    assert page.get_by_role("link", name="Liisa Laine").is_visible()
    log_in(page, base, "aino")
    page.get_by_role("link", name="Asiakkuuteni").click()
    assert page.get_by_role("link", name="Liisa Laine").count() == 0


def test_consent_is_withdrawn(page: Any, live_server: tuple[str, Any]) -> None:
    base, _app = live_server
    log_in(page, base, "kaisa")
    page.get_by_role("link", name="Asiakkaat").click()
    page.get_by_role("row", name="Liisa Laine").get_by_role("link").first.click()
    assert page.get_by_text("Suostumus on voimassa.").is_visible()
    page.get_by_text("Peru suostumus").first.click()
    assert page.get_by_text("lopettaa monialaisen käsittelyn").is_visible()
    page.get_by_label("Perumisen syy").fill("Asiakas perui suostumuksen puhelimessa.")
    page.get_by_role("button", name="Peru suostumus").click()
    assert page.get_by_text("Monialainen käsittely on lopetettu").first.is_visible()
    assert page.get_by_text("Asiakas perui suostumuksen puhelimessa.").first.is_visible()
    assert page.locator("summary", has_text="Kirjaa suostumus").is_visible()
    shot(page, "client-page-consent-withdrawn")

    # Kela's advisor no longer sees the client.
    log_in(page, base, "kerttu")
    page.get_by_role("link", name="Asiakkaat").click()
    assert page.get_by_text("Liisa Laine").count() == 0
