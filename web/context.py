"""What the web layer hands to the services: the unit-of-work factory, the engine, the clock."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from engine.clock import Clock, system_clock
from engine.persistence import schema
from engine.persistence.database import make_engine, make_session_factory
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import waits
from engine.services.deployment import deploy_all
from engine.workflow.engine import WorkflowEngine


@dataclass
class PolkuContext:
    db: Engine
    session_factory: sessionmaker[Session]
    engine: WorkflowEngine
    clock: Clock
    models_loaded: bool = False

    @classmethod
    def create(cls, config: Mapping[str, Any]) -> PolkuContext:
        url = config["DATABASE_URL"]
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        db = make_engine(url)
        try:
            if config.get("DATABASE_AUTO_UPGRADE"):
                schema.upgrade(db)
            else:
                schema.require_current(db)  # an old or empty database: `polku db upgrade` first
        except Exception:
            db.dispose()
            raise
        context = cls(
            db=db,
            session_factory=make_session_factory(db),
            engine=WorkflowEngine(Path(config["PROCESSES_DIR"])),
            clock=config.get("CLOCK") or system_clock,
        )
        # Load and validate every model under processes/; a broken one stops start-up.
        deploy_all(context.uow(), context.engine, context.clock, actor="system")
        waits.add_missing_wait_rows(context.uow(), context.engine)
        context.models_loaded = True
        return context

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory)


def polku() -> PolkuContext:
    context: PolkuContext = current_app.extensions["polku"]
    return context
