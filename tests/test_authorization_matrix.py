"""The authorization matrix (issue 11, section 5): every role, and an administrator, against
every read and write endpoint of a client's path, for a client who is related to them,
unrelated, in another region, on a path closed more than N days ago, and without consent to
multi-organisation handling. Each cell asserts the answer and the access-log row it left.
Runs on SQLite and on a real PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from flask import Flask
from sqlalchemy import select

from engine.clock import FrozenClock
from engine.persistence.tables import AccessLog, FormSubmission
from engine.services import access, instances, users
from engine.services.demo import TO_PLAN
from tests.conftest import PASSWORD, STAFF, home_organisations
from tests.test_api import Api, make_app

# Who completes each step of the national path up to the plan (the walkers, not the subjects).
DOERS = {
    "Task_encounter": "kaisa",
    "Task_initial_interview": "kaisa",
    "Task_physician_assessment": "lauri",
    "Task_functional_assessment": "fanni",
    "Task_social_assessment": "sanna",
    "Task_support_plan": "timo",
    # the client's own tasks: `Api.complete` has the client themself do them
    "Task_client_situation": "client",
    "Task_client_plan_acceptance": "client",
}
INTAKE = {"work_ability_coordinator", "case_coordinator", "service_counsellor"}
OTHER_ORGANISATION = {"kela_advisor", "employment_expert"}
CLIENTS = ("related", "unrelated", "other region", "closed past N days", "no consent")


def subject(role: str | None) -> str:
    return f"m_{role}" if role else "m_admin"


def expected_read(role: str | None, client: str) -> bool:
    """The answer the access policy owes: a basis from the person's own work, or nothing."""
    if role is None or role in access.NO_CLIENT_WORK_ROLES:
        return False  # administrators, designers, managers and auditors read no client data
    if client == "related":  # named in the support plan
        return True
    if client == "no consent":  # named too, but another organisation's staff are kept out
        return role not in OTHER_ORGANISATION
    if client == "unrelated":  # only the owning organisation's intake coordinators
        return role in INTAKE
    return False  # another region's client; a path closed over N days ago


def expected_write(endpoint: str, role: str | None, client: str) -> bool:
    readable = expected_read(role, client)
    if endpoint == "record a Kela decision":
        return readable and role in INTAKE  # no decision is awaited on these paths
    if endpoint == "change the case manager":
        return readable and role == "case_coordinator"
    return False  # the open task is the case manager's own


def walk_to_plan(
    api: Api, path: int, team: list[str], plan: dict[str, Any] | None = None, **encounter: Any
) -> None:
    for step in TO_PLAN:
        extra: dict[str, Any] = dict(encounter) if step == "Task_encounter" else {}
        if step == "Task_support_plan":
            extra.update(plan or {}, team_members=team)
        api.complete(DOERS[step], path, step, **extra)


def build(
    app: Flask, clock: FrozenClock
) -> tuple[Api, dict[str, dict[str, int]], list[str | None]]:
    ctx = app.extensions["polku"]
    for username, roles in STAFF.items():
        users.create_user(
            ctx.uow(), ctx.engine.roles, username=username, display_name=username.title(),
            password=PASSWORD, roles=roles,
        )  # fmt: skip
    users.create_user(ctx.uow(), ctx.engine.roles, username="eeva", display_name="Eeva",
                      password=PASSWORD, roles=["work_ability_coordinator"],
                      organisations=["hva-etela-karjala"])  # fmt: skip
    roles: list[str | None] = [*ctx.engine.roles.codes, None]
    for role in roles:
        users.create_user(
            ctx.uow(), ctx.engine.roles, username=subject(role), display_name=subject(role),
            password=PASSWORD, roles=[role] if role else [], is_admin=role is None,
            organisations=home_organisations([role] if role else []),
        )  # fmt: skip
    team = [subject(r) for r in roles]
    api = Api(app.test_client())
    paths: dict[str, dict[str, int]] = {}

    def new_path(name: str, coordinator: str = "kaisa", process: str = "national") -> int:
        client = api.post("/clients", coordinator, json={"full_name": name})
        assert client.status_code == 201, client.json
        started = api.post("/instances", coordinator,
                           json={"client": client.json["id"], "process": process})  # fmt: skip
        assert started.status_code == 201, started.json
        paths[name] = {"path": int(started.json["id"]), "client": int(client.json["id"])}
        return int(started.json["id"])

    # Closed first: its follow-up timer needs the clock moved on.
    closed = new_path("closed past N days")
    walk_to_plan(api, closed, team)
    api.complete("aino", closed, "Task_arrange_services")
    clock.advance(days=31)
    instances.fire_due_timers(ctx.uow, ctx.engine, clock)
    api.tokens.clear()  # tokens live hours, not weeks
    api.complete("aino", closed, "Task_follow_up_review", close_path=True)
    api.complete("aino", closed, "Task_closing")
    walk_to_plan(api, new_path("related"), team)
    walk_to_plan(api, new_path("unrelated"), [])
    walk_to_plan(api, new_path("no consent"), team, consent_multi_org=False, consent_scope="")
    new_path("other region", "eeva", "eksote")
    clock.advance(days=access.DEFAULT_DAYS_AFTER_CLOSING + 1)
    api.tokens.clear()
    return api, paths, roles


