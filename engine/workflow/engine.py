"""The engine wired once at start-up: roles, serializer and a cache of parsed model versions."""

from __future__ import annotations

import threading
from pathlib import Path

from engine.errors import ModelError
from engine.workflow.loader import load_model
from engine.workflow.model import COMMON_DIR, ModelSource, ParsedModel
from engine.workflow.roles import RoleCatalog
from engine.workflow.serializer import WorkflowSerializer


class WorkflowEngine:
    def __init__(self, processes_dir: Path) -> None:
        self.processes_dir = processes_dir
        self.roles = RoleCatalog.load(processes_dir / "roles.json")
        self.serializer = WorkflowSerializer()
        self._cache: dict[tuple[str, str], ParsedModel] = {}
        self._lock = threading.Lock()

    def cached_model(self, content_hash: str, key: str) -> ParsedModel | None:
        """The parsed model of a version if this process has parsed it already."""
        with self._lock:
            return self._cache.get((key, content_hash))

    def remember(self, key: str, content_hash: str, model: ParsedModel) -> None:
        """Keep a model parsed at deployment, so the first path of each model (in every forked
        app-server worker) does not parse it again."""
        with self._lock:
            self._cache.setdefault((key, content_hash), model)

    def model_for_version(self, content_hash: str, key: str, files: dict[str, str]) -> ParsedModel:
        """The parsed model of a stored version; parsed once per process and cached by the
        version's content hash (a version's files never change)."""
        with self._lock:
            cached = self._cache.get((key, content_hash))
        if cached is not None:
            return cached
        source = ModelSource(key=key, files={k: v.encode("utf-8") for k, v in files.items()})
        model, problems = load_model(source, self.roles)
        if model is None:
            first = next(p for p in problems if p.severity == "error")
            raise ModelError(
                first.file,
                first.element,
                first.message,
                code=first.code or "model_error",
                params=first.params,
            )
        with self._lock:
            self._cache[(key, content_hash)] = model
        return model

    def sources(self) -> list[ModelSource]:
        """Every process model folder under the processes directory."""
        common = self.processes_dir / COMMON_DIR
        return [
            ModelSource.from_directory(d, common)
            for d in sorted(self.processes_dir.iterdir())
            if d.is_dir() and d.name != COMMON_DIR and any(d.rglob("*.bpmn"))
        ]

    def common_files(self) -> dict[str, bytes]:
        """The shared subprocesses and their forms, as they join every model's file set."""
        source = ModelSource.from_directory(self.processes_dir / COMMON_DIR)
        return {f"{COMMON_DIR}/{k}": v for k, v in source.files.items()}

    def source(self, key: str) -> ModelSource | None:
        return next((s for s in self.sources() if s.key == key), None)
