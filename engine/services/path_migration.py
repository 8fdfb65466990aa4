"""Moving running paths to another version of their model, and undoing the last such move.

The designer chooses which paths move (all, those at some current steps, or one by one) and
maps a current step the new version lacks to the new step its token moves to
(`engine.workflow.migration`). A dry run shows what would move and changes nothing; the move
itself may name the count the designer confirmed (`expect`): if the paths have changed since,
nothing moves. Each migration is recorded (`path_migration`, `path_migration_path`) with the
paths' states before it, so the model's last migration can be undone for the paths that have not
progressed since.

A migration is no client work: the paths' last activity (the stall figures' and quiet-path
notices' "working days without events") stays as it was, and each path read or moved is written
to the access log as the designer's. Open worklist items take the new version's names.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from SpiffWorkflow.bpmn import BpmnWorkflow
from sqlalchemy import select, update

from engine.clock import Clock
from engine.errors import Conflict, Forbidden, InvalidInput, NotFound, Text
from engine.persistence.path_migrations import PathMigration, PathMigrationPath
from engine.persistence.tables import (
    Event,
    HumanTask,
    Milestone,
    ProcessInstance,
    ProcessModelVersion,
    WaitingEvent,
)
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import access
from engine.services.deployment import get_version
from engine.services.progress import record, synchronise
from engine.workflow import migration, runtime
from engine.workflow.engine import WorkflowEngine
from engine.workflow.model import ParsedModel

BASIS = "process designer: version migration"
MOVED, UNDONE, KEPT = "moved", "undone", "kept"


@dataclass(frozen=True)
class Selection:
    """Which running paths of the old version move: `instance_ids` (None: every one), and of
    those the ones at any of `steps` (current step ids of the old version; None: any step)."""

    instance_ids: frozenset[int] | None = None
    steps: frozenset[str] | None = None

    def picks(self, instance_id: int, step_ids: Collection[str]) -> bool:
        if self.instance_ids is not None and instance_id not in self.instance_ids:
            return False
        return self.steps is None or bool(self.steps & set(step_ids))


@dataclass
class MigrationCandidate:
    instance_id: int
    client_pseudonym: str
    current_steps: list[str]  # their names in the old version
    movable: bool
    reasons: list[str] = field(default_factory=list)
    moved: bool = False
    selected: bool = True
    current_step_ids: list[str] = field(default_factory=list)
    missing_steps: list[str] = field(default_factory=list)  # current ids the new version lacks


@dataclass
class MigrationPlan:
    """What a migration (or its dry run) found and did."""

    key: str
    from_version: int
    to_version: int
    dry_run: bool
    candidates: list[MigrationCandidate]
    step_map: dict[str, str]
    # the current steps of the candidates that the new version lacks: (id, name)
    missing_steps: list[tuple[str, str]]
    # the new version's user tasks a missing step may be mapped to: (id, name)
    map_targets: list[tuple[str, str]]
    migration_id: int | None = None

    @property
    def will_move(self) -> int:
        return sum(1 for c in self.candidates if c.selected and c.movable)

    @property
    def moved(self) -> int:
        return sum(1 for c in self.candidates if c.moved)


@dataclass
class UndoRow:
    instance_id: int
    client_pseudonym: str
    undoable: bool
    undone: bool = False
    reasons: list[str] = field(default_factory=list)


@dataclass
class UndoResult:
    migration_id: int
    key: str
    from_version: int  # of the migration undone: the paths go back to this version
    to_version: int
    dry_run: bool
    rows: list[UndoRow]

    @property
    def will_undo(self) -> int:
        return sum(1 for r in self.rows if r.undoable)

    @property
    def undone(self) -> int:
        return sum(1 for r in self.rows if r.undone)


@dataclass
class MigrationRecord:
    """A migration in the model's history (instance ids only: no client data)."""

    id: int
    key: str
    from_version: int
    to_version: int
    migrated_at: datetime
    migrated_by: str
    step_map: dict[str, str]
    instance_ids: list[int]
    outcomes: dict[int, str]
    undone_at: datetime | None
    undone_by: str | None
    undoable: bool  # the model's last migration, not yet undone


def require_designer(actor: access.Actor) -> None:
    if not access.may_design(actor):
        raise Forbidden("only process designers may change process models", code="designer_refused")


