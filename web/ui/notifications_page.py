"""Notifications in the browser: the unread count in the header, the list (`/notifications`),
opening one (marks it read and goes to the work), marking all read, and the person's own
settings (`/settings`: the digest's e-mail address, the daily digest on or off)."""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from engine.errors import InvalidInput
from engine.services import notifications, personal_settings
from engine.services.access import Actor
from engine.services.client_self import CORRECTION_REQUESTED
from engine.services.notifications import Notice
from web.context import polku
from web.ui import blueprint, labels, person
from web.ui.model_texts import model_text


def _actor() -> Actor:
    actor: Actor = g.actor
    return actor


@blueprint.app_context_processor
def _notification_globals() -> dict[str, Any]:
    """The header's unread count: one bounded COUNT per page, only for a signed-in person."""
    actor = g.get("actor")
    if actor is not None and "unread_notices" not in g:
        ctx = polku()
        try:
            g.unread_notices = notifications.unread_count(ctx.uow(), ctx.clock, actor)
        except SQLAlchemyError:  # the database is away: the page says so, not the count
            g.unread_notices = 0
    return {"unread_notices": g.get("unread_notices", 0), "notices_cap": notifications.COUNT_CAP}


def notice_text(notice: Notice) -> str:
    """The notice in the reader's language, from its kind and the work's own names: the
    step's name and the client's pseudonym (never a name)."""
    task, client = model_text(None, notice.task_name), notice.client_pseudonym or ""
    kind = notice.kind
    if kind == notifications.TASK_OFFERED:
        return _("A task is offered to you: %(task)s – client %(client)s", task=task, client=client)
    if kind == notifications.TASK_ASSIGNED:
        return _("A task was assigned to you: %(task)s – client %(client)s", task=task,
                 client=client)  # fmt: skip
    if kind == notifications.TASK_HANDED_OVER:
        by = person(str(notice.params.get("by") or ""))
        return _("%(person)s handed a task over to you: %(task)s – client %(client)s",
                 person=by, task=task, client=client)  # fmt: skip
    if kind == notifications.TASK_DUE_TOMORROW:
        return _("Due tomorrow: %(task)s – client %(client)s", task=task, client=client)
    if kind == notifications.TASK_OVERDUE:
        return _("Overdue: %(task)s – client %(client)s", task=task, client=client)
    if kind == notifications.CASELOAD_QUIET:
        return _("No events for %(days)s working days on the path of client %(client)s",
                 days=notice.params.get("days", ""), client=client)  # fmt: skip
    if kind == CORRECTION_REQUESTED:  # the client asked themself (their own pages, /oma)
        return _("The client %(client)s asked for a correction: see the path's history",
                 client=client)  # fmt: skip
    if kind == notifications.MESSAGE_ARRIVED:
        return _("A decision was recorded on the path of client %(client)s: %(message)s",
                 client=client, message=notice.params.get("message", ""))  # fmt: skip
    return kind


def notice_target(notice: Notice) -> str:
    """Where the notice leads: the task's page, else the client's page."""
    if notice.task_id:
        return url_for("ui.task_page", task_id=notice.task_id)
    if notice.client_id is not None:
        return url_for("ui.client_page", client_id=notice.client_id)
    return url_for("ui.notifications_page")


@blueprint.get("/notifications")
def notifications_page() -> str:
    ctx = polku()
    unread_only = request.args.get("unread") == "1"
    found = notifications.list_notices(
        ctx.uow(), ctx.clock, _actor(), unread_only=unread_only, limit=notifications.MAX_LIMIT
    )
    return render_template(
        "notifications.html", notices=found, unread_only=unread_only, notice_text=notice_text
    )


@blueprint.post("/notifications/<int:notice_id>")
def open_notification(notice_id: int) -> Response:
    """Mark the notice read and go to the work (which logs its own read). A POST: opening
    changes the notice, and a GET must not (a link prefetched or followed by a scanner)."""
    ctx = polku()
    notice = notifications.mark_read(ctx.uow(), ctx.clock, _actor(), notice_id)
    return redirect(notice_target(notice))


@blueprint.post("/notifications/read-all")
def notifications_read_all() -> Response:
    ctx = polku()
    notifications.mark_all_read(ctx.uow(), ctx.clock, _actor())
    flash(_("All notifications are marked read."), "success")
    return redirect(url_for("ui.notifications_page"))


@blueprint.get("/settings")
def settings_page() -> str:
    ctx = polku()
    current = personal_settings.get_settings(ctx.uow(), _actor())
    values = {"email": current.email or "", "email_digest": current.email_digest}
    return render_template("settings.html", values=values, errors={}, current=current)


@blueprint.post("/settings")
def settings_save() -> Response | tuple[str, int]:
    ctx = polku()
    email = request.form.get("email", "")
    digest = request.form.get("email_digest") == "1"
    try:
        personal_settings.save_settings(ctx.uow(), ctx.clock, _actor(), email, digest)
    except InvalidInput as exc:
        current = personal_settings.get_settings(ctx.uow(), _actor())
        values = {"email": email, "email_digest": digest}
        errors = labels.messages(exc.errors)
        return render_template("settings.html", values=values, errors=errors, current=current), 400
    flash(_("Your settings were saved."), "success")
    return redirect(url_for("ui.settings_page"))


@blueprint.post("/admin/people/<int:user_id>/email")
def admin_person_email(user_id: int) -> Response | tuple[str, int]:
    """An administrator sets a person's e-mail address (the person page)."""
    from web.ui.people_admin import _admin, _render_person

    ctx, actor = polku(), _admin()
    email = request.form.get("email", "")
    try:
        personal_settings.set_email(ctx.uow(), ctx.clock, actor, user_id, email)
    except InvalidInput as exc:
        errors = labels.messages(exc.errors)
        return _render_person(user_id, values={"email": email}, errors=errors, status=400)
    flash(_("The changes were saved."), "success")
    return redirect(url_for("ui.admin_person", user_id=user_id))
