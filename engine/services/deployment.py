"""Deploying process models from `processes/` into versioned rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from engine.clock import Clock
from engine.errors import ModelError
from engine.persistence.tables import ProcessModel, ProcessModelVersion
from engine.persistence.unit_of_work import UnitOfWork
from engine.workflow.engine import WorkflowEngine
from engine.workflow.loader import load_model
from engine.workflow.model import ModelSource, Problem


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
    """Deploy every model whose files changed since its latest version. All or nothing."""
    results = []
    with uow:
        for source in engine.sources():
            results.append(_deploy(uow, engine, source, clock(), actor))
        uow.commit()
    return results


def _deploy(
    uow: UnitOfWork, engine: WorkflowEngine, source: ModelSource, now: datetime, actor: str
) -> DeployResult:
    parsed, problems = load_model(source, engine.roles)
    if parsed is None:
        first = next(p for p in problems if p.severity == "error")
        raise ModelError(f"{source.key}/{first.file}", first.element, first.message)
    session = uow.session
    model = session.scalar(select(ProcessModel).where(ProcessModel.key == source.key))
    if model is None:
        model = ProcessModel(key=source.key, name=parsed.name)
        session.add(model)
        session.flush()
    latest = session.scalar(
        select(ProcessModelVersion)
        .where(ProcessModelVersion.model_id == model.id)
        .order_by(ProcessModelVersion.number.desc())
        .limit(1)
    )
    if latest is not None and latest.content_hash == source.content_hash:
        return DeployResult(source.key, latest.number, created=False)
    number = (
        session.scalar(
            select(func.max(ProcessModelVersion.number)).where(
                ProcessModelVersion.model_id == model.id
            )
        )
        or 0
    ) + 1
    model.name = parsed.name
    session.add(
        ProcessModelVersion(
            model_id=model.id,
            number=number,
            process_id=parsed.process_id,
            content_hash=source.content_hash,
            files={k: v.decode("utf-8") for k, v in source.files.items()},
            deployed_at=now,
            deployed_by=actor,
            validation=[str(p) for p in problems],
        )
    )
    return DeployResult(source.key, number, created=True)


def latest_version(uow: UnitOfWork, key: str) -> ProcessModelVersion | None:
    return uow.session.scalar(
        select(ProcessModelVersion)
        .join(ProcessModel)
        .where(ProcessModel.key == key)
        .order_by(ProcessModelVersion.number.desc())
        .limit(1)
    )