def _versions(
    uow: UnitOfWork, key: str, from_version: int, to_version: int
) -> tuple[ProcessModelVersion, ProcessModelVersion]:
    old_row, new_row = get_version(uow, key, from_version), get_version(uow, key, to_version)
    if old_row is None or new_row is None:
        missing = from_version if old_row is None else to_version
        raise NotFound(
            f"process model '{key}' has no version {missing}",
            code="model_version_not_found",
            params={"key": key, "number": missing},
        )
    if from_version == to_version:
        raise InvalidInput(
            "choose two different versions",
            {"to_version": [Text("version_choose_other", "Choose another version.")]},
            code="versions_same",
        )
    return old_row, new_row


def _check_map(old: ParsedModel, new: ParsedModel, step_map: Mapping[str, str]) -> None:
    for source, target in step_map.items():
        if source not in old.elements or target not in new.user_tasks:
            raise InvalidInput(
                f"cannot map '{source}' to '{target}': map a step of the old version to a user "
                "task of the new one",
                {
                    "step_map": [
                        Text(
                            "migration_map_invalid",
                            "map a step of the old version to a user task of the new one "
                            "('{step}' -> '{target_step}')",
                            step=source,
                            target_step=target,
                        )
                    ]
                },
                code="migration_map_invalid",
                params={"step": source, "target_step": target},
            )


def plan_migration(
    uow: UnitOfWork,
    engine: WorkflowEngine,
    clock: Clock,
    actor: access.Actor,
    key: str,
    from_version: int,
    to_version: int,
    *,
    dry_run: bool,
    selection: Selection | None = None,
    step_map: Mapping[str, str] | None = None,
    expect: int | None = None,
) -> MigrationPlan:
    """Move the selected movable running paths from one version to another (nothing on a dry
    run). `expect`: the count the designer confirmed; if it no longer holds, nothing moves."""
    require_designer(actor)
    chosen = selection or Selection()
    mapping = dict(step_map or {})
    now = clock()
    with uow:
        old_row, new_row = _versions(uow, key, from_version, to_version)
        old = engine.model_for_version(old_row.content_hash, key, old_row.files)
        new = engine.model_for_version(new_row.content_hash, key, new_row.files)
        _check_map(old, new, mapping)
        known = set(new.spec.task_specs).union(
            *(set(s.task_specs) for s in new.subprocess_specs.values())
        )
        label = f"version {to_version}"
        plan = MigrationPlan(
            key, from_version, to_version, dry_run, [], mapping, [],
            [(t, new.user_tasks[t].name) for t in new.step_order if t in new.user_tasks],
        )  # fmt: skip
        missing: dict[str, str] = {}
        paths: dict[int, ProcessInstance] = {}
        for instance in uow.session.scalars(
            select(ProcessInstance)
            .where(
                ProcessInstance.model_version_id == old_row.id, ProcessInstance.status == "running"
            )
            .order_by(ProcessInstance.id)
        ):
            paths[instance.id] = instance
            steps = _current_steps(uow, instance.id)
            absent = [s for s in steps if s not in known]
            missing.update({s: old.elements.get(s, s) for s in absent})
            reasons = migration.obstacles(
                instance.state, old, new, label, _passed_steps(uow, instance.id), mapping
            )
            plan.candidates.append(
                MigrationCandidate(
                    instance.id,
                    instance.client.pseudonym,
                    [old.elements.get(s, s) for s in steps],
                    movable=not reasons,
                    reasons=reasons,
                    selected=chosen.picks(instance.id, steps),
                    current_step_ids=steps,
                    missing_steps=absent,
                )
            )
        plan.missing_steps = sorted(missing.items())
        if not dry_run and expect is not None and expect != plan.will_move:
            raise Conflict(
                f"{plan.will_move} paths would move now, not {expect}: try the dry run again",
                code="migration_count_changed",
                params={"count": plan.will_move, "expected": expect},
            )
        record_row = None
        if not dry_run and plan.will_move:
            record_row = PathMigration(
                model_key=key, from_version=from_version, to_version=to_version,
                migrated_at=now, migrated_by=actor.username, step_map=mapping,
            )  # fmt: skip
            uow.session.add(record_row)
        for candidate in plan.candidates:
            path = paths[candidate.instance_id]
            move = not dry_run and candidate.selected and candidate.movable
            if move:
                assert record_row is not None
                before_state = path.state
                workflow = migration.migrate(path.state, new, engine.serializer, mapping)
                _move(uow, engine, now, actor, path, workflow, new, new_row,
                      {"from": from_version, "to": to_version})  # fmt: skip
                record_row.paths.append(
                    PathMigrationPath(
                        instance_id=path.id, state_before=before_state,
                        state_after_hash=_hash(path.state), outcome=MOVED,
                    )
                )  # fmt: skip
                candidate.moved = True
            # a designer does no client work: what the migration read and moved is logged so
            access.log(
                uow, now, actor, "update" if move else "read", "process_instance",
                client_id=path.client_id, instance_id=path.id, basis=BASIS,
                detail=f"{key} {from_version} -> {to_version}: "
                + ("moved to the new version" if move else "pseudonym and current steps shown"
                   + (" (dry run)" if dry_run else "")),
            )  # fmt: skip
        uow.commit()
        plan.migration_id = record_row.id if record_row is not None else None
        return plan


