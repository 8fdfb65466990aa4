"""The `polku` command: the schema, models, demo data, the timer worker and the server."""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from flask import Flask
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from engine.errors import ModelError
from web.config import ConfigError


def register_commands(app: Flask) -> None:
    """The same commands under `flask --app web ...`."""
    app.cli.add_command(check)
    app.cli.add_command(seed_demo)
    app.cli.add_command(worker)


@click.group()
def main() -> None:
    """Polku: work-ability service paths on BPMN."""


@main.command()
@click.option(
    "--processes",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Folder of process models (default: processes/).",
)
def check(processes: Path | None) -> None:
    """Validate every BPMN model and form under processes/ without touching the database."""
    from engine.services.deployment import check_all
    from engine.workflow.engine import WorkflowEngine
    from web.config import ROOT

    engine = WorkflowEngine(
        processes or Path(os.environ.get("POLKU_PROCESSES_DIR") or ROOT / "processes")
    )
    sources = engine.sources()
    problems = check_all(engine)
    for problem in problems:
        click.echo(str(problem), err=problem.severity == "error")
    errors = [p for p in problems if p.severity == "error"]
    click.echo(
        f"{len(sources)} model(s) checked: {len(errors)} error(s), "
        f"{len(problems) - len(errors)} warning(s)"
    )
    if errors:
        sys.exit(1)


def _app(**overrides: Any) -> Flask:
    from engine.persistence.schema import SchemaError
    from web import create_app

    try:
        return create_app(overrides or None)
    except ModelError as exc:
        raise click.ClickException(f"a process model is broken: {exc}") from None
    except (ConfigError, SchemaError) as exc:
        raise click.ClickException(str(exc)) from None
    except DBAPIError as exc:
        raise click.ClickException(_unreachable(exc)) from None


def _unreachable(exc: DBAPIError) -> str:
    kind = type(exc.orig).__name__ if exc.orig is not None else type(exc).__name__
    return f"the database (POLKU_DATABASE_URL) cannot be used: {kind}: {str(exc.orig)[:200]}"


@contextmanager
def _schema_command() -> Iterator[None]:
    """The schema commands' errors as messages, not tracebacks."""
    from alembic.util.exc import CommandError

    from engine.persistence.schema import SchemaError

    try:
        yield
    except (SchemaError, CommandError) as exc:
        raise click.ClickException(str(exc)) from None
    except DBAPIError as exc:
        raise click.ClickException(_unreachable(exc)) from None


@contextmanager
def _running_app() -> Iterator[Flask]:
    """The app for one command; its database connections are closed afterwards."""
    app = _app()
    try:
        yield app
    finally:
        app.extensions["polku"].db.dispose()


@main.group()
def db() -> None:
    """The database schema: upgrade it, see where it stands."""


@contextmanager
def _database() -> Iterator[Engine]:
    """The database POLKU_DATABASE_URL names (default: instance/polku.db), without the app."""
    from engine.persistence.database import make_engine
    from web.config import ROOT, environment

    try:
        url = environment().get("POLKU_DATABASE_URL") or f"sqlite:///{ROOT / 'instance/polku.db'}"
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Bring the schema to the newest revision (keeps every record). A database made by
    Polku 0.1.0 is recognised and stamped first."""
    from engine.persistence import schema

    with _schema_command(), _database() as database:
        before, after = schema.upgrade(database, revision)
    if before == after:
        click.echo(f"the schema is at {after}: nothing to do")
    else:
        click.echo(f"the schema was upgraded from {before or 'an empty database'} to {after}")


@db.command("downgrade")
@click.argument("revision")
@click.option("--yes", is_flag=True, help="Needed to go below the first revision (drops all).")
def db_downgrade(revision: str, yes: bool) -> None:
    """Take the schema back to REVISION, to roll back an upgrade (run the older Polku after).
    Columns and tables added since are dropped: take a backup first."""
    from engine.persistence import schema

    if revision == "base" and not yes:
        raise click.ClickException(
            "'base' drops every table and every client's records: add --yes if you mean it"
        )
    with _schema_command(), _database() as database:
        after = schema.downgrade(database, revision)
    click.echo(f"the schema is now at {after or 'nothing (empty)'}")


@db.command("current")
def db_current() -> None:
    """The database's schema revision, and whether it is the newest. Exit 1 if behind."""
    from engine.persistence import schema

    with _schema_command(), _database() as database:
        found = schema.status(database)
    current = "0.1.0 (no revision recorded)" if found.legacy else found.current or "empty"
    click.echo(f"current: {current}")
    click.echo(f"head:    {found.head}" + ("  (up to date)" if found.at_head else ""))
    if not found.at_head:
        click.echo("run `polku db upgrade` to bring it up to date", err=True)
        sys.exit(1)


