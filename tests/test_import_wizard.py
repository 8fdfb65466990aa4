"""Imports in the shape people have (issue 16 §3): a pilot's own CSV (other headers, ';',
d.m.yyyy), naive ISO times without a lifecycle, an XLSX and an XES come in through the wizard's
pages and its API; each is checked by what the data set then holds. The mapping is remembered
per data set; a bad file names its line and column and imports nothing; a mapped import's
memory does not grow with the file."""

from __future__ import annotations

import io
import shutil
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import Workbook
from sqlalchemy import func, select

from engine.analytics import log_sources
from engine.analytics.import_mapping import ImportMapping, attribute_value, detect, parse_time
from engine.clock import FrozenClock
from engine.errors import InvalidInput
from engine.persistence.tables import ImportedDataset, ImportedEvent
from engine.services import event_import, users
from engine.services.access import Actor
from engine.services.demo import DEMO_COUNTIES
from tests.conftest import LONG_SESSIONS, PASSWORD, Services
from tests.test_api import Api
from tests.test_event_import_stream import MANAGER, db, finished  # noqa: F401  (db: both databases)
from tests.test_workspace_ui import login
from web import create_app

FINNISH = (
    "Asiakas;Tapahtuma;Aika;Tekijä;Alue;Palkkatuki\n"
    "A-1;Puheeksiotto;3.1.2024 9:15;hoitaja;Kainuu;1250,50\n"
    "A-1;Lääkärin arvio;15.1.2024;lääkäri;Kainuu;\n"
    "A-2;Puheeksiotto;1.7.2024 08:00:30;hoitaja;Pirkanmaa;0,5\n"
    "A-2;Lääkärin arvio;2.7.2024 12:00;lääkäri;Pirkanmaa;\n"
    "A-3;Puheeksiotto;5.8.2024 10:00;hoitaja;Kainuu;\n"
    "A-3;Suunnitelma;6.8.2024 10:00;asiakasvastaava;Kainuu;\n"
)
ENCOUNTER = "Kohtaaminen ja puheeksiotto"
PHYSICIAN = "Lääkärin työkykyarvio"


@pytest.fixture
def site(tmp_path: Path, template_database: tuple[Path, dict[str, Actor]],
         clock: FrozenClock) -> Iterator[Flask]:  # fmt: skip
    path = tmp_path / "site.db"
    shutil.copyfile(template_database[0], path)
    app = create_app({"TESTING": True, "DATABASE_AUTO_UPGRADE": True,
                      "DATABASE_URL": f"sqlite:///{path}", "CLOCK": clock,
                      "SECRET_KEY": "wizard", "WTF_CSRF_ENABLED": False,
                      "EVENT_LOG_UPLOAD_DIR": str(tmp_path / "uploads"),
                      **LONG_SESSIONS})  # fmt: skip
    ctx = app.extensions["polku"]
    for username in ("maija", "mauno"):
        users.create_user(ctx.uow(), ctx.engine.roles, username=username,
                          display_name=username.title(), password=PASSWORD, roles=["manager"],
                          organisations=DEMO_COUNTIES)  # fmt: skip
    yield app
    ctx.db.dispose()


def events(app: Flask) -> list[ImportedEvent]:
    with app.extensions["polku"].uow() as uow:
        found = uow.session.scalars(
            select(ImportedEvent).order_by(ImportedEvent.case_id, ImportedEvent.timestamp)
        ).all()
        uow.session.expunge_all()
        return list(found)


def datasets(app: Flask) -> int:
    with app.extensions["polku"].uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(ImportedDataset)) or 0


def upload(browser: FlaskClient, content: bytes, filename: str, name: str = "Kainuun pilotti",
           button: str = "/dashboard/event-log/imports") -> Any:  # fmt: skip
    return browser.post(button, data={"name": name, "model": "national",
                                      "file": (io.BytesIO(content), filename)},
                        content_type="multipart/form-data")  # fmt: skip


def wizard_url(answer: Any) -> str:
    assert answer.status_code == 303, answer.text
    location = str(answer.headers["Location"])
    assert "/dashboard/event-log/uploads/" in location
    return location


