"""Engine and session factory creation (the schema is Alembic's: see `schema.py`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str) -> Engine:
    # statement parameters are clients' data: never in an error message (and so in no log)
    kwargs: dict[str, Any] = {"hide_parameters": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    elif url.startswith("postgresql"):
        # a connection broken by a database restart is noticed and replaced, and a database
        # that has gone away answers within seconds instead of hanging the request
        kwargs["pool_pre_ping"] = True
        # a database that vanishes from the network (rather than closing its connections) is
        # noticed within seconds too: TCP keepalives and a send timeout on every connection
        kwargs["connect_args"] = {
            "connect_timeout": 5,
            "keepalives": 1,
            "keepalives_idle": 10,
            "keepalives_interval": 5,
            "keepalives_count": 3,
            "tcp_user_timeout": 15000,
        }
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

    return engine


DEPLOY_LOCK = 7_316_002  # PostgreSQL advisory lock: one deployment of the models at a time


def one_at_a_time(session: Session, key: int) -> None:
    """Hold a PostgreSQL advisory lock until the transaction ends, so that app servers
    starting at once do the same work one after the other (SQLite locks the file anyway)."""
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)
