"""The database schema, owned by Alembic: upgrade, stamp a 0.1.0 installation, report status.

Polku 0.1.0 created its tables with `create_all` and kept no revision. Such a database is
recognised by its tables, stamped with the first revision (which creates exactly that schema)
and then upgraded like any other, so no record is lost.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.pool import NullPool

from engine.persistence.tables import Base, UtcDateTime

MIGRATIONS = Path(__file__).parent / "migrations"
BASELINE = "0001_release_0_1_0"
# The tables Polku 0.1.0 made: a database holding these and no revision table is a 0.1.0 one.
RELEASE_0_1_0_TABLES = frozenset(
    {
        "access_log",
        "api_token",
        "client",
        "consent",
        "deployment",
        "event",
        "form_submission",
        "human_task",
        "imported_dataset",
        "imported_event",
        "milestone",
        "pilot_target",
        "process_instance",
        "process_model",
        "process_model_version",
        "sla_target",
        "task_draft",
        "user_role",
        "app_user",
        "waiting_event",
    }
)
UPGRADE_LOCK = 7_316_001  # a PostgreSQL advisory lock: one upgrade at a time


class SchemaError(RuntimeError):
    """The database cannot be used by this Polku as it is; the message says what to do."""


@dataclass(frozen=True)
class SchemaStatus:
    current: str | None  # None: no revision recorded
    head: str
    legacy: bool  # a 0.1.0 database without a revision table

    @property
    def at_head(self) -> bool:
        return self.current == self.head


@dataclass(frozen=True)
class Revision:
    revision: str
    down_revision: str | None
    message: str


def render_item(kind: str, obj: Any, autogen_context: Any) -> str | bool:
    """Migrations spell Polku's UTC type as the plain column type it stores, so that an old
    migration never depends on today's Python code."""
    if kind == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


def head_revision() -> str:
    head = _script().get_current_head()
    assert head is not None, "no migrations found"
    return head


def history() -> list[Revision]:
    """Every revision, newest first."""
    return [
        Revision(
            rev.revision,
            rev.down_revision if isinstance(rev.down_revision, str) else None,
            (rev.doc or "").strip(),
        )
        for rev in _script().walk_revisions()
    ]


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _is_legacy(connection: Connection) -> bool:
    tables = set(inspect(connection).get_table_names())
    if not tables or ("alembic_version" in tables and _current(connection) is not None):
        return False
    missing = RELEASE_0_1_0_TABLES - tables
    if tables <= {"alembic_version"}:
        return False  # an empty database (a revision table left by an interrupted start)
    if missing:
        raise SchemaError(
            "the database has tables but no schema revision, and is not a Polku 0.1.0 "
            f"database (it lacks {', '.join(sorted(missing))}): point POLKU_DATABASE_URL at "
            "Polku's own database or at an empty one"
        )
    return True


def status(engine: Engine) -> SchemaStatus:
    with engine.connect() as connection:
        legacy = _is_legacy(connection)
        return SchemaStatus(
            current=None if legacy else _current(connection), head=head_revision(), legacy=legacy
        )


@contextmanager
def _upgrade_lock(connection: Connection) -> Iterator[None]:
    """On PostgreSQL, app servers starting at once upgrade one after the other."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": UPGRADE_LOCK})
    yield


def _transactional_sqlite(engine: Engine) -> Engine:
    """An engine on the same SQLite file whose transactions hold DDL too: Python's sqlite3
    driver commits CREATE and ALTER at once unless the transaction is begun explicitly."""
    migrating = create_engine(engine.url, poolclass=NullPool)

    @event.listens_for(migrating, "connect")
    def _autocommit_driver(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy says BEGIN itself

    @event.listens_for(migrating, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return migrating


@contextmanager
def _migrating(engine: Engine) -> Iterator[Connection]:
    """A connection in one transaction, for Alembic, one migration run at a time: on every
    backend all migrations of a run commit together or not at all."""
    sqlite = engine.dialect.name == "sqlite"
    target = _transactional_sqlite(engine) if sqlite else engine
    try:
        with target.connect() as connection:
            if sqlite:
                # SQLite changes a table by copying it, which foreign keys would refuse; they
                # are checked as a whole before the commit (the PRAGMA works outside a
                # transaction only)
                connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
                connection.commit()
            with connection.begin(), _upgrade_lock(connection):
                yield connection
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise SchemaError(f"the migration would break {len(broken)} reference(s)")
    finally:
        if sqlite:
            target.dispose()


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str]:
    """Bring the schema to `revision` (default: the newest); a 0.1.0 database is stamped with
    the baseline first. Returns the revisions before and after. All in one transaction: a
    failure leaves the database as it was."""
    with _migrating(engine) as connection:
        legacy = _is_legacy(connection)
        before = "0.1.0" if legacy else _current(connection)
        if legacy:
            command.stamp(_config(connection), BASELINE)
        command.upgrade(_config(connection), revision)
        after = _current(connection)
    assert after is not None
    return before, after


def downgrade(engine: Engine, revision: str) -> str | None:
    """Take the schema back to `revision` (for rolling back an upgrade; the migrations' own
    `downgrade` steps say what is dropped). Returns the revision now current."""
    with _migrating(engine) as connection:
        command.downgrade(_config(connection), revision)
        return _current(connection)


def require_current(engine: Engine) -> None:
    """Refuse, naming the command, a database this code does not match."""
    found = status(engine)
    if found.at_head:
        return
    if found.legacy:
        where = "was made by Polku 0.1.0 and has not been upgraded"
    elif found.current is None:
        where = "is empty"
    elif found.current in {r.revision for r in history()}:
        where = f"is at schema revision {found.current}, behind {found.head}"
    else:
        raise SchemaError(
            f"the database is at schema revision {found.current}, which this Polku does not "
            f"know (newest known: {found.head}): it was upgraded by a newer Polku"
        )
    raise SchemaError(f"the database {where}: run `polku db upgrade` first")


def differences(engine: Engine) -> list[object]:
    """What autogenerate would change between the tables in code and the database: [] when
    the migrations and the models agree."""
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_item": render_item}
        )
        return list(compare_metadata(context, Base.metadata))
