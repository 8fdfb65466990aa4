"""Every BPMN element is run or refused (issue 15 §4), and no model the validator accepts
crashes while running: every shipped model and a small model per element type are driven to an
end through the services (each ready task completed with data valid for its form, timers fired,
messages delivered)."""

from __future__ import annotations

import re
from datetime import date
from io import BytesIO
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from engine.errors import Forbidden
from engine.persistence.tables import HumanTask, ProcessInstance, WaitingEvent
from engine.services import instances, users
from engine.services.deployment import store_version
from engine.services.task_completion import CONSENT_FIELD
from engine.workflow import element_checks, forms
from engine.workflow.engine import WorkflowEngine
from engine.workflow.loader import load_model
from engine.workflow.model import ModelSource, ParsedModel, Problem
from engine.workflow.roles import CLIENT
from tests.conftest import PASSWORD, PROCESSES, Services
from tests.test_api import Api
from tests.test_hardening import app  # noqa: F401  (the app fixture: SQLite and PostgreSQL)

LANE = "L\u00e4\u00e4k\u00e4ri"  # physician
FORM = b'{"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}'
MAX_STEPS = 200
SHIPPED = sorted(p.name for p in PROCESSES.iterdir() if p.is_dir() and p.name != "common")


# -- a generic form filler --------------------------------------------------------------------


def fill(schema: dict[str, Any], visit: int = 0) -> Any:
    """A value valid for the JSON Schema; `visit` varies the choices on each visit of a step
    (so that a path that loops takes another branch the next round)."""
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        options = [o for o in schema["enum"] if o is not None] or [None]
        return options[visit % len(options)]
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        properties = schema.get("properties") or {}
        return {name: fill(prop, visit) for name, prop in properties.items()}
    if kind == "array":
        count = max(int(schema.get("minItems", 1)), 1)
        item = schema.get("items") or {"type": "string"}
        values = [fill(item, visit + i) for i in range(count)]
        return values[:1] if schema.get("uniqueItems") and item.get("enum") is None else values
    if kind == "boolean":
        return visit % 2 == 1
    if kind in ("integer", "number"):
        return schema.get("minimum", 1)
    if kind == "null":
        return None
    fmt = schema.get("format")
    if fmt == "date":
        return date(2026, 1, 15).isoformat()
    if fmt == forms.USER_FORMAT:
        return "aino"
    return "x" * max(int(schema.get("minLength", 1)), 1)


def data_for(schema: dict[str, Any] | None, visit: int) -> dict[str, Any]:
    schema = schema or {"type": "object"}
    data = fill(schema, visit)
    assert forms.validate(schema, data) == {}, (schema, data)
    return dict(data)


# -- driving a path to its end through the services -------------------------------------------


def model_of(services: Services, instance_id: int) -> ParsedModel:
    with services.uow() as uow:
        row = uow.session.get(ProcessInstance, instance_id)
        assert row is not None
        version = row.model_version
        return services.engine.model_for_version(
            version.content_hash, version.model.key, dict(version.files)
        )


def status(services: Services, instance_id: int) -> str:
    with services.uow() as uow:
        row = uow.session.get(ProcessInstance, instance_id)
        assert row is not None
        return row.status


def waiting(services: Services, instance_id: int) -> list[WaitingEvent]:
    with services.uow() as uow:
        return list(
            uow.session.scalars(
                select(WaitingEvent)
                .where(WaitingEvent.instance_id == instance_id, WaitingEvent.settled_at.is_(None))
                .order_by(WaitingEvent.id)
            )
        )


def deliver(services: Services, instance_id: int, message: WaitingEvent, data: Any) -> None:
    """The message from whoever may record it (the role of its worklist item, else anyone)."""
    for actor in services.actors.values():
        try:
            instances.deliver_message(
                services.uow(), services.engine, services.clock, actor, instance_id,
                str(message.message_name), data,
            )  # fmt: skip
            return
        except Forbidden:
            continue
    raise AssertionError(f"nobody may deliver {message.message_name}")


