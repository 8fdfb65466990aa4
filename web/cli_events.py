"""`polku events import FILE`: an event log brought in at the server's shell, however big. It
is read line by line and saved in one transaction (all or nothing), with its progress on
stderr. The command acts as an administrator, as the other commands do (`web.cli._people`)."""

from __future__ import annotations

from pathlib import Path

import click

from web.cli import _people, _running_app, main


def _number(value: int) -> str:
    """120000 -> "120 000", as the figures are written in Finnish."""
    return f"{value:,}".replace(",", " ")


@main.group("events")
def events_group() -> None:
    """Event logs from outside Polku (process mining)."""


@events_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", default=None, help="The data set's name (default: the file's name).")
@click.option("--model", "model_key", default="national", show_default=True,
              help="The process model whose steps the activities name.")  # fmt: skip
def events_import(file: Path, name: str | None, model_key: str) -> None:
    """Import FILE, a CSV event log (case_id, activity, timestamp, resource, lifecycle and
    optionally outcome), as a separate, marked data set. Progress goes to stderr; the new data
    set's id to stdout. A bad line stops it with its number, and nothing is imported."""
    from engine.errors import PolkuError
    from engine.services import event_import

    total = file.stat().st_size
    shown: list[int | None] = []

    def progress(lines: int, done: int, total_bytes: int | None) -> None:
        percent = done * 100 // total_bytes if total_bytes else None
        if not shown or percent is None or percent != shown[-1]:
            shown.append(percent)
            where = f", {percent} %" if percent is not None else ""
            click.echo(f"{_number(lines)} lines{where}", err=True)

    try:
        with _running_app() as app, file.open("rb") as source:
            ctx = app.extensions["polku"]
            imported = event_import.import_events(
                ctx.uow(), ctx.clock, _people(), name=name or file.stem, model_key=model_key,
                source=source, total_bytes=total, progress=progress,
            )  # fmt: skip
    except PolkuError as exc:
        details = "; ".join(m for ms in getattr(exc, "errors", {}).values() for m in ms)
        raise click.ClickException(exc.message + (f": {details}" if details else "")) from None
    click.echo(
        f"imported {_number(imported.rows)} events of {_number(imported.cases)} cases "
        f"as data set {imported.dataset_id}",
        err=True,
    )
    click.echo(imported.dataset_id)