def choices(**chosen: Any) -> dict[str, Any]:
    """The wizard's form as a browser sends it: columns, attributes and activity targets."""
    activities: dict[str, str] = chosen.pop("activities", {})
    form: dict[str, Any] = {"resource": "", "lifecycle": "", "outcome": "", **chosen}
    form["act_name"] = list(activities)
    form["act_target"] = list(activities.values())
    return form


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, sec: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, sec, tzinfo=UTC)


def test_a_finnish_spreadsheet_with_semicolons_and_finnish_dates(site: Flask) -> None:
    maija = login(site, "maija")
    page_url = wizard_url(upload(maija, FINNISH.encode(), "pilotti.csv"))
    page = maija.get(page_url)
    assert page.status_code == 200
    # the columns are guessed from the Finnish header, the rest offered as attributes
    assert '<option value="Asiakas" selected>' in page.text
    assert '<option value="Aika" selected>' in page.text
    assert '<option value="Tekijä" selected>' in page.text
    assert 'name="attr" value="Alue" checked' in page.text
    # a select per activity name, offering the model's steps by name and id, and Polku's events
    assert page.text.count('name="act_target"') == 3
    assert f"{ENCOUNTER} (Task_encounter)" in page.text
    assert 'value="kind:instance_completed"' in page.text
    sent = maija.post(page_url + "/import", data=choices(
        case="Asiakas", activity="Tapahtuma", timestamp="Aika", resource="Tekijä",
        attr=["Alue", "Palkkatuki"],
        activities={"Puheeksiotto": "step:Task_encounter",
                    "Lääkärin arvio": "step:Task_physician_assessment", "Suunnitelma": ""},
    ))  # fmt: skip
    assert sent.status_code == 302 and "dataset=" in sent.headers["Location"], sent.text
    rows = events(site)
    assert [(e.case_id, e.activity) for e in rows] == [
        ("A-1", ENCOUNTER), ("A-1", PHYSICIAN), ("A-2", ENCOUNTER), ("A-2", PHYSICIAN),
        ("A-3", ENCOUNTER), ("A-3", "Suunnitelma"),
    ]  # fmt: skip
    # Helsinki time: +2 in winter, +3 in summer; a date alone is its midnight
    assert [e.timestamp for e in rows[:3]] == [
        at(2024, 1, 3, 7, 15),
        at(2024, 1, 14, 22, 0),
        at(2024, 7, 1, 5, 0, 30),
    ]
    assert {e.lifecycle for e in rows} == {"complete"}
    assert rows[0].resource == "hoitaja"
    assert rows[0].attributes == {"Alue": "Kainuu", "Palkkatuki": 1250.5}
    assert rows[1].attributes == {"Alue": "Kainuu"}
    assert rows[2].attributes == {"Alue": "Pirkanmaa", "Palkkatuki": 0.5}
    with site.extensions["polku"].uow() as uow:
        dataset = uow.session.scalars(select(ImportedDataset)).one()
        assert (dataset.rows, dataset.cases) == (6, 3)
        assert dataset.mapping is not None and dataset.mapping["case"] == "Asiakas"
    # the metrics know the mapped steps: three cases met, two seen by a physician (assessment)
    metrics = maija.get(sent.headers["Location"])
    assert metrics.status_code == 200 and "Kainuun pilotti" in metrics.text


def test_naive_iso_times_without_a_lifecycle_through_the_api(site: Flask) -> None:
    api = Api(site.test_client())
    log = (
        "case,activity,time,result\n"
        "c1,Kohtaaminen ja puheeksiotto,2024-07-01T12:00:00,\n"
        "c1,Lääkärin työkykyarvio,2024-07-02 09:30,\n"
        "c1,Päättyi,2024-12-01T10:00:00+02:00,employed\n"
    )
    sent = api.post("/event-log/uploads", "maija", data={
        "name": "Pilotti ISO", "model": "national", "file": (io.BytesIO(log.encode()), "p.csv")
    }, content_type="multipart/form-data")  # fmt: skip
    assert sent.status_code == 201, sent.json
    preview = sent.json
    assert preview["columns"] == ["case", "activity", "time", "result"]
    assert preview["format"] == "csv" and not preview["remembered"]
    assert preview["mapping"]["case"] == "case" and preview["mapping"]["timestamp"] == "time"
    assert preview["mapping"]["lifecycle"] == "" and preview["mapping"]["outcome"] == "result"
    assert preview["rows"][0] == ["c1", ENCOUNTER, "2024-07-01T12:00:00", ""]
    assert [a["name"] for a in preview["activities"]] == [ENCOUNTER, PHYSICIAN, "Päättyi"]
    assert {"id": "Task_encounter", "name": ENCOUNTER} in preview["steps"]
    assert "instance_completed" in preview["kinds"]
    mapping = {**preview["mapping"], "activities": {"Päättyi": "kind:instance_completed"}}
    done = api.post(f"/event-log/uploads/{preview['id']}/import", "maija", json=mapping)
    assert done.status_code == 201, done.json
    assert (done.json["rows"], done.json["cases"]) == (3, 1)
    rows = events(site)
    assert [e.timestamp for e in rows] == [
        at(2024, 7, 1, 9, 0),
        at(2024, 7, 2, 6, 30),
        at(2024, 12, 1, 8, 0),
    ]
    assert [e.lifecycle for e in rows] == ["complete"] * 3
    assert rows[2].activity == "Polku päättyi" and rows[2].outcome == "employed"
    # the upload is gone once imported
    again = api.get(f"/event-log/uploads/{preview['id']}", "maija")
    assert again.status_code == 404 and again.json["code"] == "import_upload_not_found"


