"""`polku notifications send-digests`: the daily e-mail digests now, to everyone who has not
had today's (whatever the hour). The timer worker sends them itself at POLKU_DIGEST_HOUR and
makes the timed notices (due tomorrow, overdue, quiet caseload) about once an hour."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click
from flask import Flask

from engine.services.digest import DigestSettings
from engine.services.notification_jobs import NotificationRounds
from web.cli import _running_app, main


def digest_settings(config: Mapping[str, Any]) -> DigestSettings:
    """The engine's plain settings from the app's configuration (web/config.py)."""
    return DigestSettings(**(config.get("NOTIFICATIONS") or {}))


def notification_rounds(app: Flask) -> NotificationRounds:
    """What the timer worker runs after each round of timers."""
    ctx = app.extensions["polku"]
    return NotificationRounds(ctx.uow, ctx.clock, digest_settings(app.config))


@main.group("notifications")
def notifications_group() -> None:
    """Notifications and the daily e-mail digest."""


@notifications_group.command("send-digests")
def send_digests() -> None:
    """Make the timed notices and send the digests not yet sent today, now. Without
    POLKU_SMTP_HOST nothing is sent."""
    from engine.services import digest, notification_jobs

    with _running_app() as app:
        ctx = app.extensions["polku"]
        settings = digest_settings(app.config)
        notification_jobs.timed_notices(ctx.uow(), ctx.clock, settings.quiet_days)
        if not settings.sends_mail:
            click.echo("POLKU_SMTP_HOST is not set: no e-mail sent", err=True)
            return
        sent = digest.send_digests(ctx.uow, ctx.clock, settings, force=True)
    click.echo(f"{sent} digest(s) sent")
