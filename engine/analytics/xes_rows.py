"""The events of an XES log (IEEE 1849), read as a stream with expat: each event as a record of
its attributes, with its trace's attributes as "case:<key>" (the case's id is
"case:concept:name"). A chunk of the file is parsed at a time and its finished events handed
on, so memory does not grow with the log. A document type (and so any entity) is refused."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import IO
from xml.parsers import expat

from engine.errors import Text

CHUNK = 64 * 1024
# XES attribute elements; their "key" and "value" make a record's field
ATTRIBUTES = frozenset({"string", "date", "int", "float", "boolean", "id"})
CASE_PREFIX = "case:"


class XesProblem(ValueError):
    """The XES is not well formed (or declares a document type): `line` names where."""

    def __init__(self, line: int, problem: Text) -> None:
        super().__init__(problem)
        self.line = line
        self.problem = problem


def _local(name: str) -> str:
    return name.rsplit(" ", 1)[-1].rsplit(":", 1)[-1] if name else name


class XesRows:
    """Iterate (line, record) of every event; `bytes_read` and `lines_read` say how far."""

    def __init__(self, source: IO[bytes]) -> None:
        self._source = source
        self.bytes_read = 0
        self.lines_read = 0
        self._ready: deque[tuple[int, dict[str, str]]] = deque()
        self._trace: dict[str, str] = {}
        self._event: dict[str, str] | None = None
        self._event_line = 0
        self._stack: list[str] = []
        self._parser = expat.ParserCreate(namespace_separator=" ")
        self._parser.StartElementHandler = self._start
        self._parser.EndElementHandler = self._end
        self._parser.StartDoctypeDeclHandler = self._doctype
        self._parser.EntityDeclHandler = self._entity

    def _doctype(self, *_args: object) -> None:
        raise XesProblem(
            self._parser.CurrentLineNumber,
            Text("import_xml_doctype", "the XML declares a document type"),
        )

    def _entity(self, *_args: object) -> None:
        self._doctype()

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        tag = _local(name)
        parent = self._stack[-1] if self._stack else ""
        self._stack.append(tag)
        if tag == "trace" and parent == "log":
            self._trace = {}
        elif tag == "event" and parent == "trace":
            self._event = {}
            self._event_line = self._parser.CurrentLineNumber
        elif tag in ATTRIBUTES and "key" in attrs:
            if parent == "event" and self._event is not None:
                self._event[attrs["key"]] = attrs.get("value", "")
            elif parent == "trace":
                self._trace[CASE_PREFIX + attrs["key"]] = attrs.get("value", "")

    def _end(self, name: str) -> None:
        tag = self._stack.pop() if self._stack else _local(name)
        if tag == "event" and self._event is not None:
            self._ready.append((self._event_line, {**self._trace, **self._event}))
            self._event = None

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        while True:
            chunk = self._source.read(CHUNK)
            self.bytes_read += len(chunk)
            try:
                self._parser.Parse(chunk, not chunk)
            except expat.ExpatError as exc:
                raise XesProblem(
                    exc.lineno,
                    Text("import_not_xml", "the file is not well-formed XML ({why})",
                         why=expat.ErrorString(exc.code)),
                ) from None  # fmt: skip
            self.lines_read = self._parser.CurrentLineNumber
            while self._ready:
                yield self._ready.popleft()
            if not chunk:
                return