@db.command("history")
def db_history() -> None:
    """Every schema revision, newest first."""
    from engine.persistence import schema

    for revision in schema.history():
        click.echo(f"{revision.revision}  {revision.message.splitlines()[0]}")


@main.command("seed-demo")
def seed_demo() -> None:
    """Create the demo users and clients (only into an empty database, only in demo mode)."""
    from engine.services.demo import seed

    app = _app()
    if not app.config["DEMO_MODE"]:
        raise click.ClickException(
            "demo data has a public password: seed it only in demo mode (POLKU_DEMO=1)"
        )
    ctx = app.extensions["polku"]
    created = seed(ctx.uow, ctx.engine, ctx.clock)
    click.echo("demo data created" if created else "demo data already present: nothing changed")


@main.group()
def demo() -> None:
    """Demo accounts."""


@demo.command("close-accounts")
def demo_close_accounts() -> None:
    """Close every demo account (public password) so the installation can run outside demo
    mode. Their history stays; they can no longer sign in."""
    from engine.persistence.database import make_session_factory
    from engine.persistence.unit_of_work import UnitOfWork
    from engine.services.users import close_demo_accounts

    with _database() as database:
        closed = close_demo_accounts(UnitOfWork(make_session_factory(database)))
    click.echo(
        f"closed {len(closed)} demo account(s)" + (f": {', '.join(closed)}" if closed else "")
    )


@main.group("users")
def users_group() -> None:
    """People's accounts."""


def _people() -> Any:
    """The CLI acts as an administrator (an operator at the server's shell)."""
    from engine.services.access import Actor

    return Actor(0, "polku-cli", "polku command", frozenset(), is_admin=True)


@users_group.command("list")
def users_list() -> None:
    """Every account: username, name, roles, whether it is open, how it signs in (a password or
    single sign-on only), organisations. Tab-separated."""
    from engine.services import people

    with _running_app() as app:
        found = people.list_people(app.extensions["polku"].uow(), _people())
    for person in found:
        state = "open" if person.active else "closed"
        kind = "password" if person.has_password else "single sign-on"
        roles = ",".join(person.roles) + (" +admin" if person.is_admin else "")
        organisations = ",".join(person.organisations) or "-"
        click.echo(f"{person.username}\t{person.display_name}\t{roles or '-'}\t{state}\t{kind}"
                   f"\t{organisations}")  # fmt: skip


@users_group.command("add")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="The person's name.")
@click.option("--role", "roles", multiple=True, help="A role code (repeat for more).")
@click.option("--admin", is_flag=True, help="An administrator (manages people, no client work).")
@click.option("--sso", is_flag=True, help="No password: signs in through single sign-on only.")
@click.option("--organisation", "organisations", multiple=True, metavar="CODE",
              help="An organisation the person works for (repeat for more; codes in "
              "processes/organisations.json).")  # fmt: skip
def users_add(username: str, display_name: str, roles: tuple[str, ...], admin: bool,
              sso: bool, organisations: tuple[str, ...]) -> None:  # fmt: skip
    """Add a colleague. Without --sso the password is asked for (twice, not shown)."""
    from engine.errors import PolkuError
    from engine.services import people

    password = None if sso else click.prompt("Password", hide_input=True,
                                             confirmation_prompt=True)  # fmt: skip
    try:
        with _running_app() as app:
            ctx = app.extensions["polku"]
            people.add_person(ctx.uow(), ctx.clock, _people(), ctx.engine.roles,
                              username=username, display_name=display_name, roles=list(roles),
                              password=password, is_admin=admin,
                              organisations=list(organisations))  # fmt: skip
    except PolkuError as exc:
        details = "; ".join(m for ms in getattr(exc, "errors", {}).values() for m in ms)
        raise click.ClickException(f"{exc.message}" + (f": {details}" if details else "")) from None
    click.echo(f"added '{username}'")


