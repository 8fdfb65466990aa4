"""How the columns of a pilot's own event log become Polku's event rows: which column is the
case, the activity, the time, the resource (and lifecycle, outcome), which others are kept as
attributes, and what each activity name stands for among the model's steps and Polku's event
kinds. Also how values are read: times as d.m.yyyy [HH:MM[:SS]] or ISO 8601, a time without a
zone as Helsinki time; a missing lifecycle as "complete"; numbers with a decimal comma.

`detect` guesses the mapping from a header; `mapped_rows` checks and turns records
(`log_sources`) into `eventlog.LogRow`s, one at a time, raising on the first bad line with
its line and column named."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from engine.analytics import eventlog
from engine.errors import Text

HELSINKI = ZoneInfo("Europe/Helsinki")
ROLES = ("case", "activity", "timestamp", "resource", "lifecycle", "outcome")
REQUIRED = ("case", "activity", "timestamp")
MAX_ATTRIBUTES = 30
# header names (lower case) each column's role is guessed from, in order of preference
GUESSES: dict[str, tuple[str, ...]] = {
    "case": ("case_id", "case:concept:name", "case", "caseid", "case id", "asiakas",
             "asiakas_id", "asiakasnumero", "tapaus", "polku", "client", "klient"),
    "activity": ("activity", "concept:name", "tapahtuma", "toiminto", "vaihe", "tehtävä",
                 "event", "aktivitet", "händelse"),
    "timestamp": ("timestamp", "time:timestamp", "aika", "aikaleima", "ajankohta", "pvm",
                  "päivämäärä", "time", "date", "tid", "datum"),
    "resource": ("resource", "org:resource", "tekijä", "käsittelijä", "rooli", "työntekijä",
                 "resurs", "role"),
    "lifecycle": ("lifecycle", "lifecycle:transition", "elinkaari", "tila"),
    "outcome": ("outcome", "tulos", "lopputulos", "result", "resultat"),
}  # fmt: skip
# Polku's event kinds an activity may stand for, and the activity name the row then gets
# (as the event log Polku itself exports names them)
EVENT_KINDS = {
    "task_ready": "task_ready",
    "task_completed": "task_completed",
    "timer_fired": "timer_fired",
    "message_received": "message_received",
    "instance_completed": "Polku päättyi",
}
LIFECYCLE_WORDS = {"start": "start", "complete": "complete", "alku": "start",
                   "aloitus": "start", "valmis": "complete", "päättyi": "complete"}  # fmt: skip
_DMY = re.compile(
    r"(\d{1,2})\.(\d{1,2})\.(\d{4})(?:(?:\s+|\s*klo\s*|T)(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?)?"
)
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:[.,]\d+)?")


@dataclass(frozen=True)
class ImportMapping:
    """The columns chosen (header names; "" for none) and each activity's meaning: a target
    "step:<bpmn id>" or "kind:<event kind>", or none (the name is kept as it is)."""

    case: str
    activity: str
    timestamp: str
    resource: str = ""
    lifecycle: str = ""
    outcome: str = ""
    attributes: tuple[str, ...] = ()
    activities: Mapping[str, str] = field(default_factory=dict)

    def stored(self) -> dict[str, Any]:
        return {
            **{role: getattr(self, role) for role in ROLES},
            "attributes": list(self.attributes),
            "activities": dict(self.activities),
        }

    @classmethod
    def from_stored(cls, data: Any) -> ImportMapping | None:
        if not isinstance(data, dict):
            return None
        try:
            return cls(
                **{role: str(data.get(role) or "") for role in ROLES},
                attributes=tuple(str(a) for a in data.get("attributes") or ()),
                activities={str(k): str(v) for k, v in (data.get("activities") or {}).items()},
            )
        except (TypeError, AttributeError):
            return None

    def columns(self) -> list[str]:
        return [c for c in (getattr(self, r) for r in ROLES) if c] + list(self.attributes)

    def problems(self, header: Iterable[str]) -> dict[str, list[Text]]:
        """What is wrong with the choice of columns for this header, by role."""
        names = set(header)
        out: dict[str, list[Text]] = {}
        for role in ROLES:
            column = getattr(self, role)
            if not column and role in REQUIRED:
                out[role] = [Text("import_column_choose", "Choose the column.")]
            elif column and column not in names:
                out[role] = [Text("import_column_unknown", "The file has no column '{column}'.",
                                  column=column)]  # fmt: skip
        unknown = [a for a in self.attributes if a not in names]
        if unknown:
            out["attributes"] = [
                Text("import_column_unknown", "The file has no column '{column}'.",
                     column=unknown[0])
            ]  # fmt: skip
        elif len(self.attributes) > MAX_ATTRIBUTES:
            out["attributes"] = [Text("import_attributes_many", "At most {max} attributes.",
                                      max=MAX_ATTRIBUTES)]  # fmt: skip
        chosen = [c for c in (getattr(self, r) for r in ROLES) if c]
        if len(set(chosen)) < len(chosen):
            out.setdefault("case", []).append(
                Text("import_column_twice", "A column can be chosen for one use only.")
            )
        return out


def detect(header: list[str]) -> ImportMapping:
    """The mapping guessed from a header's names: the rest of the columns as attributes."""
    lower = {name.lower(): name for name in header}
    chosen: dict[str, str] = {}
    for role, words in GUESSES.items():
        found = next((lower[w] for w in words if w in lower and lower[w] not in chosen.values()),
                     "")  # fmt: skip
        chosen[role] = found
    used = set(chosen.values())
    rest = tuple(h for h in header if h not in used)[:MAX_ATTRIBUTES]
    return ImportMapping(
        chosen["case"], chosen["activity"], chosen["timestamp"], chosen["resource"],
        chosen["lifecycle"], chosen["outcome"], attributes=rest,
    )  # fmt: skip


