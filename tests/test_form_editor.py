# ruff: noqa: F811  (the fixtures imported from tests.test_model_texts)
"""The designer's form editor (issue 15 §2): every shipped form read and written back unchanged,
an edited form saved as a new version with its translations, bad edits refused naming the
field, and the pages (designers only) with a preview drawn by the task forms' renderer."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from engine.errors import Forbidden, InvalidInput
from engine.persistence.tables import ProcessModelVersion
from engine.services import form_editing as service
from engine.services.access import Actor
from engine.workflow import model_texts
from engine.workflow.engine import WorkflowEngine
from engine.workflow.form_drafts import Choice, FieldEdit, FieldTexts, read_form, write_form
from engine.workflow.model import Problem
from tests.conftest import PROCESSES, Services
from tests.test_model_texts import _latest, app, dora, signed_in  # noqa: F401  (fixtures)

ENCOUNTER = "forms/encounter.schema.json"


def _shipped_forms() -> list[tuple[str, str]]:
    engine = WorkflowEngine(PROCESSES)
    return [
        (source.key, name)
        for source in engine.sources()
        for name in sorted(source.files)
        if name.endswith(".schema.json")
    ]


@pytest.mark.parametrize(("key", "path"), _shipped_forms())
def test_every_shipped_form_is_written_back_unchanged(key: str, path: str) -> None:
    source = WorkflowEngine(PROCESSES).source(key)
    assert source is not None
    schema = json.loads(source.files[path])
    catalogues = {lang: model_texts.catalogue(source.files, lang) for lang in ("sv", "en")}
    edit = read_form(schema, path, 1, catalogues)
    written = write_form(schema, edit)
    assert written == schema
    assert json.dumps(written) == json.dumps(schema)  # the keys keep their order too


def test_unknown_keywords_stay_when_a_field_changes() -> None:
    schema = {
        "type": "object",
        "required": ["a"],
        "properties": {
            "a": {"type": "string", "title": "A", "maxLength": 20, "x-prefill": "b", "x-own": 1},
            "b": {"type": "string", "enum": ["x", "y"], "x-enumNames": ["X", "Y"], "x-k": [1]},
        },
        "x-top": True,
    }
    edit = read_form(schema, "f.json", 1, {})
    edit.fields[0].title = "Uusi A"
    edit.fields[0].name = "a2"
    edit.fields[1].choices.append(Choice("z", "Z"))
    edit.fields.reverse()
    written = write_form(schema, edit)
    assert list(written["properties"]) == ["b", "a2"]
    assert written["properties"]["a2"] == {
        "type": "string", "title": "Uusi A", "maxLength": 20, "x-prefill": "b", "x-own": 1,
    }  # fmt: skip
    assert written["properties"]["b"]["enum"] == ["x", "y", "z"]
    assert written["properties"]["b"]["x-k"] == [1]
    assert written["required"] == ["a2"] and written["x-top"] is True
    edit.fields[0].kind = "multi"
    multi = write_form(schema, edit)["properties"]["b"]
    assert multi["type"] == "array" and multi["items"]["enum"] == ["x", "y", "z"]
    assert multi["x-k"] == [1]


# ---------------------------------------------------------------- the service


def _new_choice_field() -> FieldEdit:
    return FieldEdit(
        name="contact_channel",
        title="Yhteydenottotapa",
        kind="choice",
        required=True,
        description="Miten asiakas otti yhteyttä.",
        visibility="social",
        choices=[Choice("phone", "Puhelin"), Choice("visit", "Käynti")],
        translations={
            "sv": FieldTexts("Kontaktsätt", "Hur klienten tog kontakt.", ["Telefon", "Besök"]),
            "en": FieldTexts("Contact channel", "", ["Phone", "Visit"]),
        },
    )


def test_adding_a_choice_field_saves_a_new_version_holding_it(
    services: Services, dora: Actor
) -> None:
    before = _latest(services)
    draft = service.load_draft(services.uow(), services.engine, dora, "national", ENCOUNTER)
    assert [t.bpmn_id for t in draft.tasks] == ["Task_encounter"]
    draft.edit.fields.append(_new_choice_field())
    result = service.save_form(
        services.uow(), services.engine, services.clock, dora, "national", draft.edit
    )
    assert result.created and result.version == before.number + 1
    after = _latest(services)
    assert after.source == "forms"
    form = json.loads(after.files[ENCOUNTER])
    added = form["properties"]["contact_channel"]
    assert added["enum"] == ["phone", "visit"] and added["x-enumNames"] == ["Puhelin", "Käynti"]
    assert added["x-visibility"] == "social" and "contact_channel" in form["required"]
    sv = json.loads(after.files["texts/sv.json"])
    assert sv["Yhteydenottotapa"] == "Kontaktsätt" and sv["Käynti"] == "Besök"
    assert json.loads(after.files["texts/en.json"])["Puhelin"] == "Phone"
    parsed = services.engine.model_for_version(after.content_hash, "national", after.files)
    assert "contact_channel" in (parsed.user_tasks["Task_encounter"].form or {})["properties"]
    assert json.loads(before.files[ENCOUNTER]) == json.loads(_version(services, before.id))
    # the same edit again: nothing changes
    again = service.load_draft(services.uow(), services.engine, dora, "national", ENCOUNTER)
    same = service.save_form(
        services.uow(), services.engine, services.clock, dora, "national", again.edit
    )
    assert not same.created and same.version == result.version


def _version(services: Services, version_id: int) -> str:
    with services.uow() as uow:
        row = uow.session.get(ProcessModelVersion, version_id)
        assert row is not None
        return str(row.files[ENCOUNTER])


def test_bad_edits_are_refused_naming_the_field(services: Services, dora: Actor) -> None:
    before = _latest(services)

    def refused(change: Any) -> InvalidInput:
        draft = service.load_draft(services.uow(), services.engine, dora, "national", ENCOUNTER)
        change(draft.edit)
        with pytest.raises(InvalidInput) as caught:
            service.save_form(
                services.uow(), services.engine, services.clock, dora, "national", draft.edit
            )
        return caught.value

    def rename(edit: Any, old: str, new: str) -> None:
        next(f for f in edit.fields if f.name == old).name = new

    urgent = next(
        i
        for i, f in enumerate(
            service.load_draft(
                services.uow(), services.engine, dora, "national", ENCOUNTER
            ).edit.fields
        )
        if f.name == "urgent"
    )
    cases: list[tuple[Any, str, str]] = [
        (lambda e: e.fields.append(FieldEdit(name="1bad")), "field-{n}-name", "not a field name"),
        (lambda e: e.fields.append(FieldEdit(name="urgent")), "field-{n}-name", "two fields"),
        (lambda e: e.fields.append(FieldEdit(name="x", kind="map")), "field-{n}-kind", "kind"),
        (lambda e: e.fields.append(FieldEdit(name="x", kind="choice")), "field-{n}-choices",
         "needs choices"),
        (lambda e: e.fields.append(FieldEdit(name="x", visibility="secret")),
         "field-{n}-visibility", "visibility class"),
        (lambda e: e.fields.append(FieldEdit(name="x", kind="choice", choices=[Choice("a"),
         Choice("a")])), "field-{n}-choices", "twice"),
        (lambda e: rename(e, "urgent", "kiireellinen"), f"field-{urgent}-name",
         "(Flow_urgent_yes)"),
        (lambda e: e.fields.pop(urgent), "fields", "urgent == True"),
        (lambda e: setattr(e, "based_on", 1000), "based_on", "open the form again"),
    ]  # fmt: skip
    count = len(
        service.load_draft(services.uow(), services.engine, dora, "national", ENCOUNTER).edit.fields
    )
    for change, key, words in cases:
        error = refused(change)
        assert key.format(n=count) in error.errors, (words, error.errors)
        assert words in error.message, error.message
    with pytest.raises(Forbidden):
        service.load_draft(
            services.uow(), services.engine, services.actors["kaisa"], "national", ENCOUNTER
        )
    after = _latest(services)
    assert (after.id, after.files) == (before.id, before.files)


def test_a_prefilled_field_keeps_its_name(services: Services, dora: Actor) -> None:
    path = "forms/physician_assessment.schema.json"
    draft = service.load_draft(services.uow(), services.engine, dora, "national", path)
    next(f for f in draft.edit.fields if f.name == "work_restrictions").name = "limits"
    with pytest.raises(InvalidInput) as caught:
        service.save_form(
            services.uow(), services.engine, services.clock, dora, "national", draft.edit
        )
    assert "x-prefill challenges" in caught.value.message


# ---------------------------------------------------------------- the pages


class _Inputs(HTMLParser):
    """The values a browser would post from the form with id `form-editor` (no button)."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.values: list[tuple[str, str]] = []
        self._textarea: str | None = None
        self._select: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("id") == "form-editor"
        if not self.inside:
            return
        if tag == "input" and a.get("type") != "checkbox" or "checked" in a and tag == "input":
            self.values.append((a["name"], a.get("value", "")))
        elif tag == "textarea":
            self._textarea, self._text = a["name"], ""
        elif tag == "select":
            self._select = a["name"]
        elif tag == "option" and self._select and "selected" in a:
            self.values.append((self._select, a.get("value", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "textarea" and self._textarea:
            self.values.append((self._textarea, self._text.removeprefix("\n")))
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text += data


def posted(html: str, **extra: str) -> MultiDict[str, str]:
    parser = _Inputs()
    parser.feed(html)
    return MultiDict([*parser.values, *extra.items()])


def _versions(app: Flask) -> list[int]:
    with app.extensions["polku"].uow() as uow:
        return list(uow.session.scalars(select(ProcessModelVersion.id)))


def test_the_form_pages_are_for_designers(app: Flask) -> None:
    designer = signed_in(app, "dora")
    assert "/designer/national/forms" in designer.get("/designer/national").text
    listing = designer.get("/designer/national/forms")
    assert listing.status_code == 200
    assert ENCOUNTER in listing.text and "Task_encounter" in listing.text
    assert "Task_support_plan" in listing.text  # the shared subprocess's form too
    kaisa = signed_in(app, "kaisa")
    url = f"/designer/national/forms/{ENCOUNTER}"
    assert kaisa.get("/designer/national/forms").status_code == 403
    assert kaisa.get(url).status_code == 403
    page = designer.get(url)
    assert page.status_code == 200
    assert 'id="form-preview"' in page.text and 'name="urgent"' in page.text  # the preview
    assert kaisa.post(url, data=posted(page.text, action="save")).status_code == 403
    assert designer.get("/designer/national/forms/forms/nothing.json").status_code == 404


def test_the_editor_adds_moves_previews_and_saves(app: Flask) -> None:
    designer = signed_in(app, "dora")
    url = f"/designer/national/forms/{ENCOUNTER}"
    page = designer.get(url)
    count = int(page.text.split('name="field-count" value="')[1].split('"')[0])
    added = designer.post(url, data=posted(page.text, action="add"))
    assert added.status_code == 200 and f'name="field-{count}-name"' in added.text
    data = posted(added.text).to_dict()
    data.update({
        f"field-{count}-name": "contact_channel", f"field-{count}-title": "Yhteydenottotapa",
        f"field-{count}-kind": "choice",
        f"field-{count}-choices": "phone = Puhelin\nvisit = Käynti",
        f"field-{count}-sv-title": "Kontaktsätt", f"field-{count}-sv-choices": "Telefon\nBesök",
    })  # fmt: skip
    moved = designer.post(url, data={**data, "action": f"up-{count}"})
    assert moved.status_code == 200
    assert moved.text.index('value="contact_channel"') < moved.text.index('value="urgent"') or (
        f'name="field-{count - 1}-name" value="contact_channel"' in moved.text
    )
    preview = designer.post(url, data=posted(moved.text, action="preview"))
    assert preview.status_code == 200 and 'id="form-checked"' in preview.text
    assert 'name="contact_channel"' in preview.text and "Käynti" in preview.text
    bad = designer.post(url, data={**posted(moved.text).to_dict(), f"field-{count - 1}-name": "1 x",
                               "action": "save"})  # fmt: skip
    assert bad.status_code == 400 and f'href="#field-{count - 1}-name"' in bad.text
    assert "1 x" in bad.text
    before = _versions(app)
    saved = designer.post(url, data=posted(moved.text, action="save"))
    assert saved.status_code == 302
    assert len(_versions(app)) == len(before) + 1
    shown = designer.get(url)
    assert 'value="contact_channel"' in shown.text and "Kontaktsätt" in shown.text
    assert "Lomake-editori" in designer.get("/designer/national").text  # the version's source


def test_a_rejected_model_lists_its_problems_and_saves_nothing(
    app: Flask,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    designer = signed_in(app, "dora")
    url = f"/designer/national/forms/{ENCOUNTER}"
    page = designer.get(url)
    problem = Problem("national_path.bpmn", "Flow_x", "condition reads an unknown field 'zz'")
    monkeypatch.setattr(service, "load_model", lambda *_a: (None, [problem]))
    before = _versions(app)
    refused = designer.post(url, data=posted(page.text, action="save"))
    assert refused.status_code == 400
    assert "unknown field &#39;zz&#39;" in refused.text and "Flow_x" in refused.text
    assert _versions(app) == before


def test_unreadable_posts_answer_400(app: Flask) -> None:
    designer = signed_in(app, "dora")
    url = f"/designer/national/forms/{ENCOUNTER}"
    assert designer.post(url, data={"action": "save"}).status_code == 400
    assert designer.post(url, data={"field-count": "x", "based_on": "1"}).status_code == 400
    page = designer.get(url)
    data = posted(page.text, action="save").to_dict()
    data["field-0-kind"] = "<script>"
    answer = designer.post(url, data=data)
    assert answer.status_code == 400 and "<script>" not in answer.text


def test_every_shipped_form_round_trips_through_the_editor_page(app: Flask) -> None:
    designer = signed_in(app, "dora")
    before = _versions(app)
    for key, path in _shipped_forms():
        page = designer.get(f"/designer/{key}/forms/{path}")
        assert page.status_code == 200, (key, path)
        saved = designer.post(
            f"/designer/{key}/forms/{path}", data=posted(page.text, action="save")
        )
        assert saved.status_code == 302, (key, path, saved.text[:3000])
    assert _versions(app) == before  # nothing changed: no version was made


def test_a_changed_title_takes_its_translation_and_leaves_no_stale_entry(
    services: Services, dora: Actor
) -> None:
    draft = service.load_draft(services.uow(), services.engine, dora, "national", ENCOUNTER)
    channel = next(f for f in draft.edit.fields if f.name == "entry_channel")
    old_title = channel.title
    channel.title = "Mistä asiakas tuli"
    channel.texts("sv").title = "Varifrån klienten kom"
    channel.kind = "text"  # no longer a choice: its choices go
    save = service.save_form(
        services.uow(), services.engine, services.clock, dora, "national", draft.edit
    )
    assert save.created
    after = _latest(services)
    prop = json.loads(after.files[ENCOUNTER])["properties"]["entry_channel"]
    assert prop["title"] == "Mistä asiakas tuli" and prop["type"] == "string"
    assert "enum" not in prop and "x-enumNames" not in prop
    sv = json.loads(after.files["texts/sv.json"])
    assert sv["Mistä asiakas tuli"] == "Varifrån klienten kom"
    assert old_title not in sv  # the old text's translation went with it
    assert not [p for p in after.validation if "texts_key_unknown" in json.dumps(p)]


def test_the_page_shows_why_a_rename_is_refused(app: Flask) -> None:
    designer = signed_in(app, "dora")
    url = f"/designer/national/forms/{ENCOUNTER}"
    page = designer.get(url)
    data = posted(page.text, action="save").to_dict()
    key = next(k for k, v in data.items() if k.endswith("-name") and v == "urgent")
    data[key] = "kiireellinen"
    refused = designer.post(url, data=data)
    assert refused.status_code == 400
    assert "urgent == True" in refused.text and f'href="#{key}"' in refused.text
    swedish = signed_in(app, "kaisa")  # not a designer: refused before anything is read
    assert swedish.post(url, data=data).status_code == 403
