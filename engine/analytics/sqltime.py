"""Date arithmetic done by the database, so that dashboards do not convert every timestamp
in Python. SQLite and PostgreSQL each get their own expression."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Float, cast, func, literal
from sqlalchemy.orm import Session


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _sqlite_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def days_between(session: Session, start: Any, end: Any) -> Any:
    """(end - start) in days, as a float expression; either side a column or a datetime."""
    if _dialect(session) == "sqlite":

        def jd(x: Any) -> Any:
            return func.julianday(_sqlite_text(x) if isinstance(x, datetime) else x)

        return jd(end) - jd(start)

    def ts(x: Any) -> Any:
        return literal(x) if isinstance(x, datetime) else x

    return cast(func.extract("epoch", ts(end) - ts(start)), Float) / 86400.0


def week_start(session: Session, column: Any) -> Any:
    """The Monday (UTC) of the column's week: 'YYYY-MM-DD' text on SQLite; on PostgreSQL the
    Monday's midnight (in the session's time zone, UTC on Polku's servers), which groups
    faster than text formatted row by row. `week_key` gives the text of either."""
    if _dialect(session) == "sqlite":
        return func.date(column, "-6 days", "weekday 1")
    return func.date_trunc("week", column)


def week_key(value: str | datetime) -> str:
    """'YYYY-MM-DD' of a `week_start` value (the date as the database gave it)."""
    return value if isinstance(value, str) else value.date().isoformat()