def complete(services: Services, task: HumanTask, data: dict[str, Any]) -> None:
    """Completed by someone of the task's role whom its organisation lets do it (a client
    task by the path's client themself)."""
    if task.role == CLIENT:
        actor = services.client_actor(task.instance_id)
        instances.complete_task(
            services.uow(), services.engine, services.clock, actor, task.id, data
        )
        return
    candidates = [
        a
        for a in services.actors.values()
        if task.assignee_id == a.user_id or (task.assignee_id is None and task.role in a.roles)
    ]
    for actor in candidates:
        try:
            instances.complete_task(
                services.uow(), services.engine, services.clock, actor, task.id, data
            )
            return
        except Forbidden:
            continue
    raise AssertionError(f"nobody may do {task.bpmn_id} (role {task.role})")


def drive(services: Services, instance_id: int, prefer: str = "task") -> list[str]:
    """Run the path to its end; returns what was done. `prefer` chooses, when a task is open
    and something is also awaited, which goes first ('task', 'message' or 'timer')."""
    done: list[str] = []
    visits: dict[str, int] = {}
    model = model_of(services, instance_id)
    for _ in range(MAX_STEPS):
        if status(services, instance_id) != "running":
            return done
        tasks: list[HumanTask] = services.open_tasks(instance_id)
        events = waiting(services, instance_id)
        messages = [e for e in events if e.kind == "message"]
        timers = [e for e in events if e.kind == "timer"]
        order = {"task": 0, "message": 1, "timer": 2}
        choices = sorted(
            [c for c, present in (("task", tasks), ("message", messages), ("timer", timers))
             if present],
            key=lambda c: (c != prefer, order[c]),
        )  # fmt: skip
        assert choices, f"the path is stuck after {done}"
        if choices[0] == "task":
            task = tasks[0]
            visit = visits.get(task.bpmn_id, 0)
            visits[task.bpmn_id] = visit + 1
            data = data_for(model.step_form(task.bpmn_id), visit)
            if "case_manager" in data:
                data["case_manager"] = "aino"
            if CONSENT_FIELD in data:  # the team of several organisations may do its part
                data[CONSENT_FIELD] = True
            complete(services, task, data)
            done.append(task.bpmn_id)
        elif choices[0] == "message":
            message = messages[0]
            visit = visits.get(message.bpmn_id, 0)
            visits[message.bpmn_id] = visit + 1
            deliver(services, instance_id, message, data_for(model.step_form(message.bpmn_id), 0))
            done.append(f"message:{message.message_name}")
        else:
            services.clock.advance(days=800)
            fired = instances.fire_due_timers(services.uow, services.engine, services.clock)
            assert fired, f"no timer fired after {done}"
            done.append(f"timer:{timers[0].bpmn_id}")
    raise AssertionError(f"the path did not end in {MAX_STEPS} steps: {done}")


@pytest.mark.parametrize("key", SHIPPED)
@pytest.mark.parametrize("prefer", ["task", "message"])
def test_every_shipped_model_runs_to_an_end(services: Services, key: str, prefer: str) -> None:
    iid = services.start(key)
    done = drive(services, iid, prefer)
    assert status(services, iid) == "completed", done


# -- small constructed models, one per element type -------------------------------------------


def bpmn(body: str, extra_defs: str = "", lane: str = LANE) -> bytes:
    """A one-lane process around `body`: every flow node is in the lane."""
    ids = re.findall(
        r"<bpmn:(?!sequenceFlow|dataObject|dataStore|laneSet|lane\b)\w+ id=\"(\w+)\"", body
    )
    refs = "".join(f"<bpmn:flowNodeRef>{i}</bpmn:flowNodeRef>" for i in ids)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
  id="Defs" targetNamespace="http://polku.test">
  {extra_defs}
  <bpmn:process id="elements" isExecutable="true">
    <bpmn:laneSet id="LaneSet"><bpmn:lane id="Lane_1" name="{lane}">{refs}</bpmn:lane>
    </bpmn:laneSet>
    {body}
  </bpmn:process>
