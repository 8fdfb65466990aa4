"""Deploying process models into versioned rows: from `processes/` at start-up, or a designer's
upload. A changed model becomes a new version; earlier versions stay readable."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from engine.clock import Clock
from engine.errors import ModelError
from engine.persistence.database import DEPLOY_LOCK, one_at_a_time
from engine.persistence.tables import Deployment, ProcessModel, ProcessModelVersion
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import organisations
from engine.workflow.engine import WorkflowEngine
from engine.workflow.loader import load_model
from engine.workflow.model import ModelSource, ParsedModel, Problem


@dataclass(frozen=True)
class DeployResult:
    key: str
    version: int
    created: bool


def check_all(engine: WorkflowEngine) -> list[Problem]:
    """Validate every model under the processes directory; return all problems found."""
    problems: list[Problem] = []
    for source in engine.sources():
        _, found = load_model(source, engine.roles)
        problems.extend(
            Problem(f"{source.key}/{p.file}", p.element, p.message, p.severity) for p in found
        )
    return problems


def deploy_all(
    uow: UnitOfWork, engine: WorkflowEngine, clock: Clock, actor: str
) -> list[DeployResult]:
    """Deploy every model folder whose files match no earlier version. All or nothing: a broken
    model stops start-up with a message naming the file, element and problem."""
    results = []
    with uow:
        # several app servers start at once: the first deploys, the others find it deployed
        one_at_a_time(uow.session, DEPLOY_LOCK)
        for source in engine.sources():
            parsed, problems = load_model(source, engine.roles)
            if parsed is None:
                first = next(p for p in problems if p.severity == "error")
                raise ModelError(
                    f"{source.key}/{first.file}",
                    first.element,
                    first.message,
                    code=first.code or "model_error",
                    params=first.params,
                )
            engine.remember(source.key, source.content_hash, parsed)
            known = uow.session.scalar(
                select(ProcessModelVersion)
                .join(ProcessModel)
                .where(
                    ProcessModel.key == source.key,
                    ProcessModelVersion.content_hash == source.content_hash,
                )
                .limit(1)
            )
            if known is not None:  # this content is deployed already (maybe not as the latest)
                results.append(DeployResult(source.key, known.number, created=False))
                continue
            number = store_version(uow, source, parsed, problems, clock(), actor, "disk")
            results.append(DeployResult(source.key, number, created=True))
        organisations.sync(uow, organisations.catalogue(engine.processes_dir))
        uow.commit()
    return results


def store_version(
    uow: UnitOfWork,
    source: ModelSource,
    parsed: ParsedModel,
    problems: list[Problem],
    now: datetime,
    actor: str,
    kind: str,
    file_name: str | None = None,
) -> int:
    """Add the next version of a model (creating the model on its first version)."""
    session = uow.session
    model = session.scalar(select(ProcessModel).where(ProcessModel.key == source.key))
    if model is None:
        model = ProcessModel(key=source.key, name=parsed.name)
        session.add(model)
        session.flush()
    model.name = parsed.name
    model.region = source.metadata.get("region")
    number = (
        session.scalar(
            select(func.max(ProcessModelVersion.number)).where(
                ProcessModelVersion.model_id == model.id
            )
        )
        or 0
    ) + 1
    session.add(
        ProcessModelVersion(
            model_id=model.id,
            number=number,
            process_id=parsed.process_id,
            content_hash=source.content_hash,
            files={k: v.decode("utf-8") for k, v in source.files.items()},
            deployed_at=now,
            deployed_by=actor,
            validation=[p.stored() for p in problems],
            source=kind,
            main_file=parsed.main_file,
        )
    )
    session.add(
        Deployment(
            model_key=source.key,
            attempted_at=now,
            attempted_by=actor,
            source=kind,
            file_name=file_name or parsed.main_file,
            content_hash=source.content_hash,
            accepted=True,
            version_number=number,
            problems=[str(p) for p in problems],
        )
    )
    return number


def latest_version(uow: UnitOfWork, key: str) -> ProcessModelVersion | None:
    return uow.session.scalar(
        select(ProcessModelVersion)
        .join(ProcessModel)
        .where(ProcessModel.key == key)
        .order_by(ProcessModelVersion.number.desc())
        .limit(1)
    )


def get_version(uow: UnitOfWork, key: str, number: int) -> ProcessModelVersion | None:
    return uow.session.scalar(
        select(ProcessModelVersion)
        .join(ProcessModel)
        .where(ProcessModel.key == key, ProcessModelVersion.number == number)
    )
