"""The access log is tamper-evident (issue 12, §2): the database refuses to change or remove
its rows, and `polku audit verify` names the first row that was changed, inserted or removed
by someone who got round that (the tables' owner). On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from engine.clock import FrozenClock
from engine.services import users
from tests.conftest import PASSWORD, STAFF
from tests.test_api import Api, make_app
from web.cli import main


@pytest.fixture
def logged(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Flask, Api]]:
    app = make_app(database_url, FrozenClock())
    ctx = app.extensions["polku"]
    for username in ("kaisa", "lauri"):
        users.create_user(ctx.uow(), ctx.engine.roles, username=username, display_name=username,
                          password=PASSWORD, roles=STAFF[username])  # fmt: skip
    api = Api(app.test_client())
    path = api.start_path()
    for _ in range(3):
        assert api.get(f"/instances/{path}", "kaisa").status_code == 200
    assert api.get(f"/instances/{path}", "lauri").status_code == 403  # a refusal is logged too
    monkeypatch.setenv("POLKU_DATABASE_URL", database_url)
    monkeypatch.setenv("POLKU_SECRET_KEY", "audit")
    yield app, api
    ctx.db.dispose()


def verify() -> tuple[int, str]:
    result = CliRunner().invoke(main, ["audit", "verify"])
    return result.exit_code, result.output


def rows(app: Flask) -> list[int]:
    with app.extensions["polku"].db.connect() as conn:
        return list(conn.execute(text("select id from access_log order by id")).scalars())


def as_owner(app: Flask, *statements: str) -> None:
    """What only someone who can switch the guards off could do."""
    db = app.extensions["polku"].db
    postgres = db.dialect.name == "postgresql"
    with db.begin() as conn:
        conn.execute(text(
            "ALTER TABLE access_log DISABLE TRIGGER access_log_guard" if postgres
            else "DROP TRIGGER IF EXISTS access_log_no_update"
        ))  # fmt: skip
        if not postgres:
            conn.execute(text("DROP TRIGGER IF EXISTS access_log_no_delete"))
        for statement in statements:
            conn.execute(text(statement))


def test_an_intact_log_verifies_and_names_its_rows(logged: tuple[Flask, Api]) -> None:
    app, _ = logged
    code, output = verify()
    assert code == 0, output
    assert f"{len(rows(app))} rows" in output


def test_the_database_refuses_to_change_or_remove_a_row(logged: tuple[Flask, Api]) -> None:
    app, _ = logged
    first = rows(app)[0]
    for statement in (
        f"update access_log set basis = 'nothing to see' where id = {first}",
        f"delete from access_log where id = {first}",
    ):
        with (
            pytest.raises(DBAPIError, match="access log"),
            app.extensions["polku"].db.begin() as conn,
        ):
            conn.execute(text(statement))
    if app.extensions["polku"].db.dialect.name == "postgresql":
        with (
            pytest.raises(DBAPIError, match="truncated"),
            app.extensions["polku"].db.begin() as conn,
        ):
            conn.execute(text("truncate access_log"))
    assert verify()[0] == 0


def test_a_changed_row_is_named(logged: tuple[Flask, Api]) -> None:
    app, _ = logged
    target = rows(app)[2]
    as_owner(app, f"update access_log set username = 'someone' where id = {target}")
    code, output = verify()
    assert code == 1 and f"row {target}: the row was changed" in output


def test_a_removed_row_is_noticed_at_the_next(logged: tuple[Flask, Api]) -> None:
    app, _ = logged
    ids = rows(app)
    as_owner(app, f"delete from access_log where id = {ids[1]}")
    code, output = verify()
    assert code == 1 and f"row {ids[2]}: a row before it was removed" in output


def test_an_inserted_row_and_a_removed_tail_are_noticed(logged: tuple[Flask, Api]) -> None:
    app, api = logged
    ids = rows(app)
    as_owner(app, f"delete from access_log where id = {ids[-1]}")
    code, output = verify()
    assert code == 1 and "rows at the end of the log were removed" in output
    app2_rows = rows(app)
    as_owner(
        app,
        "insert into access_log (id, occurred_at, username, action, resource, basis, success,"
        " prev_hash, row_hash) values"
        f" ({ids[-1] + 100}, '2026-01-01 00:00:00', 'x', 'read', 'client', 'made up', true,"
        f" '{'0' * 64}', '{'1' * 64}')",
    )
    code, output = verify()
    assert code == 1 and f"row {ids[-1] + 100}" in output
    assert app2_rows == ids[:-1]
