"""Schema migrations: a 0.1.0 installation with its demo data is upgraded without losing a
record and its paths go on; the migrations and the models agree on SQLite and PostgreSQL."""

from __future__ import annotations

import gzip
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import MetaData, create_engine, func, insert, select, text

from engine.clock import FrozenClock
from engine.persistence import schema
from engine.persistence.database import make_engine, make_session_factory
from engine.persistence.tables import Event, HumanTask, User
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import instances
from engine.services.access import Actor
from engine.services.demo import SAMPLE_FORM_DATA, sample
from engine.workflow.engine import WorkflowEngine
from web import create_app
from web.cli import main

FIXTURE = Path(__file__).parent / "fixtures" / "polku-0.1.0-demo.sql.gz"
# Every table that holds a client's or the organisation's records in 0.1.0.
RECORD_TABLES = sorted(schema.RELEASE_0_1_0_TABLES)


def release_0_1_0_database(path: Path) -> Path:
    """The SQLite database `polku seed-demo` made with release 0.1.0 (commit 7b8cc36)."""
    with gzip.open(FIXTURE, "rt", encoding="utf-8") as dump:
        script = dump.read()
    connection = sqlite3.connect(path)
    connection.executescript(script)
    connection.close()
    return path


def row_counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as connection:
        counts = {
            table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in RECORD_TABLES
        }
    engine.dispose()
    return counts


def go_on(url: str, workflow_engine: WorkflowEngine) -> None:
    """Complete one open step of a demo path on the upgraded database, as its doer would."""
    database = make_engine(url)
    factory = make_session_factory(database)
    with UnitOfWork(factory) as uow:
        open_tasks = list(
            uow.session.scalars(
                select(HumanTask)
                .where(HumanTask.state == "open", HumanTask.bpmn_id.in_(SAMPLE_FORM_DATA))
                .order_by(HumanTask.created_at)
            )
        )
        people = list(uow.session.scalars(select(User).where(User.active)))
        task, doer = next(
            (t, u)
            for t in open_tasks
            for u in people
            if t.assignee_id == u.id or (t.assignee_id is None and t.role in u.role_codes)
        )
        events_before = uow.session.scalar(
            select(func.count(Event.id)).where(Event.instance_id == task.instance_id)
        )
    data = sample(task.bpmn_id)
    if task.bpmn_id == "Task_support_plan":
        data["case_manager"] = "asiakasvastaava"
    instances.complete_task(
        UnitOfWork(factory),
        workflow_engine,
        FrozenClock(),
        Actor.from_user(doer),
        task.id,
        data,
    )
    with UnitOfWork(factory) as uow:
        done = uow.session.get(HumanTask, task.id)
        assert done is not None and done.state == "completed"
        events_after = uow.session.scalar(
            select(func.count(Event.id)).where(Event.instance_id == task.instance_id)
        )
    database.dispose()
    assert events_after > events_before


