"""Importing a big event log (issue 13): read line by line and saved in batches in one
transaction, so a bad line deep in the file imports nothing and is named; progress after every
batch; `polku events import`; the upload page's background import and its progress; memory
that does not grow with the file."""

from __future__ import annotations

import io
import re
import shutil
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from engine.analytics import eventlog
from engine.clock import FrozenClock
from engine.errors import InvalidInput, Text
from engine.persistence import schema
from engine.persistence.database import make_engine, make_session_factory
from engine.persistence.tables import AccessLog, ImportedDataset, ImportedEvent, ImportJob
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import dashboards, event_import, import_jobs, users
from engine.services.access import Actor
from engine.services.demo import DEMO_COUNTIES
from engine.services.deployment import deploy_all
from engine.workflow.engine import WorkflowEngine
from tests.conftest import LONG_SESSIONS, PASSWORD, Services
from tests.test_api import Api
from tests.test_workspace_ui import login
from web import create_app
from web.cli import main
from web.ui import labels

HEADER = "case_id,activity,timestamp,resource,lifecycle,outcome\n"
STEPS = [
    ("Kohtaaminen ja puheeksiotto", "nurse"),
    ("Lääkärin työkykyarvio", "physician"),
    ("Työkyvyn tuen suunnitelma ja asiakasvastaavasta sopiminen", "case_coordinator"),
    ("Asiakkuuden päättäminen", "case_manager"),
]
MANAGER = Actor(0, "maija", "Maija Manageri", frozenset({"manager"}))


def event_log(lines: int, bad_line: int | None = None) -> str:
    """A log of `lines` lines in all (the header is line 1): cases of four events each. Line
    `bad_line`, if given, has a time that is not one."""
    start = datetime(2024, 1, 1, 8, tzinfo=UTC)
    out = [HEADER]
    for number in range(2, lines + 1):
        n = number - 2
        case, step = divmod(n, len(STEPS))
        activity, role = STEPS[step]
        moment = (start + timedelta(hours=case, days=7 * step)).isoformat()
        if number == bad_line:
            moment = "ei aika"
        outcome = "work_trial" if step == len(STEPS) - 1 else ""
        out.append(f"p-{case},{activity},{moment},{role},complete,{outcome}\n")
    return "".join(out)


def count(services_or_factory: Any, what: Any) -> int:
    with services_or_factory.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(what)) or 0)


def import_text(services: Services, text: str, **kwargs: Any) -> event_import.Imported:
    data = text.encode()
    return event_import.import_events(
        services.uow(), services.clock, MANAGER, name="Pilotti", model_key="national",
        source=io.BytesIO(data), total_bytes=len(data), **kwargs,
    )  # fmt: skip


# ---------------------------------------------------------------- the service


@pytest.fixture
def db(
    database_url: str, workflow_engine: WorkflowEngine, clock: FrozenClock
) -> Iterator[Services]:
    """A new database, SQLite and PostgreSQL, with the models deployed."""
    database = make_engine(database_url)
    schema.upgrade(database)
    factory = make_session_factory(database)
    deploy_all(UnitOfWork(factory), workflow_engine, clock, actor="test")
    yield Services(workflow_engine, clock, factory, {})
    database.dispose()


def test_a_bad_line_past_the_first_batches_imports_nothing_and_is_named(db: Services) -> None:
    services = db
    logged = count(services, AccessLog)
    calls: list[tuple[int, int, int | None]] = []
    with pytest.raises(InvalidInput) as refused:
        import_text(
            services, event_log(12_500, bad_line=12_001), progress=lambda *a: calls.append(a)
        )
    assert refused.value.errors["file"] == ["line 12001: timestamp 'ei aika' is not ISO 8601"]
    assert [c[0] for c in calls] == [5_001, 10_001]  # two batches were in before it
    assert count(services, ImportedDataset) == count(services, ImportedEvent) == 0
    assert count(services, AccessLog) == logged
    # the rows waiting in the import's temporary table went with the transaction: the next
    # import on the same connection holds its own rows only
    imported = import_text(services, event_log(9))
    assert (imported.rows, count(services, ImportedEvent)) == (8, 8)


