"""Field visibility: each form field's class (`x-visibility`) decides who reads it. A reader whose
roles' work does not need health data gets neither the physician's findings in the submissions
nor the physician's choices in the history, and is told what was left out; the physician and the
path's case manager see it all; the models declare known classes only; the pages say so."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from jsonschema.exceptions import SchemaError

from engine.services import access, field_visibility, queries, records
from engine.services.demo import TO_PLAN
from engine.workflow import forms
from engine.workflow.engine import WorkflowEngine
from tests.conftest import PROCESSES, Services
from tests.test_api import Api
from tests.test_model_validation import VALID, bpmn, problems_of
from tests.test_ui import (
    app,  # noqa: F401  (fixture)
    login,
)

PHYSICIAN = "Task_physician_assessment"
HEALTH_FORMS = (
    "physician_assessment",
    "incapacity_statement",
    "further_investigations",
    "functional_assessment",
    "health_check",
    "mental_health_assessment",
    "treatment_start",
)
SCHEMAS = sorted(PROCESSES.glob("*/forms/*.schema.json"))


def to_plan(services: Services, **plan: Any) -> int:
    """A national path walked to its support plan; the plan's data as given."""
    iid = services.start()
    services.walk(iid, *TO_PLAN[:-2], ("Task_support_plan", {"case_manager": "aino", **plan}))
    return iid


def submission_of(services: Services, reader: str, iid: int, bpmn_id: str) -> records.Submission:
    found = records.submissions(
        services.uow(), services.engine, services.clock, services.actors[reader], iid
    )
    return next(s for s in found if s.bpmn_id == bpmn_id)


def history_of(services: Services, reader: str, iid: int, bpmn_id: str) -> dict[str, Any]:
    view = queries.get_instance(services.uow(), services.clock, services.actors[reader], iid)
    return next(
        e for e in view.history if e["kind"] == "task_completed" and e["bpmn_id"] == bpmn_id
    )


# ---------------------------------------------------------------- the engine


def test_a_reader_without_health_gets_no_findings_and_is_told_what_was_left_out(
    services: Services,
) -> None:
    iid = to_plan(services, team_members=["ari"], benefits="Kuntoutusraha haetaan.")
    for reader in ("ari", "sanna"):  # named in the plan; did the social assessment
        assert "health" not in access.visible_field_classes(services.actors[reader])
        found = submission_of(services, reader, iid, PHYSICIAN)
        assert "diagnosis_summary" not in found.data and found.data == {}
        assert set(found.hidden) == {
            "physician_work_ability",
            "diagnosis_summary",
            "statement_needed",
        }
        assert found.hidden_classes == ["health"]
        assert found.form is not None and "diagnosis_summary" not in found.form["properties"]

        event = history_of(services, reader, iid, PHYSICIAN)
        assert event["data"]["choices"] == {} and event["data"]["fields"] == []
        assert "physician_work_ability" in event["hidden"] and event["hidden_classes"] == ["health"]
        assert "Pitkäaikainen" not in json.dumps(event["data"])

    plan = submission_of(services, "ari", iid, "Task_support_plan")
    assert plan.data["main_goal"] and plan.data["team_members"] == ["ari"]  # the plan is shared
    assert "challenges" in plan.hidden and "challenges" not in plan.data
    assert plan.hidden == ["partial_work_ability_types", "challenges", "benefits"]
    assert plan.hidden_classes == ["health", "benefits"]
    # the social worker sees her own assessment whole, and the encounter's routing facts
    own = submission_of(services, "sanna", iid, "Task_social_assessment")
    assert own.hidden == [] and own.data["social_need_areas"] == ["income"]
    assert history_of(services, "sanna", iid, "Task_encounter")["hidden"] == []


