"""The event log out and in: download the pseudonymised log as CSV or XES for process mining;
import a CSV log (e.g. a pilot's history from before Polku) as a separate, marked data set."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import (
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _

from engine.errors import InvalidInput
from engine.services import dashboards
from web.context import polku
from web.ui import blueprint, labels
from web.ui.dashboard import dashboard_actor
from web.ui.reports import read_scope

FORMATS = {"csv": "text/csv", "xes": "application/xml"}
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def _page(errors: dict[str, list[str]] | None = None, values: dict[str, str] | None = None,
          status: int = 200) -> tuple[str, int]:  # fmt: skip
    actor = dashboard_actor()
    ctx = polku()
    choices = dashboards.scope_choices(ctx.uow())
    return render_template(
        "event_log.html",
        form=read_scope(request.args, choices),
        choices=choices,
        datasets=dashboards.list_datasets(ctx.uow(), actor),
        errors=errors or {},
        values=values or {},
    ), status


@blueprint.get("/dashboard/event-log")
def event_log_page() -> tuple[str, int]:
    return _page()


@blueprint.get("/dashboard/event-log/download")
def event_log_download() -> Any:
    actor = dashboard_actor()
    ctx = polku()
    fmt = request.args.get("format", "csv")
    form = read_scope(request.args, dashboards.scope_choices(ctx.uow()))
    if not form.valid or fmt not in FORMATS:
        if fmt not in FORMATS:
            form.errors["format"] = [_("Choose CSV or XES.")]
        raise InvalidInput("the export choices are not valid", form.errors)
    chunks = dashboards.export_log(
        ctx.uow(), ctx.clock, actor, form.scope, current_app.config["SECRET_KEY"], fmt
    )
    response = Response(stream_with_context(chunks), mimetype=FORMATS[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="polku-event-log.{fmt}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.post("/dashboard/event-log/imports")
def event_log_import() -> Any:
    actor = dashboard_actor()
    ctx = polku()
    values = {
        "name": (request.form.get("name") or "").strip(),
        "model": (request.form.get("model") or "").strip(),
    }
    upload = request.files.get("file")
    errors: dict[str, list[str]] = {}
    if upload is None or not upload.filename:
        errors["file"] = [_("Choose the CSV file to import.")]
    if not values["name"]:
        errors["name"] = [_("Give the data set a name.")]
    if not values["model"]:
        errors["model"] = [_("Choose a process model.")]
    if not errors and upload is not None:
        content = upload.read(MAX_UPLOAD_BYTES + 1)
        if len(content) > MAX_UPLOAD_BYTES:
            errors["file"] = [_("The file is larger than 20 MB.")]
        else:
            try:
                dataset_id = dashboards.import_log(
                    ctx.uow(), ctx.clock, actor, name=values["name"], model_key=values["model"],
                    content=content,
                )  # fmt: skip
            except InvalidInput as exc:
                for name, messages in exc.errors.items():
                    field = {"model_key": "model"}.get(name, name)
                    errors.setdefault(field, []).extend(
                        labels.message(m) if field != "file" else import_problem(m)
                        for m in messages
                    )
    if errors:
        return _page(errors, values, 400)
    flash(_("The event log was imported as a separate data set."), "success")
    return redirect(url_for("ui.metrics_page", dataset=dataset_id))


_LINE = re.compile(r"^line (?P<line>\d+): (?P<problem>.*)$", re.S)
_PROBLEMS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"^the file is empty$"), lambda m: _("the file is empty")),
    (re.compile(r"^the file has no events$"), lambda m: _("the file has no events")),
    (
        re.compile(r"^the header must be (?P<columns>[\w,]+)(?P<rest>.*)$"),
        lambda m: _("the header must be %(columns)s", columns=m["columns"]) + m["rest"],
    ),
    (
        re.compile(r"^expected (?P<want>\d+) fields, found (?P<got>\d+)$"),
        lambda m: _("expected %(want)s fields, found %(got)s", want=m["want"], got=m["got"]),
    ),
    (re.compile(r"^(?P<name>\w+) is empty$"), lambda m: _("%(name)s is empty", name=m["name"])),
    (
        re.compile(r"^(?P<name>\w+) is longer than (?P<max>\d+) characters$"),
        lambda m: _("%(name)s is longer than %(max)s characters", name=m["name"], max=m["max"]),
    ),
    (
        re.compile(r"^timestamp '(?P<value>.*)' is not ISO 8601$", re.S),
        lambda m: _("timestamp '%(value)s' is not an ISO 8601 time", value=m["value"]),
    ),
    (
        re.compile(r"^timestamp '(?P<value>.*)' has no time zone$", re.S),
        lambda m: _("timestamp '%(value)s' has no time zone", value=m["value"]),
    ),
    (
        re.compile(r"^lifecycle '(?P<value>.*)' is not one of (?P<allowed>.*)$", re.S),
        lambda m: _(
            "lifecycle '%(value)s' is not one of %(allowed)s",
            value=m["value"],
            allowed=m["allowed"],
        ),
    ),  # fmt: skip
    (
        re.compile(r"^more than (?P<max>\d+) rows$"),
        lambda m: _("more than %(max)s rows", max=m["max"]),
    ),
]


def import_problem(message: str) -> str:
    """The importer names the line and the problem in English; say it in the reader's language
    (the line number stays)."""
    line = _LINE.match(message)
    if line is None:
        return labels.message(message)
    problem = line["problem"]
    for pattern, render in _PROBLEMS:
        match = pattern.match(problem)
        if match:
            problem = render(match)
            break
    return _("Line %(line)s: %(problem)s", line=line["line"], problem=problem)