def test_progress_comes_after_every_batch_and_the_figures_are_as_before(db: Services) -> None:
    services = db
    text = event_log(12_500)
    calls: list[tuple[int, int, int | None]] = []
    imported = import_text(services, text, progress=lambda *a: calls.append(a))
    size = len(text.encode())
    assert [c[0] for c in calls] == [5_001, 10_001, 12_500]
    assert [c[2] for c in calls] == [size] * 3
    assert calls[0][1] < calls[1][1] < calls[2][1] == size
    rows = eventlog.parse_csv(text)  # what the import in memory counted
    assert (imported.rows, imported.cases) == (len(rows), len({r.case_id for r in rows}))
    with services.uow() as uow:
        dataset = uow.session.get(ImportedDataset, imported.dataset_id)
        assert dataset is not None
        assert (dataset.rows, dataset.cases) == (12_499, 3_125)
    metrics = dashboards.imported_metrics(
        services.uow(), services.engine, MANAGER, imported.dataset_id
    )
    assert metrics.contacted == 3_125
    assert {r.category: r.count for r in metrics.all_referrals}["work_trial"] == 3_124


def test_the_rows_go_in_with_inserts_where_copy_is_not_to_be_had(
    db: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(event_import, "COPY_DRIVERS", frozenset())
    with pytest.raises(InvalidInput):
        import_text(db, event_log(6_000, bad_line=5_999))
    assert count(db, ImportedEvent) == 0
    imported = import_text(db, event_log(6_000))
    assert (imported.rows, count(db, ImportedEvent)) == (5_999, 5_999)


def test_a_background_job_shows_its_progress_to_others_while_it_runs(
    db: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The progress is committed while the import's own transaction is still open (on SQLite
    too, which writes one connection at a time): another connection reads it."""
    seen: list[tuple[int, str]] = []
    record = import_jobs.record_progress

    def record_and_look(uow: Any, clock: Any, job_id: str, lines: int, done: int) -> None:
        record(uow, clock, job_id, lines, done)
        status = import_jobs.job_status(db.uow(), db.clock, MANAGER, job_id)
        seen.append((status.lines_done, status.state))

    monkeypatch.setattr(import_jobs, "record_progress", record_and_look)
    log = tmp_path / "log.csv"
    log.write_text(event_log(12_500), encoding="utf-8")
    size = log.stat().st_size
    job_id = import_jobs.start_job(
        db.uow(), db.clock, MANAGER, name="Tausta", model_key="national", total_bytes=size
    )
    import_jobs.run_job(db.uow, db.clock, MANAGER, job_id, log, interval=0)
    assert seen == [(5_001, "running"), (10_001, "running"), (12_500, "running")]
    done = import_jobs.job_status(db.uow(), db.clock, MANAGER, job_id)
    assert (done.state, done.percent, done.rows, done.cases) == ("done", 100, 12_499, 3_125)
    assert not log.exists()  # the job's copy of the file is gone
    stuck = import_jobs.start_job(db.uow(), db.clock, MANAGER, name="x", model_key="national",
                                  total_bytes=None)  # fmt: skip
    db.clock.advance(minutes=11)  # a job not heard from for that long was cut short
    assert import_jobs.job_status(db.uow(), db.clock, MANAGER, stuck).state == "interrupted"
    lost = import_jobs.start_job(db.uow(), db.clock, MANAGER, name="y", model_key="national",
                                 total_bytes=None)  # fmt: skip
    import_jobs.run_job(db.uow, db.clock, MANAGER, lost, tmp_path / "gone.csv")  # no raise
    failed = import_jobs.job_status(db.uow(), db.clock, MANAGER, lost)
    assert (failed.state, failed.error) == ("failed", None)  # Polku's own failure: logged


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (HEADER.encode() + b"c,a,2024-01-01T00:00:00Z,r,complete,\n" + b"c,\xff,x,r,start,\n",
         "Not UTF-8 text."),
        (HEADER.encode() + b"c,a,2024-01-01T00:00:00Z,r,complete,\n" + b"x" * 70_000 + b"\n",
         "line 3: the line is longer than 65536 bytes"),
        (HEADER.encode() + ("c" * 101 + ",a,2024-01-01T00:00:00Z,r,start,\n").encode(),
         "line 2: case_id is longer than 100 characters"),
        (HEADER.encode() + b"c,a\x00b,2024-01-01T00:00:00Z,r,start,\n",
         "line 2: activity contains a NUL character"),
    ],
)  # fmt: skip
def test_lines_a_database_could_not_hold_are_refused_too(
    services: Services, content: bytes, problem: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        event_import.import_events(
            services.uow(), services.clock, MANAGER, name="x", model_key="national",
            source=io.BytesIO(content),
        )  # fmt: skip
    assert refused.value.errors["file"] == [problem]
    assert count(services, ImportedEvent) == 0


def _traced_peak(services: Services, path: Path) -> int:
    tracemalloc.reset_peak()
    start = tracemalloc.get_traced_memory()[0]
    with path.open("rb") as source:
        event_import.import_events(
            services.uow(), services.clock, MANAGER, name=path.name, model_key="national",
            source=source, total_bytes=path.stat().st_size,
        )  # fmt: skip
    return tracemalloc.get_traced_memory()[1] - start


def test_memory_does_not_grow_with_the_file(services: Services, tmp_path: Path) -> None:
    files = {}
    for lines in (100, 5_001, 50_001):
        files[lines] = tmp_path / f"log-{lines}.csv"
        files[lines].write_text(event_log(lines), encoding="utf-8")
    import_text(services, event_log(100))  # SQLAlchemy's caches are warm before measuring
    tracemalloc.start()
    try:
        small = _traced_peak(services, files[5_001])
        large = _traced_peak(services, files[50_001])
    finally:
        tracemalloc.stop()
    assert count(services, ImportedEvent) == 99 + 5_000 + 50_000
    # the list of all rows the import used to build would be ten times the small one's peak
    assert large < 1.5 * small, (small, large)


# ---------------------------------------------------------------- polku events import


@pytest.fixture
def site_database(tmp_path: Path, template_database: tuple[Path, dict[str, Actor]]) -> Path:
    path = tmp_path / "site.db"
    shutil.copyfile(template_database[0], path)
    return path


def test_the_command_imports_a_file_with_its_progress(
    site_database: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLKU_DATABASE_URL", f"sqlite:///{site_database}")
    monkeypatch.setenv("POLKU_SECRET_KEY", "events")
    log = tmp_path / "pilotti-2023.csv"
    log.write_text(event_log(12_500), encoding="utf-8")
    done = CliRunner().invoke(main, ["events", "import", str(log), "--name", "Pilotti 2023"])
    assert done.exit_code == 0, done.output
    assert re.findall(r"^[\d ]+ lines, \d+ %$", done.stderr, re.M) == [
        "5 001 lines, 39 %", "10 001 lines, 79 %", "12 500 lines, 100 %",
    ]  # fmt: skip
    assert "imported 12 499 events of 3 125 cases as data set" in done.stderr
    dataset_id = int(done.stdout.strip())
    factory = _factory(site_database)
    with factory() as session:
        dataset = session.get(ImportedDataset, dataset_id)
        assert dataset is not None
        assert (dataset.name, dataset.rows, dataset.imported_by) == (
            "Pilotti 2023", 12_499, "polku-cli",
        )  # fmt: skip
    log.write_text(event_log(12_500, bad_line=7_777), encoding="utf-8")
    refused = CliRunner().invoke(main, ["events", "import", str(log)])
    assert refused.exit_code == 1
    assert "line 7777: timestamp 'ei aika' is not ISO 8601" in refused.stderr
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(ImportedDataset)) == 1


def _factory(path: Path) -> Any:
    from engine.persistence.database import make_engine, make_session_factory

    return make_session_factory(make_engine(f"sqlite:///{path}"))


# ---------------------------------------------------------------- the upload page


@pytest.fixture
def site(site_database: Path, clock: FrozenClock) -> Iterator[Flask]:
    """Every upload is imported in the background here (EVENT_LOG_INLINE_BYTES 0)."""
    app = create_app({"TESTING": True, "DATABASE_AUTO_UPGRADE": True,
                      "DATABASE_URL": f"sqlite:///{site_database}", "CLOCK": clock,
                      "SECRET_KEY": "events", "WTF_CSRF_ENABLED": False,
                      "EVENT_LOG_INLINE_BYTES": 0, **LONG_SESSIONS})  # fmt: skip
    ctx = app.extensions["polku"]
    for username in ("maija", "mauno"):
        users.create_user(ctx.uow(), ctx.engine.roles, username=username,
                          display_name=username.title(), password=PASSWORD, roles=["manager"],
                          organisations=DEMO_COUNTIES)  # fmt: skip
    yield app
    ctx.db.dispose()


def upload(browser: FlaskClient, text: str, name: str = "Pilotti 2023") -> Any:
    """The form as a browser sends it. (The body is encoded here: werkzeug's test client leaves
    the temporary file of a body over 500 kB open.)"""
    file = FileStorage(io.BytesIO(text.encode()), "pilotti.csv", content_type="text/csv")
    boundary, body = encode_multipart({"name": name, "model": "national", "file": file})
    return browser.post("/dashboard/event-log/imports", data=body,
                        content_type=f"multipart/form-data; boundary={boundary}")  # fmt: skip


def finished(browser: FlaskClient, url: str) -> dict[str, Any]:
    """Poll the progress as the page's script does, until the job ends."""
    deadline = time.monotonic() + 20
    while True:
        answer = browser.get(url)
        assert answer.status_code == 200 and answer.mimetype == "application/json"
        job: dict[str, Any] = answer.get_json()
        if job["state"] != "running":
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.05)