@users_group.command("close")
@click.argument("username")
def users_close(username: str) -> None:
    """Close USERNAME's account at once: open sessions end, API tokens stop working, sign-in
    (password or single sign-on) is refused. Their history stays. Their open work is listed,
    to hand over (in the browser, /admin/people)."""
    from engine.clock import system_clock
    from engine.errors import NotFound
    from engine.persistence.database import make_session_factory
    from engine.persistence.unit_of_work import UnitOfWork
    from engine.services import people
    from engine.services.users import close_account

    with _schema_command(), _database() as database:
        factory = make_session_factory(database)
        try:
            close_account(UnitOfWork(factory), system_clock, username)
        except NotFound as exc:
            raise click.ClickException(exc.message) from None
        found = [p for p in people.list_people(UnitOfWork(factory), _people())
                 if p.username == username]  # fmt: skip
        person = people.get_person(UnitOfWork(factory), system_clock, _people(), found[0].id)
    click.echo(f"closed the account '{username}': its sessions and tokens ended")
    for work in person.open_work:
        click.echo(f"open task to hand over: {work['name']}\tpath {work['instance_id']}\t"
                   f"client {work['client_pseudonym']}\ttask {work['task_id']}")  # fmt: skip
    for path in person.case_managed:
        click.echo(f"case manager of: path {path['instance_id']}\t"
                   f"client {path['client_pseudonym']}")  # fmt: skip


def _stop_on_signals(stop: threading.Event) -> None:
    def handler(signum: int, _frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


@main.command()
@click.option(
    "--interval",
    default=None,
    type=float,
    help="Seconds between rounds (default POLKU_TIMER_INTERVAL or 30).",
)
@click.option("--once", is_flag=True, help="Fire what is due now and exit.")
def worker(interval: float | None, once: bool) -> None:
    """Fire due timers (follow-up reviews, deadlines). Timers are in the database, so any
    number of workers can be stopped and restarted at any time."""
    from engine.services import timer_worker
    from engine.services.instances import fire_due_timers
    from web import logs
    from web.cli_notifications import notification_rounds
    from web.config import server_settings

    app = _app()
    ctx = app.extensions["polku"]
    if once:
        click.echo(f"fired {fire_due_timers(ctx.uow, ctx.engine, ctx.clock)} timer(s)")
        return
    logs.configure(app.config)
    stop = threading.Event()
    _stop_on_signals(stop)
    timer_worker.run(
        ctx.uow, ctx.engine, ctx.clock, stop, interval or server_settings()["timer_interval"],
        after_round=notification_rounds(app),
    )  # fmt: skip


@main.command()
@click.option("--host", default=None, help="Address to listen on (default from POLKU_BIND).")
@click.option("--port", default=None, type=int, help="Port (default PORT or 5000).")
@click.option(
    "--workers",
    "web_workers",
    default=None,
    type=int,
    help="Web worker processes (default POLKU_WEB_WORKERS).",
)
@click.option(
    "--timer-workers",
    default=None,
    type=int,
    help="Timer worker processes (default POLKU_TIMER_WORKERS or 1).",
)
@click.option(
    "--dev",
    is_flag=True,
    help="Flask's development server, one process with the "
    "timer worker as a thread: for developing Polku only.",
)
def serve(
    host: str | None,
    port: int | None,
    web_workers: int | None,
    timer_workers: int | None,
    dev: bool,
) -> None:
    """Serve Polku: gunicorn with several worker processes, and the timer worker(s) as their
    own processes. Ctrl-C (or SIGTERM) stops them all."""
    from web import server
    from web.config import server_settings

    try:
        settings = server_settings()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    if host or port:
        default_host, _, default_port = settings["bind"].rpartition(":")
        settings["bind"] = f"{host or default_host}:{port or default_port}"
    if web_workers is not None:
        settings["web_workers"] = web_workers
    if timer_workers is not None:
        settings["timer_workers"] = timer_workers
    app = _app()  # checks configuration, schema and models before any process starts
    if dev:
        server.run_development(app, settings)
        return
    app.extensions["polku"].db.dispose()
    sys.exit(server.run_production(settings))


if __name__ == "__main__":
    main()


from web import cli_audit  # noqa: E402,F401  (registers `polku audit`)

from web import cli_retention  # noqa: E402,F401  # isort: skip  (registers `polku retention`)
from web import cli_events  # noqa: E402,F401  # isort: skip  (registers `polku events`)
from web import cli_notifications  # noqa: E402,F401  # isort: skip  (`polku notifications`)