def parse_time(value: Any, column: str) -> datetime:
    """A time in UTC: a datetime (a naive one is Helsinki time), d.m.yyyy [HH:MM[:SS]] or ISO
    8601 (without a zone: Helsinki time)."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    else:
        text = str(value if value is not None else "").strip()
        try:
            moment = _read_time(text)
        except ValueError:
            raise ValueError(
                Text("import_time", "{column}: '{value}' is not a time (d.m.yyyy, d.m.yyyy "
                     "HH:MM or ISO 8601)", column=column, value=text[:60])
            ) from None  # fmt: skip
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=HELSINKI)
    return moment.astimezone(UTC)


def _read_time(text: str) -> datetime:
    match = _DMY.fullmatch(text)
    if match:
        d, m, y, hh, mm, ss = (int(g) if g else 0 for g in match.groups())
        return datetime(y, m, d, hh, mm, ss)
    if not text or not text[:4].isdigit():
        raise ValueError(text)
    return datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))


def attribute_value(value: Any) -> Any:
    """An attribute as kept: a number for a number (a decimal comma too), a time as ISO
    text, text stripped; None for an empty cell."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value).strip()
    if not text:
        return None
    if _NUMBER.fullmatch(text):
        if "," in text or "." in text:
            return float(text.replace(",", "."))
        return int(text)
    return text


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def mapped_rows(
    records: Iterable[tuple[int, dict[str, Any]]],
    mapping: ImportMapping,
    renames: Mapping[str, str],
) -> Iterator[tuple[int, eventlog.LogRow]]:
    """Check each record as it comes and yield its row; raise on the first bad one, naming its
    line and column. `renames`: activity name -> the name the row gets (a mapped step's)."""
    count = 0
    for number, record in records:
        row = _row(number, record, mapping, renames)
        count += 1
        if count > eventlog.MAX_IMPORT_ROWS:
            too_many = Text("import_too_many_rows", "more than {max} rows",
                            max=eventlog.MAX_IMPORT_ROWS)  # fmt: skip
            raise eventlog.at_line(number, too_many)
        yield number, row
    if not count:
        raise eventlog.LogImportError(2, Text("import_no_events", "the file has no events"))


def _checked(number: int, column: str, value: str, limit: int) -> str:
    if len(value) > limit:
        raise eventlog.LogImportError(number, Text(
            "import_field_too_long", "{name} is longer than {max} characters",
            name=column, max=limit))  # fmt: skip
    if "\x00" in value:
        raise eventlog.LogImportError(number, Text(
            "import_field_nul", "{name} contains a NUL character", name=column))  # fmt: skip
    return value


def _row(number: int, record: dict[str, Any], mapping: ImportMapping,
         renames: Mapping[str, str]) -> eventlog.LogRow:  # fmt: skip
    limits = {"case": 100, "activity": 300, "resource": 100, "lifecycle": 20, "outcome": 60}
    values: dict[str, str] = {}
    for role, limit in limits.items():
        column = getattr(mapping, role)
        values[role] = _checked(number, column, _text(record.get(column)), limit) if column else ""
    for role in ("case", "activity"):
        if not values[role]:
            raise eventlog.LogImportError(number, Text(
                "import_field_empty", "{name} is empty", name=getattr(mapping, role)))  # fmt: skip
    try:
        moment = parse_time(record.get(mapping.timestamp), mapping.timestamp)
    except ValueError as exc:
        raise eventlog.at_line(number, exc.args[0]) from None
    lifecycle = LIFECYCLE_WORDS.get(values["lifecycle"].lower() or "complete")
    if lifecycle is None:
        raise eventlog.LogImportError(number, Text(
            "import_lifecycle", "lifecycle '{value}' is not one of {allowed}",
            value=values["lifecycle"], allowed=", ".join(eventlog.LIFECYCLES)))  # fmt: skip
    attributes: dict[str, Any] = {}
    for column in mapping.attributes:
        raw = record.get(column)
        if isinstance(raw, str):
            _checked(number, column, raw.strip(), eventlog.MAX_FIELD)
        value = attribute_value(raw)
        if value is not None:
            attributes[column] = value
    return eventlog.LogRow(
        values["case"],
        renames.get(values["activity"], values["activity"]),
        moment,
        values["resource"],
        lifecycle,
        values["outcome"],
        attributes or None,
    )
