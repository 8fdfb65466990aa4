"""The client's access report and the supervisor's list of unusual access (issue 12 §3).

The report: people do known things to one client (register, start a path, read it, complete a
task, a refused read, an emergency opening and a read on it); the report lists exactly those
rows, in that order, with who, organisation, roles, basis and outcome; another client's rows
are absent; the period filters; making a report is itself a row of the next one; the CSV holds
the same rows with formula-like cells defused; the unentitled are refused and the refusal is
logged; the page and the client page's link.

Unusual access: a burst (one person reads 21 clients within an hour; 20 is not one), reads at
night (23:30 and 00:10 Finnish time: one finding), a read of a closed path (one closed at the
encounter: an urgent case), an emergency opening. Each shows for the owning organisation's
manager and not for another's; marking reviewed moves it to the reviewed list with the note.
Runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.clock import FrozenClock
from engine.errors import InvalidInput
from engine.persistence.audit import AccessLog
from engine.persistence.relationships import EmergencyAccess
from engine.persistence.tables import HumanTask
from engine.services import (
    access_report,
    access_review,
    clients,
    emergency_access,
    instances,
    queries,
    users,
)
from engine.services.access import Actor
from engine.services.demo import sample
from tests.conftest import LONG_SESSIONS, PASSWORD
from tests.test_api import Api
from web import create_app

FINLAND = ZoneInfo("Europe/Helsinki")
OWNER = "hva-pohjois-savo"
OWNER_LABEL = "Pohjois-Savon hyvinvointialue"
OTHER = "hva-kainuu"
REASON = "Asiakas päivystyksessä, tarvitaan tiedot heti"
NAME = "Raili Raportoitava"
FORMULA_NAME = "=2+3 Pekka"  # a display name a spreadsheet would run as a formula
# 2 March 2026, 11:00 Finnish time (UTC+2): a working day's morning
MORNING = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PEOPLE = {  # username: (display name, roles, organisation)
    "kaisa": ("Kaisa", ["work_ability_coordinator"], OWNER),
    "timo": ("Timo", ["case_coordinator"], OWNER),
    "paula": ("Paula", ["service_counsellor"], OWNER),
    "lauri": ("Lauri", ["physician"], OWNER),
    "pekka": (FORMULA_NAME, ["physician"], OWNER),
    "auditti": ("Auditti", ["auditor"], OWNER),
    "dani": ("Dani", ["process_designer"], OWNER),
    "esko": ("Esko", ["manager"], OWNER),
    "maria": ("Maria", ["manager"], OTHER),
}


@pytest.fixture
def site(database_url: str) -> Iterator[tuple[Flask, FrozenClock, dict[str, Actor]]]:
    clock = FrozenClock(MORNING)
    app = create_app({
        "TESTING": True, "DATABASE_AUTO_UPGRADE": True, "DATABASE_URL": database_url,
        "CLOCK": clock, "SECRET_KEY": "access-report-test", "WTF_CSRF_ENABLED": False,
        **LONG_SESSIONS,
    })  # fmt: skip
    ctx = app.extensions["polku"]
    actors = {}
    for username, (display_name, roles, organisation) in PEOPLE.items():
        user_id = users.create_user(
            ctx.uow(), ctx.engine.roles, username=username, display_name=display_name,
            password=PASSWORD, roles=roles, organisations=[organisation],
        )  # fmt: skip
        user = users.get_user(ctx.uow(), user_id)
        assert user is not None
        actors[username] = Actor.from_user(user)
    yield app, clock, actors
    ctx.db.dispose()


def ctx_uow(app: Flask) -> Any:
    return app.extensions["polku"].uow()


def sign_in(app: Flask, username: str) -> FlaskClient:
    browser = app.test_client()
    signed = browser.post("/login", data={"username": username, "password": PASSWORD})
    assert signed.status_code == 302, signed.text
    return browser


def new_client(app: Flask, clock: FrozenClock, kaisa: Actor, name: str) -> int:
    return clients.create_client(app.extensions["polku"].uow(), clock, kaisa, full_name=name)


def start(app: Flask, clock: FrozenClock, kaisa: Actor, client_id: int) -> int:
    ctx = app.extensions["polku"]
    return instances.start_instance(
        ctx.uow(), ctx.engine, clock, kaisa, client_id, "national", OWNER
    )


def read(app: Flask, clock: FrozenClock, actor: Actor, path: int) -> None:
    queries.get_instance(app.extensions["polku"].uow(), clock, actor, path)


def complete(app: Flask, clock: FrozenClock, actor: Actor, path: int, bpmn_id: str,
             **overrides: Any) -> str:  # fmt: skip
    ctx = app.extensions["polku"]
    with ctx.uow() as uow:
        task = uow.session.scalar(
            select(HumanTask).where(HumanTask.instance_id == path, HumanTask.bpmn_id == bpmn_id,
                                    HumanTask.state == "open")
        )  # fmt: skip
        assert task is not None, bpmn_id
        task_id, name = task.id, task.name
    instances.complete_task(
        ctx.uow(), ctx.engine, clock, actor, task_id, sample(bpmn_id, **overrides)
    )
    return f"task completed: {name} ({task_id})"


def last_row(app: Flask, username: str) -> AccessLog:
    with app.extensions["polku"].uow() as uow:
        row = uow.session.scalar(
            select(AccessLog).where(AccessLog.username == username).order_by(AccessLog.id.desc())
        )
        assert row is not None
        uow.session.expunge(row)
        return row


def rows_of(app: Flask, username: str, resource: str) -> list[AccessLog]:
    with app.extensions["polku"].uow() as uow:
        found = list(uow.session.scalars(
            select(AccessLog).where(AccessLog.username == username, AccessLog.resource == resource)
            .order_by(AccessLog.id)
        ))  # fmt: skip
        uow.session.expunge_all()
        return found


def seen(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """Who (username, name, organisations, roles), what, on what basis, with what outcome."""
    return [
        (r["username"], r["display_name"], r["organisations"], r["roles"], r["action"],
         r["resource"], r["basis"], r["outcome"])
        for r in rows
    ]  # fmt: skip


def person(username: str) -> tuple[Any, ...]:
    """Who as the report shows them: username, name, organisations, roles."""
    display_name, roles, _ = PEOPLE[username]
    return (username, display_name, [OWNER_LABEL], roles)


# ---------------------------------------------------------------- the access report


def test_the_access_report_lists_exactly_what_was_done_to_the_client(
    site: tuple[Flask, FrozenClock, dict[str, Actor]],
) -> None:
    app, clock, a = site
    api = Api(app.test_client())
    client_id = new_client(app, clock, a["kaisa"], NAME)
    other_client = new_client(app, clock, a["kaisa"], "Toinen Asiakas")
    other_path = start(app, clock, a["kaisa"], other_client)
    clock.advance(minutes=5)
    path = start(app, clock, a["kaisa"], client_id)
    read(app, clock, a["timo"], other_path)  # another client's
    clock.advance(minutes=5)
    read(app, clock, a["timo"], path)
    clock.advance(minutes=5)
    encounter = complete(app, clock, a["kaisa"], path, "Task_encounter")
    clock.advance(minutes=5)
    assert api.get(f"/instances/{path}", "pekka").status_code == 403  # no basis
    clock.advance(minutes=5)
    emergency_access.open_emergency_access(ctx_uow(app), clock, a["lauri"], path, REASON)
    clock.advance(minutes=5)
    assert api.get(f"/instances/{path}", "lauri").status_code == 200

    did = [  # what the test did to the client, in order
        (*person("kaisa"), "create", "client", "intake coordination", "allowed"),
        (*person("kaisa"), "create", "process_instance",
         "intake coordination in the owning organisation", "allowed"),
        (*person("timo"), "read", "process_instance",
         "intake coordination in the owning organisation", "allowed"),
        (*person("kaisa"), "update", "task", "offered task (work_ability_coordinator)",
         "allowed"),
        (*person("pekka"), "read", "process_instance", "no client relationship or task role",
         "refused"),
        (*person("lauri"), "create", "emergency_access", f"emergency access: {REASON}",
         "allowed"),
        (*person("lauri"), "read", "process_instance", f"emergency access: {REASON}",
         "allowed"),
    ]  # fmt: skip
    report = api.get(f"/clients/{client_id}/access-report", "auditti")
    assert report.status_code == 200, report.json
    body = report.json
    assert seen(body["rows"]) == did
    assert body["client_pseudonym"].startswith("A-") and NAME not in str(body)
    assert (body["from"], body["to"]) == ("2024-03-02", "2026-03-02")  # the last two years
    assert body["basis"] == "auditor of the owning organisation"
    assert [r["detail"] for r in body["rows"]][3] == encounter
    assert {r["instance_id"] for r in body["rows"]} == {None, path}  # no other client's rows
    assert [r["occurred_at"] for r in body["rows"]] == sorted(
        r["occurred_at"] for r in body["rows"]
    )
    made = last_row(app, "auditti")
    assert (made.action, made.resource, made.client_id, made.basis, made.success, made.detail) == (
        "disclose", "access_report", client_id, "auditor of the owning organisation", True,
        "period 2024-03-02..2026-03-02, 7 rows",
    )  # fmt: skip

    # Two days on: the period filter, and the first report is a row of the next.
    clock.advance(days=2)
    api.tokens.clear()
    read(app, clock, a["timo"], path)
    later = api.get(f"/clients/{client_id}/access-report", "auditti",
                    query_string={"from": "2026-03-04", "to": "2026-03-04"})  # fmt: skip
    assert seen(later.json["rows"]) == [
        (*person("timo"), "read", "process_instance",
         "intake coordination in the owning organisation", "allowed"),
    ]  # fmt: skip
    assert (later.json["from"], later.json["to"]) == ("2026-03-04", "2026-03-04")
    kaisa_report = api.get(f"/clients/{client_id}/access-report", "kaisa")
    assert kaisa_report.status_code == 200
    disclosed = (*person("auditti"), "disclose", "access_report",
                 "auditor of the owning organisation", "allowed")  # fmt: skip
    assert seen(kaisa_report.json["rows"]) == [*did, disclosed, seen(later.json["rows"])[0],
                                               disclosed]  # fmt: skip
    assert kaisa_report.json["rows"][7]["detail"] == "period 2024-03-02..2026-03-02, 7 rows"
    assert kaisa_report.json["rows"][9]["detail"] == "period 2026-03-04..2026-03-04, 1 rows"
    assert kaisa_report.json["basis"].startswith("the client's request, handled on the basis:")
    theirs = api.get(f"/clients/{other_client}/access-report", "auditti").json["rows"]
    assert seen(theirs) == [  # the other client's rows are theirs alone
        (*person("kaisa"), "create", "client", "intake coordination", "allowed"),
        (*person("kaisa"), "create", "process_instance",
         "intake coordination in the owning organisation", "allowed"),
        (*person("timo"), "read", "process_instance",
         "intake coordination in the owning organisation", "allowed"),
    ]  # fmt: skip
    assert {r["instance_id"] for r in theirs} == {None, other_path}

    # Not a period; an unknown client.
    for query, field in (({"from": "2026-03-05", "to": "2026-03-04"}, "from"),
                         ({"from": "2010-01-01", "to": "2026-03-04"}, "from"),
                         ({"from": "4.3.2026"}, "from"), ({"to": "huomenna"}, "to")):  # fmt: skip
        wrong = api.get(f"/clients/{client_id}/access-report", "auditti", query_string=query)
        assert wrong.status_code == 400 and field in wrong.json["errors"], query
    assert api.get("/clients/999999/access-report", "auditti").status_code == 404

    # The unentitled: an unrelated physician, a designer, another organisation's manager.
    for username in ("pekka", "dani", "maria"):
        refused = api.get(f"/clients/{client_id}/access-report", username)
        assert refused.status_code == 403, username
        row = last_row(app, username)
        assert (row.action, row.resource, row.client_id, row.success) == (
            "disclose",
            "access_report",
            client_id,
            False,
        ), username
        assert row.basis == "no basis to make the client's access report"


def test_the_report_page_the_csv_and_the_client_page_link(
    site: tuple[Flask, FrozenClock, dict[str, Actor]],
) -> None:
    app, clock, a = site
    api = Api(app.test_client())
    client_id = new_client(app, clock, a["kaisa"], NAME)
    path = start(app, clock, a["kaisa"], client_id)
    clock.advance(minutes=1)
    assert api.get(f"/instances/{path}", "pekka").status_code == 403
    emergency_access.open_emergency_access(ctx_uow(app), clock, a["lauri"], path, REASON)

    auditor = sign_in(app, "auditti")
    page = auditor.get(f"/clients/{client_id}/access-report")
    assert page.status_code == 200
    assert page.text.count('class="access-row"') == 4
    assert "Pääsyraportti" in page.text  # Finnish
    assert REASON in page.text
    assert "Hylätty" in page.text and "=2+3 Pekka" in page.text  # the refusal, escaped text
    assert OWNER_LABEL in page.text and NAME not in page.text
    assert "data-print" in page.text and "@media print" in page.text and "<script>" not in page.text
    assert f'href="/clients/{client_id}/access-report.csv"' in page.text
    narrowed = auditor.get(f"/clients/{client_id}/access-report?from=2026-03-03&to=2026-03-04")
    assert narrowed.status_code == 200 and 'class="access-row"' not in narrowed.text
    wrong = auditor.get(f"/clients/{client_id}/access-report?from=2026-03-05&to=2026-03-04")
    assert wrong.status_code == 400 and 'id="period-from-error"' in wrong.text
    assert "Jakson alku on sen lopun jälkeen." in wrong.text

    download = auditor.get(f"/clients/{client_id}/access-report.csv")
    assert download.status_code == 200
    assert download.mimetype == "text/csv"
    assert download.headers["Content-Disposition"].startswith("attachment; filename=")
    text = download.data.decode("utf-8")
    assert text.startswith("\ufeff")
    lines = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    header, *cells = lines
    assert header[0] == "Aika" and len(header) == 10
    # the page's rows, then the two pages shown (a refused period wrote nothing)
    assert [(c[1], c[5], c[6], c[7], c[9]) for c in cells] == [
        ("kaisa", "create", "client", "client registered", "Sallittu"),
        ("kaisa", "create", "process_instance", "path started: national", "Sallittu"),
        ("pekka", "read", "process_instance", "", "Hylätty"),
        ("lauri", "create", "emergency_access", "", "Sallittu"),
        ("auditti", "disclose", "access_report", "period 2024-03-02..2026-03-02, 4 rows",
         "Sallittu"),
        ("auditti", "disclose", "access_report", "period 2026-03-03..2026-03-04, 0 rows",
         "Sallittu"),
    ]  # fmt: skip
    assert cells[2][2] == "'=2+3 Pekka"  # a formula-like cell is defused
    assert cells[3][8] == f"emergency access: {REASON}"
    assert f'"emergency access: {REASON}"' in text  # quoted: it holds a comma
    assert cells[0][3] == OWNER_LABEL and cells[0][4] == "Työkykykoordinaattori"
    assert "\r\n" in text
    for value in ("=1", "+1", "-1", "@SUM(A1)", "ok", "", None):
        expected = "" if value is None else value
        defused = f"'{expected}" if expected[:1] in ("=", "+", "-", "@") else expected
        assert access_report.safe_cell(value) == defused

    # The client page's link: for those who may make the report.
    kaisa = sign_in(app, "kaisa")
    assert f'href="/clients/{client_id}/access-report"' in kaisa.get(f"/clients/{client_id}").text
    pekka = sign_in(app, "pekka")
    refused_page = pekka.get(f"/clients/{client_id}")
    assert refused_page.status_code == 403 and "access-report" not in refused_page.text
    assert pekka.get(f"/clients/{client_id}/access-report").status_code == 403
    assert pekka.get(f"/clients/{client_id}/access-report.csv").status_code == 403
    assert pekka.get(f"/clients/{client_id}/access-report?from=x").status_code == 403
    assert sign_in(app, "auditti").get(f"/clients/{client_id}/access-report").status_code == 200
    assert sign_in(app, "dani").get(f"/clients/{client_id}/access-report").status_code == 403
    assert last_row(app, "dani").resource == "access_report"


# ---------------------------------------------------------------- unusual access


def at(clock: FrozenClock, helsinki: str) -> None:
    """Set the clock to a time in Finland."""
    clock.now = datetime.fromisoformat(helsinki).replace(tzinfo=FINLAND).astimezone(UTC)


def test_unusual_access_for_the_owning_organisations_supervisor(
    site: tuple[Flask, FrozenClock, dict[str, Actor]],
) -> None:
    app, clock, a = site
    api = Api(app.test_client())
    at(clock, "2026-03-02 09:00")
    crowd = [new_client(app, clock, a["kaisa"], f"Asiakas {n}") for n in range(21)]
    paths = [start(app, clock, a["kaisa"], c) for c in crowd]
    at(clock, "2026-03-02 10:00")
    for p in paths:  # 21 clients in 40 minutes
        read(app, clock, a["timo"], p)
        clock.advance(minutes=2)
    at(clock, "2026-03-02 11:00")
    for p in paths[:20]:  # 20 clients in 38 minutes: not a finding
        read(app, clock, a["paula"], p)
        clock.advance(minutes=2)

    at(clock, "2026-03-02 12:00")
    closing_client = new_client(app, clock, a["kaisa"], "Päivystysasiakas")
    closed = start(app, clock, a["kaisa"], closing_client)
    complete(app, clock, a["kaisa"], closed, "Task_encounter", urgent=True)  # closes the path
    read(app, clock, a["paula"], closed)  # at the moment of closing: not after it
    clock.advance(minutes=30)
    read(app, clock, a["kaisa"], closed)

    at(clock, "2026-03-02 14:00")
    emergency_access.open_emergency_access(ctx_uow(app), clock, a["lauri"], paths[1], REASON)
    at(clock, "2026-03-02 21:50")
    read(app, clock, a["paula"], paths[2])  # evening, not night
    at(clock, "2026-03-02 23:30")
    read(app, clock, a["kaisa"], paths[0])
    at(clock, "2026-03-03 00:10")
    read(app, clock, a["kaisa"], paths[0])  # the same night: the same finding
    at(clock, "2026-03-03 09:00")

    listed = api.get("/access-review", "esko")
    assert listed.status_code == 200, listed.json
    findings = {f["kind"]: f for f in listed.json["findings"]}
    assert sorted(f["kind"] for f in listed.json["findings"]) == sorted(access_review.KINDS)
    pseudonyms = {f["instance_id"]: f["client_pseudonyms"] for f in listed.json["findings"]}
    burst = findings["burst"]
    assert (burst["username"], burst["display_name"], burst["reads"]) == ("timo", "Timo", 21)
    assert len(burst["client_pseudonyms"]) == 21 and burst["instance_id"] is None
    assert burst["occurred_at"].startswith("2026-03-02T08:00")
    assert burst["last_at"].startswith("2026-03-02T08:40")
    night = findings["night"]
    assert (night["username"], night["instance_id"], night["reads"]) == ("kaisa", paths[0], 2)
    assert night["occurred_at"].startswith("2026-03-02T21:30")
    assert night["client_pseudonyms"] == [burst["client_pseudonyms"][0]]
    closing = findings["closed"]
    assert (closing["username"], closing["instance_id"], closing["reads"]) == ("kaisa", closed, 1)
    assert closing["occurred_at"].startswith("2026-03-02T10:30")
    emergency = findings["emergency"]
    assert (emergency["username"], emergency["instance_id"], emergency["reason"]) == (
        "lauri", paths[1], REASON
    )  # fmt: skip
    assert pseudonyms[paths[1]] == [burst["client_pseudonyms"][1]]
    assert all(f["key"].replace("-", "").isalnum() for f in listed.json["findings"])
    assert all(f["organisation"] == OWNER for f in listed.json["findings"] if f["instance_id"])
    assert "Asiakas 0" not in str(listed.json) and "Päivystysasiakas" not in str(listed.json)
    again = api.get("/access-review", "esko").json["findings"]
    assert [f["key"] for f in again] == [f["key"] for f in listed.json["findings"]]  # stable
    logged = rows_of(app, "esko", "access_review")
    assert {r.client_id for r in logged} == {*crowd, closing_client}
    assert len(logged) == 2 * 22  # one row per client shown, per listing
    assert {r.basis for r in logged} == {"supervisor review of unusual access"}
    assert [f["kind"] for f in api.get("/access-review", "esko",
                                        query_string={"kind": "night"}).json["findings"]] == [
        "night"]  # fmt: skip
    assert api.get("/access-review", "esko", query_string={"kind": "x"}).status_code == 400

    # Another organisation's supervisor sees none of it and may not mark it; others may not list.
    assert api.get("/access-review", "maria").json["findings"] == []
    refused = api.post(f"/access-review/{night['key']}/review", "maria", json={"note": "ok"})
    assert refused.status_code == 403
    assert (last_row(app, "maria").success, last_row(app, "maria").client_id) == (
        False, crowd[0]
    )  # fmt: skip
    for username in ("kaisa", "auditti"):
        assert api.get("/access-review", username).status_code == 403
        assert last_row(app, username).basis == "only supervisors review unusual access"
    assert api.post("/access-review/night-99999999/review", "esko", json={}).status_code == 404
    assert api.post("/access-review/nonsense/review", "esko", json={}).status_code == 404

    # The supervisor marks the night read reviewed in the browser, the emergency over the API.
    esko = sign_in(app, "esko")
    page = esko.get("/access-review")
    assert page.status_code == 200
    assert 'href="/access-review"' in page.text  # the nav item
    assert f'action="/access-review/{night["key"]}/review"' in page.text
    assert "Luettu yöllä" in page.text and REASON in page.text
    assert "Asiakas 0" not in page.text
    note = "Yöpäivystys, perusteltu"
    done = esko.post(f"/access-review/{night['key']}/review", data={"note": note})
    assert done.status_code == 302
    assert f'id="finding-{night["key"]}"' not in esko.get("/access-review").text
    shown = esko.get("/access-review?reviewed=1")
    assert f'id="reviewed-{night["key"]}"' in shown.text and note in shown.text
    again_done = api.post(f"/access-review/{night['key']}/review", "esko", json={"note": "x"})
    assert again_done.status_code == 409
    marked = api.post(f"/access-review/{emergency['key']}/review", "esko",
                      json={"note": "Päivystyskäynti"})  # fmt: skip
    assert marked.status_code == 200, marked.json
    assert (marked.json["reviewed_by"], marked.json["review_note"]) == ("esko", "Päivystyskäynti")
    with app.extensions["polku"].uow() as uow:
        opening = uow.session.scalar(select(EmergencyAccess))
        assert opening is not None and opening.reviewed_by == "esko"
    left = {f["kind"] for f in api.get("/access-review", "esko").json["findings"]}
    assert left == {"burst", "closed"}
    everything = api.get("/access-review", "esko", query_string={"reviewed": "true"}).json
    reviewed = {f["kind"]: f for f in everything["findings"] if f["reviewed"]}
    assert set(reviewed) == {"night", "emergency"}
    assert (reviewed["night"]["reviewed_by"], reviewed["night"]["review_note"]) == ("esko", note)
    marks = [r for r in rows_of(app, "esko", "access_review") if r.action == "update"]
    assert [(r.client_id, r.instance_id, r.basis) for r in marks] == [
        (crowd[0], paths[0], f"supervisor review of unusual access: reviewed {night['key']}")
    ]
    assert rows_of(app, "esko", "emergency_access")[-1].action == "update"  # its own review
    kaisa = sign_in(app, "kaisa")
    assert 'href="/access-review"' not in kaisa.get("/").text
    assert kaisa.get("/access-review").status_code == 403


def test_the_period_defaults_to_two_years_and_is_at_most_ten() -> None:
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert access_report.period(now, None, None) == (date(2024, 3, 2), date(2026, 3, 2))
    assert access_report.period(now, date(2026, 1, 1), None) == (date(2026, 1, 1), date(2026, 3, 2))
    assert access_report.period(now, None, date(2025, 1, 1)) == (date(2023, 1, 2), date(2025, 1, 1))
    assert access_report.period(now, date(2016, 3, 2), None)[0] == date(2016, 3, 2)  # ten years
    for since, until in ((date(2026, 3, 3), date(2026, 3, 2)), (date(2016, 3, 1), None)):
        with pytest.raises(InvalidInput) as error:
            access_report.period(now, since, until)
        assert list(error.value.errors) == ["from"]
