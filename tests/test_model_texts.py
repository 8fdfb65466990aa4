"""Model texts in Swedish and English (issue 14, §6): translating forms and names, the Finnish
fallback, the validator's checks, the designer's texts page and API making a new version, and
every shipped model's every text translated."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.clock import FrozenClock
from engine.errors import Forbidden, InvalidInput
from engine.persistence.tables import ProcessModel, ProcessModelVersion
from engine.services import model_texts as service
from engine.services import users
from engine.services.access import Actor
from engine.services.demo import sample
from engine.workflow import model_texts
from engine.workflow.loader import load_model
from engine.workflow.model import ModelSource
from tests.conftest import PASSWORD, PROCESSES, STAFF, Services
from tests.test_api import API, Api, make_app

FORM = {
    "title": "Alkuhaastattelu",
    "type": "object",
    "properties": {
        "channel": {
            "type": "string",
            "title": "Ohjautumiskanava",
            "description": "Mistä asiakas tuli.",
            "enum": ["kela", "te"],
            "x-enumNames": ["Kela", "TE-palvelut"],
        },
        "goals": {
            "type": "array",
            "title": "Tavoitteet",
            "items": {
                "type": "object",
                "title": "Tavoite",
                "properties": {"goal": {"type": "string", "title": "Tavoite"}},
            },
        },
        "Tavoite": {"type": "string", "title": "Muu"},  # a property named like a text
    },
}
SV = {
    "Alkuhaastattelu": "Inledande intervju",
    "Ohjautumiskanava": "Hänvisningskanal",
    "Mistä asiakas tuli.": "Varifrån klienten kom.",
    "Kela": "FPA",
    "Tavoitteet": "Mål",
    "Tavoite": "Mål (ett)",
}


def test_a_form_is_translated_deeply_and_its_codes_stay() -> None:
    translated = model_texts.translate_schema(FORM, SV)
    assert translated["title"] == "Inledande intervju"
    channel = translated["properties"]["channel"]
    assert channel["title"] == "Hänvisningskanal"
    assert channel["description"] == "Varifrån klienten kom."
    assert channel["x-enumNames"] == ["FPA", "TE-palvelut"]  # untranslated: the Finnish
    assert channel["enum"] == ["kela", "te"]
    goals = translated["properties"]["goals"]
    assert goals["title"] == "Mål"
    assert goals["items"]["title"] == "Mål (ett)"
    assert goals["items"]["properties"]["goal"]["title"] == "Mål (ett)"
    assert set(translated["properties"]) == {"channel", "goals", "Tavoite"}
    assert FORM["title"] == "Alkuhaastattelu"  # a copy: the source stays


def test_texts_fall_back_to_finnish_and_the_models_own_win_over_the_shared() -> None:
    files = {
        "texts/sv.json": json.dumps({"Lääkäri": "Läkare"}),
        "common/texts/sv.json": json.dumps({"Lääkäri": "Doktor", "Tiimi": "Team"}),
        "common/texts/en.json": json.dumps({"Tiimi": "Team"}),
    }
    texts = model_texts.ModelTexts.from_files(files)
    assert texts.text("Lääkäri", "sv") == "Läkare"
    assert texts.text("Tiimi", "sv") == "Team"
    assert texts.text("Tiimi", "en") == "Team"
    assert texts.text("Lääkäri", "en") == "Lääkäri"
    assert texts.text("Lääkäri", "fi") == "Lääkäri"


def _national(**extra: bytes) -> ModelSource:
    source = ModelSource.from_directory(PROCESSES / "national", PROCESSES / "common")
    for name, content in extra.items():
        source = source.replace(name.replace("__", "/"), content)
    return source


def test_the_validator_checks_the_texts_files(services: Services) -> None:
    roles = services.engine.roles
    stale = _national(texts__sv=b'{"Vanha nimi": "Gammalt namn"}')
    stale = stale.replace("texts/sv.json", b'{"Vanha nimi": "Gammalt namn"}')
    model, problems = load_model(stale, roles)
    assert model is not None  # an unknown key is a warning only
    assert any(
        p.severity == "warning" and "Vanha nimi" in p.message and p.file == "texts/sv.json"
        for p in problems
    )
    for content, words in (
        (b"[1, 2]", "JSON object"),
        (b'{"Kela": 3}', "not a string"),
        (b"{broken", "not valid JSON"),
    ):
        model, problems = load_model(_national().replace("texts/sv.json", content), roles)
        assert model is None
        assert any(p.file == "texts/sv.json" and words in p.message for p in problems)
    model, problems = load_model(_national().replace("texts/de.json", b"{}"), roles)
    assert model is None and any("'de' is not a language" in p.message for p in problems)
    # a missing translation is no problem at all
    model, problems = load_model(_national().replace("texts/sv.json", b"{}"), roles)
    assert model is not None and not [p for p in problems if "texts/" in p.file]


SHIPPED = sorted(
    d.name
    for d in PROCESSES.iterdir()
    if d.is_dir() and d.name != "common" and any(d.glob("*.bpmn"))
)


@pytest.mark.parametrize("key", SHIPPED)
def test_every_shipped_text_has_swedish_and_english(key: str) -> None:
    source = ModelSource.from_directory(PROCESSES / key, PROCESSES / "common")
    assert model_texts.source_texts(source.files)
    for lang in model_texts.TRANSLATED:
        assert model_texts.missing(source.files, lang) == [], f"{key}: missing {lang}"
    assert [str(p) for p in model_texts.check(source.files)] == []


def test_the_source_texts_say_where_they_occur() -> None:
    source = _national()
    found = {s.text: s for s in model_texts.source_texts(source.files)}
    encounter = found["Kohtaaminen ja puheeksiotto"]
    where = {(o.file, o.element, o.kind) for o in encounter.occurrences}
    assert ("national_path.bpmn", "Task_encounter", "name") in where
    assert ("forms/encounter.schema.json", None, "title") in where
    assert ("forms/encounter.schema.json", "entry_channel", "choice") in {
        (o.file, o.element, o.kind) for o in found["TE-palvelut"].occurrences
    }
    assert "kela_decision" not in found  # a message's name is a code
    assert "formJsonSchemaFilename" not in found


# ---------------------------------------------------------------- saving texts (the service)


@pytest.fixture
def dora(services: Services) -> Actor:
    user_id = users.create_user(
        services.uow(), services.engine.roles, username="dora", display_name="Dora",
        password=PASSWORD, roles=["process_designer"],
    )  # fmt: skip
    user = users.get_user(services.uow(), user_id)
    assert user is not None
    return Actor.from_user(user)


def _latest(services: Services, key: str = "national") -> ProcessModelVersion:
    with services.uow() as uow:
        version = uow.session.scalars(
            select(ProcessModelVersion)
            .join(ProcessModel)
            .where(ProcessModel.key == key)
            .order_by(ProcessModelVersion.id.desc())
        ).first()
        assert version is not None
        return version


def test_saving_texts_makes_a_new_version_with_them(services: Services, dora: Actor) -> None:
    before = _latest(services)
    changes = {"sv": {"Kohtaaminen ja puheeksiotto": "Första mötet"}, "en": {"Kela": ""}}
    result = service.save_texts(
        services.uow(), services.engine, services.clock, dora, "national", changes
    )
    assert result.created and result.version == before.number + 1
    after = _latest(services)
    assert after.source == "texts"
    saved = json.loads(after.files["texts/sv.json"])
    assert saved["Kohtaaminen ja puheeksiotto"] == "Första mötet"
    assert "Kela" not in json.loads(after.files["texts/en.json"])
    texts = service.version_texts(services.uow(), after.id)
    assert texts.text("Kohtaaminen ja puheeksiotto", "sv") == "Första mötet"
    assert texts.text("Kela", "en") == "Kela"  # removed: the Finnish shows
    # the earlier version keeps its texts
    old = service.version_texts(services.uow(), before.id)
    assert old.text("Kohtaaminen ja puheeksiotto", "sv") == "Möte och att ta upp frågan"
    again = service.save_texts(
        services.uow(), services.engine, services.clock, dora, "national", changes
    )
    assert not again.created and again.version == result.version


def test_saving_texts_is_refused_clearly(services: Services, dora: Actor) -> None:
    kaisa = services.actors["kaisa"]
    before = _latest(services)
    with pytest.raises(Forbidden):
        service.save_texts(services.uow(), services.engine, services.clock, kaisa, "national",
                           {"sv": {"Kela": "FPA"}})  # fmt: skip
    for changes, words in (
        ({"de": {"Kela": "x"}}, "not a language"),
        ({"sv": {"Ei tällaista tekstiä": "x"}}, "no text of the model"),
        ({"sv": {"Kela": 5}}, "must map"),
        ({}, "send the translations"),
    ):
        with pytest.raises(InvalidInput) as refused:
            service.save_texts(services.uow(), services.engine, services.clock, dora,
                               "national", changes)  # type: ignore[arg-type]  # fmt: skip
        assert words in refused.value.message
    # refused: no new version, and the texts in use are as they were
    after = _latest(services)
    assert (after.id, after.number) == (before.id, before.number)
    assert after.files == before.files


# ---------------------------------------------------------------- pages and the API


@pytest.fixture
def app(tmp_path: Path, clock: FrozenClock) -> Iterator[Flask]:
    app = make_app(f"sqlite:///{tmp_path / 'texts.db'}", clock)
    ctx = app.extensions["polku"]
    for username, roles, language in (
        ("dora", ["process_designer"], "fi"),
        ("kaisa", STAFF["kaisa"], "sv"),
        ("emma", STAFF["kaisa"], "en"),
    ):
        users.create_user(
            ctx.uow(), ctx.engine.roles, username=username, display_name=username.title(),
            password=PASSWORD, roles=roles, language=language,
        )  # fmt: skip
    yield app
    ctx.db.dispose()


def signed_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.text
    return client


def test_the_designers_texts_page_saves_a_new_version(app: Flask) -> None:
    dora = signed_in(app, "dora")
    model = dora.get("/designer/national")
    assert "/designer/national/texts" in model.text
    page = dora.get("/designer/national/texts")
    assert page.status_code == 200
    assert "Kohtaaminen ja puheeksiotto" in page.text and "Möte och att ta upp frågan" in page.text
    assert "Task_encounter" in page.text  # where it occurs
    missing = dora.get("/designer/national/texts?missing=1")
    assert missing.status_code == 200 and "Kohtaaminen ja puheeksiotto" not in missing.text
    index = _row_index(page.text, "Kohtaaminen ja puheeksiotto")
    saved = dora.post(
        "/designer/national/texts",
        data={f"source-{index}": "Kohtaaminen ja puheeksiotto", f"sv-{index}": "Första mötet",
              f"en-{index}": ""},
    )  # fmt: skip
    assert saved.status_code == 302
    after = dora.get("/designer/national/texts?missing=1")
    assert "Kohtaaminen ja puheeksiotto" in after.text  # its English was removed
    assert "Första mötet" in after.text
    versions = dora.get("/designer/national").text
    assert "Tekstisivu" in versions  # the new version's source
    refused = signed_in(app, "kaisa").get("/designer/national/texts")
    assert refused.status_code == 403 and "Första mötet" not in refused.text
    with app.extensions["polku"].uow() as uow:
        versions_before = uow.session.scalars(select(ProcessModelVersion.id)).all()
    posted = signed_in(app, "kaisa").post(
        "/designer/national/texts",
        data={f"source-{index}": "Kohtaaminen ja puheeksiotto", f"sv-{index}": "Kaisan"},
    )  # fmt: skip
    assert posted.status_code == 403
    bad = dora.post("/designer/national/texts", data={"source-0": "Ei tällaista", "sv-0": "x"})
    assert bad.status_code == 400 and "Ei tällaista" in bad.text
    with app.extensions["polku"].uow() as uow:  # neither refusal made a version
        assert uow.session.scalars(select(ProcessModelVersion.id)).all() == versions_before


def _row_index(html: str, text: str) -> int:
    marker = f'value="{text}"'
    before = html[: html.index(marker)]
    name = before[before.rindex('name="source-') + len('name="source-') :]
    return int(name.split('"')[0])


@pytest.fixture
def any_app(database_url: str, clock: FrozenClock) -> Iterator[Flask]:
    """The app on SQLite and on PostgreSQL (`-m postgres`)."""
    app = make_app(database_url, clock)
    ctx = app.extensions["polku"]
    for username, roles in (("dora", ["process_designer"]), ("kaisa", STAFF["kaisa"])):
        users.create_user(
            ctx.uow(), ctx.engine.roles, username=username, display_name=username.title(),
            password=PASSWORD, roles=roles,
        )  # fmt: skip
    yield app
    ctx.db.dispose()


def test_the_texts_api(any_app: Flask) -> None:
    app = any_app
    api = Api(app.test_client())
    listed = api.get("/processes/national/texts", "dora")
    assert listed.status_code == 200
    body = listed.json
    assert body["key"] == "national" and body["missing"] == {"sv": 0, "en": 0}
    row = next(t for t in body["texts"] if t["text"] == "Kohtaaminen ja puheeksiotto")
    assert row["sv"] == "Möte och att ta upp frågan" and row["occurrences"]
    put = api.call("PUT", "/processes/national/texts", "dora",
                   json={"en": {"Kohtaaminen ja puheeksiotto": ""}})  # fmt: skip
    assert put.status_code == 201 and put.json["version"] == body["version"] + 1
    now = api.get("/processes/national/texts", "dora", query_string={"missing": "1"}).json
    assert now["missing"]["en"] == 1 and [t["text"] for t in now["texts"]] == [
        "Kohtaaminen ja puheeksiotto"
    ]
    bad = api.call("PUT", "/processes/national/texts", "dora", json={"fr": {}})
    assert bad.status_code == 400 and "not a language" in bad.json["detail"]
    assert api.call("PUT", "/processes/national/texts", "dora", data="x").status_code == 400
    assert api.get("/processes/nothing/texts", "dora").status_code == 404
    assert api.get("/processes/national/texts", "kaisa").status_code == 403
    kaisas = api.call("PUT", "/processes/national/texts", "kaisa",
                      json={"sv": {"Kohtaaminen ja puheeksiotto": "Kaisan"}})  # fmt: skip
    assert kaisas.status_code == 403
    # none of the refused ones made a version: the one saved above is still the latest
    latest = api.get("/processes/national/texts", "dora").json
    assert latest["version"] == put.json["version"] and latest["missing"]["en"] == 1
    row = next(t for t in latest["texts"] if t["text"] == "Kohtaaminen ja puheeksiotto")
    assert row["sv"] == "Möte och att ta upp frågan"
    assert app.test_client().get(f"{API}/processes/national/texts").status_code == 401
    spec = app.test_client().get(f"{API}/openapi.json").json
    assert {"get", "put"} <= set(spec["paths"]["/api/v1/processes/{key}/texts"])


def _start_and_open_encounter(app: Flask) -> tuple[Api, int, str]:
    api = Api(app.test_client())
    client = api.post("/clients", "kaisa", json={"full_name": "Greta Testsson"})
    assert client.status_code == 201, client.json
    started = api.post("/instances", "kaisa", json={"client": client.json["id"],
                                                    "process": "national"})  # fmt: skip
    assert started.status_code == 201, started.json
    return api, client.json["id"], api.task_of("kaisa", int(started.json["id"]), "Task_encounter")


def test_a_swedish_reader_sees_the_model_in_swedish(app: Flask) -> None:
    _, _, task_id = _start_and_open_encounter(app)
    kaisa = signed_in(app, "kaisa")
    worklist = kaisa.get("/")
    assert "Möte och att ta upp frågan" in worklist.text
    assert "Kohtaaminen ja puheeksiotto" not in worklist.text
    task = kaisa.get(f"/tasks/{task_id}")
    assert task.status_code == 200
    for text in (
        "Möte och att ta upp frågan",
        "Hänvisningskanal",
        "FPA",
        "Varifrån klienten hänvisades eller hur hen sökte sig till tjänsten.",
    ):
        assert text in task.text, text  # fmt: skip
    assert 'value="kela"' in task.text  # the codes stay
    assert "En yrkesperson tar upp arbetsförmågan." in task.text  # the step's documentation
    assert "Ohjautumiskanava" not in task.text
    english = signed_in(app, "emma").get(f"/tasks/{task_id}")
    assert "Encounter and raising the subject" in english.text
    assert "Referral channel" in english.text
    finnish = signed_in(app, "dora").get("/designer/national/texts")
    assert 'lang="fi"' in finnish.text


def test_the_client_page_names_steps_and_the_path_in_the_readers_language(app: Flask) -> None:
    api, client_id, task_id = _start_and_open_encounter(app)
    done = api.post(f"/tasks/{task_id}/complete", "kaisa", json={"data": sample("Task_encounter")})
    assert done.status_code == 200, done.json
    page = signed_in(app, "kaisa").get(f"/clients/{client_id}")
    assert page.status_code == 200
    assert "Möte och att ta upp frågan" in page.text  # the history's element name
    assert "Inledande intervju och rådgivning" in page.text  # the open step
    assert "Alkuhaastattelu ja neuvonta" not in page.text


def test_the_engine_translates_inside_and_outside_a_unit_of_work(services: Services) -> None:
    version = _latest(services)
    uow = services.uow()
    translator = service.Translator(uow)
    assert translator.text(version.id, "Kohtaaminen ja puheeksiotto", "en") == (
        "Encounter and raising the subject"
    )
    with uow:  # a job's own unit of work, open
        inside = service.Translator(uow)
        assert inside.text(None, "Kohtaaminen ja puheeksiotto", "sv") == (
            "Möte och att ta upp frågan"
        )
        assert inside.text(None, "Ei käännetty", "sv") == "Ei käännetty"
    assert translator.text(version.id, "Kohtaaminen ja puheeksiotto", "fi") == (
        "Kohtaaminen ja puheeksiotto"
    )
