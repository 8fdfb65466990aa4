"""The client page reads each kind of row once: a bounded number of SQL statements for a client
with one path, the same however far the path has come (no statement per task, event, form or
policy question), and still the same access-log rows."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select

from engine.persistence.tables import AccessLog
from tests.test_api import Api
from tests.test_ui import app, login  # noqa: F401  (fixtures)

# a client with one path: the session and its user (1), the client, the paths, the policy's
# facts, form submissions, consents, open tasks, what is awaited, the history (8), the
# access-log rows (up to 6 on SQLite, which inserts them one by one), the people's names, and
# for intake coordinators the paths they may start and the organisations to start them for
MAX_STATEMENTS = 20
READERS = ("kaisa", "timo", "aino", "lauri", "kerttu")  # coordinators, case manager, doers


@contextmanager
def counted(flask_app: Flask) -> Iterator[list[str]]:
    statements: list[str] = []

    def note(*args: object) -> None:
        statements.append(str(args[2]))

    db = flask_app.extensions["polku"].db
    event.listen(db, "before_cursor_execute", note)
    try:
        yield statements
    finally:
        event.remove(db, "before_cursor_execute", note)


def page_statements(flask_app: Flask, browser: FlaskClient, path: str) -> int:
    browser.get(path)  # the first request of a worker may find its caches empty
    with counted(flask_app) as statements:
        page = browser.get(path)
    assert page.status_code == 200, page.text
    return len(statements)


def test_the_client_page_runs_a_bounded_number_of_statements_however_long_the_path(
    app: Flask,  # noqa: F811
) -> None:
    api = Api(app.test_client())
    iid = api.start_path()
    client_id = api.get(f"/instances/{iid}", "kaisa").json["client_id"]
    path = f"/clients/{client_id}"
    kaisa = login(app, "kaisa")
    at_start = page_statements(app, kaisa, path)
    assert at_start <= MAX_STATEMENTS

    api.complete("kaisa", iid, "Task_encounter")
    api.complete("kaisa", iid, "Task_initial_interview")
    for user, task in (
        ("lauri", "Task_physician_assessment"),
        ("fanni", "Task_functional_assessment"),
        ("sanna", "Task_social_assessment"),
        ("timo", "Task_support_plan"),
    ):
        api.complete(user, iid, task)
    api.complete("aino", iid, "Task_arrange_services", awaits_external_decision=True)

    counts = {}
    for reader in READERS:
        browser = login(app, reader)
        counts[reader] = page_statements(app, browser, path)
        assert counts[reader] <= MAX_STATEMENTS, (reader, counts[reader])
    # seven steps done, a plan, a decision awaited: not one statement more than at the start
    assert counts["kaisa"] == at_start, counts

    page = login(app, "kerttu").get(path)  # the Kela advisor reads what the decision needs
    assert "odotettu päätös" in page.text and "Työkyvyn tuen suunnitelma" in page.text
    assert "kenttää ei näy" in page.text  # the physician's findings are left out


def test_the_client_page_still_logs_each_part_it_shows(app: Flask) -> None:  # noqa: F811
    api = Api(app.test_client())
    iid = api.start_path()
    api.complete("kaisa", iid, "Task_encounter")
    client_id = api.get(f"/instances/{iid}", "kaisa").json["client_id"]
    ctx = app.extensions["polku"]
    with ctx.uow() as uow:
        before = uow.session.scalar(select(AccessLog.id).order_by(AccessLog.id.desc()).limit(1))

    assert login(app, "kaisa").get(f"/clients/{client_id}").status_code == 200

    with ctx.uow() as uow:
        rows = list(
            uow.session.scalars(
                select(AccessLog).where(AccessLog.id > before).order_by(AccessLog.id)
            )
        )
    read = [r for r in rows if r.action == "read"]
    assert [(r.resource, r.instance_id) for r in read] == [
        ("client", None),
        ("submissions", iid),
        ("consent", None),
        ("kykyviisari", None),
    ]
    basis = "offered task: Alkuhaastattelu ja neuvonta"  # the path's open step is hers
    assert all(r.basis == basis and r.client_id == client_id for r in read)
    assert read[0].detail == "client page: 1 path(s)"
    assert read[1].detail == "1 form(s); field classes shown: benefits, employment, shared, social"
