"""The differences between two versions of one model (issue 15, §5): the server's list of the
elements added, removed and changed, and the page /designer/<key>/diff through the test client
(process designers only; a version that does not exist is a clear 404)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.clock import FrozenClock
from engine.errors import Forbidden, NotFound
from engine.services import designer, users, version_diff
from engine.services.access import Actor
from tests.conftest import PASSWORD, PROCESSES, Services
from web import create_app

NATIONAL = (PROCESSES / "national" / "national_path.bpmn").read_text(encoding="utf-8")
ENCOUNTER_FLOW = (
    '<bpmn:sequenceFlow id="Flow_encounter_to_urgent" sourceRef="Task_encounter" '
    'targetRef="Gateway_urgent" />'
)
EXTRA_TASK = (
    '<bpmn:userTask id="Task_extra" name="Lisäselvitys"><bpmn:extensionElements>'
    '<spiffworkflow:properties><spiffworkflow:property name="formJsonSchemaFilename" '
    'value="forms/further_investigations.schema.json" /><spiffworkflow:property name="phase" '
    'value="encounter" /></spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>'
    '<bpmn:sequenceFlow id="Flow_extra" sourceRef="Task_extra" targetRef="Gateway_urgent" />'
)
# The extra step's shape and edge, so that the new diagram draws it (above the encounter).
EXTRA_SHAPES = (
    '<bpmndi:BPMNShape id="Task_extra_di" bpmnElement="Task_extra">'
    '<dc:Bounds x="400" y="90" width="100" height="80" /></bpmndi:BPMNShape>'
    '<bpmndi:BPMNEdge id="Flow_extra_di" bpmnElement="Flow_extra">'
    '<di:waypoint x="500" y="130" /><di:waypoint x="540" y="130" /></bpmndi:BPMNEdge>'
)


def second_version() -> str:
    """The national path with a step added after the encounter, the encounter step renamed and
    given another form, a condition changed, and the closing step's end event removed."""
    assert ENCOUNTER_FLOW in NATIONAL and 'name="Kohtaaminen ja puheeksiotto"' in NATIONAL
    xml = NATIONAL.replace(
        "<bpmn:flowNodeRef>Task_encounter</bpmn:flowNodeRef>",
        "<bpmn:flowNodeRef>Task_encounter</bpmn:flowNodeRef>"
        "<bpmn:flowNodeRef>Task_extra</bpmn:flowNodeRef>",
    )
    xml = xml.replace(
        ENCOUNTER_FLOW,
        ENCOUNTER_FLOW.replace('targetRef="Gateway_urgent"', 'targetRef="Task_extra"') + EXTRA_TASK,
    )
    xml = xml.replace('name="Kohtaaminen ja puheeksiotto"', 'name="Kohtaaminen"', 1)
    xml = xml.replace("urgent == True", "urgent == True and not occupational_health_covered", 1)
    xml = xml.replace("</bpmndi:BPMNPlane>", EXTRA_SHAPES + "</bpmndi:BPMNPlane>")
    return xml


def deploy(services_or_ctx: Any, actor: Actor, xml: str) -> int:
    """Version 2 (or the next) of the national path, by a designer (Services or the app's)."""
    result = designer.deploy_bpmn(
        services_or_ctx.uow(),
        services_or_ctx.engine,
        services_or_ctx.clock,
        actor,
        "national",
        "national_path.bpmn",
        xml.encode(),
    )
    assert result.created
    return result.version


def make_designer(ctx: Any, username: str = "dora") -> Actor:
    user_id = users.create_user(
        ctx.uow(),
        ctx.engine.roles,
        username=username,
        display_name="Dora Designer",
        password=PASSWORD,
        roles=["process_designer"],
    )
    user = users.get_user(ctx.uow(), user_id)
    assert user is not None
    return Actor.from_user(user)


# ---------------------------------------------------------------- the service


