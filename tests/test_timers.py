"""Timers as modellers write them — durations, dates and cycles — fire by Polku's clock and
survive a save/restore round trip."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from engine.workflow import runtime
from engine.workflow.engine import WorkflowEngine
from engine.workflow.loader import load_model
from engine.workflow.model import ModelSource, ParsedModel

FORM = b'{"type": "object", "properties": {}}'
PROPS = (
    "<bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property "
    'name="formJsonSchemaFilename" value="f.json" /><spiffworkflow:property name="phase" '
    'value="follow_up" /></spiffworkflow:properties></bpmn:extensionElements>'
)


def model_with(timers: str, engine: WorkflowEngine) -> ParsedModel:
    """Start → user task 'Review' (with boundary timers) → date timer 'Until' → End."""
    xml = f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="D" targetNamespace="t">
  <bpmn:process id="timers" isExecutable="true">
    <bpmn:laneSet id="LS"><bpmn:lane id="L" name="Asiakasvastaava">
      <bpmn:flowNodeRef>Review</bpmn:flowNodeRef><bpmn:flowNodeRef>Remind</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="S"><bpmn:outgoing>F1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="F1" sourceRef="S" targetRef="Review" />
    <bpmn:userTask id="Review" name="Review">{PROPS}<bpmn:incoming>F1</bpmn:incoming>
      <bpmn:outgoing>F2</bpmn:outgoing></bpmn:userTask>
    <bpmn:boundaryEvent id="Every" name="Every hour" cancelActivity="false" attachedToRef="Review">
      <bpmn:outgoing>F3</bpmn:outgoing>
      <bpmn:timerEventDefinition>
        <bpmn:timeCycle xsi:type="bpmn:tFormalExpression">{timers}</bpmn:timeCycle>
      </bpmn:timerEventDefinition></bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="F3" sourceRef="Every" targetRef="Remind" />
    <bpmn:userTask id="Remind" name="Remind">{PROPS}<bpmn:incoming>F3</bpmn:incoming>
      <bpmn:outgoing>F4</bpmn:outgoing></bpmn:userTask>
    <bpmn:sequenceFlow id="F4" sourceRef="Remind" targetRef="E2" />
    <bpmn:endEvent id="E2"><bpmn:incoming>F4</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="F2" sourceRef="Review" targetRef="Until" />
    <bpmn:intermediateCatchEvent id="Until" name="Until"><bpmn:incoming>F2</bpmn:incoming>
      <bpmn:outgoing>F5</bpmn:outgoing><bpmn:timerEventDefinition>
      <bpmn:timeDate xsi:type="bpmn:tFormalExpression">2030-06-01T09:00:00+03:00</bpmn:timeDate>
      </bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="F5" sourceRef="Until" targetRef="E1" />
    <bpmn:endEvent id="E1"><bpmn:incoming>F5</bpmn:incoming></bpmn:endEvent>
  </bpmn:process>
</bpmn:definitions>""".encode()
    model, problems = load_model(
        ModelSource("timers", {"m.bpmn": xml, "f.json": FORM}), engine.roles
    )
    assert model is not None, problems
    return model


def ready(workflow: object) -> list[str]:
    return sorted(t.task_spec.bpmn_id for t in runtime.ready_user_tasks(workflow))  # type: ignore[arg-type]


def test_a_cycle_fires_each_round_then_stops(workflow_engine: WorkflowEngine) -> None:
    model = model_with("R2/PT1H", workflow_engine)
    serializer = workflow_engine.serializer
    workflow = serializer.new_workflow(model)
    runtime.start(workflow)
    [timer] = runtime.waiting_timers(workflow)
    assert timer.cycle and timer.bpmn_id == "Every"
    assert timedelta(minutes=59) < timer.due_at - datetime.now(UTC) <= timedelta(hours=1)
    first_due = timer.due_at

    runtime.fire_timer(workflow, timer.task_id, first_due)
    assert ready(workflow) == ["Remind", "Review"]
    # Saved and restored between rounds, as every command does.
    workflow = serializer.loads(serializer.dumps(workflow), model)
    [timer] = runtime.waiting_timers(workflow)
    assert timer.due_at == first_due + timedelta(hours=1)  # the next round, by the schedule

    runtime.fire_timer(workflow, timer.task_id, timer.due_at)
    assert ready(workflow) == ["Remind", "Remind", "Review"]
    assert runtime.waiting_timers(workflow) == []  # R2: two rounds only


def test_a_date_timer_waits_for_its_date(workflow_engine: WorkflowEngine) -> None:
    model = model_with("R1/PT1H", workflow_engine)
    workflow = workflow_engine.serializer.new_workflow(model)
    runtime.start(workflow)
    review = next(t for t in runtime.ready_user_tasks(workflow) if t.task_spec.bpmn_id == "Review")
    runtime.complete_user_task(workflow, str(review.id), {})
    [timer] = runtime.waiting_timers(workflow)
    assert timer.bpmn_id == "Until"
    assert timer.due_at == datetime(2030, 6, 1, 6, 0, tzinfo=UTC)
    runtime.fire_timer(workflow, timer.task_id, timer.due_at)
    assert workflow.is_completed()


def test_the_spec_is_not_stored_with_the_instance(workflow_engine: WorkflowEngine) -> None:
    model = model_with("R2/PT1H", workflow_engine)
    workflow = workflow_engine.serializer.new_workflow(model)
    runtime.start(workflow)
    text = workflow_engine.serializer.dumps(workflow)
    assert '"spec"' not in text and "task_specs" not in text
    restored = workflow_engine.serializer.loads(text, model)
    assert restored.spec is model.spec
