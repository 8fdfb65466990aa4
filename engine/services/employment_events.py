"""Employment events on a client's path (issue 16 §2): an employment relationship started (its
sector, with or without wage subsidy), an apprenticeship, a work trial or a study place, each
its own record, during coaching and follow-up; a person may have several. The closing record's
outcome stays as it is; the pilots' metrics count these (engine/analytics/pilot_metrics.py).

Recording one is client work: whoever may read the running path (`access.read_basis`, as for
the notes between colleagues) may record on it. One transaction: the row, the history event
`employment_recorded` (coded values only) and the access-log row. Each read is logged per path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from engine.analytics.employment import KINDS, SECTORS, category
from engine.analytics.workdays import FINLAND
from engine.clock import Clock
from engine.errors import Conflict, InvalidInput, Text
from engine.persistence.employment import EmploymentEvent
from engine.persistence.tables import ProcessInstance
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import access
from engine.services.path_lookup import readable_path
from engine.services.progress import record

WHAT = "employment_event"
SECTOR_KINDS = ("employment", "apprenticeship", "work_trial")  # the kinds with an employer


@dataclass(frozen=True)
class EmploymentView:
    id: int
    instance_id: int
    kind: str
    sector: str | None
    wage_subsidy: bool
    started_on: date
    ended_on: date | None
    category: str  # the onward-referral category
    recorded_by: str
    recorded_at: datetime


def _day(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def check(
    kind: str, sector: str | None, wage_subsidy: bool, started_on: Any, ended_on: Any, today: date
) -> tuple[str, str | None, bool, date, date | None]:
    """The values, or InvalidInput naming each field that is wrong."""
    errors: dict[str, list[str]] = {}
    kind, sector = (kind or "").strip(), (sector or "").strip() or None
    if kind not in KINDS:
        errors["kind"] = [Text("value_not_allowed", "Choose one of the allowed values.")]
    if kind == "employment" and sector is None:
        errors["sector"] = [Text("field_required", "This field is required.")]
    elif sector is not None and (sector not in SECTORS or kind not in SECTOR_KINDS):
        errors["sector"] = [Text("value_not_allowed", "Choose one of the allowed values.")]
    if wage_subsidy and kind != "employment":
        errors["wage_subsidy"] = [
            Text("employment_subsidy_only", "Wage subsidy is recorded with an employment.")
        ]
    days: dict[str, date | None] = {}
    for name, value in (("started_on", started_on), ("ended_on", ended_on)):
        try:
            days[name] = _day(value)
        except ValueError:
            errors[name] = [Text("employment_date_invalid", "Give a date (YYYY-MM-DD).")]
    start, end = days.get("started_on"), days.get("ended_on")
    if start is None and "started_on" not in errors:
        errors["started_on"] = [Text("field_required", "This field is required.")]
    elif start is not None and start > today:
        errors["started_on"] = [Text("employment_start_future", "The start date is in the future.")]
    if start is not None and end is not None and end < start:
        errors["ended_on"] = [Text("employment_end_before_start", "It ends before it starts.")]
    if errors or start is None:
        raise InvalidInput("the employment event has errors", errors, code="employment_invalid")
    return kind, sector, bool(wage_subsidy), start, end


def record_employment(
    uow: UnitOfWork,
    clock: Clock,
    actor: access.Actor,
    instance_id: int,
    *,
    kind: str,
    sector: str | None = None,
    wage_subsidy: bool = False,
    started_on: Any = None,
    ended_on: Any = None,
) -> int:
    """Record an employment event on a running path; returns its id."""
    now = clock()
    kind, sector, wage_subsidy, start, end = check(
        kind, sector, wage_subsidy, started_on, ended_on, now.astimezone(FINLAND).date()
    )
    with uow:
        instance, basis = readable_path(uow, actor, instance_id, now, WHAT, "create")
        if instance.status != "running":
            raise Conflict(
                f"the path is {instance.status}",
                code="path_not_running",
                params={"status": instance.status},
            )
        row = EmploymentEvent(
            instance_id=instance.id, kind=kind, sector=sector, wage_subsidy=wage_subsidy,
            started_on=start, ended_on=end, recorded_by=actor.username, recorded_at=now,
        )  # fmt: skip
        uow.session.add(row)
        uow.session.flush()
        record(
            uow, instance, now, "employment_recorded", actor=actor.username,
            data={
                "employment_id": row.id, "kind": kind, "sector": sector,
                "wage_subsidy": wage_subsidy, "started_on": start.isoformat(),
                "ended_on": end.isoformat() if end else None,
            },
        )  # fmt: skip
        access.log(
            uow, now, actor, "create", WHAT, client_id=instance.client_id,
            instance_id=instance.id, basis=basis,
            detail=f"{category(kind, sector, wage_subsidy)} from {start} on path {instance.id}",
        )  # fmt: skip
        uow.commit()
        return row.id


def list_employment(
    uow: UnitOfWork, clock: Clock, actor: access.Actor, instance_id: int
) -> list[EmploymentView]:
    """The path's employment events, by start date (logged)."""
    now = clock()
    with uow:
        instance, basis = readable_path(uow, actor, instance_id, now, WHAT)
        found = employment_in(uow, actor, [(instance, basis)], now, log_empty=True)
        uow.commit()
        return found.get(instance.id, [])


def employment_in(
    uow: UnitOfWork,
    actor: access.Actor,
    paths: Sequence[tuple[ProcessInstance, str]],
    now: datetime,
    *,
    log_empty: bool = False,
) -> dict[int, list[EmploymentView]]:
    """Inside the caller's unit of work: the employment events of these paths (each read with
    the basis the policy gave), by path; one access-log row for each path that has some to
    show (`log_empty`: for every path)."""
    if not paths:
        return {}
    found: dict[int, list[EmploymentView]] = {}
    for row in uow.session.scalars(
        select(EmploymentEvent)
        .where(EmploymentEvent.instance_id.in_(sorted(i.id for i, _b in paths)))
        .order_by(EmploymentEvent.started_on, EmploymentEvent.id)
    ):
        found.setdefault(row.instance_id, []).append(
            EmploymentView(
                row.id,
                row.instance_id,
                row.kind,
                row.sector,
                row.wage_subsidy,
                row.started_on,
                row.ended_on,
                category(row.kind, row.sector, row.wage_subsidy),
                row.recorded_by,
                row.recorded_at,
            )  # fmt: skip
        )
    for instance, basis in paths:
        shown = found.get(instance.id, [])
        if shown or log_empty:
            access.log(
                uow, now, actor, "read", WHAT, client_id=instance.client_id,
                instance_id=instance.id, basis=basis,
                detail=f"{len(shown)} employment event(s) on path {instance.id}",
            )  # fmt: skip
    return found