def test_the_changes_between_two_real_versions(services: Services) -> None:
    dora = make_designer(services)
    assert deploy(services, dora, second_version()) == 2
    result = version_diff.diff_versions(services.uow(), dora, "national", 1, 2)
    assert (result.old.number, result.new.number) == (1, 2)
    assert result.model_name
    by_id = {c.element_id: c for c in result.changes}

    extra = by_id["Task_extra"]
    assert (extra.kind, extra.type, extra.name) == ("added", "userTask", "Lisäselvitys")
    assert by_id["Flow_extra"].kind == "added"

    encounter = by_id["Task_encounter"]
    assert encounter.kind == "changed"
    assert (encounter.old_name, encounter.name) == ("Kohtaaminen ja puheeksiotto", "Kohtaaminen")
    assert encounter.facets == ["name"]

    flow = by_id["Flow_encounter_to_urgent"]
    assert flow.kind == "changed"
    assert [(c.facet, c.old, c.new) for c in flow.changes] == [
        ("target", "Gateway_urgent", "Task_extra")
    ]
    urgent = next(c for c in result.changes if c.facets == ["condition"])
    assert urgent.changes[0].new == "urgent == True and not occupational_health_covered"

    # only what was edited: the layout-only and untouched elements are not listed
    assert set(by_id) == {
        "Task_extra",
        "Flow_extra",
        "Task_encounter",
        "Flow_encounter_to_urgent",
        urgent.element_id,
    }
    assert result.counts == {"added": 2, "removed": 0, "changed": 3}
    assert [c.kind for c in result.changes] == ["added", "added", "changed", "changed", "changed"]

    # the other way round the added ones are removed
    back = version_diff.diff_versions(services.uow(), dora, "national", 2, 1)
    assert {c.element_id for c in back.of_kind("removed")} == {"Task_extra", "Flow_extra"}
    assert back.counts == {"added": 0, "removed": 2, "changed": 3}


def test_lanes_forms_properties_and_types_are_compared() -> None:
    case_lane = '<bpmn:lane id="Lane_case_coordinator" name="Case-koordinaattori">'
    gateway = '<bpmn:exclusiveGateway id="Gateway_urgent"'
    assert case_lane in NATIONAL and gateway in NATIONAL
    new = (
        NATIONAL.replace("<bpmn:flowNodeRef>Task_encounter</bpmn:flowNodeRef>", "", 1)
        .replace(case_lane, case_lane + "<bpmn:flowNodeRef>Task_encounter</bpmn:flowNodeRef>")
        .replace("forms/encounter.schema.json", "forms/encounter_v2.schema.json")
    )
    start = new.index(gateway)  # the gateway becomes an inclusive one
    end = new.index("</bpmn:exclusiveGateway>", start) + len("</bpmn:exclusiveGateway>")
    element = new[start:end].replace("exclusiveGateway", "inclusiveGateway")
    new = new[:start] + element + new[end:]

    changes = {c.element_id: c for c in version_diff.diff_bpmn(NATIONAL.encode(), new.encode())}
    assert set(changes) == {"Task_encounter", "Gateway_urgent"}  # the lanes themselves are not
    encounter = {c.facet: (c.old, c.new) for c in changes["Task_encounter"].changes}
    assert encounter == {
        "lane": ("Työkykykoordinaattori", "Case-koordinaattori"),
        "form": ("forms/encounter.schema.json", "forms/encounter_v2.schema.json"),
    }
    urgent = changes["Gateway_urgent"]
    assert (urgent.kind, urgent.type) == ("changed", "inclusiveGateway")
    assert [(c.facet, c.old, c.new) for c in urgent.changes] == [
        ("type", "exclusiveGateway", "inclusiveGateway")
    ]


def test_a_timer_and_an_extension_property_change() -> None:
    assert "P30D" in NATIONAL and 'value="next_review_date"' in NATIONAL
    new = NATIONAL.replace("P30D", "P60D").replace('value="next_review_date"', 'value="review"')
    (timer,) = version_diff.diff_bpmn(NATIONAL.encode(), new.encode())
    assert timer.element_id == "Event_follow_up_timer"
    assert {c.facet: (c.old, c.new) for c in timer.changes} == {
        "event_definition": (
            "timerEventDefinition(timeDuration=P30D)",
            "timerEventDefinition(timeDuration=P60D)",
        ),
        "property:dueFromField": ("next_review_date", "review"),
    }


