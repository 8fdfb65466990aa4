"""What the modeller's properties panel offers a process designer, and its checks as they type.

The panel beside the BPMN modeller (`/designer/<key>/edit`) lets a designer choose a lane's
role, a user task's phase and form, a call activity's subprocess, and write a flow's condition
and a timer's ISO 8601 text. This module answers from the model version being edited:

* `catalogue` — the roles (`processes/roles.json`), organisations (`processes/organisations.json`)
  with the model's `lane_organisations`, the phases, the forms of the version's files (the
  model's `forms/` and `common/forms/`) with their field names, the subprocesses the version
  can call, and the service-level targets in force (set by an administrator, read-only here).
* `check_condition` — the condition parsed with `engine.workflow.expressions` (never run), its
  problem as a coded `Text`, the names it reads and those no upstream form has.
* `read_timer` — the timer checked with `engine.workflow.timers` and broken into its parts
  (a duration's units, a cycle's repetitions, start and interval, a date), for a plain reading.

Only designers may ask (`access.may_design`).
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)

from engine.errors import NotFound, Text
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import access, organisations, sla
from engine.services.deployment import get_version, latest_version
from engine.services.designer import require_designer
from engine.workflow import expressions, timers
from engine.workflow.engine import WorkflowEngine
from engine.workflow.loader import FORM_PROPERTY, PHASES
from engine.workflow.model import ModelSource
from engine.workflow.xml import UnsafeXmlError, parse_bpmn_bytes

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
FORM_SUFFIX = ".schema.json"
TIMER_KINDS = ("duration", "cycle", "date")
# ISO 8601 duration parts in the order a reading names them
DURATION_UNITS = ("years", "months", "weeks", "days", "hours", "minutes", "seconds")


@dataclass
class FormChoice:
    path: str  # relative to the main BPMN file, as formJsonSchemaFilename holds it
    title: str
    fields: list[str]


@dataclass
class Subprocess:
    process_id: str
    name: str
    file: str
    fields: list[str] = field(default_factory=list)  # of the forms its steps fill in


@dataclass
class TargetView:
    model_key: str | None
    bpmn_id: str | None
    phase: str | None
    working_days: int


@dataclass
class PropertyCatalogue:
    key: str
    number: int
    main_file: str
    roles: dict[str, dict[str, str]]  # code -> {language: name}; roles of client work only
    organisations: dict[str, dict[str, str]]  # code -> {language: name}
    role_kinds: dict[str, str]  # role -> the kind of organisation doing it
    organisation_kinds: dict[str, str]  # organisation code -> kind
    organisation_regions: dict[str, str | None]  # organisation code -> region (None: all)
    lane_organisations: dict[str, str]  # model.json: role -> organisation code
    region: str | None
    phases: tuple[str, ...]
    forms: list[FormChoice]
    subprocesses: list[Subprocess]
    targets: list[TargetView] = field(default_factory=list)


@dataclass
class ConditionCheck:
    ok: bool
    problem: Text | None = None
    names: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # names no offered field has


@dataclass
class TimerReading:
    ok: bool
    kind: str
    value: str = ""
    problem: Text | None = None
    duration: dict[str, float] = field(default_factory=dict)  # unit -> amount
    repetitions: int | None = None  # a cycle's count; None = without end
    start: datetime | None = None  # a cycle's written start, or a date timer's moment


def catalogue(
    uow: UnitOfWork,
    engine: WorkflowEngine,
    actor: access.Actor,
    key: str,
    number: int | None = None,
) -> PropertyCatalogue:
    """The choices the panel offers for the model `key` (version `number`, else the latest)."""
    require_designer(actor)
    with uow:
        version = latest_version(uow, key) if number is None else get_version(uow, key, number)
        if version is None:
            raise NotFound(
                f"process model '{key}' has no version {number}",
                code="model_version_not_found",
                params={"key": key, "number": number},
            )
        files = {name: text.encode("utf-8") for name, text in version.files.items()}
        main_file, version_number = version.main_file, version.number
    source = ModelSource(key, files)
    metadata = _metadata(source)
    cat = organisations.catalogue(engine.processes_dir)
    targets = [
        TargetView(t.model_key, t.bpmn_id, t.phase, t.working_days)
        for t in sla.list_targets(uow)
        if t.model_key in (None, key)
    ]
    return PropertyCatalogue(
        key=key,
        number=version_number,
        main_file=main_file,
        roles={
            code: dict(names)
            for code, names in engine.roles.labels.items()
            if code not in access.NO_CLIENT_WORK_ROLES
        },
        organisations={
            code: {str(k): str(v) for k, v in (entry.get("names") or {}).items()}
            for code, entry in cat.organisations.items()
        },
        role_kinds=dict(cat.role_kinds),
        organisation_kinds={
            code: str(entry.get("kind", "")) for code, entry in cat.organisations.items()
        },
        organisation_regions={
            code: entry.get("region") if isinstance(entry.get("region"), str) else None
            for code, entry in cat.organisations.items()
        },
        lane_organisations={
            str(k): str(v)
            for k, v in (metadata.get(organisations.LANE_ORGANISATIONS) or {}).items()
        },
        region=metadata.get("region") if isinstance(metadata.get("region"), str) else None,
        phases=PHASES,
        forms=_forms(source, main_file),
        subprocesses=_subprocesses(source, main_file, _forms(source, "")),
        targets=targets,
    )


def lane_organisation(cat: PropertyCatalogue, role: str | None) -> tuple[str | None, str]:
    """The organisation doing a lane's tasks as far as the model tells, and on what basis:
    `model` (model.json's lane_organisations), `kind` (the one organisation of the role's kind
    serving the model's region, e.g. Kela), `region_kind` (the role's kind, in the path owner's
    region: the organisation is None) or `owner` (the organisation that owns the path)."""
    if not role:
        return None, "owner"
    named = cat.lane_organisations.get(role)
    if named:
        return named, "model"
    kind = cat.role_kinds.get(role)
    if not kind or kind == organisations.WELLBEING_COUNTY:
        return None, "owner"
    serving = [
        code
        for code, k in cat.organisation_kinds.items()
        if k == kind and cat.organisation_regions.get(code) in (cat.region, None)
    ]
    everywhere = [c for c in serving if cat.organisation_regions.get(c) is None]
    if len(serving) == 1 and (cat.region is not None or everywhere):
        return serving[0], "kind"
    return None, "region_kind"


def _metadata(source: ModelSource) -> dict[str, Any]:
    try:
        data = source.metadata
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _forms(source: ModelSource, main_file: str) -> list[FormChoice]:
    """Every form of the version, its path written relative to the main file."""
    base = posixpath.dirname(main_file)
    found = []
    for name in sorted(source.files):
        if not name.endswith(FORM_SUFFIX):
            continue
        try:
            schema = json.loads(source.files[name])
        except ValueError:
            continue
        if not isinstance(schema, dict):
            continue
        properties = schema.get("properties")
        fields = sorted(properties) if isinstance(properties, dict) else []
        title = schema.get("title") if isinstance(schema.get("title"), str) else ""
        path = posixpath.relpath(name, base) if base else name
        found.append(FormChoice(path, title or posixpath.basename(name), fields))
    return found


def _subprocesses(source: ModelSource, main_file: str, forms: list[FormChoice]) -> list[Subprocess]:
    """The processes of the version's other BPMN files (what a call activity can call), each
    with the field names of the forms its steps fill in."""
    fields_of = {f.path: f.fields for f in forms}  # by the path from the model's root
    found = []
    for name in source.bpmn_files:
        if name == main_file:
            continue
        try:
            tree = parse_bpmn_bytes(source.files[name], name)
        except (UnsafeXmlError, etree.XMLSyntaxError):
            continue
        for process in tree.getroot().iter(f"{{{BPMN_NS}}}process"):
            process_id = process.get("id")
            if not process_id:
                continue
            names: set[str] = set()
            for node in process.iter(f"{{{SPIFF_NS}}}property"):
                if node.get("name") == FORM_PROPERTY and node.get("value"):
                    path = posixpath.normpath(
                        posixpath.join(posixpath.dirname(name), str(node.get("value")))
                    )
                    names.update(fields_of.get(path, []))
            found.append(
                Subprocess(process_id, process.get("name") or process_id, name, sorted(names))
            )
    return found


def check_condition(
    actor: access.Actor, text: str, fields: Iterable[str] | None = None
) -> ConditionCheck:
    """Parse a sequence flow's condition; name the problem, or the names no field offers."""
    require_designer(actor)
    try:
        names = sorted(expressions.names_used(text))
    except expressions.ExpressionError as exc:
        return ConditionCheck(ok=False, problem=exc.text())
    offered = set(fields) if fields is not None else None
    unknown = [n for n in names if offered is not None and n not in offered]
    return ConditionCheck(ok=True, names=names, unknown=unknown)