def test_the_physician_and_the_case_manager_see_everything(services: Services) -> None:
    iid = to_plan(services)
    for reader in ("lauri", "aino"):  # the physician; the case manager named in the plan
        found = submission_of(services, reader, iid, PHYSICIAN)
        assert found.data["diagnosis_summary"] == "Pitkäaikainen selkäkipu." and found.hidden == []
        event = history_of(services, reader, iid, PHYSICIAN)
        assert event["data"]["choices"]["physician_work_ability"] == 5 and event["hidden"] == []

    # A case manager whose own roles lack health (a job coach) sees every class on their path.
    other = to_plan(services, case_manager="ari")
    assert "health" not in access.visible_field_classes(services.actors["ari"])
    found = submission_of(services, "ari", other, PHYSICIAN)
    assert found.data["diagnosis_summary"] and found.hidden == []
    assert (
        history_of(services, "ari", other, PHYSICIAN)["data"]["choices"]["statement_needed"]
        is False
    )


def test_the_plan_writer_sees_their_own_plan_whole_but_not_the_findings(services: Services) -> None:
    iid = to_plan(services)
    plan = submission_of(services, "timo", iid, "Task_support_plan")  # timo made the plan
    assert plan.submitted_by == "timo" and plan.hidden == []
    assert plan.data["challenges"] == "Ei kestä raskasta fyysistä työtä."
    assert submission_of(services, "timo", iid, PHYSICIAN).hidden_classes == ["health"]
    revisions = records.support_plan_revisions(
        services.uow(), services.engine, services.clock, services.actors["sanna"], iid
    )
    assert [r.hidden for r in revisions] == [["partial_work_ability_types", "challenges"]]


def test_masking_keeps_the_class_of_a_top_level_field_over_its_rows() -> None:
    schema = {
        "type": "object",
        "x-visibility": "employment",
        "properties": {
            "rows": {"type": "array", "items": {"type": "object"}},
            "finding": {"type": "string", "x-visibility": "health"},
            "next": {"type": "string", "x-visibility": "shared"},
        },
        "required": ["finding", "next"],
    }
    data = {"rows": [{"a": 1}], "finding": "x", "next": "y", "extra": 1}
    assert field_visibility.field_class(schema, "rows") == "employment"
    assert field_visibility.field_class(schema, "extra") == "employment"  # the form's default
    assert field_visibility.field_class({"type": "object"}, "any") == "shared"
    shown, hidden = field_visibility.visible(schema, data, {"shared", "employment"})
    assert shown == {"rows": [{"a": 1}], "next": "y", "extra": 1} and hidden == ["finding"]
    summary = {"fields": ["finding", "next", "rows"], "choices": {"finding": "x", "next": "y"}}
    masked, hidden = field_visibility.visible_summary(schema, summary, {"shared"})
    assert masked == {"fields": ["next"], "choices": {"next": "y"}}
    assert hidden == ["finding", "rows"]
    view = field_visibility.visible_schema(schema, {"shared"})
    assert (
        view is not None and list(view["properties"]) == ["next"] and view["required"] == ["next"]
    )
    # a form that cannot be found holds every class: only who sees them all sees it
    assert field_visibility.visible(None, data, {"shared"}) == ({}, list(data))
    assert field_visibility.visible(None, data, set(forms.VISIBILITY_CLASSES))[1] == []


# ---------------------------------------------------------------- the models


def test_the_policy_and_the_model_checks_name_the_same_classes() -> None:
    assert access.FIELD_CLASSES == forms.VISIBILITY_CLASSES
    assert {"shared", "health", "social", "employment", "benefits"} == set(access.FIELD_CLASSES)
    for classes in access.ROLE_FIELD_CLASSES.values():
        assert classes <= set(access.FIELD_CLASSES)


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: str(p.relative_to(PROCESSES)))
def test_every_form_declares_known_classes(path: Path) -> None:
    schema = json.loads(path.read_text())
    forms.check_schema(schema)
    assert schema.get("x-visibility") in forms.VISIBILITY_CLASSES  # annotated, not by default
    declared = [p["x-visibility"] for p in schema["properties"].values() if "x-visibility" in p]
    assert set(declared) <= set(forms.VISIBILITY_CLASSES)