def test_only_designers_and_real_versions(services: Services) -> None:
    dora = make_designer(services)
    kaisa = next(
        Actor.from_user(u) for u in users.list_users(services.uow()) if u.username == "kaisa"
    )
    with pytest.raises(Forbidden):
        version_diff.diff_versions(services.uow(), kaisa, "national", 1, 1)
    with pytest.raises(NotFound) as refused:
        version_diff.diff_versions(services.uow(), dora, "national", 1, 7)
    assert refused.value.code == "model_version_not_found"
    assert version_diff.diff_versions(services.uow(), dora, "national", 1, 1).changes == []


# ---------------------------------------------------------------- the page


@pytest.fixture
def app(tmp_path: Path, clock: FrozenClock) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_AUTO_UPGRADE": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'diff.db'}",
            "CLOCK": clock,
            "SECRET_KEY": "diff-test",
            "WTF_CSRF_ENABLED": False,
        }
    )
    ctx = app.extensions["polku"]
    dora = make_designer(ctx)
    users.create_user(
        ctx.uow(), ctx.engine.roles, username="kaisa", display_name="Kaisa",
        password=PASSWORD, roles=["work_ability_coordinator"],
    )  # fmt: skip
    users.create_user(
        ctx.uow(), ctx.engine.roles, username="sven", display_name="Sven",
        password=PASSWORD, roles=["process_designer"], language="sv",
    )  # fmt: skip
    deploy(ctx, dora, second_version())
    yield app
    ctx.db.dispose()


def login(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.text
    return client


def test_the_page_lists_the_changes_without_scripts(app: Flask) -> None:
    client = login(app, "dora")
    model = client.get("/designer/national")
    assert model.status_code == 200
    assert 'action="/designer/national/diff"' in model.text  # the form "Compare versions"
    assert 'name="old"' in model.text and 'name="new"' in model.text

    page = client.get("/designer/national/diff")  # default: the previous and the latest
    assert page.status_code == 200, page.text
    text = page.text
    assert "Muutokset versiosta 1 versioon 2" in text
    assert "2 lisätty, 0 poistettu, 3 muutettu." in text
    assert 'data-diff-row="Task_extra" data-diff-kind="added"' in text
    assert "Lisäselvitys" in text
    assert 'data-diff-row="Task_encounter" data-diff-kind="changed"' in text
    assert 'data-diff-facet="name"' in text and "Kohtaaminen ja puheeksiotto" in text
    assert "Käyttäjätehtävä" in text  # the type in Finnish
    # both diagrams and the bundled differ
    assert "/designer/national/versions/1.bpmn" in text
    assert "/designer/national/versions/2.bpmn" in text
    assert "build/polku-bpmn.js" in text and "polku-version-diff.js" in text

    chosen = client.get("/designer/national/diff?old=2&new=1")
    assert chosen.status_code == 200
    assert 'data-diff-row="Task_extra" data-diff-kind="removed"' in chosen.text

    same = client.get("/designer/national/diff?old=1&new=1")
    assert same.status_code == 200
    assert "Versioiden elementeissä ei ole eroja." in same.text


def test_names_in_the_readers_language(app: Flask) -> None:
    text = login(app, "sven").get("/designer/national/diff?old=1&new=2").text
    assert "Ändringar från version 1 till version 2" in text
    # Task_encounter's old name has a Swedish translation; the new Finnish one does not yet
    assert "Möte och att ta upp frågan" in text
    assert "Användaruppgift" in text


def test_only_designers_and_bad_versions_are_404(app: Flask) -> None:
    assert login(app, "kaisa").get("/designer/national/diff").status_code == 403
    client = login(app, "dora")
    missing = client.get("/designer/national/diff?old=1&new=9")
    assert missing.status_code == 404
    assert "Prosessimallilla &#39;national&#39; ei ole versiota 9." in missing.text or (
        "Prosessimallilla 'national' ei ole versiota 9." in missing.text
    )
    bad = client.get("/designer/national/diff?old=abc&new=2")
    assert bad.status_code == 404
    assert "ei ole versiota abc" in bad.text
    assert client.get("/designer/national/diff?new=99999999999999999999").status_code == 404
    assert client.get("/designer/nowhere/diff").status_code == 404
