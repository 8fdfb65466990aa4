"""The history as sentences (issue 14 §1): every kind of event the engine writes is worded in
the reader's language, with the actor's display name, the role's and the step's names and the
content where it is safe ("Kela's decision arrived: approved, 1.12.2026.")."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, g
from flask_babel import refresh

from engine.clock import FrozenClock
from engine.services import users
from tests.conftest import PASSWORD, ROOT, STAFF
from tests.test_api import make_app
from web.ui import history

KIND_CALLS = {"record"}  # engine.services.progress.record(uow, instance, now, kind, ...)


def _strings(node: ast.AST) -> set[str]:
    """String constants in an expression (`"a" if x else "b"` gives both)."""
    return {
        n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    }


def _callee(node: ast.Call) -> str | None:
    func = node.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)


def engine_event_kinds() -> set[str]:
    """Every kind the engine's source records: the 4th argument (or `kind=`) of `record(...)`,
    and the strings passed to any function that hands its own `kind` parameter on to it."""
    trees = [ast.parse(p.read_text()) for p in sorted((ROOT / "engine").rglob("*.py"))]
    kinds: set[str] = set()
    wrappers: dict[str, int] = {}  # function -> position of its `kind` parameter
    for tree in trees:
        for fn in ast.walk(tree):
            if not isinstance(fn, ast.FunctionDef):
                continue
            params = [a.arg for a in fn.args.args]
            for call in ast.walk(fn):
                if isinstance(call, ast.Call) and _callee(call) in KIND_CALLS:
                    kind = _kind_argument(call)
                    if isinstance(kind, ast.Name) and kind.id in params and fn.name != "record":
                        wrappers[fn.name] = params.index(kind.id)
    for tree in trees:
        for call in ast.walk(tree):
            if not isinstance(call, ast.Call):
                continue
            name = _callee(call)
            if name in KIND_CALLS:
                kind = _kind_argument(call)
                if kind is not None:
                    kinds |= _strings(kind)
            elif name in wrappers and len(call.args) > wrappers[name]:
                kinds |= _strings(call.args[wrappers[name]])
    return {k for k in kinds if k.isidentifier() and k.islower()}


def _kind_argument(call: ast.Call) -> ast.AST | None:
    for keyword in call.keywords:
        if keyword.arg == "kind":
            return keyword.value
    return call.args[3] if len(call.args) > 3 else None


def test_every_kind_the_engine_records_has_a_sentence() -> None:
    kinds = engine_event_kinds()
    # the scan finds the kinds (a scan finding nothing would pass anything)
    assert {"instance_started", "task_completed", "consent_withdrawn", "task_claimed",
            "task_released", "message_received", "instance_migrated"} <= kinds  # fmt: skip
    missing = sorted(kinds - set(history.SENTENCES))
    assert not missing, f"word these kinds in web/ui/history.py: {missing}"


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    app = make_app(f"sqlite:///{tmp_path / 'history.db'}", FrozenClock())
    ctx = app.extensions["polku"]
    for username, roles in STAFF.items():
        users.create_user(ctx.uow(), ctx.engine.roles, username=username,
                          display_name=f"{username.title()} Testinen", password=PASSWORD,
                          roles=roles)  # fmt: skip
    yield app
    ctx.db.dispose()


def _say(app: Flask, lang: str, event: dict[str, Any], **context: Any) -> str:
    with app.test_request_context("/"):
        g.user_language = lang
        refresh()
        return history.sentence(
            {"id": 1, "occurred_at": datetime(2026, 12, 1, tzinfo=UTC), "element_name": None,
             "bpmn_id": None, "actor": None, "role": None, "data": {}, **event},
            history.Context(**context),
        )  # fmt: skip


KELA = {
    "kind": "message_received",
    "actor": "kerttu",
    "data": {
        "message": "kela_decision",
        "fields": ["decided_on", "decision", "note"],
        "values": {"decided_on": "2026-12-01", "decision": "approved", "note": "Salainen"},
    },
}


def test_a_decision_reads_as_a_sentence_in_each_language(app: Flask) -> None:
    english = _say(app, "en", KELA)
    assert english.startswith("Kela's decision arrived: approved, 01/12/2026.")
    assert "Kerttu Testinen" in english and "kerttu" not in english.replace("Kerttu", "")
    assert "Salainen" not in english  # free text is not put in the history
    finnish = _say(app, "fi", KELA)
    assert finnish.startswith("Kelan päätös saapui: myönteinen, 1.12.2026.")
    swedish = _say(app, "sv", KELA)
    assert swedish.startswith("FPA:s beslut kom: positivt, 1.12.2026.")
    for said in (finnish, swedish):  # the free text stays out in every language
        assert "Salainen" not in said and "Kerttu Testinen" in said, said
    # values labelled by the message form's x-enumNames when the form is known
    form = {"properties": {"decision": {"enum": ["approved", "rejected"],
                                        "x-enumNames": ["Myönnetty", "Hylätty"]}}}  # fmt: skip
    labelled = _say(app, "fi", KELA, message_forms={"kela_decision": form})
    assert labelled.startswith("Kelan päätös saapui: Myönnetty, 1.12.2026.")


def test_every_kind_is_worded_without_codes(app: Flask) -> None:
    events: list[dict[str, Any]] = [
        {"kind": "instance_started", "actor": "kaisa",
         "data": {"model": "national", "version": 2, "duplicate_of": 3,
                  "override_reason_given": True}},
        {"kind": "task_ready", "role": "physician", "element_name": "Lääkärin arvio"},
        {"kind": "task_completed", "actor": "lauri", "role": "physician",
         "element_name": "Lääkärin arvio"},
        {"kind": "task_cancelled", "element_name": "Lääkärin arvio"},
        {"kind": "task_claimed", "actor": "lauri", "element_name": "Lääkärin arvio"},
        {"kind": "task_released", "actor": "lauri", "element_name": "Lääkärin arvio"},
        {"kind": "element_completed", "actor": "system", "element_name": "Tarvitaanko?"},
        {"kind": "timer_fired", "actor": "system", "element_name": "30 päivää"},
        {"kind": "case_manager_changed", "actor": "timo",
         "data": {"from": None, "to": "aino", "reason": "named in Tuen suunnitelma"}},
        {"kind": "case_manager_changed", "actor": "timo",
         "data": {"from": "aino", "to": "ari", "reason": "Lomalla"}},
        {"kind": "task_handed_over", "actor": "timo", "element_name": "Palvelut",
         "data": {"from": "aino", "to": "ari", "reason": "Lomalla"}},
        {"kind": "consent_given", "actor": "kaisa", "data": {"scope": "Kela"}},
        {"kind": "consent_withdrawn", "actor": "kaisa", "data": {"reason": "Asiakas perui"}},
        {"kind": "instance_completed", "actor": "system", "data": {"outcome": "work_trial"}},
        {"kind": "instance_migrated", "actor": "timo", "data": {"from": 1, "to": 2}},
        {"kind": "submission_corrected", "actor": "lauri", "element_name": "Lääkärin arvio",
         "data": {"submission_id": 5, "corrects_id": 4, "fields": ["a", "b"],
                  "decided_fields": ["a"]}},
        {"kind": "note_added", "actor": "aino", "data": {"note_id": 7, "visibility": "health"}},
        {"kind": "review_rescheduled", "actor": "aino",
         "data": {"from": "2027-01-05", "to": "2027-02-01"}},
        {"kind": "member_named", "actor": "timo", "data": {"user": "ari",
                                                          "named_in": "Tuen suunnitelma"}},
        {"kind": "something_new", "actor": "aino"},
        {"kind": "something_new", "element_name": "Vaihe"},
    ]  # fmt: skip
    for lang in ("en", "fi", "sv"):
        for event in events:
            said = _say(app, lang, event, model_name="Kansallinen polku")
            assert said and said[0].isupper(), (lang, event, said)
            for code in ("_", "named in", "kaisa", "lauri", "timo", "physician", "work_trial"):
                assert code not in said, (lang, event["kind"], said)
    said = _say(app, "en", events[8])
    assert said == "Aino Testinen was named the case manager in the form “Tuen suunnitelma”."
    assert _say(app, "en", events[9]) == (
        "Timo Testinen changed the case manager from Aino Testinen to Ari Testinen. "
        "Reason: Lomalla."
    )
    assert "Kansallinen polku" in _say(app, "fi", events[0], model_name="Kansallinen polku")
    assert _say(app, "en", events[13]) == "The path was completed. Outcome: Work trial."


def test_a_migration_names_the_renamed_steps_and_an_undo_says_so(app: Flask) -> None:
    renamed = {"task_id": "t1", "from": "Lääkärin arvio", "to": "Lääkärin työkykyarvio"}
    moved = {"kind": "instance_migrated", "actor": "timo",
             "data": {"from": 1, "to": 2, "renamed": [renamed]}}  # fmt: skip
    assert _say(app, "en", moved) == (
        "Timo Testinen moved the path from version 1 to version 2 of its model. The open step "
        "“Lääkärin arvio” is now “Physician's work ability assessment”."
    )
    undone = {"kind": "instance_migrated", "actor": "timo",
              "data": {"from": 2, "to": 1, "undo_of": 4, "renamed": []}}  # fmt: skip
    assert _say(app, "fi", undone) == (
        "Timo Testinen perui version vaihdon: polku on taas mallinsa versiossa 1 (versiosta 2)."
    )
    assert _say(app, "en", undone) == (
        "Timo Testinen undid a version migration: the path is back on version 1 of its model "
        "(from version 2)."
    )


def test_a_note_shows_its_text_only_to_those_who_may_read_it(app: Flask) -> None:
    from engine.services.path_notes import NoteView

    note = NoteView(7, 1, "aino", "Aino Testinen", datetime(2026, 12, 1, tzinfo=UTC),
                    "health", "Lääkitys muuttui")  # fmt: skip
    event = {"kind": "note_added", "actor": "aino", "data": {"note_id": 7, "visibility": "health"}}
    shown = _say(app, "en", event, notes={7: note})
    assert shown == "Aino Testinen wrote a note (Health data): “Lääkitys muuttui”"
    hidden = _say(app, "en", event, notes={})
    assert "Lääkitys" not in hidden and "does not need" in hidden


def test_the_client_page_tells_the_history_in_sentences(app: Flask) -> None:
    from tests.test_api import Api
    from tests.test_ui import login

    api = Api(app.test_client())
    iid = api.start_path()
    for user, task in (
        ("kaisa", "Task_encounter"), ("kaisa", "Task_initial_interview"),
        ("lauri", "Task_physician_assessment"), ("fanni", "Task_functional_assessment"),
        ("sanna", "Task_social_assessment"), ("timo", "Task_support_plan"),
    ):  # fmt: skip
        api.complete(user, iid, task)
    api.complete("aino", iid, "Task_arrange_services", awaits_external_decision=True)
    sent = api.post(f"/instances/{iid}/messages", "kaisa",
                    json={"name": "kela_decision", "data": {"decision": "approved"}})  # fmt: skip
    assert sent.status_code == 200, sent.json
    client_id = api.get(f"/instances/{iid}", "aino").json["client_id"]
    page = login(app, "aino").get(f"/clients/{client_id}?history=all").text
    timeline = page[
        page.index('<ol class="timeline"') : page.index("</ol>", page.index('<ol class="timeline"'))
    ]
    items = timeline.count('<li class="event')
    assert items > 10 and timeline.count('class="event-sentence"') == items
    assert "Kelan päätös saapui" in timeline and "Kirjasi Kaisa Testinen." in timeline
    assert "Aino Testinen nimettiin vastuutyöntekijäksi lomakkeella" in timeline
    assert "Lauri Testinen (Lääkäri) teki vaiheen" in timeline
    said = " ".join(re.findall(r'<span class="event-sentence">([^<]*)</span>', timeline))
    for raw in ("kela_decision", "named in", "message_received", "instance_started", "lauri "):
        assert raw not in said, raw
