"""The rows of an XLSX workbook's first sheet, read with openpyxl in read-only (streaming) mode:
one row at a time, so memory does not grow with the sheet. The first row is the header."""

from __future__ import annotations

import contextlib
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time
from typing import IO, Any

from engine.errors import Text

Cell = str | int | float | datetime | None


class NotXlsxError(ValueError):
    """The file is not an XLSX workbook openpyxl can read."""

    def __init__(self) -> None:
        super().__init__(Text("import_not_xlsx", "the file is not an XLSX workbook"))


def _cell(value: Any) -> Cell:
    """A cell as the import reads it: text, a number, a time (naive: Helsinki) or nothing."""
    if value is None or isinstance(value, str | int | float | datetime):
        return value
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, date):
        return datetime.combine(value, time())
    if isinstance(value, time):
        return value.isoformat()
    return str(value)


class XlsxRows:
    """Iterate (row number, cells) of the first sheet; `bytes_read` is how far into the file
    the reading has got (the sheet is read in order), `lines_read` the last row number."""

    def __init__(self, source: IO[bytes]) -> None:
        from openpyxl import load_workbook  # a big import: only when a workbook comes
        from openpyxl.utils.exceptions import InvalidFileException

        self._source = source
        self.bytes_read = 0
        self.lines_read = 0
        try:
            self._book = load_workbook(source, read_only=True, data_only=True)
        except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
            raise NotXlsxError() from None
        sheets = self._book.worksheets
        if not sheets:
            self._book.close()
            raise NotXlsxError()
        self._sheet = sheets[0]

    def __iter__(self) -> Iterator[tuple[int, list[Cell]]]:
        try:
            for number, row in enumerate(self._sheet.iter_rows(values_only=True), start=1):
                self.lines_read = number
                with contextlib.suppress(OSError, ValueError):
                    self.bytes_read = self._source.tell()
                cells = [_cell(v) for v in row]
                while cells and cells[-1] is None:
                    cells.pop()
                yield number, cells
        finally:
            self._book.close()

    def close(self) -> None:
        self._book.close()