</bpmn:definitions>""".encode()


def flow(source: str, target: str, condition: str | None = None) -> str:
    inner = f"<bpmn:conditionExpression>{condition}</bpmn:conditionExpression>" if condition else ""
    return (
        f'<bpmn:sequenceFlow id="F_{source}_{target}" sourceRef="{source}" targetRef="{target}">'
        f"{inner}</bpmn:sequenceFlow>"
    )


def node(tag: str, element_id: str, inner: str = "", name: str | None = None, **attrs: str) -> str:
    extra = "".join(f' {k}="{v}"' for k, v in attrs.items())
    named = f' name="{name}"' if name is not None else f' name="{element_id} step"'
    return f'<bpmn:{tag} id="{element_id}"{named}{extra}>{inner}</bpmn:{tag}>'


FORM_PROPS = (
    "<bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property "
    'name="formJsonSchemaFilename" value="forms/f.json" /><spiffworkflow:property name="phase" '
    'value="encounter" /></spiffworkflow:properties></bpmn:extensionElements>'
)
MESSAGE_DEF = '<bpmn:message id="Message_answer" name="answer" />'
MESSAGE_CATCH = (
    '<bpmn:messageEventDefinition id="MED_1" messageRef="Message_answer"><bpmn:extensionElements>'
    "<spiffworkflow:messageVariable>answer</spiffworkflow:messageVariable>"
    "</bpmn:extensionElements></bpmn:messageEventDefinition>"
)
TIMER = (
    '<bpmn:timerEventDefinition id="TED_1"><bpmn:timeDuration>P3D</bpmn:timeDuration>'
    "</bpmn:timerEventDefinition>"
)


def line(*elements: tuple[str, str, str]) -> str:
    """Start -> the elements (tag, id, inner) in a row -> End."""
    ids = ["StartEvent_1", *(e[1] for e in elements), "EndEvent_1"]
    parts = [node("startEvent", "StartEvent_1")]
    parts += [node(tag, element_id, inner) for tag, element_id, inner in elements]
    parts.append(node("endEvent", "EndEvent_1"))
    parts += [flow(a, b) for a, b in zip(ids, ids[1:], strict=False)]
    return "".join(parts)


USER = ("userTask", "Task_user", FORM_PROPS)


def load(body: str, extra_defs: str = "") -> tuple[ParsedModel | None, list[Problem]]:
    files = {"m.bpmn": bpmn(body, extra_defs), "forms/f.json": FORM}
    return load_model(ModelSource("elements", files), WorkflowEngine(PROCESSES).roles)


def codes(problems: list[Problem]) -> set[str | None]:
    return {p.code for p in problems if p.severity == "error"}


def run(services: Services, body: str, extra_defs: str = "", prefer: str = "task") -> list[str]:
    """Deploy the model as a new key, start a path on it and drive it to its end."""
    source = ModelSource("elements", {"m.bpmn": bpmn(body, extra_defs), "forms/f.json": FORM})
    model, problems = load_model(source, services.engine.roles)
    assert model is not None, problems
    with services.uow() as uow:
        store_version(uow, source, model, problems, services.clock(), "test", "upload", "m.bpmn")
        uow.commit()
    client_id = services.new_client()
    iid = instances.start_instance(
        services.uow(), services.engine, services.clock, services.actors["kaisa"], client_id,
        "elements", "hva-pohjois-savo",
    )  # fmt: skip
    done = drive(services, iid, prefer)
    assert status(services, iid) == "completed", done
    return done


RUNS = {
    "plain task": line(("task", "Task_plain", "")),
    "manual task": line(("manualTask", "Task_manual", "")),
    "plain task with a form": line(("task", "Task_plain", FORM_PROPS)),
    "receive task": line(("receiveTask", "Task_receive", "")).replace(
        'name="Task_receive step"', 'name="Task_receive step" messageRef="Message_answer"'
    ),
    "none throw event": line(USER, ("intermediateThrowEvent", "Event_throw", "")),
    "terminate end": line(USER).replace(
        '<bpmn:endEvent id="EndEvent_1" name="EndEvent_1 step"></bpmn:endEvent>',
        '<bpmn:endEvent id="EndEvent_1"><bpmn:terminateEventDefinition id="T1"/></bpmn:endEvent>',
    ),
    "timer and message catch": line(
        USER,
        ("intermediateCatchEvent", "Event_timer", TIMER),
        ("intermediateCatchEvent", "Event_message", MESSAGE_CATCH),
    ),  # fmt: skip
    "data object on a task": line(
        (
            "userTask",
            "Task_user",
            FORM_PROPS
            + '<bpmn:dataOutputAssociation id="DOA_1"><bpmn:targetRef>DOR_ok</bpmn:targetRef>'
            "</bpmn:dataOutputAssociation>",
        ),
        (
            "userTask",
            "Task_second",
            FORM_PROPS.replace("encounter", "referral")
            + '<bpmn:dataInputAssociation id="DIA_1"><bpmn:sourceRef>DOR_ok</bpmn:sourceRef>'
            "</bpmn:dataInputAssociation>",
        ),
    )
    + '<bpmn:dataObject id="DataObject_ok" name="ok" />'
    '<bpmn:dataObjectReference id="DOR_ok" name="ok" dataObjectRef="DataObject_ok" />',
    "data store with a line break in its name": line(
        (
            "userTask",
            "Task_user",
            FORM_PROPS
            + '<bpmn:dataOutputAssociation id="DOA_1"><bpmn:targetRef>DSR_1</bpmn:targetRef>'
            "</bpmn:dataOutputAssociation>",
        )
    )
    + '<bpmn:dataStoreReference id="DSR_1" name="Asiakas&#10;rekisteri" dataStoreRef="DS_1" />',
    "an association to nothing": line(
        (
            "userTask",
            "Task_user",
            FORM_PROPS
            + '<bpmn:dataOutputAssociation id="DOA_1"><bpmn:targetRef>Nowhere</bpmn:targetRef>'
            "</bpmn:dataOutputAssociation>",
        )
    ),
}
RUN_DEFS = {
    "receive task": MESSAGE_DEF,
    "timer and message catch": MESSAGE_DEF,
    "data store with a line break in its name": (
        '<bpmn:dataStore id="DS_1" name="Asiakas&#10;rekisteri" />'
    ),
}

EVENT_GATEWAY = (
    node("startEvent", "StartEvent_1")
    + node("userTask", "Task_user", FORM_PROPS)
    + node("eventBasedGateway", "Gateway_events")
    + node("intermediateCatchEvent", "Event_timer", TIMER)
    + node("intermediateCatchEvent", "Event_message", MESSAGE_CATCH)
    + node("endEvent", "End_timer")
    + node("endEvent", "End_message")
    + flow("StartEvent_1", "Task_user")
    + flow("Task_user", "Gateway_events")
    + flow("Gateway_events", "Event_timer")
    + flow("Gateway_events", "Event_message")
    + flow("Event_timer", "End_timer")
    + flow("Event_message", "End_message")
)
BOUNDARY_TIMER = (
    line(USER)
    + node("boundaryEvent", "Event_late", TIMER, attachedToRef="Task_user")
    + node("endEvent", "End_late")
    + flow("Event_late", "End_late")
)
INCLUSIVE = (
    node("startEvent", "StartEvent_1")
    + node("userTask", "Task_user", FORM_PROPS)
    + node("inclusiveGateway", "Gateway_split", default="F_Gateway_split_Task_b")
    + node("task", "Task_a")
    + node("task", "Task_b")
    + node("inclusiveGateway", "Gateway_join")
    + node("endEvent", "EndEvent_1")
    + flow("StartEvent_1", "Task_user")
    + flow("Task_user", "Gateway_split")
    + flow("Gateway_split", "Task_a", "ok == True")
    + flow("Gateway_split", "Task_b")
    + flow("Task_a", "Gateway_join")
    + flow("Task_b", "Gateway_join")
    + flow("Gateway_join", "EndEvent_1")
)
EMBEDDED = line(USER, ("subProcess", "Sub_1", line(("task", "Task_inner", "")).replace("_1", "_s")))


@pytest.mark.parametrize("case", sorted(RUNS))
def test_each_element_polku_runs_runs_to_an_end(services: Services, case: str) -> None:
    done = run(services, RUNS[case], RUN_DEFS.get(case, ""))
    assert done


def test_a_plain_or_manual_task_is_a_worklist_item_of_its_lane(services: Services) -> None:
    done = run(services, line(("task", "Task_plain", ""), ("manualTask", "Task_manual", "")))
    assert done == ["Task_plain", "Task_manual"]


RECEIVE_OR_TIMEOUT = (
    line(USER, ("receiveTask", "Task_receive", "")).replace(
        'name="Task_receive step"', 'name="Task_receive step" messageRef="Message_answer"'
    )
    + node("boundaryEvent", "Event_timeout", TIMER, attachedToRef="Task_receive")
    + node("endEvent", "End_timeout")
    + flow("Event_timeout", "End_timeout")
)


def test_an_event_based_gateway_is_refused_naming_what_runs_instead() -> None:
    model, problems = load(EVENT_GATEWAY, MESSAGE_DEF)
    assert model is None
    [refusal] = [p for p in problems if p.code == "event_gateway_refused"]
    assert refusal.element == "Gateway_events" and "receive task" in refusal.message


@pytest.mark.parametrize(("prefer", "end"), [("timer", "timer:"), ("message", "message:")])
def test_a_receive_task_with_a_timer_boundary_takes_the_first_event(
    services: Services, prefer: str, end: str
) -> None:
    """What the event-based gateway's refusal suggests instead: the message or the timeout."""
    done = run(services, RECEIVE_OR_TIMEOUT, MESSAGE_DEF, prefer=prefer)
    assert done[0] == "Task_user" and done[1].startswith(end) and len(done) == 2, done


