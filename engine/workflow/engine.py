"""The engine wired once at start-up: roles, serializer and a cache of parsed model versions."""

from __future__ import annotations

import threading
from pathlib import Path

from engine.errors import ModelError
from engine.workflow.loader import load_model
from engine.workflow.model import ModelSource, ParsedModel
from engine.workflow.roles import RoleCatalog
from engine.workflow.serializer import WorkflowSerializer


class WorkflowEngine:
    def __init__(self, processes_dir: Path) -> None:
        self.processes_dir = processes_dir
        self.roles = RoleCatalog.load(processes_dir / "roles.json")
        self.serializer = WorkflowSerializer()
        self._cache: dict[int, ParsedModel] = {}
        self._lock = threading.Lock()

    def model_for_version(self, version_id: int, key: str, files: dict[str, str]) -> ParsedModel:
        """The parsed model of a stored version; parsed once per process and cached."""
        with self._lock:
            cached = self._cache.get(version_id)
        if cached is not None:
            return cached
        source = ModelSource(key=key, files={k: v.encode("utf-8") for k, v in files.items()})
        model, problems = load_model(source, self.roles)
        if model is None:
            first = next(p for p in problems if p.severity == "error")
            raise ModelError(first.file, first.element, first.message)
        with self._lock:
            self._cache[version_id] = model
        return model

    def sources(self) -> list[ModelSource]:
        """Every process model folder under the processes directory."""
        return [
            ModelSource.from_directory(d)
            for d in sorted(self.processes_dir.iterdir())
            if d.is_dir() and any(d.rglob("*.bpmn"))
        ]
