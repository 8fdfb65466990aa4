"""Engine and session factory creation, and schema set-up."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.orm import Session, sessionmaker

from engine.persistence.tables import Base


def make_engine(url: str) -> Engine:
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

    return engine


class SchemaOutOfDate(RuntimeError):
    pass


def create_schema(engine: Engine) -> None:
    """Create missing tables; refuse, with a clear message, a database made by older code."""
    Base.metadata.create_all(engine)
    inspector = inspect(engine)
    for table in Base.metadata.sorted_tables:
        have = {c["name"] for c in inspector.get_columns(table.name)}
        missing = [c.name for c in table.columns if c.name not in have]
        if missing:
            raise SchemaOutOfDate(
                f"the database's table {table.name} lacks columns {', '.join(missing)}: it was "
                "made by an older Polku. Before 1.0 there are no schema migrations: remove the "
                "database (make run uses instance/polku.db) and start again."
            )


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)