def xlsx() -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Asiakasnumero", "Toiminto", "Päivämäärä", "Rooli", "Sektori", "Tuki €"])
    sheet.append(["101", "Kohtaaminen", datetime(2024, 3, 5, 14, 30), "hoitaja", "yksityinen", 800])
    sheet.append([101, "Lääkäri", "6.3.2024 9:00", "lääkäri", "julkinen", "1 000"])
    sheet.append([None, None, None, None, None, None])  # an empty row is skipped
    sheet.append([102, "Kohtaaminen", "2024-06-10", None, "kolmas sektori", "12,75"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_xlsx_made_with_openpyxl(site: Flask) -> None:
    maija = login(site, "maija")
    page_url = wizard_url(upload(maija, xlsx(), "pilotti.xlsx"))
    page = maija.get(page_url)
    assert page.status_code == 200 and "<td>2024-03-05 14:30:00</td>" in page.text
    sent = maija.post(page_url + "/import", data=choices(
        case="Asiakasnumero", activity="Toiminto", timestamp="Päivämäärä", resource="Rooli",
        attr=["Sektori", "Tuki €"],
        activities={"Kohtaaminen": "step:Task_encounter",
                    "Lääkäri": "step:Task_physician_assessment"},
    ))  # fmt: skip
    assert sent.status_code == 302, sent.text
    rows = events(site)
    assert [(e.case_id, e.activity, e.timestamp) for e in rows] == [
        ("101", ENCOUNTER, at(2024, 3, 5, 12, 30)),
        ("101", PHYSICIAN, at(2024, 3, 6, 7, 0)),
        ("102", ENCOUNTER, at(2024, 6, 9, 21, 0)),
    ]
    assert [e.resource for e in rows] == ["hoitaja", "lääkäri", None]
    assert [e.attributes for e in rows] == [
        {"Sektori": "yksityinen", "Tuki €": 800},
        {"Sektori": "julkinen", "Tuki €": "1 000"},
        {"Sektori": "kolmas sektori", "Tuki €": 12.75},
    ]


def test_an_xes_log_through_the_api(site: Flask) -> None:
    api = Api(site.test_client())
    xes = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<log xmlns="http://www.xes-standard.org/">\n'
        '<trace><string key="concept:name" value="x1"/><string key="region" value="Kainuu"/>\n'
        '<event><string key="concept:name" value="Kohtaaminen"/>'
        '<date key="time:timestamp" value="2024-02-01T10:00:00.000+02:00"/>'
        '<string key="lifecycle:transition" value="start"/></event>\n'
        '<event><string key="concept:name" value="Kohtaaminen"/>'
        '<date key="time:timestamp" value="2024-02-01T11:00:00"/>'
        '<string key="lifecycle:transition" value="complete"/><float key="cost" value="2,5"/>'
        "</event>\n</trace>\n</log>\n"
    )
    sent = api.post("/event-log/uploads", "maija", data={
        "name": "XES", "model": "national", "file": (io.BytesIO(xes.encode()), "log.xes")
    }, content_type="multipart/form-data")  # fmt: skip
    assert sent.status_code == 201, sent.json
    mapping = sent.json["mapping"]
    assert mapping["case"] == "case:concept:name" and mapping["lifecycle"] == "lifecycle:transition"
    assert set(mapping["attributes"]) == {"case:region", "cost"}
    mapping["activities"] = {"Kohtaaminen": "step:Task_encounter"}
    done = api.post(f"/event-log/uploads/{sent.json['id']}/import", "maija", json=mapping)
    assert done.status_code == 201, done.json
    rows = events(site)
    assert [(e.activity, e.lifecycle, e.timestamp) for e in rows] == [
        (ENCOUNTER, "start", at(2024, 2, 1, 8, 0)), (ENCOUNTER, "complete", at(2024, 2, 1, 9, 0))
    ]  # fmt: skip
    assert rows[1].attributes == {"case:region": "Kainuu", "cost": 2.5}


def test_the_mapping_is_remembered_for_the_next_import_of_the_data_set(site: Flask) -> None:
    maija = login(site, "maija")
    first = wizard_url(upload(maija, FINNISH.encode(), "tammikuu.csv"))
    chosen = choices(case="Asiakas", activity="Tapahtuma", timestamp="Aika", attr=["Alue"],
                     activities={"Puheeksiotto": "step:Task_encounter",
                                 "Suunnitelma": "step:Task_support_plan"})  # fmt: skip
    assert maija.post(first + "/import", data=chosen).status_code == 302
    # the next month's file of the same data set: the wizard starts from the last choices
    second = wizard_url(upload(maija, FINNISH.encode(), "helmikuu.csv", name="kainuun PILOTTI"))
    maija.get("/lang/en")
    page = maija.get(second)
    assert '<option value="Tekijä" selected>' not in page.text  # resource was left out then
    assert 'name="attr" value="Alue" checked' in page.text
    assert 'name="attr" value="Palkkatuki" checked' not in page.text
    assert '<option value="step:Task_encounter" selected>' in page.text
    assert '<option value="step:Task_support_plan" selected>' in page.text
    assert "The choices are those of the last import of the data set" in page.text
    # and so does the API's preview; another data set's name starts from the guess
    api = Api(site.test_client())
    sent = api.post("/event-log/uploads", "maija", data={
        "name": "Kainuun pilotti", "model": "national",
        "file": (io.BytesIO(FINNISH.encode()), "maaliskuu.csv"),
    }, content_type="multipart/form-data")  # fmt: skip
    assert sent.json["remembered"] is True
    assert sent.json["mapping"]["activities"]["Puheeksiotto"] == "step:Task_encounter"
    other = api.post("/event-log/uploads", "maija", data={
        "name": "Toinen", "model": "national", "file": (io.BytesIO(FINNISH.encode()), "t.csv"),
    }, content_type="multipart/form-data")  # fmt: skip
    assert other.json["remembered"] is False and other.json["mapping"]["resource"] == "Tekijä"
    # an upload is its uploader's only
    assert maija.get(second).status_code == 200
    mauno = login(site, "mauno")
    assert mauno.get(second).status_code == 404


def test_a_bad_date_on_line_7_names_the_line_and_imports_nothing(site: Flask) -> None:
    bad = FINNISH.replace("6.8.2024 10:00", "kuudes elokuuta")  # line 7
    maija = login(site, "maija")
    maija.get("/lang/en")
    page_url = wizard_url(upload(maija, bad.encode(), "pilotti.csv"))
    sent = maija.post(page_url + "/import", data=choices(
        case="Asiakas", activity="Tapahtuma", timestamp="Aika"))  # fmt: skip
    assert sent.status_code == 400
    assert "Line 7: Aika: &#39;kuudes elokuuta&#39; is not a time" in sent.text
    assert events(site) == [] and datasets(site) == 0
    # in Finnish too
    maija.get("/lang/fi")
    sent = maija.post(page_url + "/import", data=choices(
        case="Asiakas", activity="Tapahtuma", timestamp="Aika"))  # fmt: skip
    assert sent.status_code == 400 and "Rivi 7: Aika: " in sent.text
    # the API names the line and the column the same way
    api = Api(site.test_client())
    impossible = FINNISH.replace("6.8.2024 10:00", "31.2.2024")
    preview = api.post("/event-log/uploads", "maija", data={
        "name": "Huono", "model": "national", "file": (io.BytesIO(impossible.encode()), "h.csv"),
    }, content_type="multipart/form-data").json  # fmt: skip
    refused = api.post(f"/event-log/uploads/{preview['id']}/import", "maija",
                       json=preview["mapping"])  # fmt: skip
    assert refused.status_code == 400 and refused.json["code"] == "import_failed"
    assert refused.json["errors"]["file"] == [
        "line 7: Aika: '31.2.2024' is not a time (d.m.yyyy, d.m.yyyy HH:MM or ISO 8601)"
    ]
    assert events(site) == [] and datasets(site) == 0


def test_wrong_choices_and_files_that_are_not_logs_are_refused(site: Flask) -> None:
    maija = login(site, "maija")
    maija.get("/lang/en")
    page_url = wizard_url(upload(maija, FINNISH.encode(), "pilotti.csv"))
    no_time = maija.post(page_url + "/import", data=choices(
        case="Asiakas", activity="Tapahtuma", timestamp="",
        activities={"Puheeksiotto": "step:Task_nonexistent"}))  # fmt: skip
    assert no_time.status_code == 400 and 'id="f-timestamp-error"' in no_time.text
    assert "is not a step of the model" in no_time.text
    api = Api(site.test_client())
    not_xlsx = api.post("/event-log/uploads", "maija", data={
        "name": "X", "model": "national", "file": (io.BytesIO(b"plain text"), "x.xlsx"),
    }, content_type="multipart/form-data")  # fmt: skip
    assert not_xlsx.status_code == 400
    assert not_xlsx.json["errors"]["file"] == ["line 1: the file is not an XLSX workbook"]
    doctype = b'<?xml version="1.0"?><!DOCTYPE log [<!ENTITY a "b">]><log/>'
    bomb = api.post("/event-log/uploads", "maija", data={
        "name": "X", "model": "national", "file": (io.BytesIO(doctype), "x.xes"),
    }, content_type="multipart/form-data")  # fmt: skip
    assert bomb.status_code == 201 and "document type" in bomb.json["problem"]
    refused = api.post(f"/event-log/uploads/{bomb.json['id']}/import", "maija",
                       json=bomb.json["mapping"])  # fmt: skip
    assert refused.status_code == 400
    assert events(site) == [] and datasets(site) == 0


def test_a_big_wizard_import_runs_in_the_background_with_its_progress(site: Flask) -> None:
    site.config["EVENT_LOG_INLINE_BYTES"] = 0
    lines = ["Asiakas;Tapahtuma;Aika"]
    start = datetime(2024, 1, 1, 8)
    for n in range(12_000):
        moment = start + timedelta(minutes=n)
        lines.append(f"c{n // 4};Puheeksiotto;{moment:%d.%m.%Y %H:%M}")
    maija = login(site, "maija")
    page_url = wizard_url(upload(maija, ("\n".join(lines) + "\n").encode(), "iso.csv"))
    sent = maija.post(page_url + "/import", data=choices(
        case="Asiakas", activity="Tapahtuma", timestamp="Aika",
        activities={"Puheeksiotto": "step:Task_encounter"}))  # fmt: skip
    assert sent.status_code == 303 and "/dashboard/event-log/imports/" in sent.headers["Location"]
    job = finished(maija, sent.headers["Location"] + "/progress")
    assert job["state"] == "done" and job["rows"] == 12_000 and job["cases"] == 3_000
    assert {e.activity for e in events(site)} == {ENCOUNTER}


def test_times_numbers_and_the_guess_read_as_people_write_them() -> None:
    assert parse_time("31.1.2024", "t") == at(2024, 1, 30, 22, 0)
    assert parse_time("31.1.2024 9.30", "t") == at(2024, 1, 31, 7, 30)
    assert parse_time("1.6.2024 klo 12:00", "t") == at(2024, 6, 1, 9, 0)
    assert parse_time("2024-01-31T09:30", "t") == at(2024, 1, 31, 7, 30)
    assert parse_time("2024-01-31T09:30:00Z", "t") == at(2024, 1, 31, 9, 30)
    assert parse_time(datetime(2024, 7, 1, 12), "t") == at(2024, 7, 1, 9, 0)
    for bad in ("31.2.2024", "1/2/2024", "", "eilen", "2024-13-01"):
        with pytest.raises(ValueError):
            parse_time(bad, "t")
    assert [attribute_value(v) for v in ("12,5", "-3", "007", "1.25", " ", "Kainuu")] == [
        12.5, -3, "007", 1.25, None, "Kainuu"
    ]  # fmt: skip
    guess = detect(["Tapaus", "Vaihe", "Päivämäärä", "Käsittelijä", "Tulos", "Alue"])
    assert (guess.case, guess.activity, guess.timestamp, guess.resource, guess.outcome) == (
        "Tapaus", "Vaihe", "Päivämäärä", "Käsittelijä", "Tulos"
    )  # fmt: skip
    assert guess.attributes == ("Alue",)
    assert log_sources.separator_of("a\tb\tc;d") == "\t"


def _peak(services: Services, path: Path, mapping: ImportMapping) -> int:
    tracemalloc.reset_peak()
    start = tracemalloc.get_traced_memory()[0]
    with path.open("rb") as source:
        event_import.import_events(
            services.uow(), services.clock, MANAGER, name=path.name, model_key="national",
            source=source, total_bytes=path.stat().st_size, mapping=mapping,
            renames={"Puheeksiotto": ENCOUNTER},
        )  # fmt: skip
    return tracemalloc.get_traced_memory()[1] - start


def test_a_mapped_import_does_not_grow_with_the_file(services: Services, tmp_path: Path) -> None:
    mapping = ImportMapping("Asiakas", "Tapahtuma", "Aika", attributes=("Alue", "Tuki"))
    files = {}
    for rows in (100, 5_000, 50_000):
        lines = ["Asiakas;Tapahtuma;Aika;Alue;Tuki"]
        lines += [f"c{n // 4};Puheeksiotto;{1 + n % 28}.1.2024 9:{n % 60:02};Kainuu;{n},5"
                  for n in range(rows)]  # fmt: skip
        files[rows] = tmp_path / f"log-{rows}.csv"
        files[rows].write_text("\n".join(lines) + "\n", encoding="utf-8")
    _peak(services, files[100], mapping)  # the caches are warm before measuring
    tracemalloc.start()
    try:
        small = _peak(services, files[5_000], mapping)
        large = _peak(services, files[50_000], mapping)
    finally:
        tracemalloc.stop()
    assert large < 1.5 * small, (small, large)
    with services.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(ImportedEvent)) == 55_100


