"""An uploaded event log as records, whatever its shape: a CSV (comma, semicolon or tab, the
separator read from the header line), an XLSX workbook's first sheet or an XES log. Each
record is (line, {column: value}); the columns are the header's (an XES log's are its
attribute keys, found as the events come). Every source streams: memory does not grow with the
file. A malformed file raises `eventlog.LogImportError` naming the line."""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterator
from typing import IO, Any, Protocol

from engine.analytics import eventlog
from engine.analytics.xes_rows import XesProblem, XesRows
from engine.analytics.xlsx_rows import NotXlsxError, XlsxRows
from engine.errors import Text

FORMATS = ("csv", "xlsx", "xes")
SEPARATORS = (";", ",", "\t")
Record = dict[str, Any]


class Records(Protocol):
    header: list[str]

    @property
    def bytes_read(self) -> int: ...

    @property
    def lines_read(self) -> int: ...

    def __iter__(self) -> Iterator[tuple[int, Record]]: ...


def format_of(filename: str) -> str:
    """The format a file's name says (csv when it says nothing known)."""
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return suffix if suffix in FORMATS else "csv"


def open_records(file_format: str, source: IO[bytes]) -> Records:
    if file_format == "xlsx":
        return _XlsxRecords(source)
    if file_format == "xes":
        return _XesRecords(source)
    return _CsvRecords(source)


def _header(names: list[Any]) -> list[str]:
    """The header's names, stripped; an empty one named by its place, a repeated one numbered."""
    out: list[str] = []
    for place, raw in enumerate(names, start=1):
        name = str(raw if raw is not None else "").strip().lstrip("\ufeff") or f"#{place}"
        base, n = name, 2
        while name in out:
            name, n = f"{base} ({n})", n + 1
        out.append(name)
    return out


def separator_of(line: str) -> str:
    """The separator of a header line: the one of ; , and tab that occurs most."""
    return max(SEPARATORS, key=line.count)


class _CsvRecords:
    def __init__(self, source: IO[bytes]) -> None:
        self._lines = eventlog.LineReader(source)
        self._iter = iter(self._lines)
        try:
            first = next(self._iter)
        except StopIteration:
            raise eventlog.LogImportError(1, Text("import_empty", "the file is empty")) from None
        self.delimiter = separator_of(first)
        self._reader = csv.reader(itertools.chain([first], self._iter), delimiter=self.delimiter)
        try:
            self.header = _header(next(self._reader))
        except csv.Error as exc:
            raise eventlog.LogImportError(1, eventlog._not_csv(exc)) from None

    @property
    def bytes_read(self) -> int:
        return self._lines.bytes_read

    @property
    def lines_read(self) -> int:
        return self._lines.lines_read

    def __iter__(self) -> Iterator[tuple[int, Record]]:
        width = len(self.header)
        while True:
            try:
                fields = next(self._reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise eventlog.LogImportError(
                    self._reader.line_num, eventlog._not_csv(exc)
                ) from None
            number = self._reader.line_num
            if not fields or all(not f.strip() for f in fields):
                continue
            if len(fields) != width:
                raise eventlog.LogImportError(
                    number,
                    Text("import_field_count", "expected {want} fields, found {got}",
                         want=width, got=len(fields)),
                )  # fmt: skip
            yield number, dict(zip(self.header, fields, strict=True))


class _XlsxRecords:
    def __init__(self, source: IO[bytes]) -> None:
        try:
            self._rows = XlsxRows(source)
        except NotXlsxError as exc:
            raise eventlog.at_line(1, exc.args[0]) from None
        self._iter = iter(self._rows)
        try:
            _number, first = next(self._iter)
        except StopIteration:
            raise eventlog.LogImportError(1, Text("import_empty", "the file is empty")) from None
        except Exception:  # noqa: BLE001 - a broken sheet, in whatever way openpyxl finds it
            raise eventlog.at_line(1, NotXlsxError().args[0]) from None
        self.header = _header(list(first))

    @property
    def bytes_read(self) -> int:
        return self._rows.bytes_read

    @property
    def lines_read(self) -> int:
        return self._rows.lines_read

    def __iter__(self) -> Iterator[tuple[int, Record]]:
        width = len(self.header)
        while True:
            try:
                number, cells = next(self._iter)
            except StopIteration:
                return
            except Exception:  # noqa: BLE001 - as above, on the row after the last one read
                raise eventlog.at_line(self._rows.lines_read + 1, NotXlsxError().args[0]) from None
            if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
                continue
            if len(cells) > width:
                raise eventlog.LogImportError(
                    number,
                    Text("import_field_count", "expected {want} fields, found {got}",
                         want=width, got=len(cells)),
                )  # fmt: skip
            yield number, dict(zip(self.header, cells, strict=False))


class _XesRecords:
    """The header grows as new attribute keys come; the standard ones are always in it."""

    STANDARD = ["case:concept:name", "concept:name", "time:timestamp", "org:resource",
                "lifecycle:transition"]  # fmt: skip

    def __init__(self, source: IO[bytes]) -> None:
        self._rows = XesRows(source)
        self.header = list(self.STANDARD)

    @property
    def bytes_read(self) -> int:
        return self._rows.bytes_read

    @property
    def lines_read(self) -> int:
        return self._rows.lines_read

    def __iter__(self) -> Iterator[tuple[int, Record]]:
        try:
            for number, record in self._rows:
                for key in record:
                    if key not in self.header and len(self.header) < 200:
                        self.header.append(key)
                yield number, record
        except XesProblem as exc:
            raise eventlog.at_line(exc.line, exc.problem) from None