def migrate(
    uow: UnitOfWork,
    engine: WorkflowEngine,
    clock: Clock,
    actor: access.Actor,
    key: str,
    from_version: int,
    to_version: int,
    dry_run: bool,
) -> list[MigrationCandidate]:
    """Move every movable running path from one version to another (nothing on a dry run)."""
    return plan_migration(
        uow, engine, clock, actor, key, from_version, to_version, dry_run=dry_run
    ).candidates


def _move(
    uow: UnitOfWork,
    engine: WorkflowEngine,
    now: datetime,
    actor: access.Actor,
    path: ProcessInstance,
    workflow: BpmnWorkflow,
    model: ParsedModel,
    version: ProcessModelVersion,
    data: dict[str, object],
    before: dict[str, runtime.ElementState] | None = None,
) -> None:
    """Put the path on a version with its workflow there: the worklist, waits and figures
    follow; the open items take that version's names (the event `instance_migrated` with
    `data` says which); the last activity stays."""
    last_activity = path.last_activity_at
    if before is None:
        before = runtime.snapshot(workflow)
    path.model_version_id, path.model_version = version.id, version
    for copy in (HumanTask, Milestone):  # the figures per version follow the path
        uow.session.execute(
            update(copy).where(copy.instance_id == path.id).values(model_version_id=version.id)
        )
    synchronise(uow, engine, model, path, workflow, before, now, actor.username)
    renamed = _rename_open_items(uow, path, workflow, model)
    record(
        uow, path, now, "instance_migrated", actor=actor.username,
        data={**data, "renamed": renamed},
    )  # fmt: skip
    path.last_activity_at = last_activity  # moving is not client activity


def _rename_open_items(
    uow: UnitOfWork, path: ProcessInstance, workflow: BpmnWorkflow, model: ParsedModel
) -> list[dict[str, str]]:
    """The open worklist items of the path take the step, name and phase of `model`."""
    steps = {str(t.id): getattr(t.task_spec, "bpmn_id", None) for t in workflow.get_tasks()}
    renamed = []
    for row in uow.session.scalars(
        select(HumanTask).where(HumanTask.instance_id == path.id, HumanTask.state == "open")
    ):
        bpmn_id = steps.get(row.id) or row.bpmn_id
        info = (model.user_tasks if row.kind == "task" else model.waits).get(bpmn_id)
        if info is None:
            continue
        if (row.bpmn_id, row.name) != (info.bpmn_id, info.name):
            renamed.append({"task_id": row.id, "from": row.name, "to": info.name})
        row.bpmn_id, row.name, row.phase = info.bpmn_id, info.name, info.phase
    return renamed


def _hash(state: str) -> str:
    return hashlib.sha256(state.encode("utf-8")).hexdigest()


def _last(uow: UnitOfWork, key: str) -> PathMigration:
    found = uow.session.scalars(
        select(PathMigration)
        .where(PathMigration.model_key == key)
        .order_by(PathMigration.id.desc())
        .limit(1)
    ).first()
    if found is None or found.undone_at is not None:
        raise NotFound(
            f"process model '{key}' has no migration to undo",
            code="migration_nothing_to_undo",
            params={"key": key},
        )
    return found


