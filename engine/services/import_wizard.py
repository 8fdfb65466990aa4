"""The import wizard (issue 16 §3): a pilot's own spreadsheet in, without editing it by hand.

1. `save_upload` keeps the uploaded file (CSV, XLSX or XES) for its uploader, for a day;
2. `preview` reads only its first rows: the columns, a few rows, the distinct activity names
   of the first SCAN_ROWS rows, the model's steps, and the mapping to start from (the one the
   last data set of the same name was imported with, else one guessed from the header);
3. `prepare` checks a chosen mapping against the file and the model; the import itself is
   `event_import.import_events` (or a background job, `import_jobs`), streamed as ever.

An upload is a file and a small JSON note beside it in a directory the web layer gives: any app
process on the machine can read it. Its id is random; to anyone but its uploader it does not
exist."""

from __future__ import annotations

import json
import re
import secrets
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from sqlalchemy import func, select

from engine.analytics import eventlog, log_sources
from engine.analytics.import_mapping import EVENT_KINDS, ImportMapping, detect
from engine.clock import Clock
from engine.errors import InvalidInput, NotFound, Text
from engine.persistence.tables import ImportedDataset
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import access
from engine.services.dashboards import require_dashboard
from engine.services.deployment import latest_version
from engine.services.event_import import MAX_FILE_BYTES, checked_name, require_model
from engine.workflow.engine import WorkflowEngine

PREVIEW_ROWS = 10
SCAN_ROWS = 5000
MAX_ACTIVITIES = 300
KEEP_UPLOADS = timedelta(days=1)
_ID = re.compile(r"[A-Za-z0-9_-]{16,40}")


@dataclass(frozen=True)
class Upload:
    id: str
    owner: str
    name: str
    model_key: str
    file_format: str
    filename: str
    size: int
    path: Path


@dataclass(frozen=True)
class Preview:
    upload: Upload
    columns: list[str]
    rows: list[list[str]]
    mapping: ImportMapping
    remembered: bool
    activities: list[tuple[str, int]]  # distinct names in the rows scanned, with their counts
    steps: list[tuple[str, str]]  # the model's steps: bpmn id, name
    kinds: list[str]
    problem: str | None  # the first rows' own problem (e.g. "line 4: expected 5 fields")


@dataclass(frozen=True)
class Prepared:
    upload: Upload
    mapping: ImportMapping
    renames: dict[str, str]


