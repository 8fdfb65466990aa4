"""The modeller's properties panel in a real headless Chromium (Debian's, driven by Playwright):
a designer opens the editor, selects a lane and sets its role and organisation (model.json), gives
a task a phase (its service-level target is set by an administrator), selects a
flow and types a condition (the check answers as they type), reads a timer in words, saves,
and finds the values in the new version's XML, which the model validator accepted."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from engine.services import designer, sla, users
from engine.services.deployment import get_version
from engine.workflow.loader import load_model
from engine.workflow.model import ModelSource
from tests.conftest import PASSWORD, ROOT
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
            "DATABASE_URL": f"sqlite:///{tmp_path / 'properties.db'}",
            "SECRET_KEY": "properties-browser-test",
        }
    )
    ctx = app.extensions["polku"]
    users.create_user(
        ctx.uow(),
        ctx.engine.roles,
        username="dora",
        display_name="Dora Designer",
        password=PASSWORD,
        roles=["process_designer"],
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", app
    server.shutdown()
    ctx.db.dispose()


def log_in(page: Any, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("form.stacked button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def select(page: Any, element_id: str) -> None:
    page.evaluate(
        """(id) => {
            const modeler = window.polkuModeler;
            const element = modeler.get('elementRegistry').get(id);
            modeler.get('selection').select(element);
        }""",
        element_id,
    )


def check_text(page: Any, kind: str, expected: str) -> None:
    locator = page.locator(f'[data-polku-check="{kind}"]')
    page.wait_for_function(
        """([kind, expected]) => {
            const node = document.querySelector(`[data-polku-check="${kind}"]`);
            return node && node.textContent.includes(expected);
        }""",
        arg=[kind, expected],
    )
    assert expected in locator.inner_text()


def assert_panel_accessible(page: Any) -> None:
    """axe-core on the panel as it is: no serious or critical WCAG violation."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(url="/vendor/axe-core/axe.min.js")
    results = page.evaluate(
        "() => axe.run(document.querySelector('#modeller-properties'), {resultTypes: "
        "['violations'], runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21aa']}})"
    )
    blocking = [
        (v["id"], [n["target"] for n in v["nodes"][:3]])
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert blocking == []


def test_the_panel_sets_a_role_a_phase_and_a_condition_that_are_saved(
    page: Any, live_server: tuple[str, Any]
) -> None:
    base, app = live_server
    ctx = app.extensions["polku"]
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, base, "dora")
    page.goto(f"{base}/designer/national/edit?version=1")
    page.wait_for_selector('#modeller[data-modeller-ready="true"]')
    page.wait_for_selector("#modeller-properties .bio-properties-panel")

    # A lane: clicking its header selects it; its role is chosen from processes/roles.json.
    lane = page.locator('.djs-shape[data-element-id="Lane_physiotherapist"]')
    lane.click(position={"x": 12, "y": 30})
    role = page.locator("select#bio-properties-panel-polku-role")
    role.wait_for()
    assert role.input_value() == "physiotherapist"
    role.select_option("psychologist")
    assert (
        page.evaluate(
            "() => window.polkuModeler.get('elementRegistry').get('Lane_physiotherapist')"
            ".businessObject.name"
        )
        == "Psykologi"
    )
    # The lane's organisation (model.json, not the BPMN): the default is named, then chosen.
    organisation = page.locator("select#bio-properties-panel-polku-organisation")
    organisation.wait_for()
    assert organisation.input_value() == ""
    assert organisation.locator("option").first.inner_text() == (
        "Ei nimetty mallissa: Organisaatio, joka omistaa asiakkaan polun"
    )
    groups = organisation.locator("optgroup").evaluate_all("nodes => nodes.map(n => n.label)")
    assert groups == ["Mallin alueen organisaatiot", "Muut organisaatiot"]
    organisation.select_option("hva-pohjois-savo")
    page.get_by_text("Nimetty tälle roolille mallissa.").wait_for()

    # A user task: its phase tag and form.
    select(page, "Task_further_investigations")
    phase = page.locator("select#bio-properties-panel-polku-phase")
    phase.wait_for()
    assert page.locator("select#bio-properties-panel-polku-form").input_value() == (
        "forms/further_investigations.schema.json"
    )
    phase.select_option("referral")
    assert page.locator('[data-polku-value="service-level"]').inner_text() == "Ei tavoitetta"
    # a designer who is not an administrator reads the target and who sets it
    assert (
        page.locator("[data-polku-target-note]")
        .inner_text()
        .startswith("Ylläpitäjä asettaa palvelutasotavoitteet")
    )
    assert page.locator("input#bio-properties-panel-polku-service-level-own").count() == 0

    # An awaited decision's message and the subprocess of a call activity, as the model has them.
    select(page, "Event_external_decision")
    message = page.locator("input#bio-properties-panel-polku-message")
    message.wait_for()
    assert message.input_value() == "kela_decision"

    # A flow out of a gateway: the condition is checked as it is typed.
    select(page, "Flow_urgent_yes")
    condition = page.locator("input#bio-properties-panel-polku-condition")
    condition.wait_for()
    assert condition.input_value() == "urgent == True"
    fields = page.locator("[data-polku-fields]").inner_text()
    assert "urgent" in fields and "entry_channel" in fields
    condition.fill("len(urgent) > 1")
    check_text(page, "condition", "Ehto ei ole sallittu: funktiokutsut eivät ole sallittuja")
    page.screenshot(path=str(_artefact("properties-condition-refused")), full_page=True)
    condition.fill('urgent == True and entry_channel == "kela"')
    check_text(page, "condition", "Ehto on kelvollinen.")
    assert_panel_accessible(page)

    # A timer: its ISO 8601 text read in words.
    select(page, "Event_follow_up_timer")
    page.locator("input#bio-properties-panel-polku-timer-value").wait_for()
    check_text(page, "timer", "Odottaa 30 päivää.")
    page.locator("select#bio-properties-panel-polku-timer-kind").select_option("cycle")
    page.locator("input#bio-properties-panel-polku-timer-value").fill("R6/P1D")
    check_text(page, "timer", "Joka päivä, 6 kertaa.")
    page.locator("select#bio-properties-panel-polku-timer-kind").select_option("duration")
    page.locator("input#bio-properties-panel-polku-timer-value").fill("P30D")
    check_text(page, "timer", "Odottaa 30 päivää.")

    page.locator("#modeller-save").click()
    page.get_by_text("Tallennettu versioksi 2").wait_for()
    page.screenshot(path=str(_artefact("properties-saved")), full_page=True)
    assert errors == []

    _, xml = designer.version_bpmn(ctx.uow(), "national", 2)
    assert '<bpmn:lane id="Lane_physiotherapist" name="Psykologi">' in xml
    assert (
        '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">'
        "urgent == True and entry_channel == &#34;kela&#34;</bpmn:conditionExpression>"
        in xml
        or '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">'
        'urgent == True and entry_channel == "kela"</bpmn:conditionExpression>'
        in xml
    )
    further = xml[xml.index('<bpmn:userTask id="Task_further_investigations"') :]
    further = further[: further.index("</bpmn:userTask>")]
    assert '<spiffworkflow:property name="phase" value="referral" />' in further
    assert (
        '<spiffworkflow:property name="formJsonSchemaFilename" '
        'value="forms/further_investigations.schema.json" />' in further
    )
    assert '<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">P30D</bpmn:timeDuration>' in xml
    assert "<spiffworkflow:messageVariable>" in xml  # the awaited decision's, kept as it was

    # The validator accepts the saved version as it stands, with no new finding.
    with ctx.uow() as uow:
        version = get_version(uow, "national", 2)
        assert version is not None
        files = {k: v.encode("utf-8") for k, v in version.files.items()}
    parsed, problems = load_model(ModelSource("national", files), ctx.engine.roles)
    assert parsed is not None
    assert [p for p in problems if p.severity == "error"] == []
    assert parsed.user_tasks["Task_further_investigations"].phase == "referral"
    assert parsed.user_tasks["Task_functional_assessment"].role == "psychologist"
    assert parsed.lane_organisations == {"psychologist": "hva-pohjois-savo"}
    assert json.loads(version.files["model.json"]) == {
        "lane_organisations": {"psychologist": "hva-pohjois-savo"}
    }


