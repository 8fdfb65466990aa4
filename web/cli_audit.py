"""`polku audit …`: the access log's tamper evidence, checked at the server's shell."""

from __future__ import annotations

import sys

import click

from web.cli import _running_app, main


@main.group("audit")
def audit_group() -> None:
    """The access log (audit trail)."""


@audit_group.command("verify")
def audit_verify() -> None:
    """Walk the access log's hash chain: exit 1 and name the first broken row if any row was
    changed, inserted or removed; print the chain's last hash (keep it elsewhere: it proves
    later that nothing before it changed)."""
    from engine.persistence.audit_chain import verify

    with _running_app() as app, app.extensions["polku"].uow() as uow:
        verdict = verify(uow.session)
    if not verdict.ok:
        where = f"row {verdict.first_broken}" if verdict.first_broken else "the end of the log"
        click.echo(
            f"the access log is broken at {where}: {verdict.problem} "
            f"({verdict.rows} rows before it are intact)",
            err=True,
        )
        sys.exit(1)
    click.echo(f"the access log is intact: {verdict.rows} rows; last hash {verdict.last_hash}")