def test_a_timer_boundary_event_interrupts_its_task(services: Services) -> None:
    done = run(services, BOUNDARY_TIMER, prefer="timer")
    assert done == ["timer:Event_late"], done


def test_a_non_interrupting_timer_and_a_message_boundary_event_run(services: Services) -> None:
    reminder = (
        line(USER)
        + node("boundaryEvent", "Event_remind", TIMER, attachedToRef="Task_user",
               cancelActivity="false")
        + node("task", "Task_reminded")
        + node("endEvent", "End_reminded")
        + flow("Event_remind", "Task_reminded")
        + flow("Task_reminded", "End_reminded")
    )  # fmt: skip
    done = run(services, reminder, prefer="timer")
    assert done[0] == "timer:Event_remind" and set(done[1:]) == {"Task_user", "Task_reminded"}
    answered = (
        line(USER)
        + node("boundaryEvent", "Event_answer", MESSAGE_CATCH, attachedToRef="Task_user")
        + node("endEvent", "End_answer")
        + flow("Event_answer", "End_answer")
    )
    assert run(services, answered, MESSAGE_DEF, prefer="message") == ["message:answer"]


def test_inclusive_gateways_and_embedded_subprocesses_run(services: Services) -> None:
    assert run(services, INCLUSIVE)[0] == "Task_user"
    assert run(services, EMBEDDED) == ["Task_user", "Task_inner"]