def _artefact(name: str) -> Path:
    ARTEFACTS.mkdir(exist_ok=True)
    return ARTEFACTS / f"{name}.png"


def test_the_panel_chooses_a_subprocess_and_names_a_message(
    page: Any, live_server: tuple[str, Any]
) -> None:
    base, app = live_server
    ctx = app.extensions["polku"]
    log_in(page, base, "dora")
    page.goto(f"{base}/designer/eksote/edit")
    page.wait_for_selector('#modeller[data-modeller-ready="true"]')

    select(page, "Call_support_plan")
    subprocess = page.locator("select#bio-properties-panel-polku-subprocess")
    subprocess.wait_for()
    assert subprocess.input_value() == "support_plan_subprocess"
    options = subprocess.locator("option").evaluate_all("nodes => nodes.map(n => n.value)")
    assert "follow_up_review_subprocess" in options and "eksote_path" not in options

    # The flows after the call activity offer the fields its subprocess's forms fill in.
    select(page, "Flow_conclusion_unclear")
    page.locator("input#bio-properties-panel-polku-condition").wait_for()
    assert "case_manager" in page.locator("[data-polku-fields]").inner_text()

    select(page, "Event_external_decision")
    message = page.locator("input#bio-properties-panel-polku-message")
    message.wait_for()
    assert message.input_value() == "kela_decision"
    message.fill("pension_decision")
    page.wait_for_function(
        "() => window.polkuModeler.get('elementRegistry').get('Event_external_decision')"
        ".businessObject.eventDefinitions[0].messageRef.name === 'pension_decision'"
    )
    page.locator("#modeller-save").click()
    page.get_by_text("Tallennettu versioksi 2").wait_for()

    _, xml = designer.version_bpmn(ctx.uow(), "eksote", 2)
    assert '<bpmn:message id="Message_pension_decision" name="pension_decision" />' in xml
    assert 'messageRef="Message_pension_decision"' in xml
    assert "<spiffworkflow:messageVariable>pension_decision</spiffworkflow:messageVariable>" in xml
    with ctx.uow() as uow:
        version = get_version(uow, "eksote", 2)
        assert version is not None
        files = {k: v.encode("utf-8") for k, v in version.files.items()}
    parsed, _problems = load_model(ModelSource("eksote", files), ctx.engine.roles)
    assert parsed is not None
    assert "pension_decision" in parsed.message_names