def save_upload(
    directory: Path, clock: Clock, uow: UnitOfWork, actor: access.Actor, *, name: str,
    model_key: str, filename: str, stream: IO[bytes], size: int,
) -> Upload:  # fmt: skip
    """Keep an uploaded file for the wizard (its choices checked first); forget day-old ones."""
    require_dashboard(actor)
    name = checked_name(name)
    if size > MAX_FILE_BYTES:
        raise InvalidInput(
            f"the file is larger than {MAX_FILE_BYTES // 2**20} MB",
            {"file": [Text("file_too_large", "The file is larger than {mb} MB.",
                           mb=MAX_FILE_BYTES // 2**20)]},
            code="import_file_too_large", params={"max_mb": MAX_FILE_BYTES // 2**20},
        )  # fmt: skip
    with uow:
        require_model(uow, model_key)
    directory.mkdir(parents=True, exist_ok=True)
    _forget_old(directory, clock())
    upload_id = secrets.token_urlsafe(18)
    with (directory / f"{upload_id}.upload").open("wb") as copy:
        shutil.copyfileobj(stream, copy, 1024 * 1024)
    note = {"owner": actor.username, "name": name, "model_key": model_key, "size": size,
            "format": log_sources.format_of(filename), "filename": filename[:200],
            "created_at": clock().isoformat()}  # fmt: skip
    (directory / f"{upload_id}.json").write_text(json.dumps(note), encoding="utf-8")
    return load_upload(directory, actor, upload_id)


def load_upload(directory: Path, actor: access.Actor, upload_id: str) -> Upload:
    require_dashboard(actor)
    missing = NotFound(f"upload {upload_id} does not exist", code="import_upload_not_found",
                       params={"upload_id": upload_id[:40]})  # fmt: skip
    if not _ID.fullmatch(upload_id):
        raise missing
    path = directory / f"{upload_id}.upload"
    try:
        note = json.loads((directory / f"{upload_id}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise missing from None
    if note.get("owner") != actor.username or not path.exists():
        raise missing
    return Upload(upload_id, note["owner"], note["name"], note["model_key"], note["format"],
                  note["filename"], int(note["size"]), path)  # fmt: skip


def forget_upload(upload: Upload) -> None:
    upload.path.unlink(missing_ok=True)
    upload.path.with_suffix(".json").unlink(missing_ok=True)


def _forget_old(directory: Path, now: datetime) -> None:
    for note in directory.glob("*.json"):
        try:
            created = datetime.fromisoformat(json.loads(note.read_text("utf-8"))["created_at"])
            if created < now - KEEP_UPLOADS:
                note.with_suffix(".upload").unlink(missing_ok=True)
                note.unlink(missing_ok=True)
        except (OSError, ValueError, KeyError, TypeError):
            continue


def steps(uow: UnitOfWork, engine: WorkflowEngine, model_key: str) -> list[tuple[str, str]]:
    """The model's steps (its user tasks), id and name, in the model's order."""
    with uow:
        version = latest_version(uow, model_key)
        if version is None:
            return []
        model = engine.model_for_version(version.content_hash, model_key, version.files)
        return [(info.bpmn_id, info.name) for info in model.user_tasks.values()]


def remembered(uow: UnitOfWork, name: str) -> ImportMapping | None:
    """The mapping the last data set of this name (any case) was imported with."""
    with uow:
        stored = uow.session.scalars(
            select(ImportedDataset.mapping)
            .where(func.lower(ImportedDataset.name) == name.strip().lower(),
                   ImportedDataset.mapping.is_not(None))
            .order_by(ImportedDataset.imported_at.desc(), ImportedDataset.id.desc())
            .limit(1)
        ).first()  # fmt: skip
    return ImportMapping.from_stored(stored)


def _failed(exc: eventlog.LogImportError) -> InvalidInput:
    return InvalidInput(f"the event log was not imported: {exc}", {"file": [exc.text()]},
                        code="import_failed")  # fmt: skip


def preview(
    uow: UnitOfWork, engine: WorkflowEngine, directory: Path, actor: access.Actor,
    upload_id: str, mapping: ImportMapping | None = None,
) -> Preview:  # fmt: skip
    """The first rows of an upload and the mapping to start from (`mapping` if given)."""
    upload = load_upload(directory, actor, upload_id)
    remembered_mapping = remembered(uow, upload.name) if mapping is None else None
    rows: list[list[str]] = []
    counts: dict[str, int] = {}
    problem: str | None = None
    with upload.path.open("rb") as source:
        try:
            records = log_sources.open_records(upload.file_format, source)
        except eventlog.LogImportError as exc:
            raise _failed(exc) from None
        chosen = mapping or remembered_mapping or detect(records.header)
        try:
            for seen, (_number, record) in enumerate(records):
                if len(rows) < PREVIEW_ROWS:
                    rows.append([_shown(record.get(c)) for c in records.header])
                name = _shown(record.get(chosen.activity)) if chosen.activity else ""
                if name and (name in counts or len(counts) < MAX_ACTIVITIES):
                    counts[name] = counts.get(name, 0) + 1
                if seen + 1 >= SCAN_ROWS:
                    break
        except eventlog.LogImportError as exc:
            problem = str(exc.text())
        columns = list(records.header)
    if mapping is None and remembered_mapping is None:
        chosen = detect(columns)  # an XES log's columns are known once its events are read
    if remembered_mapping is not None and remembered_mapping.problems(columns):
        remembered_mapping, chosen = None, detect(columns)  # the file's shape has changed
    return Preview(upload, columns, [r + [""] * (len(columns) - len(r)) for r in rows], chosen,
                   remembered_mapping is not None, sorted(counts.items()),
                   steps(uow, engine, upload.model_key), list(EVENT_KINDS), problem)  # fmt: skip


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()[:300]


def prepare(
    uow: UnitOfWork, engine: WorkflowEngine, directory: Path, actor: access.Actor,
    upload_id: str, mapping: ImportMapping,
) -> Prepared:  # fmt: skip
    """Check a mapping against the upload's columns and its model's steps; work out what each
    mapped activity name becomes (a step's name, as the metrics read it, or an event kind's)."""
    upload = load_upload(directory, actor, upload_id)
    with upload.path.open("rb") as source:
        try:
            records = log_sources.open_records(upload.file_format, source)
            if upload.file_format == "xes":  # its columns are the keys of its first events
                for seen, _record in enumerate(records):
                    if seen + 1 >= SCAN_ROWS:
                        break
            header = records.header
        except eventlog.LogImportError as exc:
            raise _failed(exc) from None
    errors: dict[str, list[str]] = {k: list(v) for k, v in mapping.problems(header).items()}
    names = dict(steps(uow, engine, upload.model_key))
    renames: dict[str, str] = {}
    for activity, target in mapping.activities.items():
        kind, _, value = target.partition(":")
        if not target:
            continue
        if kind == "step" and value in names:
            renames[activity] = names[value]
        elif kind == "kind" and value in EVENT_KINDS:
            renames[activity] = EVENT_KINDS[value]
        else:
            errors.setdefault("activities", []).append(
                Text("import_target_unknown", "'{target}' is not a step of the model nor an "
                     "event kind of Polku.", target=target[:100]))  # fmt: skip
    if errors:
        raise InvalidInput("the import's choices are not valid", errors,
                           code="import_mapping_invalid")  # fmt: skip
    return Prepared(upload, mapping, renames)