def undo_last(
    uow: UnitOfWork,
    engine: WorkflowEngine,
    clock: Clock,
    actor: access.Actor,
    key: str,
    *,
    dry_run: bool,
    migration_id: int | None = None,
) -> UndoResult:
    """Move the paths of the model's last migration back to the version they came from, those
    that have not progressed since (their state is as the migration left it); the others are
    listed with the reason. `migration_id`: the migration the designer confirmed undoing (if
    another is the last one now, nothing moves)."""
    require_designer(actor)
    now = clock()
    with uow:
        last = _last(uow, key)
        if migration_id is not None and migration_id != last.id:
            raise Conflict(
                f"the last migration of '{key}' is now {last.id}, not {migration_id}",
                code="migration_undo_changed",
                params={"key": key},
            )
        old_row, new_row = _versions(uow, key, last.from_version, last.to_version)
        old = engine.model_for_version(old_row.content_hash, key, old_row.files)
        new = engine.model_for_version(new_row.content_hash, key, new_row.files)
        result = UndoResult(last.id, key, last.from_version, last.to_version, dry_run, [])
        for moved in last.paths:
            path = uow.session.get(ProcessInstance, moved.instance_id)
            if path is None or moved.outcome != MOVED:
                continue
            undoable = (
                path.status == "running"
                and path.model_version_id == new_row.id
                and _hash(path.state) == moved.state_after_hash
            )
            row = UndoRow(path.id, path.client.pseudonym, undoable)
            if not undoable:
                row.reasons.append(
                    Text(
                        "migration_undo_progressed",
                        "the path has moved on since the migration (a step done, closed or "
                        "moved again): it stays on version {version}",
                        version=path.model_version.number,
                    )
                )
            result.rows.append(row)
            back = undoable and not dry_run
            if back:
                current = engine.serializer.loads(path.state, new)
                workflow = engine.serializer.loads(moved.state_before, old)
                # the tree of the moment before, so that only what changed is synchronised
                workflow_before = runtime.snapshot(current)
                _move(uow, engine, now, actor, path, workflow, old, old_row,
                      {"from": last.to_version, "to": last.from_version, "undo_of": last.id},
                      before=workflow_before)  # fmt: skip
                path.state = moved.state_before  # exactly as it was (an earlier undo holds)
                row.undone = True
            if not dry_run:
                moved.outcome = UNDONE if back else KEPT
            access.log(
                uow, now, actor, "update" if back else "read", "process_instance",
                client_id=path.client_id, instance_id=path.id, basis=BASIS,
                detail=f"{key} undo of migration {last.id}: "
                + ("moved back to the earlier version" if back
                   else "pseudonym shown" + (" (dry run)" if dry_run else "")),
            )  # fmt: skip
        if not dry_run:
            last.undone_at, last.undone_by = now, actor.username
        uow.commit()
        return result


def history(
    uow: UnitOfWork, actor: access.Actor, key: str, limit: int = 20
) -> list[MigrationRecord]:
    """The model's migrations, newest first (which paths by id, no client data)."""
    require_designer(actor)
    with uow:
        rows = list(
            uow.session.scalars(
                select(PathMigration)
                .where(PathMigration.model_key == key)
                .order_by(PathMigration.id.desc())
                .limit(limit)
            )
        )
        return [
            MigrationRecord(
                m.id,
                m.model_key,
                m.from_version,
                m.to_version,
                m.migrated_at,
                m.migrated_by,
                dict(m.step_map or {}),
                [p.instance_id for p in m.paths],
                {p.instance_id: p.outcome for p in m.paths},
                m.undone_at,
                m.undone_by,
                undoable=index == 0 and m.undone_at is None,
            )  # fmt: skip
            for index, m in enumerate(rows)
        ]


def _passed_steps(uow: UnitOfWork, instance_id: int) -> set[str]:
    """The elements the path's history says it has passed (its saved tree keeps only what it
    can still use)."""
    return set(
        uow.session.scalars(
            select(Event.bpmn_id)
            .where(
                Event.instance_id == instance_id,
                Event.kind.in_(("task_completed", "element_completed")),
                Event.bpmn_id.is_not(None),
            )
            .distinct()
        )
    )


def _current_steps(uow: UnitOfWork, instance_id: int) -> list[str]:
    tasks = uow.session.scalars(
        select(HumanTask.bpmn_id).where(
            HumanTask.instance_id == instance_id, HumanTask.state == "open"
        )
    )
    waits = uow.session.scalars(
        select(WaitingEvent.bpmn_id).where(
            WaitingEvent.instance_id == instance_id, WaitingEvent.settled_at.is_(None)
        )
    )
    return sorted({*tasks, *waits})