def test_an_administrator_sets_a_steps_target_in_the_panel(
    page: Any, live_server: tuple[str, Any]
) -> None:
    base, app = live_server
    ctx = app.extensions["polku"]
    users.create_user(
        ctx.uow(), ctx.engine.roles, username="ansa", display_name="Ansa Admin",
        password=PASSWORD, roles=[], is_admin=True,
    )  # fmt: skip
    log_in(page, base, "ansa")
    page.goto(f"{base}/designer/national/edit")
    page.wait_for_selector('#modeller[data-modeller-ready="true"]')
    select(page, "Task_further_investigations")
    own = page.locator("input#bio-properties-panel-polku-service-level-own")
    own.wait_for()
    assert own.input_value() == ""
    assert page.locator("[data-polku-target-note] a").get_attribute("href") == "/dashboard/targets"
    own.fill("12")
    check_text(page, "target", "Tavoite tallennettiin.")
    assert page.locator('[data-polku-value="service-level"]').inner_text() == (
        "12 työpäivää (vaiheen oma tavoite)"
    )
    (row,) = sla.list_targets(ctx.uow())
    assert (row.model_key, row.bpmn_id, row.working_days, row.updated_by) == (
        "national", "Task_further_investigations", 12, "ansa",
    )  # fmt: skip
    # saved at once, not with the diagram: nothing to save
    assert page.evaluate("() => window.polkuModeler.get('commandStack').canUndo()") is False
