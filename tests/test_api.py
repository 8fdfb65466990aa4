"""The JSON API through the Flask test client, on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, text

from engine.clock import FrozenClock
from engine.persistence.tables import AccessLog, Base
from engine.services import instances, users
from engine.services.demo import sample
from tests.client_tasks import CLIENT_STEPS, client_catches_up, complete_as_client
from tests.conftest import PASSWORD, STAFF
from web import create_app

API = "/api/v1"


def make_app(database_url: str, clock: FrozenClock) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "DATABASE_AUTO_UPGRADE": True,
            "DATABASE_URL": database_url,
            "CLOCK": clock,
            "SECRET_KEY": "test",
            "WTF_CSRF_ENABLED": False,
        }
    )


@pytest.fixture
def app(database_url: str, clock: FrozenClock) -> Iterator[Flask]:
    app = make_app(database_url, clock)
    ctx = app.extensions["polku"]
    for username, roles in STAFF.items():
        users.create_user(
            ctx.uow(),
            ctx.engine.roles,
            username=username,
            display_name=username.title(),
            password=PASSWORD,
            roles=roles,
        )
    yield app
    ctx.db.dispose()


class Api:
    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.tokens: dict[str, str] = {}

    def token(self, username: str) -> str:
        if username not in self.tokens:
            response = self.client.post(
                f"{API}/tokens", json={"username": username, "password": PASSWORD}
            )
            assert response.status_code == 201, response.json
            self.tokens[username] = response.json["token"]
        return self.tokens[username]

    def call(self, method: str, path: str, user: str | None, **kwargs: Any) -> Any:
        headers = dict(kwargs.pop("headers", {}))
        if user:
            headers["Authorization"] = f"Bearer {self.token(user)}"
        return self.client.open(f"{API}{path}", method=method, headers=headers, **kwargs)

    def get(self, path: str, user: str, **kwargs: Any) -> Any:
        return self.call("GET", path, user, **kwargs)

    def post(self, path: str, user: str | None, **kwargs: Any) -> Any:
        return self.call("POST", path, user, **kwargs)

    def start_path(self) -> int:
        client = self.post(
            "/clients",
            "kaisa",
            json={"full_name": "Maija Mehiläinen", "identity_code": "131052-308T"},
        )
        assert client.status_code == 201, client.json
        started = self.post(
            "/instances", "kaisa", json={"client": client.json["id"], "process": "national"}
        )
        assert started.status_code == 201, started.json
        return int(started.json["id"])

    def task_of(self, user: str, instance_id: int, bpmn_id: str) -> str:
        ctx = self.client.application.extensions["polku"]
        client_catches_up(ctx.uow, ctx.engine, ctx.clock, instance_id, bpmn_id)
        listed = self.get("/tasks", user, query_string={"instance": instance_id})
        assert listed.status_code == 200
        tasks = listed.json["items"]
        ids = [t["id"] for t in tasks if t["bpmn_id"] == bpmn_id]
        assert ids, f"{user} has no {bpmn_id}: {[t['bpmn_id'] for t in tasks]}"
        return str(ids[0])

    def complete(self, user: str, instance_id: int, bpmn_id: str, **overrides: Any) -> Any:
        if bpmn_id in CLIENT_STEPS:  # the client's own task: done by the client themself
            ctx = self.client.application.extensions["polku"]
            data = sample(bpmn_id, **overrides)
            complete_as_client(ctx.uow, ctx.engine, ctx.clock, instance_id, bpmn_id, data)
            return {"id": instance_id}
        if bpmn_id == "Task_support_plan":
            overrides.setdefault("case_manager", "aino")
        task_id = self.task_of(user, instance_id, bpmn_id)  # the client catches up first
        response = self.post(
            f"/tasks/{task_id}/complete", user, json={"data": sample(bpmn_id, **overrides)}
        )
        assert response.status_code == 200, response.json
        return response.json


@pytest.fixture
def api(app: Flask) -> Api:
    return Api(app.test_client())


def database_fingerprint(
    app: Flask, skip: tuple[str, ...] = ("access_log", "audit_head", "api_token")
) -> str:
    """A digest of every row of every table (but the audit log and login tokens)."""
    digest = hashlib.sha256()
    with app.extensions["polku"].db.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name in skip:
                continue
            for row in conn.execute(select(table).order_by(*table.primary_key.columns)):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def test_the_whole_national_path_over_http(app: Flask, api: Api, clock: FrozenClock) -> None:
    iid = api.start_path()
    api.complete("kaisa", iid, "Task_encounter")
    api.complete("kaisa", iid, "Task_initial_interview", team_decision="further_investigations")
    api.complete("lauri", iid, "Task_further_investigations")
    api.complete("lauri", iid, "Task_physician_assessment")
    api.complete("fanni", iid, "Task_functional_assessment")
    api.complete("sanna", iid, "Task_social_assessment")
    api.complete("timo", iid, "Task_support_plan", conclusion="long_term_incapacity")
    api.complete("lauri", iid, "Task_incapacity_statement")
    task_id = api.task_of("aino", iid, "Task_arrange_services")
    assert api.post(f"/tasks/{task_id}/claim", "aino").json["claimed_by"] == "aino"
    state = api.complete("aino", iid, "Task_arrange_services", awaits_external_decision=True)
    assert state["waiting"][0]["message_name"] == "kela_decision"

    delivered = api.post(
        f"/instances/{iid}/messages",
        "kerttu",
        json={"name": "kela_decision", "data": {"decision": "approved"}},
    )
    assert delivered.status_code == 200, delivered.json
    assert [w["kind"] for w in delivered.json["waiting"]] == ["timer"]

    clock.advance(days=31)
    ctx = app.extensions["polku"]
    assert instances.fire_due_timers(ctx.uow, ctx.engine, ctx.clock) == 1
    _problem(api.get("/tasks", "aino"), 401)  # a month later the old token has expired
    api.tokens.clear()
    api.complete("aino", iid, "Task_follow_up_review", close_path=True)
    final = api.complete("aino", iid, "Task_closing", outcome="work_trial")
    assert (final["status"], final["outcome"], final["open_tasks"]) == (
        "completed",
        "work_trial",
        [],
    )

    view = api.get(f"/instances/{iid}", "aino").json
    kinds = [e["kind"] for e in view["history"]]
    assert kinds[0] == "instance_started" and kinds[-1] == "instance_completed"
    assert {"task_claimed", "message_received", "timer_fired", "case_manager_changed"} <= set(kinds)
    assert view["case_manager"] == "aino"


def test_task_detail_carries_its_form(api: Api) -> None:
    iid = api.start_path()
    task_id = api.task_of("kaisa", iid, "Task_encounter")
    detail = api.get(f"/tasks/{task_id}", "kaisa").json
    assert detail["form"]["type"] == "object"
    assert "entry_channel" in detail["form"]["properties"]
    assert detail["role"] == "work_ability_coordinator" and detail["phase"] == "encounter"


def test_processes_are_listed(api: Api) -> None:
    listed = api.get("/processes", "kaisa").json
    assert {(p["key"], p["version"]) for p in listed} == {
        ("national", 1),
        ("kainuu", 1),
        ("iisalmi", 1),
        ("rovaniemi", 1),
        ("eksote", 1),
    }


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.json
    assert response.content_type == "application/problem+json"
    assert response.json["status"] == status and response.json["title"]
    return dict(response.json)


def test_authentication_errors(api: Api) -> None:
    _problem(api.post("/tokens", None, json={"username": "kaisa", "password": "wrong"}), 401)
    _problem(api.post("/tokens", None, json={"username": "nobody", "password": "x"}), 401)
    _problem(api.client.get(f"{API}/tasks"), 401)
    _problem(api.client.get(f"{API}/tasks", headers={"Authorization": "Bearer nonsense"}), 401)
    bad = _problem(api.post("/tokens", None, json={"username": "kaisa"}), 400)
    assert "password" in bad["errors"]
    _problem(api.post("/tokens", None, data="not json", content_type="text/plain"), 400)


def test_error_cases_change_nothing(app: Flask, api: Api) -> None:
    iid = api.start_path()
    task_id = api.task_of("kaisa", iid, "Task_encounter")
    before = database_fingerprint(app)

    _problem(api.get("/tasks/no-such-task", "kaisa"), 404)
    _problem(api.get("/instances/9999", "kaisa"), 404)
    _problem(api.post("/tasks/no-such-task/complete", "kaisa", json={"data": {}}), 404)
    _problem(api.post("/instances", "kaisa", json={"client": 9999, "process": "national"}), 404)
    _problem(api.post("/instances", "kaisa", json={"client": 1, "process": "nope"}), 404)
    invalid = _problem(
        api.post(
            f"/tasks/{task_id}/complete",
            "kaisa",
            json={"data": {"urgent": "maybe", "shoe_size": 43}},
        ),
        400,
    )
    assert {"urgent", "entry_channel", "shoe_size"} <= set(invalid["errors"])
    _problem(api.post(f"/tasks/{task_id}/complete", "kaisa", json={"wrong": 1}), 400)
    _problem(
        api.post(f"/tasks/{task_id}/complete", "lauri", json={"data": sample("Task_encounter")}),
        403,
    )
    _problem(api.post("/instances", "lauri", json={"client": 1, "process": "national"}), 403)
    _problem(api.post("/clients", "lauri", json={"full_name": "X"}), 403)
    _problem(
        api.post("/clients", "kaisa", json={"full_name": "X", "identity_code": "131052-308A"}), 400
    )
    # Kela's advisor has no part in a path that awaits no decision of theirs: refused before
    # anything is looked at; the team's coordinator is told why it cannot be done
    _problem(api.post(f"/instances/{iid}/messages", "kerttu", json={"name": "kela_decision"}), 403)
    _problem(api.post(f"/instances/{iid}/messages", "kaisa", json={"name": "kela_decision"}), 409)
    _problem(api.post(f"/instances/{iid}/messages", "kaisa", json={"name": "unknown"}), 400)
    _problem(api.post(f"/instances/{iid}/messages", "lauri", json={"name": "kela_decision"}), 403)
    _problem(api.post(f"/tasks/{task_id}/claim", "lauri"), 403)
    _problem(api.get("/tasks", "kaisa", query_string={"state": "weird"}), 400)

    assert database_fingerprint(app) == before
    with app.extensions["polku"].uow() as uow:  # refusals are audited, though
        refused = uow.session.scalar(
            select(func.count(AccessLog.id)).where(AccessLog.success.is_(False))
        )
        assert refused and refused >= 4


def test_completing_twice_is_a_conflict(app: Flask, api: Api) -> None:
    iid = api.start_path()
    task_id = api.task_of("kaisa", iid, "Task_encounter")
    api.complete("kaisa", iid, "Task_encounter")
    before = database_fingerprint(app)
    _problem(
        api.post(f"/tasks/{task_id}/complete", "kaisa", json={"data": sample("Task_encounter")}),
        409,
    )
    _problem(api.post(f"/tasks/{task_id}/claim", "kaisa"), 409)
    assert database_fingerprint(app) == before


def test_a_task_claimed_by_someone_else_is_a_conflict(app: Flask, api: Api) -> None:
    ctx = app.extensions["polku"]
    users.create_user(
        ctx.uow(),
        ctx.engine.roles,
        username="kalle",
        display_name="Kalle",
        password=PASSWORD,
        roles=["work_ability_coordinator"],
    )
    iid = api.start_path()
    task_id = api.task_of("kaisa", iid, "Task_encounter")
    assert api.post(f"/tasks/{task_id}/claim", "kaisa").status_code == 200
    _problem(
        api.post(f"/tasks/{task_id}/complete", "kalle", json={"data": sample("Task_encounter")}),
        409,
    )
    assert api.post(f"/tasks/{task_id}/release", "kaisa").status_code == 200
    assert (
        api.post(
            f"/tasks/{task_id}/complete", "kalle", json={"data": sample("Task_encounter")}
        ).status_code
        == 200
    )


def test_state_survives_an_application_restart(
    app: Flask, api: Api, database_url: str, clock: FrozenClock
) -> None:
    iid = api.start_path()
    api.complete("kaisa", iid, "Task_encounter")
    token = api.token("kaisa")
    app.extensions["polku"].db.dispose()

    restarted = make_app(database_url, clock)
    again = Api(restarted.test_client())
    again.tokens["kaisa"] = token  # tokens are in the database too
    view = again.get(f"/instances/{iid}", "kaisa").json
    assert [t["bpmn_id"] for t in view["open_tasks"]] == ["Task_initial_interview"]
    again.complete("kaisa", iid, "Task_initial_interview")
    # the three assessments and the client's own view
    assert len(again.get(f"/instances/{iid}", "kaisa").json["open_tasks"]) == 4
    restarted.extensions["polku"].db.dispose()


def test_reads_of_client_data_are_logged(app: Flask, api: Api) -> None:
    iid = api.start_path()
    api.get(f"/instances/{iid}", "kaisa")
    with app.extensions["polku"].db.connect() as conn:
        rows = conn.execute(
            text(
                "select username, action, resource, basis, success from access_log "
                "where resource = 'process_instance' and action = 'read'"
            )
        ).all()
    # kaisa reads on the basis of the encounter her role is offered in her organisation
    assert rows == [
        ("kaisa", "read", "process_instance", "offered task: Kohtaaminen ja puheeksiotto", True)
    ]


def test_openapi_document(api: Api) -> None:
    spec = api.client.get(f"{API}/openapi.json").json
    assert spec["openapi"].startswith("3.")
    for path in (
        "/api/v1/tokens",
        "/api/v1/tasks/{task_id}/complete",
        "/api/v1/instances/{instance_id}/messages",
    ):
        assert path in spec["paths"]
    assert "TaskComplete" in spec["components"]["schemas"]


def test_designer_endpoints(app: Flask, api: Api) -> None:
    ctx = app.extensions["polku"]
    users.create_user(
        ctx.uow(),
        ctx.engine.roles,
        username="dora",
        display_name="Dora",
        password=PASSWORD,
        roles=["process_designer"],
    )
    iid = api.start_path()
    versions = api.get("/processes/national/versions", "dora").json
    assert [(v["number"], v["source"], v["running"]) for v in versions] == [(1, "disk", 1)]
    xml = api.get("/processes/national/versions/1/bpmn", "dora")
    assert xml.status_code == 200 and xml.mimetype == "application/xml"

    before = database_fingerprint(app, skip=("access_log", "audit_head", "api_token", "deployment"))
    broken = xml.data.replace(b'name="L\xc3\xa4\xc3\xa4k\xc3\xa4ri"', b'name="Astronautti"')
    refused = _problem(
        api.post(
            "/processes/national/versions", "dora", data=broken, content_type="application/xml"
        ),
        400,
    )
    assert any(p["element"] and "Astronautti" in p["message"] for p in refused["problems"])
    _problem(
        api.post(
            "/processes/national/versions", "kaisa", data=xml.data, content_type="application/xml"
        ),
        403,
    )
    _problem(
        api.post("/processes/national/versions", "dora", data=b"x", content_type="text/plain"), 400
    )
    assert (
        database_fingerprint(app, skip=("access_log", "audit_head", "api_token", "deployment"))
        == before
    )

    same = api.post(
        "/processes/national/versions", "dora", data=xml.data, content_type="application/xml"
    )
    assert same.status_code == 200 and same.json == {
        "key": "national",
        "version": 1,
        "created": False,
    }
    changed = xml.data.replace(b'name="Kohtaaminen ja puheeksiotto"', b'name="Kohtaaminen"')
    from io import BytesIO

    created = api.post(
        "/processes/national/versions",
        "dora",
        data={"file": (BytesIO(changed), "national_path.bpmn")},
        content_type="multipart/form-data",
    )
    assert created.status_code == 201 and created.json["version"] == 2
    plan = api.post(
        "/processes/national/migrations", "dora", json={"from_version": 1, "to_version": 2}
    ).json
    assert [(c["instance_id"], c["movable"], c["moved"]) for c in plan] == [(iid, True, False)]
    moved = api.post(
        "/processes/national/migrations",
        "dora",
        json={"from_version": 1, "to_version": 2, "dry_run": False},
    ).json
    assert moved[0]["moved"]
    assert api.get(f"/instances/{iid}", "kaisa").json["model_version"] == 2

    diagram = api.get(f"/instances/{iid}/diagram", "kaisa").json
    assert diagram["current"] == ["Task_encounter"] and "StartEvent_path" in diagram["done"]
    assert diagram["xml"].startswith("<?xml")


def test_dashboard_metrics_targets_and_event_log_endpoints(app: Flask, api: Api) -> None:
    ctx = app.extensions["polku"]
    users.create_user(
        ctx.uow(),
        ctx.engine.roles,
        username="maija",
        display_name="Maija",
        password=PASSWORD,
        roles=["manager"],
    )
    users.create_user(
        ctx.uow(),
        ctx.engine.roles,
        username="root",
        display_name="Root",
        password=PASSWORD,
        roles=[],
        is_admin=True,
    )
    iid = api.start_path()
    targets = api.call(
        "PUT", "/sla-targets", "root", json={"phase": "encounter", "working_days": 3}
    ).json
    assert targets[0]["working_days"] == 3
    _problem(
        api.call("PUT", "/sla-targets", "maija", json={"phase": "encounter", "working_days": 3}),
        403,
    )
    assert api.get(f"/instances/{iid}", "kaisa").json["open_tasks"][0]["due_at"]
    board = api.get("/dashboard", "maija", query_string={"model": "national"}).json
    assert board["steps"][0]["bpmn_id"] == "Task_encounter"
    assert set(board["lead_times"]) == {
        "contact->team",
        "contact->plan",
        "plan->first_service",
        "contact->closed",
    }
    assert api.get("/dashboard/stalled", "maija").json == []
    assert api.get("/metrics", "maija").json["contacted"] == 1
    _problem(api.get("/metrics", "lauri"), 403)
    log = api.get("/event-log", "maija", query_string={"format": "csv"})
    assert log.status_code == 200 and log.data.startswith(b"case_id,activity,timestamp")
    assert b"Maija Mehil" not in log.data
    xes = api.get("/event-log", "maija", query_string={"format": "xes"})
    assert b"<trace>" in xes.data
    from io import BytesIO

    refused = _problem(
        api.post(
            "/event-log/imports",
            "maija",
            data={
                "name": "x",
                "model": "national",
                "file": (BytesIO(b"case_id,activity\n"), "log.csv"),
            },
            content_type="multipart/form-data",
        ),
        400,
    )
    assert "line 1" in refused["errors"]["file"][0]
    created = api.post(
        "/event-log/imports",
        "maija",
        data={"name": "Pilotti", "model": "national", "file": (BytesIO(log.data), "log.csv")},
        content_type="multipart/form-data",
    )
    assert created.status_code == 201
    imported = api.get(f"/event-log/imports/{created.json['id']}/metrics", "maija").json
    assert imported["contacted"] == 1


def test_a_completion_can_ask_for_no_path_view_back(app: Flask, api: Api) -> None:
    """`Prefer: return=minimal` (RFC 7240): 204 with the path's address, and no read of the
    client's data is made (or logged) for the answer."""
    iid = api.start_path()
    task_id = api.task_of("kaisa", iid, "Task_encounter")
    ctx = app.extensions["polku"]
    with ctx.uow() as uow:
        reads_before = uow.session.scalar(
            select(func.count(AccessLog.id)).where(AccessLog.action == "read")
        )
    answer = api.post(
        f"/tasks/{task_id}/complete", "kaisa", json={"data": sample("Task_encounter")},
        headers={"Prefer": "return=minimal"},
    )  # fmt: skip
    assert answer.status_code == 204 and answer.data == b""
    assert answer.headers["Location"].endswith(f"/api/v1/instances/{iid}")
    assert answer.headers["Preference-Applied"] == "return=minimal"
    with ctx.uow() as uow:
        reads_after = uow.session.scalar(
            select(func.count(AccessLog.id)).where(AccessLog.action == "read")
        )
    assert reads_after == reads_before
    assert [t["bpmn_id"] for t in api.get(f"/instances/{iid}", "kaisa").json["open_tasks"]] == [
        "Task_initial_interview"
    ]
