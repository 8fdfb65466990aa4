"""The event log out and in: download the pseudonymised log as CSV or XES for process mining;
import a CSV log (e.g. a pilot's history from before Polku) as a separate, marked data set."""

from __future__ import annotations

from typing import Any

from flask import (
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _

from engine.errors import InvalidInput
from engine.services import dashboards
from web.context import polku
from web.downloads import MIMETYPES, event_log_response
from web.ui import blueprint, labels
from web.ui.dashboard import dashboard_actor
from web.ui.reports import read_scope

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
    if not form.valid or fmt not in MIMETYPES:
        if fmt not in MIMETYPES:
            form.errors["format"] = [_("Choose CSV or XES.")]
        raise InvalidInput("the export choices are not valid", form.errors)
    return event_log_response(actor, form.scope, fmt)


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
                    errors.setdefault(field, []).extend(labels.message(m) for m in messages)
    if errors:
        return _page(errors, values, 400)
    flash(_("The event log was imported as a separate data set."), "success")
    return redirect(url_for("ui.metrics_page", dataset=dataset_id))
