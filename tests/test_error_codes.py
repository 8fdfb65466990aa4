"""Engine errors carry a stable code and parameters, and the web layer translates them by
looking the code up (issue 14 §6): the scans below keep the set complete."""

from __future__ import annotations

import ast
import functools
import json
import pickle
from io import BytesIO
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import force_locale

from engine.analytics import eventlog
from engine.errors import Forbidden, InvalidInput, NotFound, Text
from engine.services import import_jobs, users
from engine.workflow.engine import WorkflowEngine
from engine.workflow.model import Problem
from tests.conftest import PASSWORD
from tests.test_api import Api
from tests.test_hardening import app  # noqa: F401  (the app fixture: SQLite and PostgreSQL)
from tests.test_model_validation import FORM, VALID, bpmn, gateway, problems_of, user_task
from tests.test_ui import login

ROOT = Path(__file__).resolve().parent.parent
ENGINE = ROOT / "engine"
WEB = ROOT / "web"

# The classes whose every construction in engine/ and web/ must name its code: `code="..."`, or a
# `Text("code", ...)` message (which carries it).
CODED = {
    "PolkuError",
    "NotFound",
    "Conflict",
    "Forbidden",
    "InvalidInput",
    "Unauthenticated",
    "ModelError",
    "ModelRejected",
    "SignInRefused",
    "WorkflowError",
    "ExpressionError",
    "TimerExpressionError",
    "UnsafeXmlError",
    "LogImportError",
    "SchemaError",
    "refuse",
}


# Functions that return a `Text` (a call of one as the message carries the code).
TEXT_MAKERS = {"_describe_forbidden", "_not_csv", "_unknown_phase", "_spiff_message"}


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _is_text(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Call)
        and _name(node.func) == "Text"
        and bool(node.args)
        and isinstance(node.args[0], ast.Constant)
    )


@functools.cache  # parsed once a run: the scans below share it
def _calls() -> list[tuple[Path, ast.Call]]:
    """Every call in engine/ and web/ (the web layer raises the engine's errors too)."""
    found = []
    for path in sorted([*ENGINE.rglob("*.py"), *WEB.rglob("*.py")]):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                found.append((path, node))
    return found


def uncoded_sites() -> list[str]:
    """Constructions of a coded error class that give no code (file:line class)."""
    missing = []
    for path, call in _calls():
        name = _name(call.func)
        if name not in CODED or (name == "SchemaError" and "persistence" in path.parts):
            continue  # the database schema's errors stop the command line, not a page
        if not call.args and not call.keywords:
            continue  # werkzeug's NotFound() (the engine's errors all take a message)
        keyword = next((k for k in call.keywords if k.arg == "code"), None)
        if keyword is not None:
            if isinstance(keyword.value, ast.Constant) and isinstance(keyword.value.value, str):
                continue
            # passing on a code given by the caller, or the code of a coded value
            if any(
                (isinstance(n, ast.Attribute) and n.attr == "code")
                or (isinstance(n, ast.Name) and n.id == "code")
                for n in ast.walk(keyword.value)
            ):
                continue
        elif any(
            _is_text(a) or (isinstance(a, ast.Call) and _name(a.func) in TEXT_MAKERS)
            for a in call.args
        ):
            continue
        missing.append(f"{path.relative_to(ROOT)}:{call.lineno} {name}")
    return missing


def uncoded_findings() -> list[str]:
    """The validator's findings (engine/workflow/loader.py: `error(...)`, `warning(...)`,
    `Problem(...)`) whose message is not a `Text` (file:line)."""
    missing = []
    for path, call in _calls():
        if path.name != "loader.py" or _name(call.func) not in ("error", "warning", "Problem"):
            continue
        if isinstance(call.func, ast.Attribute):
            continue  # logger.error and the like
        message = call.args[2] if _name(call.func) == "Problem" and len(call.args) > 2 else None
        if _name(call.func) != "Problem":
            message = call.args[0] if call.args else None
        if message is None or _is_text(message):
            continue
        if isinstance(message, ast.Call) and (
            _name(message.func) in TEXT_MAKERS or _name(message.func) == "text"
        ):
            continue
        if isinstance(message, ast.Name) and message.id.isupper():
            continue  # a module constant (RESERVED_MESSAGE = Text(...))
        if isinstance(message, ast.Name | ast.Attribute):
            continue  # passed on: a finding made elsewhere (graph.unreachable, a Problem's)
        missing.append(f"{path.relative_to(ROOT)}:{call.lineno} {_name(call.func)}")
    return missing