def test_a_big_upload_is_imported_in_the_background_with_its_progress(site: Flask) -> None:
    maija = login(site, "maija")
    maija.get("/lang/en")
    text = event_log(60_000)  # over the 4 MB other requests may send
    assert len(text.encode()) > site.config["MAX_CONTENT_LENGTH"]
    sent = upload(maija, text)
    assert sent.status_code == 303
    page_url = sent.headers["Location"]
    job_id = page_url.rsplit("/", 1)[1]
    page = maija.get(page_url)
    assert page.status_code == 200 and "Importing an event log" in page.text
    assert "Data set: Pilotti 2023" in page.text
    progress_url = f"/dashboard/event-log/imports/{job_id}/progress"
    assert f'data-import-progress="{progress_url}"' in page.text or "Imported" in page.text

    job = finished(maija, progress_url)
    assert (job["state"], job["percent"], job["rows"], job["cases"]) == (
        "done",
        100,
        59_999,
        15_000,
    )
    assert job["text"] == "The event log was imported as a separate data set: 59,999 events."
    done = maija.get(page_url)
    assert "59,999 events" in done.text
    assert f'href="/dashboard/metrics?dataset={job["dataset_id"]}"' in done.text
    assert "Pilotti 2023" in maija.get("/dashboard/event-log").text
    with site.extensions["polku"].uow() as uow:
        log = uow.session.scalars(
            select(AccessLog).where(AccessLog.resource == "imported_event_log")
        ).one()
        assert log.username == "maija" and log.session_ref  # the session it was asked in

    # the progress is the starter's: others with the right are told there is no such job,
    # people without it are refused, and nobody signed out sees anything
    assert login(site, "mauno").get(progress_url).status_code == 404
    assert login(site, "lauri").get(progress_url).status_code == 403
    assert login(site, "lauri").get(page_url).status_code == 403
    assert site.test_client().get(progress_url).status_code == 302


