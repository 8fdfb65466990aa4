"""Managers' and auditors' views: where clients stall, lead times, the pilots' metrics, the
event log out and in. Aggregates and pseudonyms only, except where the reader may see clients.

Every figure, list and export counts only the paths of the reader's report scope, which the
access policy decides (`access.report_condition`): the paths their organisations own, and the
paths where their organisation does a task while the client's consent to multi-organisation
handling is in force. Nothing of a client crosses organisation lines without consent, not even
as a count; a reader of no organisation (an administrator, say) gets empty figures. Imported
event logs are data from outside Polku, not its clients' paths: they are not scoped."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from engine.analytics import eventlog, metrics, stall_list, stalls, waits, weeks
from engine.analytics.report_paths import ReportPaths
from engine.analytics.stalls import Scope
from engine.analytics.stats import Distribution
from engine.clock import Clock
from engine.errors import Forbidden, InvalidInput, NotFound, Text
from engine.persistence.tables import (
    Client,
    ImportedDataset,
    ProcessInstance,
    ProcessModel,
    ProcessModelVersion,
)
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import access
from engine.services.deployment import get_version, latest_version
from engine.workflow.engine import WorkflowEngine

MANAGEMENT_ROLES = access.MANAGEMENT_ROLES
DEFAULT_QUIET_DAYS = 10
# Who may open the dashboards at all: the access policy's (`access_roles`), asked by the pages too.
may_see_dashboards = access.may_see_dashboards


def sees_names(actor: access.Actor) -> bool:
    """Coordinators may see the names of the clients they may read (`access.path_condition`:
    their own organisation's paths, their own work); management sees pseudonyms only."""
    return actor.coordinates


def require_dashboard(actor: access.Actor) -> None:
    if not may_see_dashboards(actor):
        raise Forbidden(
            "the dashboards are for managers, auditors and team coordinators",
            code="dashboards_refused",
        )


@dataclass
class Dashboard:
    steps: list[stalls.StepStat]
    lead_times: dict[str, Distribution]
    trend: list[stalls.WeekRow]


def dashboard(uow: UnitOfWork, clock: Clock, actor: access.Actor, scope: Scope) -> Dashboard:
    require_dashboard(actor)
    now = clock()
    paths = ReportPaths(access.report_condition(actor))
    with uow:
        return Dashboard(
            steps=waiting_steps(uow, now, scope, paths),
            lead_times=stalls.lead_times(uow.session, scope, paths),
            trend=weeks.weekly_trend(uow.session, now, scope, paths),
        )


def waiting_steps(
    uow: UnitOfWork, now: datetime, scope: Scope, paths: ReportPaths
) -> list[stalls.StepStat]:
    """Where clients wait now: the steps (and awaited decisions someone records), and the
    timers and unrecorded messages as rows of their own, the most overdue first."""
    steps = stalls.step_stats(uow.session, now, scope, paths)
    steps += waits.wait_stats(uow.session, now, scope, paths)
    return sorted(steps, key=lambda s: (-s.overdue, -s.waiting, s.model_key, s.name))


@dataclass
class HeatCell:
    """One step of a diagram: clients waiting there now and how many of them are overdue.
    Steps inside a called subprocess count on the call activity that calls it."""

    element_id: str
    names: list[str]
    waiting: int
    overdue: int
    waited_for: str | None = None  # a wait's party (Kela, the calendar...); None: a step

    @property
    def overdue_share(self) -> float:
        """The share overdue, unrounded (the pages round it as they show it)."""
        return self.overdue / self.waiting if self.waiting else 0.0


@dataclass
class Heatmap:
    model_key: str
    version: int
    xml: str
    cells: list[HeatCell]


def heatmap(
    uow: UnitOfWork,
    engine: WorkflowEngine,
    clock: Clock,
    actor: access.Actor,
    model_key: str,
    number: int | None = None,
    scope: Scope | None = None,
) -> Heatmap:
    """The stall figures of one model version, per element of its main diagram (of the
    waits begun in `scope`'s period, when it has one)."""
    require_dashboard(actor)
    now = clock()
    with uow:
        version = (
            latest_version(uow, model_key)
            if number is None
            else get_version(uow, model_key, number)
        )
        if version is None:
            raise NotFound(
                f"process model '{model_key}' has no version {number}",
                code="model_version_not_found",
                params={"key": model_key, "number": number},
            )
        model = engine.model_for_version(version.content_hash, model_key, version.files)
        steps = waiting_steps(
            uow,
            now,
            Scope(
                model_key=model_key,
                version=version.number,
                since=scope.since if scope else None,
                until=scope.until if scope else None,
            ),
            ReportPaths(access.report_condition(actor)),
        )
        xml = version.files[version.main_file]
        number = version.number
    cells: dict[str, HeatCell] = {}
    for step in steps:
        element = model.top_level.get(step.bpmn_id, step.bpmn_id)
        cell = cells.setdefault(element, HeatCell(element, [], 0, 0, step.waited_for))
        cell.names.append(step.name)
        cell.waiting += step.waiting
        cell.overdue += step.overdue
    return Heatmap(model_key, number, xml, sorted(cells.values(), key=lambda c: -c.waiting))


@dataclass
class ModelChoice:
    key: str
    name: str
    region: str | None
    versions: list[int]


def scope_choices(uow: UnitOfWork) -> list[ModelChoice]:
    """The models and their version numbers, for choosing what a figure covers."""
    with uow:
        choices: dict[int, ModelChoice] = {}
        for model_id, key, name, region, number in uow.session.execute(
            select(
                ProcessModel.id,
                ProcessModel.key,
                ProcessModel.name,
                ProcessModel.region,
                ProcessModelVersion.number,
            )
            .join(ProcessModelVersion, ProcessModelVersion.model_id == ProcessModel.id)
            .order_by(ProcessModel.key, ProcessModelVersion.number)
        ):
            choices.setdefault(model_id, ModelChoice(key, name, region, [])).versions.append(number)
        return list(choices.values())


def stalled(
    uow: UnitOfWork,
    clock: Clock,
    actor: access.Actor,
    scope: Scope,
    quiet_days: int = DEFAULT_QUIET_DAYS,
    offset: int = 0,
) -> stall_list.StallPage:
    """Stalled clients of the reader's report scope, a page (`stall_list.STALL_PAGE`) from
    `offset` on, and how many in all: pseudonymous for management roles; with names for
    coordinators, on the paths they may read (the others stay pseudonymous)."""
    require_dashboard(actor)
    if not 1 <= quiet_days <= 250:
        raise InvalidInput(
            "quiet days must be 1-250",
            {"quiet_days": [Text("quiet_days_range", "Between 1 and 250 working days.")]},
            code="quiet_days_invalid",
        )
    now = clock()
    paths = ReportPaths(access.report_condition(actor))
    with uow:
        page = stall_list.stalled_clients(
            uow.session, now, scope, quiet_days, paths, offset=max(0, offset)
        )
        rows = page.rows
        if sees_names(actor) and rows:
            names = {
                instance_id: name
                for instance_id, name in uow.session.execute(
                    select(ProcessInstance.id, Client.full_name)
                    .join(Client, Client.id == ProcessInstance.client_id)
                    .where(
                        ProcessInstance.id.in_([r.instance_id for r in rows]),
                        access.path_condition(uow, actor, now),
                    )
                )
            }
            for row in rows:
                row.name = names.get(row.instance_id)
        for row in rows:
            access.log(
                uow,
                now,
                actor,
                "read",
                "stall_list",
                client_id=row.client_id,
                instance_id=row.instance_id,
                basis="coordination role" if row.name is not None else "management, pseudonymous",
            )
        uow.commit()
        return page


def pilot_metrics(
    uow: UnitOfWork, clock: Clock, actor: access.Actor, scope: Scope
) -> metrics.Metrics:
    require_dashboard(actor)
    with uow:
        return metrics.compute(uow.session, scope, ReportPaths(access.report_condition(actor)))


def export_log(
    uow: UnitOfWork, clock: Clock, actor: access.Actor, scope: Scope, secret: str, fmt: str
) -> Iterator[str]:
    """The pseudonymised event log as CSV or XES, streamed: the paths of the reader's report
    scope only. The disclosure is logged (how many paths, of which scope) before any row."""
    require_dashboard(actor)
    if fmt not in ("csv", "xes"):
        raise InvalidInput(
            "format is csv or xes",
            {"format": [Text("format_csv_or_xes", "csv or xes")]},
            code="export_format_invalid",
        )
    now = clock()
    paths = ReportPaths(access.report_condition(actor))
    with uow:
        exported = list(
            uow.session.execute(
                select(ProcessInstance.id, ProcessInstance.client_id).where(
                    ProcessInstance.id.in_(metrics.cohort(scope, paths.condition))
                )
            )
        )
        access.log(
            uow,
            now,
            actor,
            "disclose",
            f"event_log.{fmt}",
            client_id=None,
            basis=f"pseudonymised export for process mining, the reader's report scope "
            f"({_describe(scope)}); paths exported: {len(exported)}",
        )
        for instance_id, client_id in exported:  # and what of each client went out
            access.log(
                uow, now, actor, "disclose", f"event_log.{fmt}", client_id=client_id,
                instance_id=instance_id, basis="pseudonymised export for process mining",
                detail="the path's steps, times and roles under a keyed pseudonym",
            )  # fmt: skip
        uow.commit()

    def generate() -> Iterator[str]:
        with uow:  # the paths admitted as the rows are written (consent may end meanwhile)
            fresh = ReportPaths(access.report_condition(actor))
            log = eventlog.rows(uow.session, scope, secret, fresh)
            yield from (eventlog.to_csv(log) if fmt == "csv" else eventlog.to_xes(log))

    return generate()


def _describe(scope: Scope) -> str:
    parts = [
        f"model {scope.model_key}" if scope.model_key else "every model",
        f"version {scope.version}" if scope.version else "",
        f"from {scope.since.date().isoformat()}" if scope.since else "",
        f"before {scope.until.date().isoformat()}" if scope.until else "",
    ]
    return ", ".join(p for p in parts if p)


def import_log(
    uow: UnitOfWork,
    clock: Clock,
    actor: access.Actor,
    *,
    name: str,
    model_key: str,
    content: bytes,
) -> int:
    """Import a CSV event log held in memory into a separate, marked data set; all or nothing.
    Files are streamed with `event_import.import_events`, which this calls."""
    from engine.services import event_import  # it asks this module's role check

    return event_import.import_events(
        uow, clock, actor, name=name, model_key=model_key, source=io.BytesIO(content),
        total_bytes=len(content),
    ).dataset_id  # fmt: skip


def list_datasets(uow: UnitOfWork, actor: access.Actor) -> list[ImportedDataset]:
    require_dashboard(actor)
    with uow:
        return list(uow.session.scalars(select(ImportedDataset).order_by(ImportedDataset.id)))


def imported_metrics(
    uow: UnitOfWork, engine: WorkflowEngine, actor: access.Actor, dataset_id: int
) -> metrics.Metrics:
    """The pilots' metrics for an imported log, by the same definitions as Polku's own paths
    (`engine.analytics.pilot_metrics`): its activities are matched by name to the steps of its
    process model (phases, the support plan, coaching, the consultation hour, the closing), its
    `resource` to the case manager's role, its `outcome` column to the onward-referral
    categories. Kykyviisari, referrers and employer contacts need Polku's own form entries."""
    require_dashboard(actor)
    with uow:
        dataset = uow.session.get(ImportedDataset, dataset_id)
        if dataset is None:
            raise NotFound(
                f"imported data set {dataset_id} does not exist",
                code="dataset_not_found",
                params={"dataset_id": dataset_id},
            )
        version = latest_version(uow, dataset.model_key)
        if version is None:
            raise NotFound(
                f"process model '{dataset.model_key}' does not exist",
                code="model_not_found",
                params={"key": dataset.model_key},
            )
        model = engine.model_for_version(version.content_hash, dataset.model_key, version.files)
        tasks = model.user_tasks.values()
        steps = metrics.ModelSteps(
            phase_of={info.name: info.phase for info in tasks},
            plan={i.name for i in tasks if (i.form_path or "").endswith(metrics.PLAN_FORM)},
            coaching={i.name for i in tasks if i.bpmn_id in metrics.COACHING_STEPS},
            consultation={i.name for i in tasks if i.bpmn_id in metrics.CONSULTATION_STEPS},
            closing={i.name for i in tasks if i.bpmn_id in metrics.CLOSING_STEPS},
        )
        return metrics.compute_imported(uow.session, dataset_id, steps)


def scope_from(args: dict[str, Any]) -> Scope:
    return Scope(
        model_key=args.get("model") or None,
        version=args.get("version") or None,
        since=args.get("since"),
        until=args.get("until"),
    )
