"""Moving running paths to another model version (issue 15 §5): choosing the paths, mapping a
step the new version lacks, the confirmed count, undoing the last migration, and what a
migration is not (client activity); through the service, the designer's page and the API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from engine.clock import FrozenClock
from engine.errors import Conflict, InvalidInput, NotFound
from engine.persistence.path_migrations import PathMigration
from engine.persistence.tables import AccessLog, Event, HumanTask, ProcessInstance
from engine.services import designer, path_migration, users
from engine.services.access import Actor
from engine.services.demo import sample
from engine.services.path_migration import Selection
from tests.conftest import PASSWORD, STAFF, Services
from tests.test_api import Api, make_app
from tests.test_ui import login
from tests.test_versions import EXTRA_STEP, NATIONAL, deploy, version_of
from tests.test_versions import designer_actor as designer_actor  # noqa: F401  (fixture)

# version with Task_encounter renamed (id and name): a path there moves only if it is mapped
MEETING = NATIONAL.replace("Task_encounter", "Task_meeting").replace(
    'name="Kohtaaminen ja puheeksiotto"', 'name="Tapaaminen"'
)


def plan(
    services: Services, actor: Actor, old: int, new: int, *, dry_run: bool, **kwargs: Any
) -> path_migration.MigrationPlan:
    return path_migration.plan_migration(
        services.uow(), services.engine, services.clock, actor, "national", old, new,
        dry_run=dry_run, **kwargs,
    )  # fmt: skip


def undo(services: Services, actor: Actor, *, dry_run: bool) -> path_migration.UndoResult:
    return path_migration.undo_last(
        services.uow(), services.engine, services.clock, actor, "national", dry_run=dry_run
    )


def last_activity(services: Services, instance_id: int) -> Any:
    with services.uow() as uow:
        row = uow.session.get(ProcessInstance, instance_id)
        assert row is not None
        return row.last_activity_at


def test_a_partial_migration_and_its_undo(services: Services, designer_actor: Actor) -> None:
    first, second, third = services.start(), services.start(), services.start()
    deploy(services, designer_actor, EXTRA_STEP)
    quiet_since = {i: last_activity(services, i) for i in (first, second, third)}
    services.clock.advance(days=20)

    dry = plan(services, designer_actor, 1, 2, dry_run=True,
               selection=Selection(instance_ids=frozenset({first, second})))  # fmt: skip
    assert dry.will_move == 2 and dry.moved == 0
    assert {c.instance_id: c.selected for c in dry.candidates} == {
        first: True, second: True, third: False
    }  # fmt: skip
    assert version_of(services, first) == 1  # a dry run moves nothing

    with pytest.raises(Conflict):  # the designer confirmed another count: nothing moves
        plan(services, designer_actor, 1, 2, dry_run=False, expect=3,
             selection=Selection(instance_ids=frozenset({first, second})))  # fmt: skip
    assert version_of(services, first) == 1

    done = plan(services, designer_actor, 1, 2, dry_run=False, expect=2,
                selection=Selection(instance_ids=frozenset({first, second})))  # fmt: skip
    assert done.moved == 2 and done.migration_id is not None
    assert [version_of(services, i) for i in (first, second, third)] == [2, 2, 1]
    # moving is not client activity: the stall figures' and quiet notices' clock stands
    assert {i: last_activity(services, i) for i in (first, second, third)} == quiet_since
    with services.uow() as uow:
        logged = {
            (r.instance_id, r.action, r.basis)
            for r in uow.session.scalars(
                select(AccessLog).where(
                    AccessLog.username == "dora", AccessLog.resource == "process_instance"
                )
            )
        }
    assert (first, "update", path_migration.BASIS) in logged
    assert (second, "update", path_migration.BASIS) in logged
    assert (third, "update", path_migration.BASIS) not in logged

    [record] = path_migration.history(services.uow(), designer_actor, "national")
    assert (record.from_version, record.to_version, record.migrated_by) == (1, 2, "dora")
    assert record.instance_ids == sorted([first, second]) and record.undoable

    services.walk(second, "Task_encounter")  # the second path progresses on version 2
    preview = undo(services, designer_actor, dry_run=True)
    assert {r.instance_id: r.undoable for r in preview.rows} == {first: True, second: False}
    assert "moved on" in preview.rows[1].reasons[0]
    assert version_of(services, first) == 2  # the undo's dry run moves nothing

    undone = undo(services, designer_actor, dry_run=False)
    assert undone.undone == 1
    with services.uow() as uow:
        undo_rows = [
            (r.instance_id, r.action)
            for r in uow.session.scalars(
                select(AccessLog).where(
                    AccessLog.username == "dora",
                    AccessLog.basis == path_migration.BASIS,
                    AccessLog.detail.like("%undo%"),
                )
            )
        ]
    # the dry run read both; the undo moved the first back and read the second
    assert sorted(undo_rows) == sorted(
        [(first, "read"), (second, "read"), (first, "update"), (second, "read")]
    )
    assert [version_of(services, i) for i in (first, second, third)] == [1, 2, 1]
    assert last_activity(services, first) == quiet_since[first]
    [record] = path_migration.history(services.uow(), designer_actor, "national")
    assert record.undone_by == "dora" and not record.undoable
    assert record.outcomes == {first: "undone", second: "kept"}
    with pytest.raises(NotFound):  # the last migration is undone: nothing more to undo
        undo(services, designer_actor, dry_run=True)
    # back on version 1 the path goes the old way: no added step after the encounter
    services.walk(first, "Task_encounter")
    assert {t.bpmn_id for t in services.open_tasks(first)} == {"Task_initial_interview"}
    services.walk(second, ("Task_extra", sample("Task_further_investigations")))
    assert {t.bpmn_id for t in services.open_tasks(second)} == {"Task_initial_interview"}


def test_paths_chosen_by_their_current_step(services: Services, designer_actor: Actor) -> None:
    waiting, moved_on = services.start(), services.start()
    services.walk(moved_on, "Task_encounter")
    deploy(services, designer_actor, EXTRA_STEP)
    done = plan(services, designer_actor, 1, 2, dry_run=False,
                selection=Selection(steps=frozenset({"Task_initial_interview"})))  # fmt: skip
    assert [c.instance_id for c in done.candidates if c.moved] == [moved_on]
    assert (version_of(services, waiting), version_of(services, moved_on)) == (1, 2)


def test_a_missing_step_mapped_to_a_new_one(services: Services, designer_actor: Actor) -> None:
    path = services.start()
    deploy(services, designer_actor, MEETING)  # version 2: no Task_encounter
    unmapped = plan(services, designer_actor, 1, 2, dry_run=True)
    [candidate] = unmapped.candidates
    assert not candidate.movable and candidate.missing_steps == ["Task_encounter"]
    assert unmapped.missing_steps == [("Task_encounter", "Kohtaaminen ja puheeksiotto")]
    assert ("Task_meeting", "Tapaaminen") in unmapped.map_targets

    with pytest.raises(InvalidInput) as refused:  # a gateway is no place for a token
        plan(services, designer_actor, 1, 2, dry_run=True,
             step_map={"Task_encounter": "Gateway_urgent"})  # fmt: skip
    assert refused.value.code == "migration_map_invalid"

    elsewhere = plan(services, designer_actor, 1, 2, dry_run=True,
                     step_map={"Task_encounter": "Task_initial_interview"})  # fmt: skip
    [candidate] = elsewhere.candidates  # a token takes the old step's place, not another's
    assert not candidate.movable and "does not follow" in candidate.reasons[0]

    mapping = {"Task_encounter": "Task_meeting"}
    done = plan(services, designer_actor, 1, 2, dry_run=False, step_map=mapping)
    assert done.moved == 1 and version_of(services, path) == 2
    [task] = services.open_tasks(path)
    # the open task takes the new version's step and name, in the worklist and the history
    assert (task.bpmn_id, task.name) == ("Task_meeting", "Tapaaminen")
    with services.uow() as uow:
        migrated = uow.session.scalars(
            select(Event).where(Event.instance_id == path, Event.kind == "instance_migrated")
        ).one()
        assert migrated.data["renamed"] == [
            {"task_id": task.id, "from": "Kohtaaminen ja puheeksiotto", "to": "Tapaaminen"}
        ]
        recorded = uow.session.scalars(select(PathMigration)).one()
        assert recorded.step_map == mapping
    services.walk(path, ("Task_meeting", sample("Task_encounter")))
    with services.uow() as uow:
        completed = uow.session.scalars(
            select(Event).where(Event.instance_id == path, Event.kind == "task_completed")
        ).one()
        assert completed.element_name == "Tapaaminen"
    assert {t.bpmn_id for t in services.open_tasks(path)} == {"Task_initial_interview"}


def test_the_undo_of_a_mapped_migration_restores_the_old_step(
    services: Services, designer_actor: Actor
) -> None:
    path = services.start()
    deploy(services, designer_actor, MEETING)
    plan(services, designer_actor, 1, 2, dry_run=False,
         step_map={"Task_encounter": "Task_meeting"})  # fmt: skip
    assert undo(services, designer_actor, dry_run=False).undone == 1
    [task] = services.open_tasks(path)
    assert (task.bpmn_id, task.name) == ("Task_encounter", "Kohtaaminen ja puheeksiotto")
    assert version_of(services, path) == 1
    services.walk(path, "Task_encounter")
    assert {t.bpmn_id for t in services.open_tasks(path)} == {"Task_initial_interview"}


def test_the_old_migrate_call_moves_every_movable_path(
    services: Services, designer_actor: Actor
) -> None:
    path = services.start()
    deploy(services, designer_actor, EXTRA_STEP)
    moved = designer.migrate(
        services.uow(), services.engine, services.clock, designer_actor, "national", 1, 2, False
    )
    assert [c.moved for c in moved] == [True] and version_of(services, path) == 2


# ---------------------------------------------------------------- the page and the API


@pytest.fixture
def site(database_url: str, clock: FrozenClock) -> Iterator[Flask]:
    """The web app with the staff and Dora, a process designer."""
    app = make_app(database_url, clock)
    ctx = app.extensions["polku"]
    for username, roles in {**STAFF, "dora": ["process_designer"]}.items():
        users.create_user(
            ctx.uow(), ctx.engine.roles, username=username, display_name=username.title(),
            password=PASSWORD, roles=roles,
        )  # fmt: skip
    yield app
    ctx.db.dispose()


def _start(api: Api, name: str) -> int:
    client = api.post("/clients", "kaisa", json={"full_name": name})
    assert client.status_code == 201, client.json
    started = api.post(
        "/instances", "kaisa", json={"client": client.json["id"], "process": "national"}
    )
    assert started.status_code == 201, started.json
    return int(started.json["id"])


def _new_version(app: Flask, xml: str) -> None:
    ctx = app.extensions["polku"]
    actor = users.get_user(ctx.uow(), _user_id(app, "dora"))
    assert actor is not None
    designer.deploy_bpmn(
        ctx.uow(), ctx.engine, ctx.clock, Actor.from_user(actor), "national",
        "national_path.bpmn", xml.encode(),
    )  # fmt: skip


def _user_id(app: Flask, username: str) -> int:
    from engine.persistence.tables import User

    with app.extensions["polku"].uow() as uow:
        found = uow.session.scalars(select(User.id).where(User.username == username)).one()
        return int(found)


def _version(app: Flask, instance_id: int) -> int:
    with app.extensions["polku"].uow() as uow:
        row = uow.session.get(ProcessInstance, instance_id)
        assert row is not None
        return row.model_version.number


def test_the_page_chooses_confirms_and_undoes(site: Flask) -> None:
    app, api = site, Api(site.test_client())
    first, second = _start(api, "Eeva Ensimmäinen"), _start(api, "Toivo Toinen")
    _new_version(app, EXTRA_STEP)
    page = login(app, "dora")
    listed = page.get("/designer/national/migrate?from_version=1&to_version=2")
    assert listed.status_code == 200
    assert f'value="{first}"' in listed.text and f'value="{second}"' in listed.text

    choice = {"from_version": "1", "to_version": "2", "mode": "paths",
              "instances": [str(first)], "action": "dry_run"}  # fmt: skip
    dry = page.post("/designer/national/migrate", data=choice)
    assert dry.status_code == 200
    assert 'name="expect" value="1"' in dry.text  # the confirmation posts the count seen
    assert _version(app, first) == 1

    changed = page.post(
        "/designer/national/migrate", data={**choice, "action": "migrate", "expect": "2"}
    )
    assert changed.status_code == 409 and _version(app, first) == 1
    done = page.post(
        "/designer/national/migrate", data={**choice, "action": "migrate", "expect": "1"}
    )
    assert done.status_code == 200
    assert (_version(app, first), _version(app, second)) == (2, 1)
    assert "undo-dry-run" in done.text  # the history offers the undo

    preview = page.post("/designer/national/migrate/undo", data={"action": "dry_run"})
    assert preview.status_code == 200 and "undo-confirm-button" in preview.text
    assert _version(app, first) == 2
    [record] = api.get("/processes/national/migrations", "dora").json
    back = page.post(
        "/designer/national/migrate/undo",
        data={"action": "undo", "migration_id": str(record["id"])},
    )
    assert back.status_code == 200 and _version(app, first) == 1
    assert (
        page.post("/designer/national/migrate/undo", data={"action": "dry_run"}).status_code == 404
    )
    assert login(app, "kaisa").get("/designer/national/migrate").status_code == 403


def test_the_api_selects_maps_confirms_and_undoes(site: Flask) -> None:
    app, api = site, Api(site.test_client())
    path, other = _start(api, "Eeva Ensimmäinen"), _start(api, "Toivo Toinen")
    _new_version(app, MEETING)
    url = "/processes/national/migrations"
    body = {"from_version": 1, "to_version": 2, "instances": [path]}
    dry = api.post(url, "dora", json=body)
    assert dry.status_code == 200 and dry.headers["Polku-Paths-Will-Move"] == "0"
    assert dry.json[0]["missing_steps"] == ["Task_encounter"]

    body["step_map"] = {"Task_encounter": "Task_meeting"}
    dry = api.post(url, "dora", json=body)
    assert dry.headers["Polku-Paths-Will-Move"] == "1"
    assert {c["instance_id"]: c["selected"] for c in dry.json} == {path: True, other: False}
    bad = api.post(url, "dora", json={**body, "step_map": {"Task_encounter": "Nowhere"}})
    assert bad.status_code == 400
    stale = api.post(url, "dora", json={**body, "dry_run": False, "expect": 2})
    assert stale.status_code == 409 and _version(app, path) == 1
    moved = api.post(url, "dora", json={**body, "dry_run": False, "expect": 1})
    assert moved.status_code == 200 and moved.headers["Polku-Migration"]
    assert (_version(app, path), _version(app, other)) == (2, 1)
    assert api.post(url, "kaisa", json=body).status_code == 403

    [record] = api.get(url, "dora").json
    assert record["instance_ids"] == [path] and record["undoable"]
    assert record["step_map"] == {"Task_encounter": "Task_meeting"}
    preview = api.post(f"{url}/undo", "dora", json={})
    assert preview.status_code == 200 and preview.json["will_undo"] == 1
    assert _version(app, path) == 2
    wrong = api.post(f"{url}/undo", "dora", json={"dry_run": False, "migration_id": 999})
    assert wrong.status_code == 409
    done = api.post(f"{url}/undo", "dora", json={"dry_run": False, "migration_id": record["id"]})
    assert done.status_code == 200 and done.json["undone"] == 1
    assert _version(app, path) == 1
    assert api.get(url, "dora").json[0]["undone_by"] == "dora"
    with app.extensions["polku"].uow() as uow:
        [task] = uow.session.scalars(
            select(HumanTask).where(HumanTask.instance_id == path, HumanTask.state == "open")
        ).all()
        assert task.bpmn_id == "Task_encounter"
