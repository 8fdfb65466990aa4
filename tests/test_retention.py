"""Retention (issue 12, §4 and §5): a dry run reports exactly what has expired and changes
nothing; a real run removes it and only it; a client on hold stays until the hold is lifted;
reports name pseudonyms, never names; the access log's expired rows are removed oldest first,
the removal is itself a chained row, and the chain verifies afterwards. On SQLite and
PostgreSQL (whose triggers allow removing only rows older than two years)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import func, select

from engine.clock import FrozenClock
from engine.errors import Forbidden
from engine.persistence.audit import AuditHead
from engine.persistence.audit_chain import verify
from engine.persistence.tables import (
    AccessLog,
    Client,
    Event,
    FormSubmission,
    HumanTask,
    Milestone,
    ProcessInstance,
)
from engine.services import instances, retention, users
from engine.services.access import Actor
from tests.conftest import PASSWORD, STAFF
from tests.test_api import Api, database_fingerprint, make_app
from tests.test_authorization_matrix import walk_to_plan
from web.cli import main

YEARS_AGO = 13  # past the default 12 years of both kinds
ADMIN = Actor(0, "polku-cli", "polku command", frozenset(), is_admin=True)
NAMES = {"old": "Vanha Asiakas", "held": "Pidetty Asiakas", "ancient": "Yhä Polulla",
         "recent": "Uusi Asiakas"}  # fmt: skip
UNCHANGED_BY_A_DRY_RUN = ("access_log", "api_token", "audit_head")


@dataclass
class World:
    app: Flask
    api: Api
    clock: FrozenClock
    clients: dict[str, int]  # by NAMES' key
    pseudonyms: dict[str, str]
    paths: dict[str, int]


def _new_path(api: Api, name: str) -> tuple[int, int]:
    client = api.post("/clients", "kaisa", json={"full_name": name})
    assert client.status_code == 201, client.json
    started = api.post("/instances", "kaisa", json={"client": client.json["id"],
                                                    "process": "national"})  # fmt: skip
    assert started.status_code == 201, started.json
    return int(client.json["id"]), int(started.json["id"])


def _walk_to_closing(app: Flask, api: Api, clock: FrozenClock, path: int) -> None:
    # the plan names the follow-up review a month on (the timer is due on that day)
    review = (clock() + timedelta(days=31)).date().isoformat()
    walk_to_plan(api, path, [], plan={"next_review_date": review})
    api.complete("aino", path, "Task_arrange_services")
    clock.advance(days=32)
    ctx = app.extensions["polku"]
    instances.fire_due_timers(ctx.uow, ctx.engine, clock)
    api.tokens.clear()  # tokens live hours
    api.complete("aino", path, "Task_follow_up_review", close_path=True)
    api.complete("aino", path, "Task_closing")


@pytest.fixture
def world(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    now = datetime.now(UTC)
    clock = FrozenClock(retention.years_before(now, YEARS_AGO))
    app = make_app(database_url, clock)  # a fresh database: its log begins in the past
    ctx = app.extensions["polku"]
    for username, roles in STAFF.items():
        users.create_user(
            ctx.uow(), ctx.engine.roles, username=username, display_name=username.title(),
            password=PASSWORD, roles=roles,
        )  # fmt: skip
    users.create_user(ctx.uow(), ctx.engine.roles, username="root", display_name="Root",
                      password=PASSWORD, roles=[], is_admin=True)  # fmt: skip
    api = Api(app.test_client())
    clients, paths = {}, {}
    for key in ("old", "held"):  # both closed years ago
        clients[key], paths[key] = _new_path(api, NAMES[key])
        _walk_to_closing(app, api, clock, paths[key])
    clients["ancient"], paths["ancient"] = _new_path(api, NAMES["ancient"])  # still running
    api.complete("kaisa", paths["ancient"], "Task_encounter")
    clock.now = now
    api.tokens.clear()
    clients["recent"], paths["recent"] = _new_path(api, NAMES["recent"])
    with ctx.uow() as uow:
        pseudonyms = {
            k: uow.session.get(Client, cid).pseudonym  # type: ignore[union-attr]
            for k, cid in clients.items()
        }
    monkeypatch.setenv("POLKU_DATABASE_URL", database_url)
    monkeypatch.setenv("POLKU_SECRET_KEY", "retention")
    yield World(app, api, clock, clients, pseudonyms, paths)
    ctx.db.dispose()


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def count(app: Flask, *what: object) -> int:
    model, *where = what
    with app.extensions["polku"].uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def log_ids(app: Flask) -> list[int]:
    with app.extensions["polku"].uow() as uow:
        return list(uow.session.scalars(select(AccessLog.id).order_by(AccessLog.id)))


def record_rows(app: Flask, path: int) -> dict[str, int]:
    return {
        "submissions": count(app, FormSubmission, FormSubmission.instance_id == path),
        "events": count(app, Event, Event.instance_id == path),
        "tasks": count(app, HumanTask, HumanTask.instance_id == path),
        "milestones": count(app, Milestone, Milestone.instance_id == path),
        "paths": count(app, ProcessInstance, ProcessInstance.id == path),
    }


def chain_verifies(app: Flask) -> None:
    with app.extensions["polku"].uow() as uow:
        verdict = verify(uow.session)
    assert verdict.ok, verdict
    code, output = cli("audit", "verify")
    assert code == 0, output


def test_dry_run_then_real_runs_with_a_hold(world: World) -> None:
    app, api, ctx = world.app, world.api, world.app.extensions["polku"]
    held = world.pseudonyms["held"]
    code, output = cli("retention", "hold", held, "--reason", "Oikeudenkäynti vireillä 2026.")
    assert code == 0 and f"{held} is on hold" in output, output
    code, output = cli("retention", "holds")
    assert code == 0 and held in output and "Oikeudenkäynti" in output
    assert NAMES["held"] not in output
    again = api.post(f"/clients/{world.clients['held']}/retention-hold", "root",
                     json={"reason": "Toinen syy, yhtä pitkä."})  # fmt: skip
    assert again.status_code == 409
    with pytest.raises(Forbidden):  # retention is administrators' work
        retention.run(ctx.uow(), ctx.clock, _aino(app), dry_run=True)

    # the dry run: exactly the expired, unheld client; nothing changes but the log's new row
    old_rows = record_rows(app, world.paths["old"])
    assert all(old_rows.values())
    before, ids_before = database_fingerprint(app, UNCHANGED_BY_A_DRY_RUN), log_ids(app)
    dry = retention.run(ctx.uow(), ctx.clock, ADMIN, dry_run=True)
    assert dry.dry_run and dry.removed == (world.pseudonyms["old"],)
    assert dry.held == (held,)
    assert dry.rows["client"] == 1 and dry.rows["process_instance"] == 1
    assert dry.rows["form_submission"] == old_rows["submissions"]
    assert dry.rows["event"] == old_rows["events"]
    assert dry.log_rows > 0 and dry.log_stopped_by_hold
    assert database_fingerprint(app, UNCHANGED_BY_A_DRY_RUN) == before
    ids_after = log_ids(app)
    assert ids_after[:-1] == ids_before and len(ids_after) == len(ids_before) + 1
    text = "\n".join(dry.lines())
    assert world.pseudonyms["old"] in text and "would remove" in text
    assert not any(name in text for name in NAMES.values())

    # the real run removes what the dry run named, and only it
    real = retention.run(ctx.uow(), ctx.clock, ADMIN, dry_run=False)
    assert (real.removed, real.held, real.rows) == (dry.removed, dry.held, dry.rows)
    assert real.log_rows == dry.log_rows and real.log_range == dry.log_range
    assert count(app, Client, Client.id == world.clients["old"]) == 0
    assert not any(record_rows(app, world.paths["old"]).values())
    for key in ("held", "ancient", "recent"):
        assert count(app, Client, Client.id == world.clients[key]) == 1
        assert record_rows(app, world.paths[key])["paths"] == 1
    assert count(app, FormSubmission, FormSubmission.instance_id == world.paths["held"]) > 0
    _check_log_removal(app, real.log_range, real.log_rows)
    first_held = _first_log_row_about(app, world.clients["held"])
    assert real.log_range is not None and real.log_range[1] == first_held - 1  # stopped there

    # the hold lifted (administrators only), the next run removes the held client too
    path = f"/clients/{world.clients['held']}/retention-hold"
    assert api.call("DELETE", path, "aino").status_code == 403
    lifted = api.call("DELETE", path, "root")
    assert lifted.status_code == 200 and lifted.json["in_force"] is False
    assert lifted.json["client_pseudonym"] == held and "full_name" not in lifted.json
    assert api.call("DELETE", path, "root").status_code == 409
    code, output = cli("retention", "run")
    assert code == 0, output
    assert f"removed 1 client record(s): {held}" in output
    assert not any(name in output for name in NAMES.values())
    assert count(app, Client, Client.id == world.clients["held"]) == 0
    assert not any(record_rows(app, world.paths["held"]).values())
    for key in ("ancient", "recent"):  # running paths never expire
        assert record_rows(app, world.paths[key])["paths"] == 1
    # every row of the past is gone now (the ancient path's too: rows expire by their own age)
    with ctx.uow() as uow:
        oldest = uow.session.scalar(select(func.min(AccessLog.occurred_at)))
    assert oldest is not None and oldest > retention.years_before(ctx.clock(), 12)
    chain_verifies(app)


def test_a_dry_run_from_the_shell_and_holds_over_the_api(world: World) -> None:
    app, ctx = world.app, world.app.extensions["polku"]
    before = database_fingerprint(app, UNCHANGED_BY_A_DRY_RUN)
    code, output = cli("retention", "run", "--dry-run")
    assert code == 0, output
    expired = f"{world.pseudonyms['old']}, {world.pseudonyms['held']}"
    assert f"would remove 2 client record(s): {expired}" in output
    assert not any(name in output for name in NAMES.values())
    assert database_fingerprint(app, UNCHANGED_BY_A_DRY_RUN) == before
    placed = world.api.post(f"/clients/{world.clients['recent']}/retention-hold", "root",
                            json={"reason": "Asiakas pyysi säilyttämistä."})  # fmt: skip
    assert placed.status_code == 201 and placed.json["in_force"] is True
    refused = world.api.post(f"/clients/{world.clients['recent']}/retention-hold", "kaisa",
                             json={"reason": "Asiakas pyysi säilyttämistä."})  # fmt: skip
    assert refused.status_code == 403
    row = _last_row(app)
    assert (row.username, row.success, row.resource) == ("kaisa", False, "retention_hold")
    # however short a deployment sets the access log's period, rows under two years stay
    rules = {**retention.RULES, retention.ACCESS_LOG: retention.RetentionRule(
        retention.ACCESS_LOG, 0, "the row was written", "a test")}  # fmt: skip
    report = retention.run(ctx.uow(), ctx.clock, ADMIN, dry_run=True, rules=rules)
    floor = retention.years_before(ctx.clock(), retention.ACCESS_LOG_FLOOR_YEARS)
    assert report.cutoffs[retention.ACCESS_LOG] < floor
    assert report.removed == (world.pseudonyms["old"], world.pseudonyms["held"])
    chain_verifies(app)


def _aino(app: Flask) -> Actor:
    ctx = app.extensions["polku"]
    return Actor.from_user([u for u in users.list_users(ctx.uow()) if u.username == "aino"][0])


def _last_row(app: Flask) -> AccessLog:
    with app.extensions["polku"].uow() as uow:
        row = uow.session.scalar(select(AccessLog).order_by(AccessLog.id.desc()).limit(1))
        assert row is not None
        uow.session.expunge(row)
        return row


def _first_log_row_about(app: Flask, client_id: int) -> int:
    with app.extensions["polku"].uow() as uow:
        found = uow.session.scalar(
            select(func.min(AccessLog.id)).where(AccessLog.client_id == client_id)
        )
    assert found is not None
    return int(found)


def _check_log_removal(app: Flask, span: tuple[int, int] | None, removed: int) -> None:
    """The rows up to the anchor are gone; the removal is itself a chained row naming them;
    the chain verifies from the anchor."""
    assert span is not None and removed == span[1] - span[0] + 1
    ids = log_ids(app)
    assert ids[0] == span[1] + 1
    with app.extensions["polku"].uow() as uow:
        head = uow.session.get(AuditHead, 1)
        assert head is not None and head.anchor_id == span[1]
        removal = uow.session.scalar(
            select(AccessLog)
            .where(AccessLog.action == "delete", AccessLog.resource == "access_log")
            .order_by(AccessLog.id.desc())
            .limit(1)
        )
        assert removal is not None
        assert removal.detail == f"removed rows {span[0]}..{span[1]} up to {head.anchor_hash}"
        assert removal.basis.startswith("retention: access log")
    chain_verifies(app)