def test_a_0_1_0_database_is_upgraded_keeping_every_record(
    tmp_path: Path, workflow_engine: WorkflowEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = release_0_1_0_database(tmp_path / "polku.db")
    url = f"sqlite:///{path}"
    before = row_counts(url)
    assert before["client"] > 0 and before["event"] > 0 and before["access_log"] > 0
    monkeypatch.setenv("POLKU_DATABASE_URL", url)
    runner = CliRunner()

    current = runner.invoke(main, ["db", "current"])
    assert current.exit_code == 1
    assert "0.1.0" in current.output and "polku db upgrade" in current.output

    upgraded = runner.invoke(main, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    assert f"from 0.1.0 to {schema.head_revision()}" in upgraded.output
    assert row_counts(url) == before

    again = runner.invoke(main, ["db", "upgrade"])
    assert "nothing to do" in again.output
    assert runner.invoke(main, ["db", "current"]).exit_code == 0
    database = make_engine(url)
    assert schema.differences(database) == []

    # the accounts with the public demo password were recognised as demo accounts
    with UnitOfWork(make_session_factory(database)) as uow:
        demo = uow.session.scalar(select(func.count(User.id)).where(User.is_demo))
    database.dispose()
    assert demo == before["app_user"]
    go_on(url, workflow_engine)


def test_a_0_1_0_database_on_postgresql_is_upgraded_keeping_every_record(
    tmp_path: Path, pg_base_url: str, workflow_engine: WorkflowEngine
) -> None:
    """The same data in a PostgreSQL database shaped as 0.1.0's `create_all` made it."""
    sqlite_url = f"sqlite:///{release_0_1_0_database(tmp_path / 'polku.db')}"
    admin = create_engine(f"{pg_base_url}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text('CREATE DATABASE "legacy010"'))
    url = f"{pg_base_url}/legacy010"
    target = make_engine(url)
    try:
        schema.upgrade(target, schema.BASELINE)
        with target.begin() as connection:
            connection.execute(text("DROP TABLE alembic_version"))  # 0.1.0 kept no revision
        source, tables = create_engine(sqlite_url), MetaData()
        tables.reflect(target)
        with source.connect() as reading, target.begin() as writing:
            for table in tables.sorted_tables:
                rows = [dict(r._mapping) for r in reading.execute(select(table))]
                if rows:
                    writing.execute(insert(table), rows)
                if rows and "id" in table.c and isinstance(rows[0]["id"], int):
                    # rows were copied with their ids: the sequence goes on after them
                    writing.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                            f"(SELECT max(id) FROM {table.name}))"
                        )
                    )
        source.dispose()
        before = row_counts(url)
        assert schema.status(target).legacy
        assert schema.upgrade(target) == ("0.1.0", schema.head_revision())
        assert row_counts(url) == before
        assert schema.differences(target) == []
        go_on(url, workflow_engine)
    finally:
        target.dispose()
        with admin.connect() as connection:
            connection.execute(text('DROP DATABASE IF EXISTS "legacy010" WITH (FORCE)'))
        admin.dispose()


def test_the_migrations_and_the_models_agree(database_url: str) -> None:
    engine = make_engine(database_url)
    assert schema.upgrade(engine) == (None, schema.head_revision())
    assert schema.differences(engine) == []
    engine.dispose()


def test_the_app_refuses_a_database_that_is_behind(tmp_path: Path) -> None:
    config = {"TESTING": True, "SECRET_KEY": "x", "DEMO_MODE": True}
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    with pytest.raises(schema.SchemaError, match="is empty: run `polku db upgrade` first"):
        create_app({**config, "DATABASE_URL": empty})

    legacy = f"sqlite:///{release_0_1_0_database(tmp_path / 'legacy.db')}"
    with pytest.raises(schema.SchemaError, match="made by Polku 0.1.0.*polku db upgrade"):
        create_app({**config, "DATABASE_URL": legacy})

    behind = make_engine(f"sqlite:///{tmp_path / 'behind.db'}")
    schema.upgrade(behind, schema.BASELINE)
    behind.dispose()
    with pytest.raises(schema.SchemaError, match=f"at schema revision {schema.BASELINE}, behind"):
        create_app({**config, "DATABASE_URL": f"sqlite:///{tmp_path / 'behind.db'}"})


def test_a_foreign_database_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    connection.close()
    other = make_engine(f"sqlite:///{path}")
    with pytest.raises(schema.SchemaError, match="not a Polku 0.1.0 database"):
        schema.upgrade(other)
    other.dispose()
    connection = sqlite3.connect(path)
    names = [r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    assert names == ["invoices"]


def test_history_lists_every_revision() -> None:
    result = CliRunner().invoke(main, ["db", "history"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].startswith(schema.head_revision())
    assert lines[-1].startswith(f"{schema.BASELINE}  Release 0.1.0")


def test_a_failed_upgrade_leaves_a_0_1_0_database_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """All migrations of one upgrade commit together, on SQLite too (its driver would
    otherwise commit each CREATE at once and leave a half-made revision table behind)."""
    import shutil

    broken = tmp_path / "migrations"
    shutil.copytree(schema.MIGRATIONS, broken)
    last = broken / "versions" / f"{schema.head_revision()}.py"
    last.write_text(
        last.read_text(encoding="utf-8").replace(
            "def upgrade() -> None:\n",
            "def upgrade() -> None:\n    raise RuntimeError('the power went out')\n",
            1,
        ),
        encoding="utf-8",
    )
    url = f"sqlite:///{release_0_1_0_database(tmp_path / 'polku.db')}"
    before = row_counts(url)
    database = make_engine(url)
    monkeypatch.setattr(schema, "MIGRATIONS", broken)
    with pytest.raises(RuntimeError, match="the power went out"):
        schema.upgrade(database)
    monkeypatch.undo()
    assert schema.status(database).legacy  # still a plain 0.1.0 database
    assert row_counts(url) == before
    assert schema.upgrade(database) == ("0.1.0", schema.head_revision())
    assert row_counts(url) == before
    database.dispose()


def test_findings_stored_as_lines_become_records_read_as_before(database_url: str) -> None:
    """0012_coded_findings: the plain lines older rows hold become records without a code,
    read and shown as the same line; the downgrade writes the lines back."""
    from engine.workflow.model import Problem

    engine = make_engine(database_url)
    schema.upgrade(engine, "0011_daily_work")
    lines = ["error: m.bpmn, element 'Lonely': cannot be reached", "warning: no phase tag"]
    tables = MetaData()
    tables.reflect(engine, only=["deployment"])
    deployment = tables.tables["deployment"]
    with engine.begin() as connection:
        connection.execute(
            insert(deployment).values(
                model_key="national", attempted_at=FrozenClock()(), attempted_by="test",
                source="upload", file_name="m.bpmn", content_hash="0" * 64, accepted=False,
                problems=lines,
            )
        )  # fmt: skip
    schema.upgrade(engine)
    with engine.connect() as connection:
        stored = connection.execute(select(deployment.c.problems)).scalar_one()
    assert [p["severity"] for p in stored] == ["error", "warning"]
    assert all(p["code"] is None for p in stored)
    assert [str(Problem.from_stored(p)) for p in stored] == lines
    schema.downgrade(engine, "0011_daily_work")
    with engine.connect() as connection:
        assert connection.execute(select(deployment.c.problems)).scalar_one() == lines
    engine.dispose()
