"""Every model under processes/ loads; broken models are refused naming file, element, problem."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from engine.workflow.engine import WorkflowEngine
from engine.workflow.loader import load_model
from engine.workflow.model import ModelSource, Problem
from tests.conftest import PROCESSES, ROOT

FORM = b'{"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}'


def bpmn(body: str, lane: str = "L\u00e4\u00e4k\u00e4ri", extra_defs: str = "") -> bytes:
    """A one-lane process around `body`."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
  id="Defs" targetNamespace="http://polku.test">
  {extra_defs}
  <bpmn:process id="broken" isExecutable="true">
    <bpmn:laneSet id="LaneSet"><bpmn:lane id="Lane_1" name="{lane}">
      <bpmn:flowNodeRef>StartEvent</bpmn:flowNodeRef><bpmn:flowNodeRef>Task</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>Gateway</bpmn:flowNodeRef><bpmn:flowNodeRef>EndEvent</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>End2</bpmn:flowNodeRef><bpmn:flowNodeRef>Wait</bpmn:flowNodeRef>
    </bpmn:lane></bpmn:laneSet>
    {body}
  </bpmn:process>
</bpmn:definitions>""".encode()


def user_task(
    properties: str = '<spiffworkflow:property name="formJsonSchemaFilename" '
    'value="forms/f.json" /><spiffworkflow:property name="phase" value="encounter" />',
) -> str:
    return f"""<bpmn:startEvent id="StartEvent"><bpmn:outgoing>F1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="F1" sourceRef="StartEvent" targetRef="Task" />
    <bpmn:userTask id="Task" name="Arvio"><bpmn:extensionElements><spiffworkflow:properties>
      {properties}</spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>F1</bpmn:incoming><bpmn:outgoing>F2</bpmn:outgoing></bpmn:userTask>"""


def gateway(condition: str) -> str:
    return f"""<bpmn:sequenceFlow id="F2" sourceRef="Task" targetRef="Gateway" />
    <bpmn:exclusiveGateway id="Gateway" default="F4"><bpmn:incoming>F2</bpmn:incoming>
      <bpmn:outgoing>F3</bpmn:outgoing><bpmn:outgoing>F4</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="F3" sourceRef="Gateway" targetRef="EndEvent">
      <bpmn:conditionExpression>{condition}</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="F4" sourceRef="Gateway" targetRef="End2" />
    <bpmn:endEvent id="EndEvent"><bpmn:incoming>F3</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="End2"><bpmn:incoming>F4</bpmn:incoming></bpmn:endEvent>"""


VALID = user_task() + gateway("ok == True")


def problems_of(files: dict[str, bytes], roles_engine: WorkflowEngine) -> list[Problem]:
    model, problems = load_model(ModelSource("broken", files), roles_engine.roles)
    assert model is None
    return problems


@pytest.mark.parametrize(
    "directory", sorted(p.name for p in PROCESSES.iterdir() if p.is_dir() and p.name != "common")
)
def test_every_model_in_processes_loads_without_errors(
    directory: str, workflow_engine: WorkflowEngine
) -> None:
    source = workflow_engine.source(directory)
    assert source is not None
    model, problems = load_model(source, workflow_engine.roles)
    assert [p for p in problems if p.severity == "error"] == []
    assert model is not None and model.user_tasks
    for task in model.user_tasks.values():
        assert task.form is not None and task.role is not None and task.phase is not None


def test_the_small_valid_model_loads(workflow_engine: WorkflowEngine) -> None:
    model, problems = load_model(
        ModelSource("ok", {"m.bpmn": bpmn(VALID), "forms/f.json": FORM}), workflow_engine.roles
    )
    assert problems == [] and model is not None


@pytest.mark.parametrize(
    ("files", "element", "problem"),
    [
        (
            {"m.bpmn": bpmn(VALID, lane="Astronautti"), "forms/f.json": FORM},
            "Task",
            "lane 'Astronautti' does not name a known role",
        ),
        (
            {
                "m.bpmn": bpmn(
                    user_task('<spiffworkflow:property name="phase" value="encounter" />')
                    + gateway("ok")
                )
            },
            "Task",
            "has no form",
        ),
        ({"m.bpmn": bpmn(VALID)}, "Task", "form 'forms/f.json' does not exist"),
        (
            {"m.bpmn": bpmn(VALID), "forms/f.json": b'{"type": "object", "required": 5}'},
            "Task",
            "not a valid JSON Schema",
        ),
        ({"m.bpmn": bpmn(VALID), "forms/f.json": b"{not json"}, "Task", "not a valid JSON Schema"),
        (
            {
                "m.bpmn": bpmn(user_task() + gateway("__import__('os').system('touch /tmp/x')")),
                "forms/f.json": FORM,
            },
            "Gateway",
            "function calls are not allowed",
        ),
        (
            {"m.bpmn": bpmn(user_task() + gateway("ok ==")), "forms/f.json": FORM},
            "Gateway",
            "syntax error",
        ),
        (
            {
                "m.bpmn": bpmn(VALID.replace('value="encounter"', 'value="lunch"')),
                "forms/f.json": FORM,
            },
            "Task",
            "phase 'lunch'",
        ),
    ],
)
def test_broken_models_name_file_element_and_problem(
    files: dict[str, bytes], element: str, problem: str, workflow_engine: WorkflowEngine
) -> None:
    found = problems_of(files, workflow_engine)
    assert any(
        p.file == "m.bpmn" and p.element == element and problem in p.message for p in found
    ), found


def test_a_timer_that_does_not_parse_names_the_event(workflow_engine: WorkflowEngine) -> None:
    body = VALID.replace(
        '<bpmn:sequenceFlow id="F2" sourceRef="Task" targetRef="Gateway" />',
        """
      <bpmn:sequenceFlow id="F2" sourceRef="Task" targetRef="Wait" />
      <bpmn:intermediateCatchEvent id="Wait"><bpmn:incoming>F2</bpmn:incoming>
        <bpmn:outgoing>F5</bpmn:outgoing><bpmn:timerEventDefinition>
        <bpmn:timeDuration xsi:type="bpmn:tFormalExpression">in two weeks</bpmn:timeDuration>
        </bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
      <bpmn:sequenceFlow id="F5" sourceRef="Wait" targetRef="Gateway" />""",
    ).replace(
        "<bpmn:incoming>F2</bpmn:incoming>\n      <bpmn:outgoing>F3",
        "<bpmn:incoming>F5</bpmn:incoming>\n      <bpmn:outgoing>F3",
    )
    found = problems_of({"m.bpmn": bpmn(body), "forms/f.json": FORM}, workflow_engine)
    assert any(p.element == "Wait" and "not valid ISO 8601" in p.message for p in found), found


def test_a_script_task_is_refused(workflow_engine: WorkflowEngine) -> None:
    body = VALID.replace(
        '<bpmn:userTask id="Task" name="Arvio">', '<bpmn:scriptTask id="Task">'
    ).replace("</bpmn:userTask>", "<bpmn:script>import os</bpmn:script></bpmn:scriptTask>")
    found = problems_of({"m.bpmn": bpmn(body), "forms/f.json": FORM}, workflow_engine)
    assert any(
        p.element == "Task" and "script tasks are not allowed" in p.message for p in found
    ), found


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (
            b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><d>&x;</d>',
            "DOCTYPE and entity declarations are not allowed",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa">'
            b'<!ENTITY b "&a;&a;&a;">]><l>&b;</l>',
            "DOCTYPE and entity declarations are not allowed",
        ),
        (b"this is not xml", "not well-formed XML"),
        (b"<bpmn:definitions", "not well-formed XML"),
        (b'<?xml version="1.0"?><notbpmn/>', "notbpmn"),
    ],
)
def test_unsafe_or_non_bpmn_files_are_refused(
    content: bytes, problem: str, workflow_engine: WorkflowEngine
) -> None:
    found = problems_of({"m.bpmn": content}, workflow_engine)
    assert any(p.file == "m.bpmn" and problem in p.message for p in found), found


def test_check_command_reports_and_fails_on_a_broken_model(tmp_path: Path) -> None:
    (tmp_path / "roles.json").write_bytes((PROCESSES / "roles.json").read_bytes())
    broken = tmp_path / "broken"
    (broken / "forms").mkdir(parents=True)
    (broken / "m.bpmn").write_bytes(bpmn(VALID, lane="Astronautti"))
    (broken / "forms" / "f.json").write_bytes(FORM)
    result = subprocess.run(
        [sys.executable, "-m", "web.cli", "check", "--processes", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 1
    assert "broken/m.bpmn [Task]: lane 'Astronautti' does not name a known role" in result.stderr
    ok = subprocess.run(
        [sys.executable, "-m", "web.cli", "check"], capture_output=True, text=True, cwd=ROOT
    )
    assert ok.returncode == 0, ok.stderr
    assert "0 error(s)" in ok.stdout


def test_element_ids_the_engine_reserves_are_refused(workflow_engine: WorkflowEngine) -> None:
    body = VALID.replace('"StartEvent"', '"Start"').replace(">StartEvent<", ">Start<")
    found = problems_of({"m.bpmn": bpmn(body), "forms/f.json": FORM}, workflow_engine)
    assert any(p.element == "Start" and "reserved" in p.message for p in found), found


def test_an_element_no_path_reaches_is_an_error(workflow_engine: WorkflowEngine) -> None:
    body = VALID + """<bpmn:userTask id="Orphan" name="Orpo" />"""
    found = problems_of({"m.bpmn": bpmn(body), "forms/f.json": FORM}, workflow_engine)
    assert any(p.element == "Orphan" and "cannot be reached" in p.message for p in found), found


def test_a_dead_end_is_an_error(workflow_engine: WorkflowEngine) -> None:
    body = VALID.replace('targetRef="End2" />', 'targetRef="Stuck" />') + (
        '<bpmn:userTask id="Stuck" name="Umpikuja" />'
    )
    found = problems_of({"m.bpmn": bpmn(body), "forms/f.json": FORM}, workflow_engine)
    assert any(p.element == "Stuck" and "cannot reach an end event" in p.message for p in found), (
        found
    )


def test_a_gateway_with_neither_conditions_nor_default_is_an_error(
    workflow_engine: WorkflowEngine,
) -> None:
    body = VALID.replace(' default="F4"', "").replace(
        "<bpmn:conditionExpression>ok == True</bpmn:conditionExpression>", ""
    )
    found = problems_of({"m.bpmn": bpmn(body), "forms/f.json": FORM}, workflow_engine)
    # SpiffWorkflow's own parser already names the flow that lacks a condition.
    assert any(p.element in ("Gateway", "F3") and "condition" in p.message for p in found), found


def test_a_call_to_a_missing_subprocess_is_an_error(workflow_engine: WorkflowEngine) -> None:
    body = VALID.replace(
        '<bpmn:userTask id="Task" name="Arvio">',
        '<bpmn:callActivity id="Task" name="Arvio" calledElement="nowhere">',
    ).replace("</bpmn:userTask>", "</bpmn:callActivity>")
    found = problems_of({"m.bpmn": bpmn(body), "forms/f.json": FORM}, workflow_engine)
    assert any("nowhere" in p.message for p in found), found


def test_a_task_without_a_phase_is_a_warning_only(workflow_engine: WorkflowEngine) -> None:
    body = VALID.replace('<spiffworkflow:property name="phase" value="encounter" />', "")
    model, problems = load_model(
        ModelSource("ok", {"m.bpmn": bpmn(body), "forms/f.json": FORM}), workflow_engine.roles
    )
    assert model is not None
    assert [(p.severity, p.element) for p in problems] == [("warning", "Task")]
