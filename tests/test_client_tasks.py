"""The client's own tasks (issue 17 §3): the client lane `Asiakas` (role `client`) on the national
path; who may do them (the client themself, never staff); the plan's client view prefilled from
the client's task; asking for changes to the plan; the closing feedback and its timeout; the
validator's findings for the lane; the user admin refusing the role; Kykyviisari's five areas."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from engine.errors import Forbidden, InvalidInput
from engine.persistence.tables import FormSubmission, HumanTask, User
from engine.services import access, entries, instances, kykyviisari, queries, users
from engine.services.access import Actor
from engine.services.demo import sample
from engine.workflow.engine import WorkflowEngine
from engine.workflow.roles import CLIENT
from tests.conftest import PASSWORD, Services
from tests.test_dashboard_ui import app, svc  # noqa: F401  (the site on the template database)
from tests.test_model_validation import problems_of
from tests.test_ui import login

ASSESSMENTS = ("Task_physician_assessment", "Task_functional_assessment", "Task_social_assessment")
SITUATION, ACCEPT, REVISION = (
    "Task_client_situation",
    "Task_client_plan_acceptance",
    "Task_plan_revision",
)
FEEDBACK = "Task_client_feedback"
BEFORE_PLAN = ("Task_encounter", "Task_initial_interview", *ASSESSMENTS)


def open_ids(services: Services, iid: int) -> set[str]:
    return {t.bpmn_id for t in services.open_tasks(iid)}


def test_the_clients_view_is_their_own_task_beside_the_assessments(services: Services) -> None:
    iid = services.start()
    services.walk(iid, "Task_encounter", "Task_initial_interview")
    task = services.open_task(iid, SITUATION)
    assert (task.role, task.lane_role, task.assignee_id, task.phase) == (
        CLIENT, CLIENT, None, "assessment",
    )  # fmt: skip
    # nobody of the staff may do it: not the coordinator, not the case coordinator
    for actor in services.actors.values():
        with pytest.raises(Forbidden):
            instances.complete_task(
                services.uow(), services.engine, services.clock, actor, task.id,
                sample(SITUATION),
            )  # fmt: skip
    # nor another client
    other = services.start()
    with pytest.raises(Forbidden):
        instances.complete_task(
            services.uow(), services.engine, services.clock, services.client_actor(other),
            task.id, sample(SITUATION),
        )  # fmt: skip
    # the client themself may, and the history names them by pseudonym
    me = services.client_actor(iid)
    instances.complete_task(
        services.uow(), services.engine, services.clock, me, task.id, sample(SITUATION)
    )
    with services.uow() as uow:
        row = uow.session.get(HumanTask, task.id)
        assert row is not None and row.state == "completed" and row.completed_by_id is None
        submitted = uow.session.scalar(
            select(FormSubmission.submitted_by).where(FormSubmission.task_id == task.id)
        )
    assert submitted == me.username and me.username.startswith("client:A-")


def test_no_staff_worklist_offers_a_client_task(services: Services) -> None:
    iid = services.start()
    services.walk(iid, "Task_encounter", "Task_initial_interview")
    situation = services.open_task(iid, SITUATION)
    admin = Actor(0, "admin", "Admin", frozenset(), is_admin=True)
    for actor in [*services.actors.values(), admin]:
        listed = queries.list_tasks(services.uow(), services.clock, actor)
        assert SITUATION not in {t.bpmn_id for t in listed}, actor.username
    # even a (wrongly) given `client` role would not put it on a staff worklist
    sneaky = Actor(999, "sneaky", "Sneaky", frozenset({CLIENT, "case_coordinator"}))
    with services.uow() as uow:
        found = uow.session.scalars(
            select(HumanTask.bpmn_id).where(
                HumanTask.state == "open", access.task_list_condition(sneaky)
            )
        ).all()
        assert SITUATION not in found
        nobody = uow.session.scalars(
            select(User.username).where(access.offered_to_condition(situation))
        ).all()
        assert nobody == []  # no notification goes to staff either


def test_the_plan_starts_with_the_clients_own_view(services: Services) -> None:
    iid = services.start()
    own = "Haluan töihin, mutta selkä ei kestä seisomista."
    services.walk(iid, *BEFORE_PLAN, (SITUATION, sample(SITUATION, client_own_view=own)))
    plan = services.open_task(iid, "Task_support_plan")
    context = entries.task_context(
        services.uow(), services.engine, services.clock, services.actors["timo"], plan.id
    )
    assert context.prefill["client_view"] == own
    # the case coordinator sees what the client wrote beside the form
    [theirs] = [s for s in context.earlier if s.bpmn_id == SITUATION]
    assert theirs.data["client_own_view"] == own


def test_asking_for_changes_goes_to_the_case_managers_worklist(services: Services) -> None:
    iid = services.start()
    services.walk(iid, *BEFORE_PLAN, SITUATION, ("Task_support_plan", {"case_manager": "aino"}))
    assert open_ids(services, iid) == {ACCEPT}
    wish = "Haluaisin aloittaa työkokeilun vasta syksyllä."
    services.walk(
        iid, (ACCEPT, {"plan_accepted": "changes_requested", "plan_change_request": wish})
    )
    revision = services.open_task(iid, REVISION)
    assert revision.assignee_id == services.actors["aino"].user_id
    mine = queries.list_tasks(services.uow(), services.clock, services.actors["aino"])
    assert REVISION in {t.bpmn_id for t in mine}
    context = entries.task_context(
        services.uow(), services.engine, services.clock, services.actors["aino"], revision.id
    )
    assert context.prefill["plan_change_request_seen"] == wish
    services.walk(iid, REVISION)
    assert open_ids(services, iid) == {ACCEPT}  # the client accepts the changed plan again
    services.walk(iid, ACCEPT)
    assert open_ids(services, iid) == {"Task_arrange_services"}


def _at_closing(services: Services) -> int:
    iid = services.start()
    services.walk(iid, *BEFORE_PLAN, SITUATION, "Task_support_plan", ACCEPT,
                  "Task_arrange_services")  # fmt: skip
    services.clock.advance(days=31)
    instances.fire_due_timers(services.uow, services.engine, services.clock)
    services.walk(iid, ("Task_follow_up_review", {"close_path": True}))
    return iid


def test_the_closing_survey_comes_before_the_closing_record(services: Services) -> None:
    iid = _at_closing(services)
    task = services.open_task(iid, FEEDBACK)
    assert (task.role, task.phase) == (CLIENT, "follow_up")
    services.walk(iid, (FEEDBACK, {"feedback_score": 5, "feedback_text": "Kiitos."}))
    assert open_ids(services, iid) == {"Task_closing"}


def test_an_unanswered_survey_does_not_hold_the_closing(services: Services) -> None:
    iid = _at_closing(services)
    assert open_ids(services, iid) == {FEEDBACK}
    services.clock.advance(days=13)
    assert instances.fire_due_timers(services.uow, services.engine, services.clock) == 0
    services.clock.advance(days=2)
    assert instances.fire_due_timers(services.uow, services.engine, services.clock) == 1
    assert open_ids(services, iid) == {"Task_closing"}  # the survey's item is gone


# -- the validator --------------------------------------------------------------------------

SHARED_FORM = b'{"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}'
HEALTH_FORM = (
    b'{"type": "object", "properties": {"ok": {"type": "boolean"}, '
    b'"diagnosis": {"type": "string", "x-visibility": "health"}}}'
)
CLIENT_TASK = """
    <bpmn:startEvent id="StartEvent"><bpmn:outgoing>F1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="F1" sourceRef="StartEvent" targetRef="Task" />
    <bpmn:userTask id="Task" name="Oma arvio"><bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="formJsonSchemaFilename" value="forms/f.json" />
      <spiffworkflow:property name="phase" value="assessment" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>F1</bpmn:incoming><bpmn:outgoing>F2</bpmn:outgoing></bpmn:userTask>
    <bpmn:sequenceFlow id="F2" sourceRef="Task" targetRef="EndEvent" />
    <bpmn:endEvent id="EndEvent"><bpmn:incoming>F2</bpmn:incoming></bpmn:endEvent>"""
WITH_GATEWAY = CLIENT_TASK.replace(
    '<bpmn:sequenceFlow id="F2" sourceRef="Task" targetRef="EndEvent" />\n'
    '    <bpmn:endEvent id="EndEvent"><bpmn:incoming>F2</bpmn:incoming></bpmn:endEvent>',
    """<bpmn:sequenceFlow id="F2" sourceRef="Task" targetRef="Gateway" />
    <bpmn:exclusiveGateway id="Gateway" default="F3"><bpmn:incoming>F2</bpmn:incoming>
      <bpmn:outgoing>F3</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="F3" sourceRef="Gateway" targetRef="EndEvent" />
    <bpmn:endEvent id="EndEvent"><bpmn:incoming>F3</bpmn:incoming></bpmn:endEvent>""",
)
MANUAL = CLIENT_TASK.replace("bpmn:userTask", "bpmn:manualTask")


def two_lanes(body: str, in_client_lane: tuple[str, ...], lane: str = "Asiakas") -> bytes:
    """A process whose `in_client_lane` elements are in the client's lane and the rest (the
    start and end events) in the case coordinator's."""
    refs = "".join(f"<bpmn:flowNodeRef>{i}</bpmn:flowNodeRef>" for i in in_client_lane)
    others = "".join(
        f"<bpmn:flowNodeRef>{i}</bpmn:flowNodeRef>"
        for i in ("StartEvent", "EndEvent", "Gateway", "Task")
        if i not in in_client_lane
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
  id="Defs" targetNamespace="http://polku.test">
  <bpmn:process id="client_lane" isExecutable="true">
    <bpmn:laneSet id="LaneSet">
      <bpmn:lane id="Lane_client" name="{lane}">{refs}</bpmn:lane>
      <bpmn:lane id="Lane_team" name="Case-koordinaattori">{others}</bpmn:lane>
    </bpmn:laneSet>
    {body}
  </bpmn:process>
</bpmn:definitions>""".encode()


def test_a_client_task_with_a_shared_form_is_valid(workflow_engine: WorkflowEngine) -> None:
    from engine.workflow.loader import load_model
    from engine.workflow.model import ModelSource

    files = {"m.bpmn": two_lanes(CLIENT_TASK, ("Task",)), "forms/f.json": SHARED_FORM}
    model, problems = load_model(ModelSource("ok", files), workflow_engine.roles)
    assert [p for p in problems if p.severity == "error"] == [] and model is not None
    assert model.user_tasks["Task"].role == CLIENT


@pytest.mark.parametrize(
    ("body", "form", "element", "code", "words"),
    [
        (WITH_GATEWAY, SHARED_FORM, "Gateway", "client_lane_not_user_task", "only user tasks"),
        (MANUAL, SHARED_FORM, "Task", "client_lane_not_user_task", "only user tasks"),
        (CLIENT_TASK, HEALTH_FORM, "Task", "client_field_not_shared", "'diagnosis'"),
        (CLIENT_TASK, SHARED_FORM, "EndEvent", "client_lane_not_user_task", "'client'"),
    ],
)
def test_the_client_lane_holds_only_user_tasks_with_shared_fields(
    workflow_engine: WorkflowEngine, body: str, form: bytes, element: str, code: str, words: str
) -> None:
    lane = ("Task", element) if element != "Task" else ("Task",)
    files = {"m.bpmn": two_lanes(body, lane, lane="client"), "forms/f.json": form}
    found = [
        p for p in problems_of(files, workflow_engine) if getattr(p.message, "code", "") == code
    ]
    assert [p.element for p in found] == [element]
    assert words in found[0].message


# -- the user admin --------------------------------------------------------------------------


def test_no_staff_member_can_hold_the_client_role(services: Services) -> None:
    with pytest.raises(InvalidInput) as info:
        users.create_user(
            services.uow(), services.engine.roles, username="asiakas", display_name="Asiakas",
            password=PASSWORD, roles=["client"],
        )  # fmt: skip
    assert [m.code for m in info.value.errors["roles"]] == ["role_client_not_for_staff"]
    assert CLIENT not in services.engine.roles.codes  # never offered as a staff role
    assert services.engine.roles.role_for_lane("Asiakas") == CLIENT


# -- Kykyviisari -----------------------------------------------------------------------------


def test_kykyviisari_results_hold_the_five_areas_by_date(services: Services) -> None:
    iid = services.start()
    services.walk(iid, *BEFORE_PLAN)
    services.clock.advance(days=3)
    mine = sample(SITUATION, kykyviisari_work_ability=6, kykyviisari_skills=8)
    services.walk(iid, (SITUATION, mine))
    client_id = services.open_task(iid, "Task_support_plan").client_id
    assert client_id is not None
    results = kykyviisari.client_results(
        services.uow(), services.clock, services.actors["timo"], client_id
    )
    first, second = results
    assert first.when < second.when
    assert (first.score("work_ability"), first.by_client) == (4, False)  # the encounter's
    assert first.score("skills") is None  # not transcribed in the encounter
    assert second.by_client and second.scores == {
        "work_ability": 6, "mental_wellbeing": 6, "social_participation": 5,
        "physical_functioning": 3, "skills": 8, "everyday_coping": 6,
    }  # fmt: skip
    assert kykyviisari.series_of(results, "work_ability") == [(first.when, 4), (second.when, 6)]
    with pytest.raises(Forbidden):  # a reader without a basis
        kykyviisari.client_results(
            services.uow(), services.clock, services.actors["kerttu"], client_id
        )


def test_the_client_page_shows_the_clients_open_task_and_the_five_areas(
    app: Flask,  # noqa: F811
    svc: Services,  # noqa: F811
) -> None:
    iid = svc.start()
    svc.walk(iid, "Task_encounter", "Task_initial_interview")
    client_id = svc.open_task(iid, SITUATION).client_id
    kaisa = login(app, "kaisa")
    page = kaisa.get(f"/clients/{client_id}").get_data(as_text=True)
    assert "Asiakkaan oma tehtävä: asiakas tekee sen omassa näkymässään." in page
    assert "Avoinna " in page and "alkaen." in page  # and since when
    svc.walk(iid, SITUATION)
    page = kaisa.get(f"/clients/{client_id}").get_data(as_text=True)
    assert "Kykyviisarin tulokset osa-alueittain (0–10)" in page
    assert "Psyykkinen hyvinvointi" in page or "psyykkinen" in page.lower()
    assert "https://www.kykyviisari.fi" in page