SIGNAL_DEFS = '<bpmn:signal id="Signal_1" name="go" /><bpmn:error id="Error_1" errorCode="E1" />'
REFUSED = {
    "service task": (line(("serviceTask", "Task_service", "")), "service_task_refused"),
    "send task": (line(("sendTask", "Task_send", "")), "send_task_refused"),
    "script task": (
        line(("scriptTask", "Task_script", "<bpmn:script>a = 1</bpmn:script>")),
        "script_task_refused",
    ),
    "transaction": (line(("transaction", "Tx_1", "")), "transaction_refused"),
    "ad hoc subprocess": (line(("adHocSubProcess", "Adhoc_1", "")), "ad_hoc_subprocess_refused"),
    "complex gateway": (line(("complexGateway", "Gateway_c", "")), "complex_gateway_refused"),
    "multi-instance task": (
        line(
            (
                "userTask",
                "Task_each",
                FORM_PROPS + "<bpmn:multiInstanceLoopCharacteristics><bpmn:loopCardinality>3"
                "</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics>",
            )
        ),
        "loop_refused",
    ),
    "loop task": (
        line(("userTask", "Task_loop", FORM_PROPS + "<bpmn:standardLoopCharacteristics />")),
        "loop_refused",
    ),
    "signal catch": (
        line(
            USER,
            (
                "intermediateCatchEvent",
                "Event_signal",
                '<bpmn:signalEventDefinition id="S1" signalRef="Signal_1" />',
            ),
        ),
        "catch_event_trigger_refused",
    ),
    "signal throw": (
        line(
            USER,
            (
                "intermediateThrowEvent",
                "Event_signal",
                '<bpmn:signalEventDefinition id="S1" signalRef="Signal_1" />',
            ),
        ),
        "throw_event_trigger_refused",
    ),
    "escalation throw": (
        line(USER, ("intermediateThrowEvent", "Event_up", "<bpmn:escalationEventDefinition />")),
        "throw_event_trigger_refused",
    ),
    "link throw": (
        line(
            USER, ("intermediateThrowEvent", "Event_link", '<bpmn:linkEventDefinition name="a"/>')
        ),
        "throw_event_trigger_refused",
    ),
    "message throw": (
        line(USER, ("intermediateThrowEvent", "Event_m", "<bpmn:messageEventDefinition />")),
        "throw_event_trigger_refused",
    ),
    "error end event": (
        line(USER).replace(
            '<bpmn:endEvent id="EndEvent_1" name="EndEvent_1 step"></bpmn:endEvent>',
            '<bpmn:endEvent id="EndEvent_1"><bpmn:errorEventDefinition errorRef="Error_1" />'
            "</bpmn:endEvent>",
        ),
        "end_event_trigger_refused",
    ),
    "error boundary event": (
        line(USER)
        + node(
            "boundaryEvent", "Event_err", "<bpmn:errorEventDefinition />", attachedToRef="Task_user"
        )
        + node("endEvent", "End_err")
        + flow("Event_err", "End_err"),
        "boundary_event_trigger_refused",
    ),
    "message start event": (
        line(USER).replace(
            '<bpmn:startEvent id="StartEvent_1" name="StartEvent_1 step"></bpmn:startEvent>',
            '<bpmn:startEvent id="StartEvent_1">' + MESSAGE_CATCH + "</bpmn:startEvent>",
        ),
        "start_event_trigger_refused",
    ),
    "event subprocess": (
        line(USER)
        + '<bpmn:subProcess id="Sub_event" triggeredByEvent="true">'
        + line(("task", "Task_inner", ""))
        .replace("_1", "_e")
        .replace(
            '<bpmn:startEvent id="StartEvent_e" name="StartEvent_e step">',
            '<bpmn:startEvent id="StartEvent_e">' + TIMER,
        )
        + "</bpmn:subProcess>",
        "event_subprocess_refused",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_each_element_polku_does_not_run_is_refused_by_name(case: str) -> None:
    body, code = REFUSED[case]
    model, problems = load(body, SIGNAL_DEFS + MESSAGE_DEF)
    assert model is None
    found = [p for p in problems if p.code == code]
    assert found, problems
    for problem in found:
        assert problem.element and f"({problem.element})" in problem.message, problem
        assert "\n" not in problem.message and " at 0x" not in problem.message


def test_all_problems_are_reported_at_once_not_only_the_librarys_first() -> None:
    body = line(
        ("serviceTask", "Task_service", ""),
        ("callActivity", "Task_call", ""),
        ("userTask", "Task_user", FORM_PROPS),
        ("task", "Task_nolane", ""),
    ).replace('name="Task_call step"', 'name="Task_call step" calledElement="nowhere"')
    body = body.replace("<bpmn:flowNodeRef>Task_nolane</bpmn:flowNodeRef>", "")
    files = {"m.bpmn": bpmn(body).replace(
        b"<bpmn:flowNodeRef>Task_nolane</bpmn:flowNodeRef>", b""
    ), "forms/form.json": FORM}  # fmt: skip
    model, problems = load_model(ModelSource("elements", files), WorkflowEngine(PROCESSES).roles)
    assert model is None
    by_element = {(p.element, p.code) for p in problems}
    assert ("Task_service", "service_task_refused") in by_element, problems
    assert ("Task_call", "bpmn_element_invalid") in by_element, problems
    assert ("Task_user", "form_missing") in by_element, problems  # Polku's own checks ran too
    assert ("Task_nolane", "user_task_no_lane") in by_element, problems
    for problem in problems:
        assert "\n" not in problem.message and " at 0x" not in problem.message, problem


def test_library_messages_are_cleaned() -> None:
    detail = "Cannot resolve dataOutputAssociation <Element {http://x}targetRef at 0x7f12ab>\nmore"
    assert element_checks.clean(detail) == "Cannot resolve dataOutputAssociation targetRef more"
    assert len(element_checks.clean("x" * 1000)) == element_checks.MAX_DETAIL


def test_a_data_store_does_not_cut_a_message_short() -> None:
    model, problems = load(RUNS["data store with a line break in its name"], RUN_DEFS[
        "data store with a line break in its name"
    ])  # fmt: skip
    assert model is not None, problems


# -- a refused upload to a model key that does not exist yet ----------------------------------

SERVICE_MODEL = bpmn(line(("serviceTask", "Task_service", ""), USER))


def test_a_refused_upload_to_a_new_key_lists_its_problems(app: Flask) -> None:  # noqa: F811
    ctx = app.extensions["polku"]
    users.create_user(ctx.uow(), ctx.engine.roles, username="dora", display_name="Dora",
                      password=PASSWORD, roles=["process_designer"])  # fmt: skip
    api = Api(app.test_client())
    answer = api.post(
        "/processes/brand-new/versions", "dora", data=SERVICE_MODEL, content_type="application/xml"
    )
    assert answer.status_code == 400, answer.get_data(as_text=True)
    assert any(p["element"] == "Task_service" for p in answer.json["problems"]), answer.json
    page = app.test_client()
    page.post("/login", data={"username": "dora", "password": PASSWORD})
    shown = page.post(
        "/designer/brand-new-page/upload",
        data={"bpmn_file": (BytesIO(SERVICE_MODEL), "new.bpmn")},
        content_type="multipart/form-data",
    )
    assert shown.status_code == 400, shown.get_data(as_text=True)
    assert "Task_service" in shown.get_data(as_text=True)
    assert page.get("/designer/brand-new-page").status_code == 404  # still no such model


def test_a_plain_task_is_worked_on_its_page_with_an_empty_form(app: Flask) -> None:  # noqa: F811
    ctx = app.extensions["polku"]
    users.create_user(ctx.uow(), ctx.engine.roles, username="dora", display_name="Dora",
                      password=PASSWORD, roles=["process_designer"])  # fmt: skip
    api = Api(app.test_client())
    model = bpmn(line(("manualTask", "Task_manual", "")))
    deployed = api.post("/processes/plain/versions", "dora", data=model,
                        content_type="application/xml")  # fmt: skip
    assert deployed.status_code == 201, deployed.json
    client = api.post("/clients", "kaisa", json={"full_name": "Maija"})
    started = api.post("/instances", "kaisa", json={
        "client": client.json["id"], "process": "plain", "organisation": "hva-pohjois-savo",
    })  # fmt: skip
    assert started.status_code == 201, started.json
    task_id = api.task_of("lauri", started.json["id"], "Task_manual")
    page = app.test_client()
    page.post("/login", data={"username": "lauri", "password": PASSWORD})
    assert page.get(f"/tasks/{task_id}").status_code == 200
    done = page.post(f"/tasks/{task_id}", data={})
    assert done.status_code == 302, done.get_data(as_text=True)
    path = api.get(f"/instances/{started.json['id']}", "kaisa").json
    assert path["status"] == "completed", path