def engine_codes() -> set[str]:
    """Every code the engine can raise or give a message: the `code="..."` arguments, the
    `Text("code", ...)` messages and the classes' default codes."""
    codes: set[str] = set()
    for _path, call in _calls():
        for keyword in call.keywords:
            if (
                keyword.arg == "code"
                and isinstance(keyword.value, ast.Constant)
                and isinstance(keyword.value.value, str)
            ):
                codes.add(keyword.value.value)
        if _is_text(call) or (
            _name(call.func) == "made"
            and len(call.args) > 1
            and isinstance(call.args[1], ast.Constant)
        ):
            first = call.args[0] if _is_text(call) else call.args[1]
            assert isinstance(first, ast.Constant)
            codes.add(str(first.value))
    for path in sorted(ENGINE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            # the classes' `default_code = "..."` and the functions' `code: str = "..."`
            if (
                isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "default_code" for t in node.targets)
                and isinstance(node.value, ast.Constant)
            ):
                codes.add(str(node.value.value))
            if isinstance(node, ast.arguments):
                for arg, default in zip(node.kwonlyargs, node.kw_defaults, strict=True):
                    if arg.arg == "code" and isinstance(default, ast.Constant) and default.value:
                        codes.add(str(default.value))
    return codes


def test_every_engine_error_names_its_code() -> None:
    # the scan sees the constructions (a scan finding none would pass anything)
    calls = _calls()
    assert len([c for _p, c in calls if _name(c.func) in CODED]) > 100
    findings = [
        c
        for p, c in calls
        if p.name == "loader.py" and isinstance(c.func, ast.Name) and c.func.id == "error"
    ]
    assert len(findings) >= 10
    assert uncoded_sites() == []
    assert uncoded_findings() == []


def test_every_code_has_a_wording_in_finnish_and_swedish() -> None:
    from babel.messages.pofile import read_po

    from web.ui.message_texts import TEMPLATES

    codes = engine_codes()
    # the scan finds the codes of each kind of site: a `code=` argument, a `Text(...)` message,
    # a class's default code (a scan finding nothing would pass anything)
    assert {"task_not_found", "duplicate_path", "correction_stale", "unreachable"} <= codes
    assert {"invalid_input", "decision_claimed", "note_invalid"} <= codes
    assert sorted(codes - set(TEMPLATES)) == []
    for lang in ("fi", "sv"):
        with (ROOT / f"web/translations/{lang}/LC_MESSAGES/messages.po").open("rb") as po:
            catalog = read_po(po)
        untranslated = []
        for code, template in TEMPLATES.items():
            msgid = template._args[0]
            found = catalog.get(msgid)
            if found is None or not found.string:
                untranslated.append(f"{code}: {msgid}")
        assert untranslated == [], lang


def test_a_message_is_english_made_from_its_template_and_carries_code_and_params() -> None:
    text = Text("task_not_found", "task {task_id} does not exist", task_id=3)
    assert text == "task 3 does not exist" and (text.code, text.params) == (
        "task_not_found",
        {"task_id": 3},
    )
    error = NotFound("task 3 does not exist", code="task_not_found", params={"task_id": 3})
    assert (error.code, error.params, error.message) == (
        "task_not_found",
        {"task_id": 3},
        "task 3 does not exist",
    )
    assert error.message.code == "task_not_found"  # the message carries it too
    assert InvalidInput("x").code == "invalid_input"  # a class's generic code otherwise
    assert pickle.loads(pickle.dumps(text)).params == {"task_id": 3}
    assert json.dumps({"m": text}) == '{"m": "task 3 does not exist"}'


BROKEN = [
    {"m.bpmn": bpmn(VALID + '<bpmn:task id="Lonely" name="Yksin" />'), "forms/f.json": FORM},
    {"m.bpmn": bpmn(VALID, lane="Astronautti"), "forms/f.json": FORM},
    {"m.bpmn": bpmn(VALID)},
    {"m.bpmn": bpmn(VALID), "forms/f.json": b'{"type": "object", "required": 5}'},
    {"m.bpmn": bpmn(VALID), "forms/f.json": b'{"type": "string"}'},
    {"m.bpmn": bpmn(user_task() + gateway("__import__('os')")), "forms/f.json": FORM},
    {"m.bpmn": bpmn(user_task() + gateway("ok ==")), "forms/f.json": FORM},
    {"m.bpmn": bpmn(VALID.replace('value="encounter"', 'value="lunch"')), "forms/f.json": FORM},
    {"m.bpmn": b"<bpmn:definitions"},
    {"m.bpmn": b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "y">]><d>&x;</d>'},
    {"f.json": FORM},
]


