"""A process model: its files, and the parsed, validated, executable form of one version."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import Params, Text, code_of, params_of

MODEL_FILE = "model.json"
BPMN_SUFFIX = ".bpmn"
FORM_SUFFIX = ".json"
DMN_SUFFIX = ".dmn"  # decision tables (engine.workflow.decision_tables)
# processes/common/ holds reusable subprocesses (call activities) shared by every model; its
# files join each model's file set under this prefix.
COMMON_DIR = "common"


@dataclass(frozen=True)
class ModelSource:
    """The files of one process model (a folder under `processes/`), as bytes by relative path."""

    key: str
    files: dict[str, bytes]

    @classmethod
    def from_directory(cls, directory: Path, common: Path | None = None) -> ModelSource:
        files = _read_tree(directory) if directory.is_dir() else {}
        if common is not None and common.is_dir():
            files.update({f"{COMMON_DIR}/{k}": v for k, v in _read_tree(common).items()})
        return cls(key=directory.name, files=files)

    def replace(self, name: str, content: bytes) -> ModelSource:
        """The same model with one file's content replaced (or added)."""
        return ModelSource(self.key, {**self.files, name: content})

    @property
    def content_hash(self) -> str:
        digest = hashlib.sha256()
        for name in sorted(self.files):
            digest.update(name.encode() + b"\0" + self.files[name] + b"\0")
        return digest.hexdigest()

    @property
    def bpmn_files(self) -> list[str]:
        return [n for n in sorted(self.files) if n.endswith(BPMN_SUFFIX)]

    @property
    def own_bpmn_files(self) -> list[str]:
        return [n for n in self.bpmn_files if not n.startswith(COMMON_DIR + "/")]

    @property
    def metadata(self) -> dict[str, Any]:
        raw = self.files.get(MODEL_FILE)
        return json.loads(raw) if raw else {}


def _read_tree(directory: Path) -> dict[str, bytes]:
    return {
        p.relative_to(directory).as_posix(): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file() and p.suffix in (BPMN_SUFFIX, FORM_SUFFIX, DMN_SUFFIX)
    }


@dataclass(frozen=True)
class Problem:
    """One validation finding: where (file, element) and what."""

    file: str
    element: str | None
    message: str
    severity: str = "error"  # or "warning"

    def __str__(self) -> str:
        where = self.file + (f" [{self.element}]" if self.element else "")
        if not where:
            return f"{self.severity}: {self.message}"
        return f"{self.severity}: {where}: {self.message}"

    @property
    def code(self) -> str | None:
        """The message's stable code (a `Text`'s), None for a plain string."""
        return code_of(self.message)

    @property
    def params(self) -> Params:
        return params_of(self.message)

    def stored(self) -> dict[str, Any]:
        """The finding as process_model_version.validation and deployment.problems keep it."""
        return {
            "severity": self.severity,
            "file": self.file,
            "element": self.element,
            "message": str(self.message),
            "code": self.code,
            "params": self.params,
        }

    @classmethod
    def from_stored(cls, raw: dict[str, Any]) -> Problem:
        """A finding as `stored()` kept it (revision 0012_coded_findings rewrote the plain
        lines of older rows as records without a code)."""
        text = str(raw.get("message", ""))
        code = raw.get("code")
        message = Text.made(text, code, raw.get("params")) if code else text
        return cls(
            str(raw.get("file", "")), raw.get("element"), message, str(raw.get("severity", "error"))
        )


@dataclass(frozen=True)
class UserTaskInfo:
    bpmn_id: str
    name: str
    lane: str | None
    role: str | None
    phase: str | None
    form_path: str | None
    form: dict[str, Any] | None


@dataclass(frozen=True)
class WaitInfo:
    """An awaited external decision: a message catch event that the role recording it has as
    an item in its worklist (`recordedBy`, else its lane's role) with a form for the decision
    (`formJsonSchemaFilename`, optional)."""

    bpmn_id: str
    name: str
    message_name: str
    recorded_by: str | None
    phase: str | None
    form_path: str | None
    form: dict[str, Any] | None


@dataclass
class ParsedModel:
    """What the engine needs to run instances of one model version. Cached per version."""

    key: str
    process_id: str
    name: str
    main_file: str
    spec: Any
    subprocess_specs: dict[str, Any]
    user_tasks: dict[str, UserTaskInfo] = field(default_factory=dict)
    end_outcomes: dict[str, str] = field(default_factory=dict)
    message_names: set[str] = field(default_factory=set)
    # every BPMN element id of the main process and its called subprocesses, with its name
    elements: dict[str, str] = field(default_factory=dict)
    # element id inside a called subprocess -> the main process's call activity that runs it
    top_level: dict[str, str] = field(default_factory=dict)
    # user task ids in the order the path reaches them (breadth-first from the start)
    step_order: list[str] = field(default_factory=list)
    # model.json's "lane_organisations": the organisation (code) whose staff do a lane's role
    lane_organisations: dict[str, str] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)
    # awaited decisions (message catch events) by element id
    waits: dict[str, WaitInfo] = field(default_factory=dict)
    # timers due from a date field of the path's data (`dueFromField`): element id -> field
    due_from_fields: dict[str, str] = field(default_factory=dict)

    def step_form(self, bpmn_id: str) -> dict[str, Any] | None:
        """The form of a worklist item: a user task's or an awaited decision's."""
        info = self.user_tasks.get(bpmn_id) or self.waits.get(bpmn_id)
        return info.form if info is not None else None
