"""The export of everything Polku keeps of a client (issue 12, §4 and §5): a client built
through real steps is exported by the case manager, and the export is read back and checked
against the database; the export is logged as a disclosure; people without a basis are refused
(and logged); the readable document and the JSON download show the same. On SQLite and
PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from engine.clock import FrozenClock
from engine.persistence.relationships import EmergencyAccess, PathMember
from engine.persistence.tables import (
    AccessLog,
    Client,
    Consent,
    Event,
    FormSubmission,
    HumanTask,
    ProcessInstance,
)
from engine.services import users, workspace
from engine.services.access import Actor
from engine.services.demo import sample
from tests.conftest import PASSWORD, STAFF
from tests.test_api import Api, make_app
from tests.test_authorization_matrix import walk_to_plan

NAME, IDENTITY = "Maija Mehiläinen", "131052-308T"
DRAFT = {"notes": "Kesken: soitetaan työnantajalle."}
REASON = "Asiakas soitti kiireellisesti, tiimi ei tavoitettavissa."
# people beside the team: an auditor of the owning organisation, physicians of another county
# and of the owning one (with no part in the path), a designer, an administrator, and a nurse of
# the owning county who opens the path in an emergency
OTHERS: dict[str, tuple[list[str], list[str], bool]] = {
    "outi": (["auditor"], ["hva-pohjois-savo"], False),
    "ville": (["physician"], ["hva-etela-karjala"], False),
    "dora": (["process_designer"], [], False),
    "root": ([], [], True),
    "saara": (["nurse"], ["hva-pohjois-savo"], False),
    "esa": (["physician"], ["hva-pohjois-savo"], False),
}


@dataclass
class Built:
    app: Flask
    api: Api
    client_id: int
    instance_id: int


def _actor(app: Flask, username: str) -> Actor:
    ctx = app.extensions["polku"]
    found = [u for u in users.list_users(ctx.uow()) if u.username == username]
    return Actor.from_user(found[0])


@pytest.fixture
def built(database_url: str) -> Iterator[Built]:
    app = make_app(database_url, FrozenClock())
    ctx = app.extensions["polku"]
    for username, roles in STAFF.items():
        users.create_user(
            ctx.uow(), ctx.engine.roles, username=username, display_name=username.title(),
            password=PASSWORD, roles=roles,
        )  # fmt: skip
    for username, (roles, organisations, admin) in OTHERS.items():
        users.create_user(ctx.uow(), ctx.engine.roles, username=username,
                          display_name=username.title(), password=PASSWORD, roles=roles,
                          organisations=organisations, is_admin=admin)  # fmt: skip
    api = Api(app.test_client())
    instance_id = api.start_path()
    walk_to_plan(api, instance_id, ["lauri", "sanna"])
    with ctx.uow() as uow:
        client_id = uow.session.get(ProcessInstance, instance_id).client_id  # type: ignore[union-attr]
        task_id = uow.session.scalar(
            select(HumanTask.id).where(
                HumanTask.instance_id == instance_id,
                HumanTask.state == "open",
                HumanTask.bpmn_id == "Task_arrange_services",
            )
        )
    assert task_id is not None
    workspace.save_draft(ctx.uow(), ctx.clock, _actor(app, "aino"), task_id, DRAFT)
    opened = api.post(f"/instances/{instance_id}/emergency-access", "saara",
                      json={"reason": REASON})  # fmt: skip
    assert opened.status_code == 201, opened.json
    yield Built(app, api, client_id, instance_id)
    ctx.db.dispose()


def _rows(app: Flask, model: Any, *where: Any) -> list[Any]:
    with app.extensions["polku"].uow() as uow:
        found = list(uow.session.scalars(select(model).where(*where)))
        uow.session.expunge_all()
        return found


def _last_log(app: Flask) -> AccessLog:
    with app.extensions["polku"].uow() as uow:
        row = uow.session.scalar(select(AccessLog).order_by(AccessLog.id.desc()).limit(1))
        assert row is not None
        uow.session.expunge(row)
        return row


def test_the_export_holds_everything_the_database_holds(built: Built) -> None:
    app, api, cid, iid = built.app, built.api, built.client_id, built.instance_id
    logged_before = [r.id for r in _rows(app, AccessLog, AccessLog.client_id == cid)]

    response = api.get(f"/clients/{cid}/export", "aino")  # the case manager
    assert response.status_code == 200, response.json
    export = json.loads(response.get_data(as_text=True))  # read back as the client gets it

    client = _rows(app, Client, Client.id == cid)[0]
    assert export["client"] == {
        "id": cid, "pseudonym": client.pseudonym, "full_name": NAME, "identity_code": IDENTITY,
        "municipality": client.municipality, "created_at": client.created_at.isoformat(),
        "created_by": "kaisa",
    }  # fmt: skip
    consents = _rows(app, Consent, Consent.client_id == cid)
    assert consents
    assert [(c["id"], c["scope"], c["given_at"]) for c in export["consents"]] == [
        (c.id, c.scope, c.given_at.isoformat()) for c in consents
    ]

    [path] = export["paths"]
    assert (path["id"], path["model"], path["status"], path["organisation"]) == (
        iid, "national", "running", "hva-pohjois-savo",
    )  # fmt: skip
    assert path["case_manager"] == "aino" and path["completed_at"] is None

    submissions = _rows(app, FormSubmission, FormSubmission.instance_id == iid)
    assert len(submissions) == 8  # the team's six and the client's own view and acceptance
    assert {s["id"]: s["data"] for s in path["submissions"]} == {s.id: s.data for s in submissions}
    assert {s["id"]: s["submitted_by"] for s in path["submissions"]} == {
        s.id: s.submitted_by for s in submissions
    }
    for s in path["submissions"]:  # each with its form's title, and the form itself beside it
        assert s["form_title"] and export["forms"][s["form"]]["title"] == s["form_title"]

    [plan] = path["plan_revisions"]
    assert plan["revision"] == 1 and plan["submitted_by"] == "timo"
    assert plan["data"]["main_goal"] == sample("Task_support_plan")["main_goal"]

    events = _rows(app, Event, Event.instance_id == iid)
    assert [e["id"] for e in path["history"]] == sorted(e.id for e in events)
    assert {e["kind"] for e in path["history"]} >= {"instance_started", "task_completed"}
    assert len(path["tasks"]) == len(_rows(app, HumanTask, HumanTask.instance_id == iid))
    arrange = [t for t in path["tasks"] if t["bpmn_id"] == "Task_arrange_services"]
    assert [(d["task_id"], d["task_name"], d["data"], d["saved_by"]) for d in path["drafts"]] == [
        (arrange[0]["id"], arrange[0]["name"], DRAFT, "aino")
    ]
    members = _rows(app, PathMember, PathMember.instance_id == iid)
    assert len(path["members"]) == len(members) >= 3
    assert {"aino", "lauri", "sanna"} <= {m["username"] for m in path["members"]}
    [opening] = path["emergency_openings"]
    assert len(_rows(app, EmergencyAccess, EmergencyAccess.instance_id == iid)) == 1
    assert (opening["username"], opening["reason"]) == ("saara", REASON)

    # the access log's rows about the client, oldest first, as they were before the export
    assert [r["id"] for r in export["access_log"]] == logged_before
    assert any(r["basis"].startswith("emergency access:") for r in export["access_log"])
    counts = export["counts"]
    assert (counts["submissions"], counts["history_events"], counts["access_log_rows"]) == (
        8, len(events), len(logged_before),
    )  # fmt: skip

    # the export is itself logged, as a disclosure saying what it held
    row = _last_log(app)
    assert (row.username, row.action, row.resource, row.client_id, row.success) == (
        "aino", "disclose", "client_export", cid, True,
    )  # fmt: skip
    assert "case manager" in row.basis
    assert row.detail and "8 submissions" in row.detail and "1 emergency openings" in row.detail


def test_an_auditor_of_the_owner_may_export_and_others_are_refused(built: Built) -> None:
    app, api, cid = built.app, built.api, built.client_id
    assert api.get(f"/clients/{cid}/export", "outi").status_code == 200
    assert _last_log(app).basis == "auditor of the owning organisation"
    for username in ("ville", "esa", "dora", "root"):  # no part in the path, or no client work
        refused = api.get(f"/clients/{cid}/export", username)
        assert refused.status_code == 403, (username, refused.json)
        assert NAME not in refused.get_data(as_text=True)
        row = _last_log(app)
        assert (row.username, row.action, row.resource, row.client_id, row.success) == (
            username, "disclose", "client_export", cid, False,
        )  # fmt: skip
    assert api.get("/clients/99999/export", "aino").status_code == 404


def _login(app: Flask, username: str) -> Any:
    browser = app.test_client()
    response = browser.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.text
    return browser


def test_the_readable_document_and_the_download(built: Built) -> None:
    app, cid = built.app, built.client_id
    aino = _login(app, "aino")
    page = aino.get(f"/clients/{cid}")
    assert page.status_code == 200 and f'href="/clients/{cid}/export"' in page.text
    assert "Vie asiakkaan tiedot" in page.text  # in the reader's language

    document = aino.get(f"/clients/{cid}/export")
    assert document.status_code == 200
    text = document.text
    assert "Kaikki asiakkaasta säilytetyt tiedot" in text
    assert NAME in text and IDENTITY in text
    plan = sample("Task_support_plan")
    assert plan["main_goal"] in text and plan["strengths"] in text  # the plan, in full
    assert REASON in text and "<script>" not in text  # no inline script
    assert _last_log(app).detail.startswith(  # type: ignore[union-attr]
        "everything kept of the client, as a readable document"
    )

    download = aino.get(f"/clients/{cid}/export.json")
    assert download.status_code == 200 and download.mimetype == "application/json"
    assert "attachment" in download.headers["Content-Disposition"]
    exported = json.loads(download.get_data(as_text=True))
    assert exported["client"]["full_name"] == NAME
    assert len(exported["paths"][0]["submissions"]) == 8
    disclosed = _rows(app, AccessLog, AccessLog.action == "disclose", AccessLog.client_id == cid)
    assert [r.username for r in disclosed] == ["aino", "aino"]

    # someone who may not export sees no link: a designer is refused the page itself
    dora = _login(app, "dora")
    assert dora.get(f"/clients/{cid}/export").status_code == 403
    with app.extensions["polku"].uow() as uow:
        refused = uow.session.scalar(
            select(func.count(AccessLog.id)).where(
                AccessLog.username == "dora", AccessLog.success.is_(False)
            )
        )
    assert refused == 1