def test_a_bad_line_in_a_background_upload_is_shown_and_nothing_is_kept(site: Flask) -> None:
    maija = login(site, "maija")
    maija.get("/lang/en")
    sent = upload(maija, event_log(3_000, bad_line=2_990))
    job = finished(maija, sent.headers["Location"] + "/progress")
    assert job["state"] == "failed"
    assert job["error"] == "Line 2990: timestamp 'ei aika' is not an ISO 8601 time"
    page = maija.get(sent.headers["Location"])
    assert "The import failed and nothing was imported." in page.text
    assert "Line 2990: timestamp &#39;ei aika&#39; is not an ISO 8601 time" in page.text
    with site.extensions["polku"].uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(ImportedEvent)) == 0
        assert uow.session.scalar(select(func.count()).select_from(ImportedDataset)) == 0
        assert uow.session.scalar(select(ImportJob.state)) == "failed"
    # the choices are checked before anything is kept or started
    wrong = maija.post(
        "/dashboard/event-log/imports",
        data={"name": "x", "model": "no-such-model",
              "file": (io.BytesIO(event_log(10).encode()), "x.csv")},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert wrong.status_code == 400 and 'id="f-model-import-error"' in wrong.text


def test_a_small_upload_says_how_many_events_came_and_the_api_takes_a_csv_body(
    site: Flask,
) -> None:
    site.config["EVENT_LOG_INLINE_BYTES"] = 1024 * 1024
    maija = login(site, "maija")
    maija.get("/lang/en")
    sent = upload(maija, event_log(3_001))
    assert sent.status_code == 302 and "dataset=" in sent.headers["Location"]
    shown = maija.get(sent.headers["Location"])
    assert "The event log was imported as a separate data set: 3,000 events." in shown.text

    api = Api(site.test_client())
    created = api.post("/event-log/imports?name=Rajapinta&model=national", "maija",
                       data=event_log(501).encode(), content_type="text/csv")  # fmt: skip
    assert created.status_code == 201
    assert (created.json["rows"], created.json["cases"]) == (500, 125)
    bad = event_log(501, bad_line=400).encode()
    refused = api.post("/event-log/imports?name=x", "maija", data=bad, content_type="text/csv")
    assert refused.status_code == 400
    assert refused.json["errors"]["file"] == ["line 400: timestamp 'ei aika' is not ISO 8601"]


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("fi", ["Rivi 7: rivi on pidempi kuin 65536 tavua", "Rivi 3: case_id sisältää NUL-merkin",
                "Rivi 2: rivi ei ole CSV-muotoa (x)"]),
        ("sv", ["Rad 7: raden är längre än 65536 byte", "Rad 3: case_id innehåller ett NUL-tecken",
                "Rad 2: raden är inte CSV (x)"]),
    ],
)  # fmt: skip
def test_the_new_line_problems_read_in_the_readers_language(
    site: Flask, locale: str, expected: list[str]
) -> None:
    # the importer's own errors, which carry their codes (the pages translate by them)
    problems = [
        eventlog.LogImportError(
            7, Text("import_line_too_long", "the line is longer than {max} bytes", max=65536)
        ).text(),
        eventlog.LogImportError(
            3, Text("import_field_nul", "{name} contains a NUL character", name="case_id")
        ).text(),
        eventlog.LogImportError(
            2, Text("import_not_csv", "the line is not CSV ({why})", why="x")
        ).text(),
    ]
    assert problems == [
        "line 7: the line is longer than 65536 bytes",
        "line 3: case_id contains a NUL character",
        "line 2: the line is not CSV (x)",
    ]
    with site.test_request_context(), force_locale(locale):
        assert [labels.message(p) for p in problems] == expected