def read_timer(actor: access.Actor, kind: str, text: str) -> TimerReading:
    """Check a timer's text as the kind of timer it is and break it into its parts."""
    require_designer(actor)
    if kind not in TIMER_KINDS:
        kind = "duration"
    definition: TimerEventDefinition
    if kind == "cycle":
        definition = CycleTimerEventDefinition("timer", text)
    elif kind == "date":
        definition = TimeDateEventDefinition("timer", text)
    else:
        definition = DurationTimerEventDefinition("timer", text)
    try:
        value = timers.check(definition)
    except timers.TimerExpressionError as exc:
        return TimerReading(ok=False, kind=kind, problem=exc.text())
    reading = TimerReading(ok=True, kind=kind, value=value)
    if kind == "date":
        parsed = TimerEventDefinition.parse_time_or_duration(value)
        if isinstance(parsed, datetime):
            reading.start = parsed
        else:  # a date timer may be written as a duration from now
            reading.duration = _duration(value)
    elif kind == "cycle":
        parts = value.split("/")
        count = parts[0][1:]
        reading.repetitions = int(count) if count.isdigit() else None
        interval = next((p for p in parts[1:] if p.upper().startswith("P")), "")
        reading.duration = _duration(interval) if interval else {}
        start = next((p for p in parts[1:] if not p.upper().startswith("P")), None)
        if start:
            parsed = TimerEventDefinition.parse_time_or_duration(start)
            reading.start = parsed if isinstance(parsed, datetime) else None
    else:
        reading.duration = _duration(value)
    return reading


def _duration(value: str) -> dict[str, float]:
    parts = TimerEventDefinition.parse_iso_duration(value)
    return {
        unit: float(parts[unit])
        for unit in DURATION_UNITS
        if unit in parts and float(parts[unit]) != 0
    }
