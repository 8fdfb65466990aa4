"""DMN decision tables (issue 15 §3): cells in Polku's expression language, validation findings
naming table, rule and column, and Kainuu's shipped table routing real paths."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from SpiffWorkflow.util.task import TaskState

from engine.persistence.tables import ProcessInstance
from engine.services import instances
from engine.workflow import dmn_cells, expressions
from engine.workflow.decision_tables import read_file
from engine.workflow.engine import WorkflowEngine
from engine.workflow.loader import load_model
from engine.workflow.model import ModelSource, Problem
from tests.conftest import Services
from tests.test_model_validation import bpmn

WALKS = Path(__file__).parent / "walks"
DMN_NS = "https://www.omg.org/spec/DMN/20191111/MODEL/"
FORM = json.dumps(
    {
        "type": "object",
        "properties": {
            "need": {"type": "string", "enum": ["a", "b", "c"]},
            "score": {"type": "integer"},
        },
    }
).encode()


def dmn(
    rules: list[tuple[list[str], list[str]]],
    inputs: tuple[str, ...] = ("need", "score"),
    outputs: tuple[str, ...] = ("track",),
    hit_policy: str = "UNIQUE",
    decision_id: str = "Decision_track",
) -> bytes:
    cols = "".join(
        f'<input id="In{i}" label="{e}"><inputExpression typeRef="string"><text>{e}</text>'
        "</inputExpression></input>"
        for i, e in enumerate(inputs)
    )
    cols += "".join(f'<output id="Out{i}" label="{o}" name="{o}" />' for i, o in enumerate(outputs))
    body = "".join(
        f'<rule id="R{n}">'
        + "".join(f"<inputEntry><text>{_esc(c)}</text></inputEntry>" for c in ins)
        + "".join(f"<outputEntry><text>{_esc(c)}</text></outputEntry>" for c in outs)
        + "</rule>"
        for n, (ins, outs) in enumerate(rules, 1)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><definitions xmlns="{DMN_NS}" id="D" '
        f'name="d" namespace="http://polku.test"><decision id="{decision_id}" name="Raide">'
        f'<decisionTable id="T" hitPolicy="{hit_policy}">{cols}{body}</decisionTable>'
        "</decision></definitions>"
    ).encode()


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


RULES = [
    (['"a"', ">= 3"], ['"x"']),
    (['"a"', "< 3"], ['"y"']),
    (['"b", "c"', "-"], ['"z"']),
]


def model_bpmn(decision: str = "Decision_track") -> bytes:
    reference = (
        f"<bpmn:extensionElements><spiffworkflow:calledDecisionId>{decision}"
        "</spiffworkflow:calledDecisionId></bpmn:extensionElements>"
        if decision
        else ""
    )
    start = '<bpmn:startEvent id="StartEvent"><bpmn:outgoing>F1</bpmn:outgoing></bpmn:startEvent>'
    return bpmn(f"""{start}
    <bpmn:sequenceFlow id="F1" sourceRef="StartEvent" targetRef="Task" />
    <bpmn:userTask id="Task" name="Arvio"><bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="formJsonSchemaFilename" value="forms/f.json" />
      <spiffworkflow:property name="phase" value="encounter" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>F1</bpmn:incoming><bpmn:outgoing>F2</bpmn:outgoing></bpmn:userTask>
    <bpmn:sequenceFlow id="F2" sourceRef="Task" targetRef="Rule" />
    <bpmn:businessRuleTask id="Rule" name="Raide">{reference}
      <bpmn:incoming>F2</bpmn:incoming><bpmn:outgoing>F5</bpmn:outgoing></bpmn:businessRuleTask>
    <bpmn:sequenceFlow id="F5" sourceRef="Rule" targetRef="Gateway" />
    <bpmn:exclusiveGateway id="Gateway" default="F4"><bpmn:incoming>F5</bpmn:incoming>
      <bpmn:outgoing>F3</bpmn:outgoing><bpmn:outgoing>F4</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:sequenceFlow id="F3" sourceRef="Gateway" targetRef="EndEvent">
      <bpmn:conditionExpression>track == "x"</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="F4" sourceRef="Gateway" targetRef="End2" />
    <bpmn:endEvent id="EndEvent"><bpmn:incoming>F3</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="End2"><bpmn:incoming>F4</bpmn:incoming></bpmn:endEvent>""")


def files(table: bytes | None = None, decision: str = "Decision_track") -> dict[str, bytes]:
    return {
        "m.bpmn": model_bpmn(decision),
        "forms/f.json": FORM,
        "decisions/track.dmn": dmn(RULES) if table is None else table,
    }


def load(found: dict[str, bytes], engine: WorkflowEngine) -> tuple[Any, list[Problem]]:
    return load_model(ModelSource("dmn", found), engine.roles)


def errors(found: dict[str, bytes], engine: WorkflowEngine) -> list[Problem]:
    model, problems = load(found, engine)
    assert model is None
    return [p for p in problems if p.severity == "error"]


# ---------------------------------------------------------------- cells


@pytest.mark.parametrize(
    ("cell", "value", "expected"),
    [
        ("-", "anything", True),
        ("", None, True),
        ('"a"', "a", True),
        ("'a'", "b", False),
        ('"a", "b"', "b", True),
        ('not("a", "b")', "c", True),
        ('not("a")', "a", False),
        ("3", 3, True),
        (">= 3", 3, True),
        ("> 3", 3, False),
        ("< 3, > 10", 11, True),
        ("!= 2", 3, True),
        ("[1..5]", 5, True),
        ("[1..5)", 5, False),
        ("]1..5]", 1, False),
        ("(1..5)", 2.5, True),
        ("true", True, True),
        ("false", True, False),
        ("null", None, True),
        (">= limit + 1", 4, True),
        ("< 3", None, False),
        ("[1..5]", None, False),
    ],
)
def test_input_entries(cell: str, value: Any, expected: bool) -> None:
    assert dmn_cells.parse_input_entry(cell).matches(value, {"limit": 3}) is expected


@pytest.mark.parametrize(
    "cell",
    ["__import__('os')", "open('x')", "a.b", "x == 1", '"a" and "b"', '"unclosed', "not()", "a,,b"],
)
def test_cells_outside_the_language_are_refused(cell: str) -> None:
    with pytest.raises(expressions.ExpressionError):
        dmn_cells.parse_input_entry(cell)


def test_hit_policies() -> None:
    first, _ = read_file(
        "t.dmn", dmn([(['"a"', "-"], ['"x"']), (["-", "-"], ['"y"'])], hit_policy="FIRST")
    )
    assert first[0].evaluate({"need": "a", "score": 1}) == {"track": "x"}
    assert first[0].evaluate({"need": "b", "score": 1}) == {"track": "y"}
    unique, _ = read_file("t.dmn", dmn([(['"a"', "-"], ['"x"']), (["-", "> 2"], ['"y"'])]))
    assert unique[0].evaluate({"need": "a", "score": 1}) == {"track": "x"}
    assert unique[0].evaluate({"need": "c", "score": 1}) == {"track": None}  # no rule: null
    with pytest.raises(expressions.ExpressionError, match="rules 1, 2 all match"):
        unique[0].evaluate({"need": "a", "score": 3})
    # an output entry is an expression over the data; an unfilled input is null
    computed, _ = read_file("t.dmn", dmn([(["-", "-"], ["score * 2"])]))
    assert computed[0].evaluate({"score": 4}) == {"track": 8}
    assert unique[0].evaluate({"need": "a"}) == {"track": "x"}


# ---------------------------------------------------------------- validation


def test_a_model_with_a_table_loads(workflow_engine: WorkflowEngine) -> None:
    model, problems = load(files(), workflow_engine)
    assert [p for p in problems if p.severity == "error"] == []
    assert model is not None


@pytest.mark.parametrize(
    ("table", "decision", "code", "element", "needle"),
    [
        (None, "Decision_other", "dmn_decision_unknown", "Rule", "'Decision_other'"),
        (None, "", "dmn_task_no_decision", "Rule", "names no decision"),
        (dmn([(['"a"'], ['"x"'])], inputs=("nope",)), "Decision_track", "dmn_input_field_unknown",
         "Decision_track", "input 'nope'"),
        (dmn([(['"a"', "open(1)"], ['"x"'])]), "Decision_track", "dmn_cell_invalid",
         "Decision_track", "rule 1, input 'score'"),
        (dmn([(['"a"', "-"], [""])]), "Decision_track", "dmn_output_missing", "Decision_track",
         "rule 1, output 'track'"),
        (dmn([(['"a"', "-"], ["x.y"])]), "Decision_track", "dmn_output_invalid",
         "Decision_track", "rule 1, output 'track'"),
        (dmn([(['"a"', "-"], [])], outputs=()), "Decision_track", "dmn_no_output",
         "Decision_track", "no output column"),
        (dmn([(['"a"', "-"], ['"x"'])], outputs=("not a name",)), "Decision_track",
         "dmn_output_name", "Decision_track", "output 'not a name'"),
        (dmn([(['"a"', "-"], ['"x"'])], hit_policy="COLLECT"), "Decision_track",
         "dmn_hit_policy", "Decision_track", "'COLLECT'"),
        (dmn([(['"a"'], ['"x"'])]), "Decision_track", "dmn_rule_cells", "Decision_track",
         "rule 1: it has 1 input"),
        (dmn([(['"q"', "-"], ['"x"'])]), "Decision_track", "dmn_cell_not_choice",
         "Decision_track", "'q' is not one of"),
        (dmn([(['"a"', "-"], ['"x"']), (['"a"', "-"], ['"y"'])]), "Decision_track",
         "dmn_rules_same", "Decision_track", "rules 1 and 2"),
        (dmn([(['"a"', "> level"], ['"x"'])]), "Decision_track", "dmn_field_unknown",
         "Decision_track", "rule 1, column 'score'"),
        (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "e">]><definitions/>', "Decision_track",
         "xml_doctype", None, "DOCTYPE"),
        (b"<definitions><decision/></definitions>", "Decision_track", "dmn_not_dmn", None,
         "not a DMN"),
    ],
)  # fmt: skip
def test_findings_name_table_rule_and_column(
    workflow_engine: WorkflowEngine,
    table: bytes | None,
    decision: str,
    code: str,
    element: str | None,
    needle: str,
) -> None:
    found = [p for p in errors(files(table, decision), workflow_engine) if p.code == code]
    assert found, errors(files(table, decision), workflow_engine)
    assert found[0].element == element
    assert needle in found[0].message
    if code.startswith("dmn_") and element == "Decision_track":
        assert "'Raide'" in found[0].message  # the table, by its name
        assert found[0].file == "decisions/track.dmn"


def test_a_table_never_runs_python(workflow_engine: WorkflowEngine, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    table = dmn([([f"\"a\", __import__('os').system('touch {marker}')", "-"], ['"x"'])])
    assert any(p.code == "dmn_cell_invalid" for p in errors(files(table), workflow_engine))
    table = dmn([(['"a"', "-"], [f"__import__('os').system('touch {marker}')"])])
    assert any(p.code == "dmn_output_invalid" for p in errors(files(table), workflow_engine))
    assert not marker.exists()


def test_the_table_routes_a_small_model(workflow_engine: WorkflowEngine) -> None:
    model, _ = load(files(), workflow_engine)
    for data, end in (({"need": "a", "score": 4}, "EndEvent"), ({"need": "b"}, "End2")):
        workflow = workflow_engine.serializer.new_workflow(model)
        workflow.do_engine_steps()
        [task] = workflow.get_tasks(state=TaskState.READY, manual=True)
        task.set_data(**data)
        task.run()
        workflow.do_engine_steps()
        assert workflow.is_completed()
        ended = [t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.COMPLETED)]
        assert end in ended
        # the state survives a round trip without the table in it
        text = workflow_engine.serializer.dumps(workflow)
        assert "inputEntries" not in text
        restored = workflow_engine.serializer.loads(text, model)
        assert restored.is_completed() and restored.data["track"] == data_track(data)


def data_track(data: dict[str, Any]) -> str:
    return "x" if data["need"] == "a" else "z"


# ---------------------------------------------------------------- Kainuu's shipped table


def _do(services: Services, iid: int, bpmn_id: str, data: dict[str, Any]) -> None:
    task = services.open_task(iid, bpmn_id)
    instances.complete_task(
        services.uow(), services.engine, services.clock, services.doer(task), task.id, data
    )


def _team_meeting(services: Services, **data: Any) -> int:
    """A Kainuu path walked to its team meeting (the walks' data), which records `data`."""
    walk = json.loads((WALKS / "kainuu.json").read_text(encoding="utf-8"))["walks"][0]
    iid = services.start("kainuu")
    for step in walk["steps"]:
        if step.get("task") == "Task_team_meeting":
            _do(services, iid, "Task_team_meeting", {**step["data"], **data})
            return iid
        _do(services, iid, step["task"], step["data"])
    raise AssertionError("the walk has no team meeting")


def _path_data(services: Services, iid: int) -> dict[str, Any]:
    with services.uow() as uow:
        row = uow.session.get(ProcessInstance, iid)
        assert row is not None
        version = row.model_version
        model = services.engine.model_for_version(version.content_hash, "kainuu", version.files)
        workflow = services.engine.serializer.loads(row.state, model)
    done = [t for t in workflow.get_tasks(state=TaskState.COMPLETED)]
    decided = [t for t in done if t.task_spec.bpmn_id == "Task_responsibility_decision"]
    assert decided, "the business rule task did not run"
    return dict(decided[-1].data)


@pytest.mark.parametrize(
    ("need", "sector", "profession", "social_assessment"),
    [
        ("social", "social_services", "social_worker", True),
        ("health", "health_care", "public_health_nurse", False),
    ],
)
def test_kainuu_responsibility_follows_the_service_need(
    services: Services, need: str, sector: str, profession: str, social_assessment: bool
) -> None:
    iid = _team_meeting(services, service_need=need, assessments_needed=[])
    data = _path_data(services, iid)
    assert data["responsible_sector"] == sector
    assert data["responsible_profession"] == profession
    assert data["social_assessment_required"] is social_assessment
    open_now = {t.bpmn_id for t in services.open_tasks(iid)}
    assert ("Task_social_assessment" in open_now) is social_assessment
    assert {"Task_health_check", "Task_physician_assessment"} <= open_now


def test_kainuu_social_assessment_ordered_by_the_team(services: Services) -> None:
    iid = _team_meeting(services, service_need="health", assessments_needed=["social"])
    assert "Task_social_assessment" in {t.bpmn_id for t in services.open_tasks(iid)}
