"""One database transaction per command: `with uow: ... uow.commit()`.

Leaving the block without committing rolls everything back, so a failed command changes
nothing: not the workflow state, not the worklist rows, not the events.

History events and access-log rows are append-only and nothing reads them back inside the
command that writes them, so a command collects them and writes them at commit: the events in
one statement, the log rows chained in one more (the chain's head is held only that long).
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

from engine.persistence import audit_chain
from engine.persistence.tables import Event


class UnitOfWork:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory
        self._session: Session | None = None
        self._events: list[dict[str, Any]] = []
        self._access_log: list[dict[str, Any]] = []

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("the unit of work is not open: use 'with uow:'")
        return self._session

    @property
    def is_open(self) -> bool:
        """Whether a command's transaction is open (`with uow:` entered, not yet left)."""
        return self._session is not None

    @property
    def database_key(self) -> str:
        """Which database this unit of work writes to (row ids are unique only within one):
        a key for process-wide caches of stored rows."""
        bind = getattr(self._session_factory, "kw", {}).get("bind")
        return str(getattr(bind, "url", "")) or str(id(self._session_factory))

    def __enter__(self) -> UnitOfWork:
        if self._session is not None:
            raise RuntimeError("the unit of work is already open")
        self._session = self._session_factory()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._session is not None
        try:
            # Closing rolls back whatever was not committed and detaches loaded rows intact.
            self._session.close()
        finally:
            self._session = None
            self._events, self._access_log = [], []

    def add_event(self, values: dict[str, Any]) -> None:
        """A history event (engine.persistence.tables.Event) to write at commit."""
        self._events.append(values)

    def add_access_log(self, values: dict[str, Any]) -> None:
        """An access-log row (its chained fields) to chain and write at commit."""
        self._access_log.append(values)

    def commit(self) -> None:
        if self._events:
            # Core, not the ORM's bulk insert: nothing of these rows is needed back
            table: Any = Event.__table__
            self.session.connection().execute(insert(table), self._events)
            self._events = []
        if self._access_log:
            audit_chain.write(self.session, self._access_log)
            self._access_log = []
        self.session.commit()

    def rollback(self) -> None:
        """Drop everything the command did so far (its pending events and log rows too)."""
        self._events, self._access_log = [], []
        self.session.rollback()

    def flush(self) -> None:
        self.session.flush()