def test_the_service_refuses_a_mapped_file_with_a_bad_line(services: Services) -> None:
    mapping = ImportMapping("Asiakas", "Tapahtuma", "Aika", lifecycle="Tila")
    log = "Asiakas;Tapahtuma;Aika;Tila\nc;a;1.1.2024;valmis\nc;a;2.1.2024;kesken\n"
    with pytest.raises(InvalidInput) as refused:
        event_import.import_events(
            services.uow(), services.clock, MANAGER, name="x", model_key="national",
            source=io.BytesIO(log.encode()), mapping=mapping,
        )  # fmt: skip
    assert refused.value.errors["file"] == [
        "line 3: lifecycle 'kesken' is not one of start, complete"
    ]
    with services.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(ImportedEvent)) == 0


def test_attributes_go_in_on_either_database(db: Services) -> None:  # noqa: F811
    """SQLite stages the rows, PostgreSQL COPYs them: the attributes arrive either way."""
    mapping = ImportMapping("Asiakas", "Tapahtuma", "Aika", attributes=("Alue", "Palkkatuki"))
    imported = event_import.import_events(
        db.uow(), db.clock, MANAGER, name="Kainuu", model_key="national",
        source=io.BytesIO(FINNISH.encode()), mapping=mapping, batch_rows=2,
        renames={"Puheeksiotto": ENCOUNTER},
    )  # fmt: skip
    assert (imported.rows, imported.cases) == (6, 3)
    with db.uow() as uow:
        rows = uow.session.scalars(
            select(ImportedEvent).order_by(ImportedEvent.case_id, ImportedEvent.timestamp)
        ).all()
        assert rows[0].attributes == {"Alue": "Kainuu", "Palkkatuki": 1250.5}
        assert rows[0].activity == ENCOUNTER and rows[0].timestamp == at(2024, 1, 3, 7, 15)
        assert rows[5].attributes == {"Alue": "Kainuu"}
        dataset = uow.session.get(ImportedDataset, imported.dataset_id)
        assert dataset is not None and dataset.mapping == mapping.stored()