def test_the_health_forms_are_annotated_as_health() -> None:
    found = [p for p in SCHEMAS if p.name.removesuffix(".schema.json") in HEALTH_FORMS]
    assert {p.parent.parent.name for p in found if p.name.startswith("physician_")} == {
        "national",
        "iisalmi",
        "eksote",
        "rovaniemi",
        "kainuu",
    }
    for path in found:
        schema = json.loads(path.read_text())
        for name in schema["properties"]:
            assert field_visibility.field_class(schema, name) == "health", (path, name)
    for path in PROCESSES.glob("*/forms/social_assessment.schema.json"):
        assert json.loads(path.read_text())["x-visibility"] == "social"
    plan = json.loads((PROCESSES / "common/forms/support_plan.schema.json").read_text())
    assert field_visibility.field_class(plan, "main_goal") == "shared"
    assert field_visibility.field_class(plan, "benefits") == "benefits"


def test_an_unknown_class_is_a_model_error_naming_the_field(
    workflow_engine: WorkflowEngine,
) -> None:
    form = {"type": "object", "properties": {"ok": {"type": "boolean", "x-visibility": "secret"}}}
    found = problems_of(
        {"m.bpmn": bpmn(VALID), "forms/f.json": json.dumps(form).encode()}, workflow_engine
    )
    assert any(
        p.file == "m.bpmn"
        and p.element == "Task"
        and "forms/f.json" in p.message
        and "'ok'" in p.message
        and '"secret"' in p.message
        for p in found
    ), found
    nested = {
        "type": "object",
        "x-visibility": "health",
        "properties": {"rows": {"type": "array", "items": {"x-visibility": "social"}}},
    }
    with pytest.raises(SchemaError, match="'rows'"):
        forms.check_schema(nested)
    with pytest.raises(SchemaError, match="the form"):
        forms.check_schema({"type": "object", "x-visibility": 3})


# ---------------------------------------------------------------- the pages
# (the `app` fixture is the page tests' own: tests/test_ui.py)


def test_the_plan_and_the_client_page_say_what_is_not_shown(app: Flask) -> None:  # noqa: F811
    api = Api(app.test_client())
    iid = api.start_path()
    api.complete("kaisa", iid, "Task_encounter")
    api.complete("kaisa", iid, "Task_initial_interview")
    for user, task in (
        ("lauri", PHYSICIAN),
        ("fanni", "Task_functional_assessment"),
        ("sanna", "Task_social_assessment"),
        ("client", "Task_client_situation"),  # the client themself
    ):
        api.complete(user, iid, task)
    api.complete("timo", iid, "Task_support_plan", team_members=["ari"], benefits="Kuntoutusraha")

    ari = login(app, "ari")  # a job coach named in the plan
    plan = ari.get(f"/paths/{iid}/plan")
    assert plan.status_code == 200, plan.text
    assert "Ei kestä raskasta fyysistä työtä." not in plan.text  # the plan's challenges
    assert "3 kenttää ei näy (Terveystiedot, Etuustiedot): työsi ei tarvitse niitä." in plan.text
    client_id = api.get(f"/instances/{iid}", "ari").json["client_id"]
    page = ari.get(f"/clients/{client_id}")
    assert page.status_code == 200
    assert "kenttää ei näy (Terveystiedot)" in page.text  # the physician's step in the history

    whole = login(app, "aino").get(f"/paths/{iid}/plan")  # the case manager
    assert "Ei kestä raskasta fyysistä työtä." in whole.text and "ei näy" not in whole.text

    listed = api.get(f"/instances/{iid}/submissions", "ari").json
    physician = next(s for s in listed if s["bpmn_id"] == PHYSICIAN)
    assert physician["data"] == {} and "diagnosis_summary" in physician["hidden"]
    assert physician["hidden_classes"] == ["health"]
    revisions = api.get(f"/instances/{iid}/plan", "ari").json
    assert [sorted(r["hidden"]) for r in revisions] == [
        ["benefits", "challenges", "partial_work_ability_types"]
    ]
    history = api.get(f"/instances/{iid}", "ari").json["history"]
    event = next(e for e in history if e["kind"] == "task_completed" and e["bpmn_id"] == PHYSICIAN)
    assert event["data"]["choices"] == {} and "statement_needed" in event["hidden"]
