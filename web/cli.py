"""The `polku` command: check models, seed demo data, run the timer worker, serve the app."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import click
from flask import Flask

from engine.errors import ModelError


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
    from web import ROOT

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


def _app() -> Flask:
    from web import create_app

    try:
        return create_app()
    except ModelError as exc:
        raise click.ClickException(f"a process model is broken: {exc}") from None


@main.command("seed-demo")
def seed_demo() -> None:
    """Create the demo users and clients (only into an empty database)."""
    from engine.services.demo import seed

    app = _app()
    ctx = app.extensions["polku"]
    created = seed(ctx.uow, ctx.engine, ctx.clock)
    click.echo("demo data created" if created else "demo data already present: nothing changed")


def _timer_loop(app: Flask, interval: float, stop: threading.Event) -> None:
    from engine.services.instances import fire_due_timers

    ctx = app.extensions["polku"]
    while not stop.is_set():
        try:
            fired = fire_due_timers(ctx.uow, ctx.engine, ctx.clock)
            if fired:
                app.logger.info("timer worker: fired %d timer(s)", fired)
        except Exception:  # keep the worker alive; the failed instance stays due
            app.logger.exception("timer worker: a timer could not be fired")
        stop.wait(interval)


@main.command()
@click.option("--interval", default=30.0, show_default=True, help="Seconds between rounds.")
@click.option("--once", is_flag=True, help="Fire what is due now and exit.")
def worker(interval: float, once: bool) -> None:
    """Fire due timers (follow-up reviews, deadlines). Timers are in the database, so the
    worker can be stopped and restarted at any time."""
    from engine.services.instances import fire_due_timers

    app = _app()
    ctx = app.extensions["polku"]
    if once:
        click.echo(f"fired {fire_due_timers(ctx.uow, ctx.engine, ctx.clock)} timer(s)")
        return
    stop = threading.Event()
    try:
        _timer_loop(app, interval, stop)
    except KeyboardInterrupt:
        stop.set()


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=lambda: int(os.environ.get("PORT", "5000")), show_default="5000")
@click.option("--timer-interval", default=30.0, show_default=True)
def serve(host: str, port: int, timer_interval: float) -> None:
    """Serve the app with the timer worker running beside it."""
    app = _app()
    stop = threading.Event()
    thread = threading.Thread(target=_timer_loop, args=(app, timer_interval, stop), daemon=True)
    thread.start()
    click.echo(f"Polku on http://{host}:{port}/ (timer worker every {timer_interval:g}s)")
    try:
        app.run(host=host, port=port, debug=False, use_reloader=False)
    finally:
        stop.set()


if __name__ == "__main__":
    main()
