"""The designer's decision tables: reading a version's `.dmn` files and saving an edited one as
the model's next version, through the same validation as a BPMN save."""

from __future__ import annotations

import hashlib
import posixpath
from datetime import datetime

from engine.clock import Clock
from engine.errors import ModelRejected, NotFound, Text
from engine.persistence.tables import Deployment, ProcessModelVersion
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import access
from engine.services.deployment import DeployResult, get_version, latest_version, store_version
from engine.services.designer import require_designer
from engine.workflow.decision_tables import DECISIONS_DIR, read_file
from engine.workflow.engine import WorkflowEngine
from engine.workflow.loader import load_model
from engine.workflow.model import COMMON_DIR, DMN_SUFFIX, ModelSource, Problem

SOURCE = "decisions"  # process_model_version.source of a version saved from the table editor


def decision_files(uow: UnitOfWork, key: str, number: int | None = None) -> list[str]:
    """The names (under `decisions/`) of the model's own decision tables in a version."""
    with uow:
        version = _version(uow, key, number)
        return _names(version)


def decision_xml(
    uow: UnitOfWork, key: str, name: str, number: int | None = None
) -> tuple[int, str]:
    """The version's number and the DMN text of its decision table `decisions/<name>`."""
    with uow:
        version = _version(uow, key, number)
        if name not in _names(version):
            raise _no_table(key, name)
        return version.number, version.files[_path(name)]


def table_labels(uow: UnitOfWork, key: str, number: int | None = None) -> dict[str, list[str]]:
    """File name -> the names of the decisions it holds (for the model page's list)."""
    with uow:
        version = _version(uow, key, number)
        found = {}
        for name in _names(version):
            tables, _ = read_file(_path(name), version.files[_path(name)].encode("utf-8"))
            found[name] = [t.label for t in tables]
        return found


def deploy_decision(
    uow: UnitOfWork,
    engine: WorkflowEngine,
    clock: Clock,
    actor: access.Actor,
    key: str,
    name: str,
    content: bytes,
) -> DeployResult:
    """Replace one decision table of the latest version and store the result as the model's
    next version. The whole model is validated (its business rule tasks, its tables' fields);
    nothing is stored when there is an error, and the refusal is kept among the attempts."""
    require_designer(actor)
    now = clock()
    with uow:
        latest = _version(uow, key, None)
        if name not in _names(latest):
            raise _no_table(key, name)
        target = _path(name)
        files = {k: v.encode("utf-8") for k, v in latest.files.items()}
        candidate = ModelSource(key, files).replace(target, content)
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            parsed = None
            problems = [Problem(target, None, Text("file_not_utf8", "the file is not UTF-8 text"))]
        else:
            parsed, problems = load_model(candidate, engine.roles)
        if parsed is None:
            _refuse(uow, key, now, actor, target, content, problems)
            raise ModelRejected(
                f"the model '{key}' has errors: nothing was saved",
                problems,
                code="model_rejected",
                params={"key": key},
            )
        if latest.content_hash == candidate.content_hash:
            return DeployResult(key, latest.number, created=False)
        number = store_version(
            uow, candidate, parsed, problems, now, actor.username, SOURCE, file_name=target
        )
        uow.commit()
        engine.remember(key, candidate.content_hash, parsed)
        return DeployResult(key, number, created=True)


def _version(uow: UnitOfWork, key: str, number: int | None) -> ProcessModelVersion:
    version = latest_version(uow, key) if number is None else get_version(uow, key, number)
    if version is None:
        raise NotFound(
            f"process model '{key}' has no version {number}",
            code="model_version_not_found",
            params={"key": key, "number": number},
        )
    return version


def _names(version: ProcessModelVersion) -> list[str]:
    prefix = DECISIONS_DIR + "/"
    return sorted(
        n.removeprefix(prefix)
        for n in version.files
        if n.startswith(prefix) and n.endswith(DMN_SUFFIX) and not n.startswith(COMMON_DIR + "/")
    )


def _path(name: str) -> str:
    return posixpath.join(DECISIONS_DIR, name)


def _no_table(key: str, name: str) -> NotFound:
    return NotFound(
        f"process model '{key}' has no decision table '{name}'",
        code="decision_table_not_found",
        params={"key": key, "name": name},
    )


def _refuse(
    uow: UnitOfWork,
    key: str,
    now: datetime,
    actor: access.Actor,
    file_name: str,
    content: bytes,
    problems: list[Problem],
) -> None:
    uow.rollback()
    uow.session.add(
        Deployment(
            model_key=key,
            attempted_at=now,
            attempted_by=actor.username,
            source=SOURCE,
            file_name=file_name[:300],
            content_hash=hashlib.sha256(content).hexdigest(),
            accepted=False,
            version_number=None,
            problems=[p.stored() for p in problems][:200],
        )
    )
    uow.commit()
