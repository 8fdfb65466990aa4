"""The event log out and in: download the pseudonymised log as CSV or XES for process mining;
import a log (e.g. a pilot's history from before Polku) as a separate, marked data set. A CSV
of the standard columns goes straight in; any other file (another header, XLSX, XES), or any
file with "Preview and choose the columns", goes to the import wizard (`import_wizard_page.py`).

A small file is imported while the browser waits. A big one (up to 500 MB, a million events
and more) is imported in the background: the upload is copied from werkzeug's spooled file to a
file of the job's own, a thread imports it (streamed, bounded memory, one transaction), and the
job's page shows the progress that the import writes to the database, so that any worker
process can answer it. Without JavaScript the page shows it at each reload; with it,
`polku-import.js` asks `…/progress` every second or two and updates the bar."""

from __future__ import annotations

import codecs
import contextvars
import csv
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import IO, Any

from flask import (
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _

from engine.analytics import eventlog, log_sources
from engine.errors import InvalidInput
from engine.services import dashboards, event_import, import_jobs
from engine.services.access import Actor
from web.context import PolkuContext, polku
from web.downloads import MIMETYPES, event_log_response
from web.ui import blueprint, labels
from web.ui.dashboard import dashboard_actor
from web.ui.reports import read_scope

MAX_UPLOAD_BYTES = event_import.MAX_FILE_BYTES
MAX_UPLOAD_MB = MAX_UPLOAD_BYTES // 2**20
FORM_ROOM = 64 * 1024  # the other fields and the multipart boundaries around the file
# Files up to this size are imported while the browser waits (about 10,000 events, well under
# a second); bigger ones in the background. `EVENT_LOG_INLINE_BYTES` in the config overrides.
INLINE_BYTES = 1024 * 1024


@blueprint.url_value_preprocessor
def _room_for_event_logs(endpoint: str | None, _values: dict[str, Any] | None) -> None:
    """An event log may be far bigger than any other request (MAX_CONTENT_LENGTH): its upload
    alone may be up to MAX_UPLOAD_BYTES. Set before anything reads the body."""
    if endpoint in ("ui.event_log_import", "ui.event_log_upload"):
        request.max_content_length = MAX_UPLOAD_BYTES + FORM_ROOM


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
        max_upload_mb=MAX_UPLOAD_MB,
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
        raise InvalidInput(
            "the export choices are not valid", form.errors, code="export_choices_invalid"
        )
    return event_log_response(actor, form.scope, fmt)


@blueprint.post("/dashboard/event-log/imports")
def event_log_import(wizard: bool = False) -> Any:
    actor = dashboard_actor()
    ctx = polku()
    values = {
        "name": (request.form.get("name") or "").strip(),
        "model": (request.form.get("model") or "").strip(),
    }
    upload = request.files.get("file")
    errors: dict[str, list[str]] = {}
    if upload is None or not upload.filename:
        errors["file"] = [_("Choose the file to import.")]
    if not values["name"]:
        errors["name"] = [_("Give the data set a name.")]
    if not values["model"]:
        errors["model"] = [_("Choose a process model.")]
    if not errors and upload is not None:
        size = _size(upload.stream)
        if size > MAX_UPLOAD_BYTES:
            errors["file"] = [_("The file is larger than %(size)s MB.", size=MAX_UPLOAD_MB)]
        else:
            try:
                if wizard or not _standard_csv(upload.filename or "", upload.stream):
                    return import_wizard_page.start_wizard(values, upload, size)
                if size <= current_app.config.get("EVENT_LOG_INLINE_BYTES", INLINE_BYTES):
                    imported = event_import.import_events(
                        ctx.uow(), ctx.clock, actor, name=values["name"],
                        model_key=values["model"], source=upload.stream, total_bytes=size,
                    )  # fmt: skip
                    flash(_imported_text(imported.rows), "success")
                    return redirect(url_for("ui.metrics_page", dataset=imported.dataset_id))
                job_id = _start_in_background(ctx, actor, values, upload.stream, size)
                return redirect(url_for("ui.event_log_job", job_id=job_id), 303)
            except InvalidInput as exc:
                for name, messages in exc.errors.items():
                    field = {"model_key": "model"}.get(name, name)
                    errors.setdefault(field, []).extend(labels.message(m) for m in messages)
    return _page(errors, values, 400)


@blueprint.get("/dashboard/event-log/imports/<job_id>")
def event_log_job(job_id: str) -> str:
    """A background import: its progress while it runs, then how it ended."""
    ctx = polku()
    job = import_jobs.job_status(ctx.uow(), ctx.clock, dashboard_actor(), job_id)
    return render_template(
        "event_log_job.html",
        job=job,
        text=_status_text(job),
        error=labels.message(job.error) if job.error else None,
    )


@blueprint.get("/dashboard/event-log/imports/<job_id>/progress")
def event_log_job_progress(job_id: str) -> Response:
    """The same as JSON, for the page's script (and anyone who polls)."""
    ctx = polku()
    job = import_jobs.job_status(ctx.uow(), ctx.clock, dashboard_actor(), job_id)
    return jsonify(
        {
            "id": job.id,
            "state": job.state,
            "percent": job.percent,
            "lines_done": job.lines_done,
            "bytes_done": job.bytes_done,
            "total_bytes": job.total_bytes,
            "dataset_id": job.dataset_id,
            "rows": job.rows,
            "cases": job.cases,
            "error": labels.message(job.error) if job.error else None,
            "text": _status_text(job),
            "page": url_for("ui.event_log_job", job_id=job.id),
        }
    )


def _standard_csv(filename: str, stream: IO[bytes]) -> bool:
    """Whether the file is a CSV whose header the standard import takes as it is."""
    if log_sources.format_of(filename) != "csv":
        return False
    first = stream.readline(eventlog.MAX_LINE_BYTES).removeprefix(codecs.BOM_UTF8)
    stream.seek(0)
    try:
        header = next(csv.reader([first.decode("utf-8")]), [])
    except (UnicodeDecodeError, csv.Error):
        return True  # the standard import names the problem
    names = {h.strip() for h in header}
    return set(eventlog.COLUMNS) <= names <= set(eventlog.COLUMNS + eventlog.OPTIONAL_COLUMNS)


def _size(stream: IO[bytes]) -> int:
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    return size


def _start_in_background(
    ctx: PolkuContext, actor: Actor, values: dict[str, str], stream: IO[bytes], size: int
) -> str:
    """Record the job (its choices checked), keep the file for it and start its thread. The
    thread runs in a copy of this request's context, so the access log's row names the
    session the import was asked in."""
    job_id = import_jobs.start_job(ctx.uow(), ctx.clock, actor, name=values["name"],
                                   model_key=values["model"], total_bytes=size)  # fmt: skip
    handle, name = tempfile.mkstemp(prefix="polku-import-", suffix=".csv")
    path = Path(name)
    try:
        with os.fdopen(handle, "wb") as copy:
            shutil.copyfileobj(stream, copy, 1024 * 1024)
    except OSError:
        path.unlink(missing_ok=True)
        import_jobs.fail_job(ctx.uow(), ctx.clock, job_id, None)
        raise
    work = contextvars.copy_context()
    threading.Thread(
        target=work.run,
        args=(import_jobs.run_job, ctx.uow, ctx.clock, actor, job_id, path),
        name=f"polku-import-{job_id[:8]}",
        daemon=True,  # a server stopping does not wait: the job then shows as interrupted
    ).start()
    return job_id


def _imported_text(rows: int) -> str:
    return ngettext(
        "The event log was imported as a separate data set: %(events)s event.",
        "The event log was imported as a separate data set: %(events)s events.",
        rows,
        events=format_decimal(rows),
    )


def _status_text(job: import_jobs.JobStatus) -> str:
    if job.state == "done":
        return _imported_text(job.rows or 0)
    if job.state == "failed":
        return _("The import failed and nothing was imported.")
    if job.state == "interrupted":
        return _("The import was interrupted and nothing was imported. Import the file again.")
    if job.percent is not None and job.percent >= 100:
        return _("Every line has been read and checked; the events are being saved.")
    lines = format_decimal(job.lines_done)
    if job.percent is None:
        return _("%(lines)s lines read and checked.", lines=lines)
    return _("%(lines)s lines read and checked, %(percent)s %% of the file.", lines=lines,
             percent=job.percent)  # fmt: skip


from web.ui import import_wizard_page  # noqa: E402  (registers the wizard's routes)
