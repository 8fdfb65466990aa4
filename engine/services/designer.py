"""The designer's side: model versions, deploying an edited model. Migrating running paths is
`engine.services.path_migration`'s (`migrate` and `MigrationCandidate` stay importable here)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from engine.clock import Clock
from engine.errors import Forbidden, InvalidInput, ModelRejected, NotFound, Text
from engine.persistence.tables import (
    Deployment,
    ProcessInstance,
    ProcessModel,
    ProcessModelVersion,
)
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import access, lane_organisations
from engine.services.deployment import DeployResult, get_version, latest_version, store_version
from engine.services.path_migration import MigrationCandidate, migrate  # noqa: F401
from engine.workflow.engine import WorkflowEngine
from engine.workflow.loader import load_model
from engine.workflow.model import ModelSource, ParsedModel, Problem

DESIGNER_ROLE = access.DESIGNER_ROLE
_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")


@dataclass
class ModelSummary:
    key: str
    name: str
    region: str | None
    latest_version: int
    versions: int
    running: int


@dataclass
class VersionView:
    number: int
    deployed_at: datetime
    deployed_by: str
    content_hash: str
    source: str
    validation: list[str]  # the findings' English lines (old rows hold only these)
    running: int
    main_file: str
    findings: list[Problem] = field(default_factory=list)


def require_designer(actor: access.Actor) -> None:
    if not access.may_design(actor):
        raise Forbidden("only process designers may change process models", code="designer_refused")


def list_models(uow: UnitOfWork) -> list[ModelSummary]:
    with uow:
        session = uow.session
        result = []
        for model in session.scalars(select(ProcessModel).order_by(ProcessModel.key)):
            numbers = list(
                session.scalars(
                    select(ProcessModelVersion.number).where(
                        ProcessModelVersion.model_id == model.id
                    )
                )
            )
            running = session.scalar(
                select(func.count(ProcessInstance.id))
                .join(ProcessModelVersion)
                .where(
                    ProcessModelVersion.model_id == model.id, ProcessInstance.status == "running"
                )
            )
            result.append(
                ModelSummary(
                    model.key, model.name, model.region, max(numbers), len(numbers), running or 0
                )
            )
        return result


def model_versions(uow: UnitOfWork, key: str) -> list[VersionView]:
    with uow:
        session = uow.session
        if session.scalar(select(ProcessModel.id).where(ProcessModel.key == key)) is None:
            raise NotFound(
                f"process model '{key}' does not exist", code="model_not_found", params={"key": key}
            )
        versions = session.scalars(
            select(ProcessModelVersion)
            .join(ProcessModel)
            .where(ProcessModel.key == key)
            .order_by(ProcessModelVersion.number.desc())
        )
        running = dict(
            session.execute(
                select(ProcessInstance.model_version_id, func.count(ProcessInstance.id))
                .where(ProcessInstance.status == "running")
                .group_by(ProcessInstance.model_version_id)
            ).all()
        )
        return [
            VersionView(
                v.number,
                v.deployed_at,
                v.deployed_by,
                v.content_hash,
                v.source,
                [str(Problem.from_stored(raw)) for raw in v.validation],
                running.get(v.id, 0),
                v.main_file,
                [Problem.from_stored(raw) for raw in v.validation],
            )
            for v in versions
        ]


def deployments(uow: UnitOfWork, key: str) -> list[Deployment]:
    """Every deployment attempt of a model, newest first, refusals included."""
    with uow:
        return list(
            uow.session.scalars(
                select(Deployment).where(Deployment.model_key == key).order_by(Deployment.id.desc())
            )
        )


def version_bpmn(uow: UnitOfWork, key: str, number: int | None = None) -> tuple[str, str]:
    with uow:
        version = latest_version(uow, key) if number is None else get_version(uow, key, number)
        if version is None:
            raise NotFound(
                f"process model '{key}' has no version {number}",
                code="model_version_not_found",
                params={"key": key, "number": number},
            )
        return version.main_file, version.files[version.main_file]


def deploy_bpmn(
    uow: UnitOfWork,
    engine: WorkflowEngine,
    clock: Clock,
    actor: access.Actor,
    key: str,
    filename: str,
    content: bytes,
    source: str = "upload",
    lanes: Mapping[str, str] | None = None,
) -> DeployResult:
    """Validate an uploaded or edited BPMN file and store it as the model's next version.

    The file replaces the model's main BPMN file (a new key starts a new model); the forms and
    shared subprocesses of the latest version stay. `lanes` (lane role -> organisation code),
    when given, replaces model.json's lane_organisations (`engine.services.lane_organisations`).
    Nothing is stored when there is an error.
    """
    require_designer(actor)
    wanted_lanes = None if lanes is None else lane_organisations.check(engine, lanes)
    if not _KEY.match(key):
        raise InvalidInput(
            "a model key is 1-100 lower-case letters, digits, '-' or '_'",
            {"key": [Text("key_characters", "Use lower-case letters, digits, '-' or '_'.")]},
            code="model_key_invalid",
        )
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in filename) or len(filename) > 200:
        raise InvalidInput(
            "the file name has control characters (such as a line break) or is too long",
            {
                "file": [
                    Text("file_rename", "Rename the file: letters, digits, '-', '_' and '.bpmn'.")
                ]
            },
            code="file_name_invalid",
        )
    if not filename.endswith(".bpmn") or "/" in filename or filename.startswith("."):
        raise InvalidInput(
            f"'{filename}' is not a .bpmn file name",
            {"file": [Text("file_upload_bpmn", "Upload a .bpmn file.")]},
            code="file_not_bpmn",
            params={"file": filename},
        )
    now = clock()
    with uow:
        latest = latest_version(uow, key)
        if latest is not None:
            files = {k: v.encode("utf-8") for k, v in latest.files.items()}
            target = latest.main_file
        else:
            files = engine.common_files()
            target = filename
        candidate = ModelSource(key, files).replace(target, content)
        if wanted_lanes is not None:
            candidate = lane_organisations.with_lane_organisations(candidate, wanted_lanes)
        parsed, problems = _load(candidate, target, content, engine)
        if parsed is None:
            _refuse(uow, key, now, actor, source, filename, content, problems)
            raise ModelRejected(
                f"the model '{key}' has errors: nothing was saved",
                problems,
                code="model_rejected",
                params={"key": key},
            )
        if latest is not None and latest.content_hash == candidate.content_hash:
            return DeployResult(key, latest.number, created=False)
        number = store_version(
            uow, candidate, parsed, problems, now, actor.username, source, file_name=filename
        )
        uow.commit()
        return DeployResult(key, number, created=True)


def _load(
    candidate: ModelSource, target: str, content: bytes, engine: WorkflowEngine
) -> tuple[ParsedModel | None, list[Problem]]:
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        return None, [Problem(target, None, Text("file_not_utf8", "the file is not UTF-8 text"))]
    return load_model(candidate, engine.roles)


def _refuse(
    uow: UnitOfWork,
    key: str,
    now: datetime,
    actor: access.Actor,
    source: str,
    filename: str,
    content: bytes,
    problems: list[Problem],
) -> None:
    uow.rollback()
    uow.session.add(
        Deployment(
            model_key=key,
            attempted_at=now,
            attempted_by=actor.username,
            source=source,
            file_name=filename[:300],
            content_hash=hashlib.sha256(content).hexdigest(),
            accepted=False,
            version_number=None,
            problems=[p.stored() for p in problems][:200],
        )
    )
    uow.commit()
