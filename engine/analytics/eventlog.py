"""The event log out (XES and CSV with the standard process-mining columns, pseudonymised) and
in (a CSV in the same format, checked line by line, imported all or nothing).

The log out holds only the paths its reader may count (`paths`: the access policy's condition,
passed in by the services). An imported log is data from outside Polku, not Polku's clients'
paths: it is kept apart (`imported_dataset`, `imported_event`) and no condition applies to it."""

from __future__ import annotations

import codecs
import csv
import hashlib
import hmac
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any
from xml.sax.saxutils import quoteattr

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.analytics.report_paths import ReportPaths
from engine.analytics.stalls import Scope
from engine.errors import Coded, Text, code_of, nested, params_of
from engine.persistence.tables import (
    Event,
    ProcessInstance,
    ProcessModel,
    ProcessModelVersion,
)

COLUMNS = ("case_id", "activity", "timestamp", "resource", "lifecycle")
OPTIONAL_COLUMNS = ("outcome",)
LIFECYCLES = ("start", "complete")
# history kinds that become event-log rows, with their lifecycle transition
EXPORTED_KINDS = {
    "task_ready": "start",
    "task_completed": "complete",
    "timer_fired": "complete",
    "message_received": "complete",
    "instance_completed": "complete",
}
MAX_IMPORT_ROWS = 2_000_000
MAX_FIELD = 300
# what the columns of `imported_event` hold: a longer value would fail on PostgreSQL
FIELD_LIMITS = {"case_id": 100, "resource": 100, "outcome": 60}
MAX_LINE_BYTES = 64 * 1024  # six 300-character fields, quoted, are at most ~15 KiB of UTF-8


@dataclass(frozen=True)
class LogRow:
    case_id: str
    activity: str
    timestamp: datetime
    resource: str
    lifecycle: str
    outcome: str = ""
    attributes: dict[str, Any] | None = None  # an import's other columns (import_mapping)


def case_id(secret: str, instance_id: int) -> str:
    """A stable pseudonym for an instance: not reversible without the installation's secret."""
    digest = hmac.new(secret.encode(), f"instance:{instance_id}".encode(), hashlib.sha256)
    return "case-" + digest.hexdigest()[:16]


