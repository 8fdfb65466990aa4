"""`polku retention …`: remove what has outlived its retention period, and keep a client's
record longer with a hold. The command acts as an administrator: it shows counts and
pseudonyms, never a client's name (docs/retention.md)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from web.cli import _people, _running_app, main


def _service(call: Callable[[Any], Any]) -> Any:
    """Run `call(context)` in the app; the services' errors as messages."""
    from engine.errors import PolkuError

    try:
        with _running_app() as app:
            return call(app.extensions["polku"])
    except PolkuError as exc:
        details = "; ".join(m for ms in getattr(exc, "errors", {}).values() for m in ms)
        raise click.ClickException(exc.message + (f": {details}" if details else "")) from None


@main.group("retention")
def retention_group() -> None:
    """Retention periods: the run, holds."""


@retention_group.command("run")
@click.option("--dry-run", is_flag=True, help="Report what has expired; remove nothing.")
def retention_run(dry_run: bool) -> None:
    """Remove the client records and access-log rows past their retention period (in one
    transaction), and print what was removed. With --dry-run nothing is removed."""
    from engine.services import retention

    report = _service(lambda ctx: retention.run(ctx.uow(), ctx.clock, _people(), dry_run))
    for line in report.lines():
        click.echo(line)


@retention_group.command("hold")
@click.argument("pseudonym")
@click.option("--reason", required=True, help="Why the record is kept (10 to 500 characters).")
def retention_hold(pseudonym: str, reason: str) -> None:
    """Keep the client PSEUDONYM's record past its retention period."""
    from engine.services import retention

    def place(ctx: Any) -> Any:
        client_id = retention.client_id_of(ctx.uow(), pseudonym)
        return retention.place_hold(ctx.uow(), ctx.clock, _people(), client_id, reason)

    hold = _service(place)
    click.echo(f"{hold.client_pseudonym} is on hold: {hold.reason}")


@retention_group.command("lift")
@click.argument("pseudonym")
def retention_lift(pseudonym: str) -> None:
    """End the hold of the client PSEUDONYM: the record expires by its rule again."""
    from engine.services import retention

    def lift(ctx: Any) -> Any:
        client_id = retention.client_id_of(ctx.uow(), pseudonym)
        return retention.lift_hold(ctx.uow(), ctx.clock, _people(), client_id)

    hold = _service(lift)
    click.echo(f"the hold of {hold.client_pseudonym} was lifted")


@retention_group.command("holds")
@click.option("--all", "include_lifted", is_flag=True, help="Lifted holds too.")
def retention_holds(include_lifted: bool) -> None:
    """The holds in force: pseudonym, since when, by whom, why. Tab-separated."""
    from engine.services import retention

    holds = _service(
        lambda ctx: retention.list_holds(ctx.uow(), ctx.clock, _people(), include_lifted)
    )
    for hold in holds:
        lifted = (
            f"lifted {hold.lifted_at.isoformat()} by {hold.lifted_by}" if hold.lifted_at else ""
        )
        click.echo(f"{hold.client_pseudonym}\t{hold.placed_at.isoformat()}\t{hold.placed_by}\t"
                   f"{hold.reason}" + (f"\t{lifted}" if lifted else ""))  # fmt: skip
