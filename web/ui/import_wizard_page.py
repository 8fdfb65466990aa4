"""The import wizard's pages (issue 16 §3): a pilot's own CSV, XLSX or XES in without editing.

Upload (kept for a day for its uploader, `engine.services.import_wizard`) → the first rows with
the columns to choose and a select per activity name (the model's steps, Polku's event kinds)
→ import, streamed as ever: a small file while the browser waits, a big one in the background
with its progress (`event_log.py`'s job page). "Update the preview" posts the choices to the
preview page itself, so it works without JavaScript."""

from __future__ import annotations

import contextvars
import threading
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from engine.analytics.import_mapping import ROLES, ImportMapping
from engine.errors import InvalidInput
from engine.services import event_import, import_jobs, import_wizard
from web.context import polku
from web.ui import blueprint, labels
from web.ui.dashboard import dashboard_actor
from web.uploads import upload_dir


def mapping_from(values: MultiDict[str, str]) -> ImportMapping:
    """The choices as the wizard's form sends them."""
    names = values.getlist("act_name")
    targets = values.getlist("act_target")
    case, activity, timestamp, resource, lifecycle, outcome = (
        (values.get(role) or "").strip() for role in ROLES
    )
    return ImportMapping(
        case, activity, timestamp, resource, lifecycle, outcome,
        attributes=tuple(a for a in values.getlist("attr") if a),
        activities={n: t for n, t in zip(names, targets, strict=False) if n and t},
    )  # fmt: skip


def kind_labels() -> dict[str, str]:
    return {
        "task_ready": _("A step became ready"),
        "task_completed": _("A step was completed"),
        "timer_fired": _("A timer fired"),
        "message_received": _("A message or decision arrived"),
        "instance_completed": _("The path ended"),
    }


def start_wizard(values: dict[str, str], upload: Any, size: int) -> Any:
    """Keep the upload and go to its preview (the event-log page's form starts here)."""
    ctx = polku()
    kept = import_wizard.save_upload(
        upload_dir(), ctx.clock, ctx.uow(), dashboard_actor(), name=values["name"],
        model_key=values["model"], filename=upload.filename or "", stream=upload.stream,
        size=size,
    )  # fmt: skip
    return redirect(url_for("ui.event_log_wizard", upload_id=kept.id), 303)


@blueprint.post("/dashboard/event-log/uploads")
def event_log_upload() -> Any:
    from web.ui import event_log

    return event_log.event_log_import(wizard=True)


def _wizard(upload_id: str, mapping: ImportMapping | None, errors: dict[str, list[str]],
            status: int = 200) -> tuple[str, int]:  # fmt: skip
    ctx = polku()
    actor = dashboard_actor()
    shown = import_wizard.preview(ctx.uow(), ctx.engine, upload_dir(), actor, upload_id, mapping)
    chosen = dict(shown.mapping.activities)
    return render_template(
        "event_log_wizard.html",
        preview=shown,
        mapping=shown.mapping,
        chosen=chosen,
        kinds=kind_labels(),
        errors=errors,
        problem=labels.message(shown.problem) if shown.problem else None,
    ), status


@blueprint.route("/dashboard/event-log/uploads/<upload_id>", methods=["GET", "POST"])
def event_log_wizard(upload_id: str) -> tuple[str, int]:
    """The first rows and the choices: remembered or guessed (GET), or those sent ("Update
    the preview" posts the form here)."""
    mapping = mapping_from(request.form) if request.method == "POST" else None
    return _wizard(upload_id, mapping, {})


@blueprint.post("/dashboard/event-log/uploads/<upload_id>/import")
def event_log_wizard_import(upload_id: str) -> Any:
    ctx = polku()
    actor = dashboard_actor()
    mapping = mapping_from(request.form)
    try:
        ready = import_wizard.prepare(ctx.uow(), ctx.engine, upload_dir(), actor, upload_id,
                                      mapping)  # fmt: skip
        upload = ready.upload
        inline = current_app.config.get("EVENT_LOG_INLINE_BYTES", 1024 * 1024)
        if upload.size <= inline:
            with upload.path.open("rb") as source:
                imported = event_import.import_events(
                    ctx.uow(), ctx.clock, actor, name=upload.name, model_key=upload.model_key,
                    source=source, total_bytes=upload.size, file_format=upload.file_format,
                    mapping=ready.mapping, renames=ready.renames,
                )  # fmt: skip
            import_wizard.forget_upload(upload)
            from web.ui.event_log import _imported_text

            flash(_imported_text(imported.rows), "success")
            return redirect(url_for("ui.metrics_page", dataset=imported.dataset_id))
        job_id = import_jobs.start_job(
            ctx.uow(), ctx.clock, actor, name=upload.name, model_key=upload.model_key,
            total_bytes=upload.size,
        )  # fmt: skip
        upload.path.with_suffix(".json").unlink(missing_ok=True)  # the job has the file now
        work = contextvars.copy_context()
        threading.Thread(
            target=work.run,
            args=(import_jobs.run_job, ctx.uow, ctx.clock, actor, job_id, upload.path),
            kwargs={
                "file_format": upload.file_format,
                "mapping": ready.mapping,
                "renames": ready.renames,
            },  # fmt: skip
            name=f"polku-import-{job_id[:8]}",
            daemon=True,
        ).start()
        return redirect(url_for("ui.event_log_job", job_id=job_id), 303)
    except InvalidInput as exc:
        errors: dict[str, list[str]] = {}
        for name, messages in exc.errors.items():
            errors.setdefault(name, []).extend(labels.message(m) for m in messages)
        return _wizard(upload_id, mapping, errors, 400)