def rows(session: Session, scope: Scope, secret: str, paths: ReportPaths) -> Iterator[LogRow]:
    """The history of the paths in `paths` and the scope, as event-log rows."""
    query = (
        select(
            Event.instance_id,
            Event.kind,
            Event.element_name,
            Event.occurred_at,
            Event.role,
            Event.data,
            ProcessInstance.outcome,
        )
        .join(ProcessInstance, ProcessInstance.id == Event.instance_id)
        .join(ProcessModelVersion, ProcessModelVersion.id == ProcessInstance.model_version_id)
        .join(ProcessModel, ProcessModel.id == ProcessModelVersion.model_id)
        .where(Event.kind.in_(list(EXPORTED_KINDS)), paths.holds(Event.instance_id))
        .order_by(Event.instance_id, Event.occurred_at, Event.id)
    )
    if scope.model_key:
        query = query.where(ProcessModel.key == scope.model_key)
    if scope.version:
        query = query.where(ProcessModelVersion.number == scope.version)
    if scope.since:
        query = query.where(ProcessInstance.created_at >= scope.since)
    if scope.until:
        query = query.where(ProcessInstance.created_at < scope.until)
    for instance_id, kind, name, occurred, role, _data, outcome in session.execute(
        query.execution_options(yield_per=5000)
    ):
        activity = name or kind
        if kind == "instance_completed":
            activity = "Polku päättyi"
        yield LogRow(
            case_id(secret, instance_id),
            activity,
            occurred,
            role or "system",
            EXPORTED_KINDS[kind],
            outcome or "" if kind == "instance_completed" else "",
        )


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def to_csv(log: Iterator[LogRow]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow((*COLUMNS, *OPTIONAL_COLUMNS))
    for row in log:
        writer.writerow(
            (
                row.case_id,
                row.activity,
                _iso(row.timestamp),
                row.resource,
                row.lifecycle,
                row.outcome,
            )
        )
        if buffer.tell() > 65536:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def to_xes(log: Iterator[LogRow]) -> Iterator[str]:
    """IEEE 1849 XES with the concept, time, organizational and lifecycle extensions."""
    yield (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<log xes.version="1.0" xes.features="nested-attributes" '
        'xmlns="http://www.xes-standard.org/">\n'
        '<extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>\n'
        '<extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>\n'
        '<extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>\n'
        '<extension name="Lifecycle" prefix="lifecycle" uri="http://www.xes-standard.org/lifecycle.xesext"/>\n'
        '<string key="concept:name" value="Polku event log"/>\n'
    )
    current: str | None = None
    parts: list[str] = []
    for row in log:
        if row.case_id != current:
            if current is not None:
                parts.append("</trace>\n")
            current = row.case_id
            parts.append(f'<trace><string key="concept:name" value={quoteattr(row.case_id)}/>\n')
        parts.append(
            f'<event><string key="concept:name" value={quoteattr(row.activity)}/>'
            f'<date key="time:timestamp" value="{_iso(row.timestamp)}"/>'
            f'<string key="org:resource" value={quoteattr(row.resource)}/>'
            f'<string key="lifecycle:transition" value="{row.lifecycle}"/></event>\n'
        )
        if len(parts) > 2000:
            yield "".join(parts)
            parts = []
    if current is not None:
        parts.append("</trace>\n")
    parts.append("</log>\n")
    yield "".join(parts)


class LogImportError(Coded, ValueError):
    """A malformed event log: names the line and the problem (a `Text`: its code and params
    are the error's, with `line` added)."""

    default_code = "import_line_invalid"

    def __init__(self, line: int, problem: str, *, code: str | None = None) -> None:
        super().__init__(
            f"line {line}: {problem}",
            code=code or code_of(problem),
            params={"line": line, **params_of(problem)},
        )
        self.line = line
        self.problem = problem

    def text(self) -> Text:
        """ "line N: problem" as a message: code `import_line`, the line and the problem nested."""
        params = {"line": self.line, **nested("problem", self.problem)}
        return Text.made(str(self), "import_line", params)


def at_line(line: int, problem: str) -> LogImportError:
    """A problem a reader found (`Text`: import_mapping, xlsx_rows, xes_rows), at its line."""
    code = code_of(problem)
    return LogImportError(line, problem, code=code)


class NotUtf8Error(LogImportError):
    """A line that is not UTF-8 text."""

    def __init__(self, line: int) -> None:
        super().__init__(line, Text("import_not_utf8", "not UTF-8 text"))


class LineReader:
    """The lines of an uploaded log, read from its bytes one at a time (UTF-8, a byte-order mark
    allowed), counting the bytes read for the progress shown. Never more than one line is held,
    and a line is at most MAX_LINE_BYTES long, so memory does not grow with the file."""

    def __init__(self, source: IO[bytes]) -> None:
        self._source = source
        self.bytes_read = 0
        self.lines_read = 0

    def __iter__(self) -> Iterator[str]:
        while True:
            raw = self._source.readline(MAX_LINE_BYTES + 1)
            if not raw:
                return
            self.lines_read += 1
            self.bytes_read += len(raw)
            if len(raw) > MAX_LINE_BYTES:
                raise LogImportError(
                    self.lines_read,
                    Text(
                        "import_line_too_long",
                        "the line is longer than {max} bytes",
                        max=MAX_LINE_BYTES,
                    ),
                )
            if self.lines_read == 1:
                raw = raw.removeprefix(codecs.BOM_UTF8)
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError:
                raise NotUtf8Error(self.lines_read) from None


def iter_csv(lines: Iterable[str]) -> Iterator[tuple[int, LogRow]]:
    """Check every line as it comes and yield each row with its line number; raise on the first
    bad line, naming it. Only the header and a count are kept from one line to the next."""
    reader = csv.reader(lines)
    try:
        header = next(reader)
    except StopIteration:
        raise LogImportError(1, Text("import_empty", "the file is empty")) from None
    except csv.Error as exc:
        raise LogImportError(1, _not_csv(exc)) from None
    header = [h.strip().lstrip("\ufeff") for h in header]
    missing = [c for c in COLUMNS if c not in header]
    unknown = [c for c in header if c not in COLUMNS + OPTIONAL_COLUMNS]
    if missing or unknown:
        raise LogImportError(
            1,
            Text(
                "import_header",
                "the header must be {columns}{missing}{unknown}",
                columns=",".join(COLUMNS),
                missing=f" (missing: {', '.join(missing)})" if missing else "",
                unknown=f" (unknown: {', '.join(unknown)})" if unknown else "",
            ),
        )
    index = {name: header.index(name) for name in header}
    count = 0
    number = 1
    while True:
        number += 1
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise LogImportError(number, _not_csv(exc)) from None
        row = _row(number, fields, header, index)
        if row is None:
            continue
        count += 1
        if count > MAX_IMPORT_ROWS:
            raise LogImportError(
                number, Text("import_too_many_rows", "more than {max} rows", max=MAX_IMPORT_ROWS)
            )
        yield number, row
    if not count:
        raise LogImportError(2, Text("import_no_events", "the file has no events"))


def _not_csv(exc: csv.Error) -> Text:
    return Text("import_not_csv", "the line is not CSV ({why})", why=str(exc))


def _row(number: int, fields: list[str], header: list[str], index: dict[str, int]) -> LogRow | None:
    """One line's row, checked; None for a blank line."""
    if not fields or all(not f.strip() for f in fields):
        return None
    if len(fields) != len(header):
        raise LogImportError(
            number,
            Text(
                "import_field_count",
                "expected {want} fields, found {got}",
                want=len(header),
                got=len(fields),
            ),
        )
    values = {name: fields[i].strip() for name, i in index.items()}

    def get(name: str) -> str:
        return values.get(name, "")

    for name in ("case_id", "activity"):
        if not get(name):
            raise LogImportError(number, Text("import_field_empty", "{name} is empty", name=name))
    for name in header:
        limit = FIELD_LIMITS.get(name, MAX_FIELD)
        if len(get(name)) > limit:
            raise LogImportError(
                number,
                Text(
                    "import_field_too_long",
                    "{name} is longer than {max} characters",
                    name=name,
                    max=limit,
                ),
            )
        if "\x00" in get(name):
            raise LogImportError(
                number, Text("import_field_nul", "{name} contains a NUL character", name=name)
            )
    try:
        moment = datetime.fromisoformat(get("timestamp").replace("Z", "+00:00"))
    except ValueError:
        raise LogImportError(
            number,
            Text(
                "import_timestamp",
                "timestamp '{value}' is not ISO 8601",
                value=get("timestamp"),
            ),
        ) from None
    if moment.tzinfo is None:
        raise LogImportError(
            number,
            Text(
                "import_timestamp_zone",
                "timestamp '{value}' has no time zone",
                value=get("timestamp"),
            ),
        )
    if get("lifecycle") not in LIFECYCLES:
        raise LogImportError(
            number,
            Text(
                "import_lifecycle",
                "lifecycle '{value}' is not one of {allowed}",
                value=get("lifecycle"),
                allowed=", ".join(LIFECYCLES),
            ),
        )
    return LogRow(
        get("case_id"),
        get("activity"),
        moment.astimezone(UTC),
        get("resource"),
        get("lifecycle"),
        get("outcome"),
    )


def parse_csv(text: str) -> list[LogRow]:
    """Check every line of a small log held in memory; return the rows or raise on the first
    bad line, naming it. Imports stream instead (`LineReader`, `iter_csv`)."""
    return [row for _number, row in iter_csv(io.StringIO(text))]