def first_submission(app: Flask, path: int) -> int | None:
    with app.extensions["polku"].uow() as uow:
        return uow.session.scalar(
            select(FormSubmission.id)
            .where(FormSubmission.instance_id == path)
            .order_by(FormSubmission.id)
            .limit(1)
        )


def last_log(app: Flask, username: str) -> AccessLog | None:
    with app.extensions["polku"].uow() as uow:
        row = uow.session.scalar(
            select(AccessLog)
            .where(AccessLog.username == username)
            .order_by(AccessLog.id.desc())
            .limit(1)
        )
        if row is not None:
            uow.session.expunge(row)
        return row


def test_every_role_against_every_endpoint_and_client(database_url: str) -> None:
    clock = FrozenClock()
    app = make_app(database_url, clock)
    try:
        api, paths, roles = build(app, clock)
        open_task = {
            name: api.get(f"/instances/{ids['path']}", "aino").json["open_tasks"]
            for name, ids in paths.items()
            if name in ("related", "unrelated", "no consent")
        }
        first_entry = {name: first_submission(app, ids["path"]) for name, ids in paths.items()}
        wrong = []
        for role in roles:
            who = subject(role)
            for client in CLIENTS:
                path = paths[client]["path"]
                reads = {
                    "path": f"/instances/{path}",
                    "submissions": f"/instances/{path}/submissions",
                    "plan": f"/instances/{path}/plan",
                    "diagram": f"/instances/{path}/diagram",
                    "notes": f"/instances/{path}/notes",
                }
                entry = first_entry.get(client)
                if entry is not None:  # a recorded entry and its revisions
                    reads["entry"] = f"/submissions/{entry}"
                calls: list[tuple[str, Callable[[], Any], bool]] = [
                    (name, partial(api.get, url, who), expected_read(role, client))
                    for name, url in reads.items()
                ]
                decision = {"name": "kela_decision", "data": {"decision": "approved"}}
                calls.append((
                    "record a Kela decision",
                    partial(api.post, f"/instances/{path}/messages", who, json=decision),
                    expected_write("record a Kela decision", role, client),
                ))  # fmt: skip
                calls.append((
                    "change the case manager",
                    partial(api.post, f"/instances/{path}/case-manager", who,
                            json={"username": "no-such-user", "reason": "matrix"}),
                    expected_write("change the case manager", role, client),
                ))  # fmt: skip
                if entry is not None:  # the subjects recorded none of them: nobody may correct
                    calls.append((
                        "correct an entry",
                        partial(api.post, f"/submissions/{entry}/corrections", who,
                                json={"data": {}, "reason": "matrix"}),
                        expected_write("correct an entry", role, client),
                    ))  # fmt: skip
                for task in open_task.get(client, []):
                    calls.append((
                        "complete the open task",
                        partial(api.post, f"/tasks/{task['id']}/complete", who, json={"data": {}}),
                        expected_write("complete the open task", role, client),
                    ))  # fmt: skip
                for endpoint, call, allowed in calls:
                    response = call()
                    log = last_log(app, who)
                    refused = response.status_code == 403
                    cell = f"{who} × {endpoint} × {client}: {response.status_code}"
                    if allowed == refused:
                        wrong.append(f"{cell} (expected {'allowed' if allowed else '403'})")
                    elif refused and (log is None or log.success or not log.basis):
                        wrong.append(f"{cell}: the refusal is not in the access log")
                    elif allowed and endpoint in reads and (
                        log is None or not log.success or not log.basis
                        or log.instance_id != path
                    ):  # fmt: skip
                        wrong.append(f"{cell}: the read is not logged with its basis")
                    elif allowed and endpoint not in reads and response.status_code >= 500:
                        wrong.append(cell)
        assert not wrong, "\n".join(wrong)
        # The basis a supervisor reads in the log says what the relationship is.
        for who, client, basis in (
            ("m_physician", "related", "named in"),
            ("m_work_ability_coordinator", "unrelated", "intake coordination"),
            ("lauri", "related", "did task"),
        ):
            assert api.get(f"/instances/{paths[client]['path']}", who).status_code == 200
            log = last_log(app, who)
            assert log is not None and log.basis.startswith(basis), log and log.basis
    finally:
        app.extensions["polku"].db.dispose()