@pytest.mark.parametrize("files", BROKEN)
def test_every_validation_finding_has_a_code_with_a_wording(
    files: dict[str, bytes], workflow_engine: WorkflowEngine
) -> None:
    from web.ui.message_texts import TEMPLATES

    found = problems_of(files, workflow_engine)
    assert found and all(p.code in TEMPLATES for p in found), [(p.code, p.message) for p in found]


def test_findings_are_stored_with_their_codes_and_old_lines_still_read() -> None:
    finding = Problem(
        "m.bpmn", "Lonely", Text("unreachable", "cannot be reached from a start event")
    )
    stored = finding.stored()
    assert stored == {
        "severity": "error",
        "file": "m.bpmn",
        "element": "Lonely",
        "message": "cannot be reached from a start event",
        "code": "unreachable",
        "params": {},
    }
    back = Problem.from_stored(json.loads(json.dumps(stored)))
    assert back == finding and back.code == "unreachable"


def test_a_nested_problem_and_a_stored_import_error_translate_by_their_codes(app: Flask) -> None:  # noqa: F811
    from web.ui import messages

    problem = eventlog.LogImportError(
        4, Text("import_field_empty", "{name} is empty", name="case_id")
    ).text()
    stored = import_jobs._read(import_jobs._stored(problem))
    assert stored == "line 4: case_id is empty"
    condition = problems_of(
        {"m.bpmn": bpmn(user_task() + gateway("ok.real")), "forms/f.json": FORM},
        app.extensions["polku"].engine,
    )[0]
    with app.test_request_context(), force_locale("fi"):
        assert messages.text(stored) == "Rivi 4: case_id on tyhjä"
        assert messages.finding(condition) == (
            "Ehto 'ok.real' ei ole sallittu: attribuuttiviittaukset eivät ole sallittuja"
        )
    with app.test_request_context(), force_locale("sv"):
        assert messages.text(stored) == "Rad 4: case_id är tom"
        assert messages.text("a plain message") == "a plain message"  # no code: as it is


def test_a_finnish_page_shows_the_validators_finding_in_finnish(app: Flask) -> None:  # noqa: F811
    ctx = app.extensions["polku"]
    users.create_user(ctx.uow(), ctx.engine.roles, username="dora", display_name="Dora",
                      password=PASSWORD, roles=["process_designer"])  # fmt: skip
    designer = login(app, "dora")
    content = bpmn(VALID + '<bpmn:task id="Lonely" name="Yksin" />')
    refused = designer.post(
        "/designer/national/upload",
        data={"bpmn_file": (BytesIO(content), "m.bpmn")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 400
    assert "siihen ei pääse mistään aloitustapahtumasta" in refused.text
    assert "cannot be reached from a start event" not in refused.text
    page = designer.get("/designer/national")  # the refused attempt, listed in Finnish
    assert page.status_code == 200
    assert "[Lonely]: siihen ei pääse mistään aloitustapahtumasta" in page.text


def test_the_dashboards_refusal_reads_in_finnish_and_swedish(app: Flask) -> None:  # noqa: F811
    physician = login(app, "lauri")
    refused = physician.get("/dashboard")
    assert refused.status_code == 403
    assert "Tilannekuvat ovat esihenkilöille, tarkastajille ja tiimin koordinaattoreille." in (
        refused.text
    )
    assert "the dashboards are for managers" not in refused.text
    with app.test_request_context(), force_locale("sv"):
        from web.ui import messages

        error = Forbidden("the dashboards are for", code="dashboards_refused")
        assert messages.detail(error) == (
            "Översikterna är för chefer, granskare och teamkoordinatorer."
        )


def test_api_problems_carry_the_code_and_params_beside_the_message(app: Flask) -> None:  # noqa: F811
    api = Api(app.test_client())
    missing = api.get("/tasks/nope", "kaisa")
    assert missing.status_code == 404
    assert missing.json["code"] == "task_not_found"
    assert missing.json["params"] == {"task_id": "nope"}
    assert missing.json["detail"] == "task nope does not exist"
    bad = api.post("/clients", "kaisa", json={"full_name": "Testi", "identity_code": "131052-308X"})
    assert bad.status_code == 400 and bad.json["code"] == "client_invalid"
    assert bad.json["errors"]["identity_code"] == ["Not a valid Finnish personal identity code."]
    assert bad.json["error_codes"]["identity_code"] == [
        {"code": "identity_code_invalid", "params": {}}
    ]


if __name__ == "__main__":  # list the sites still to do
    print("\n".join(uncoded_sites() + uncoded_findings()))
