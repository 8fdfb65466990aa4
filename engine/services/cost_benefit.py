"""Cost and benefit of the pilots (issue 16 §6; the rules: engine/analytics/cost_benefit.py).

The parameters of each model's impact model (the monthly effect per employed person, with and
without wage subsidy, and the programme's cost a year) are set by an administrator; everyone
with the dashboards sees them. They are kept as whole cents in `policy_setting`
(`cost_benefit.<model id>.<parameter>`), each row with who changed it and when, and every
change is in the access log (`log_administration`). The figures count only the paths of the
reader's report scope (`access.report_condition`), as the other dashboards do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select

from engine.analytics import cost_benefit as cb
from engine.analytics.pilot_metrics import Period
from engine.analytics.report_paths import ReportPaths
from engine.analytics.stalls import Scope
from engine.analytics.workdays import FINLAND
from engine.clock import Clock
from engine.errors import Forbidden, InvalidInput, NotFound, Text
from engine.persistence.relationships import PolicySetting
from engine.persistence.tables import ProcessModel
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import access
from engine.services.access_log import log_administration
from engine.services.dashboards import require_dashboard

PARAMETERS = ("effect_with_subsidy", "effect_without_subsidy", "cost_per_year")
# the largest values (euros): the cents must fit the setting's whole number
LIMITS = {
    "effect_with_subsidy": Decimal("100000"),
    "effect_without_subsidy": Decimal("100000"),
    "cost_per_year": Decimal("20000000"),
}
PREFIX = "cost_benefit."


def _key(model_id: int, name: str) -> str:
    return f"{PREFIX}{model_id}.{name}"


@dataclass
class ModelParameters:
    """One model's parameters (None: never set), who set them last and when."""

    model_key: str
    name: str
    region: str | None
    parameters: cb.Parameters | None = None
    changed_by: str | None = None
    changed_at: datetime | None = None


def _read_parameters(uow: UnitOfWork) -> list[ModelParameters]:
    models = list(
        uow.session.execute(
            select(
                ProcessModel.id, ProcessModel.key, ProcessModel.name, ProcessModel.region
            ).order_by(ProcessModel.key)
        )
    )
    rows = {
        row.key: row
        for row in uow.session.scalars(
            select(PolicySetting).where(PolicySetting.key.like(f"{PREFIX}%"))
        )
    }
    found = []
    for model_id, key, name, region in models:
        mine = [rows.get(_key(model_id, p)) for p in PARAMETERS]
        entry = ModelParameters(key, name, region)
        if all(r is not None for r in mine):
            values = [cb.cents(Decimal(r.value) / 100) for r in mine if r is not None]
            entry.parameters = cb.Parameters(*values)
            latest = max((r for r in mine if r is not None), key=lambda r: r.changed_at)
            entry.changed_by, entry.changed_at = latest.changed_by, latest.changed_at
        found.append(entry)
    return found


def list_parameters(uow: UnitOfWork, actor: access.Actor) -> list[ModelParameters]:
    """Every model's parameters: for the dashboards' readers."""
    require_dashboard(actor)
    with uow:
        return _read_parameters(uow)


def _euros(name: str, value: Any, errors: dict[str, list[str]]) -> Decimal | None:
    """A sum of euros, ≥ 0, to the cent (a decimal comma or point; a number or its text)."""
    number: Decimal | None = None
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            number = None
    elif isinstance(value, str):
        text = value.strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
        try:
            number = Decimal(text) if text else None
        except InvalidOperation:
            number = None
    high = LIMITS[name]
    if (
        number is None
        or not number.is_finite()
        or number < 0
        or number > high
        or number != number.quantize(cb.CENT)
    ):
        errors[name] = [
            Text(
                "cost_benefit_euros",
                "A sum of euros from 0 to {high}, to the cent at most.",
                high=int(high),
            )
        ]
        return None
    return number.quantize(cb.CENT)


def set_parameters(
    uow: UnitOfWork,
    clock: Clock,
    actor: access.Actor,
    *,
    model_key: str,
    effect_with_subsidy: Any,
    effect_without_subsidy: Any,
    cost_per_year: Any,
) -> ModelParameters:
    """Set one model's parameters (administrators only); returns them as saved."""
    if not access.administers(actor):
        raise Forbidden(
            "only administrators set the cost-benefit parameters",
            code="cost_benefit_refused",
        )
    errors: dict[str, list[str]] = {}
    given = {
        "effect_with_subsidy": effect_with_subsidy,
        "effect_without_subsidy": effect_without_subsidy,
        "cost_per_year": cost_per_year,
    }
    values = {name: _euros(name, given[name], errors) for name in PARAMETERS}
    key = (model_key or "").strip() if isinstance(model_key, str) else ""
    if not key:
        errors["model_key"] = [Text("field_required", "This field is required.")]
    now = clock()
    with uow:
        model_id = (
            uow.session.scalar(select(ProcessModel.id).where(ProcessModel.key == key))
            if key
            else None
        )
        if key and model_id is None:
            raise NotFound(
                f"process model '{key}' does not exist",
                code="model_not_found", params={"key": key},
            )  # fmt: skip
        if errors or model_id is None:
            raise InvalidInput(
                "the cost-benefit parameters are not valid", errors, code="cost_benefit_invalid"
            )
        changes = []
        for name in PARAMETERS:
            number = values[name]
            assert number is not None
            row = uow.session.get(PolicySetting, _key(model_id, name))
            if row is None:
                row = PolicySetting(key=_key(model_id, name))
                uow.session.add(row)
                before = "unset"
            else:
                before = str(Decimal(row.value) / 100)
            row.value = int(number * 100)
            row.changed_by, row.changed_at = actor.username[:80], now
            changes.append(f"{name} {before} -> {number}")
        log_administration(
            uow, now, actor, "update", f"cost-benefit parameters {key}", "; ".join(changes)
        )
        uow.commit()
    with uow:
        return next(p for p in _read_parameters(uow) if p.model_key == key)


@dataclass
class Report:
    """What the page shows: each model (region) of the scope with its parameters and inputs,
    and their sum."""

    first: date
    last: date  # as asked (the counted period ends today at the latest: `combined.models`)
    today: date
    models: list[ModelParameters]
    combined: cb.Combined


def report(uow: UnitOfWork, clock: Clock, actor: access.Actor, scope: Scope) -> Report:
    """The cost and benefit of the scope's models over its period (From and To required)."""
    require_dashboard(actor)
    errors: dict[str, list[str]] = {}
    for name, value in (("since", scope.since), ("until", scope.until)):
        if value is None:
            errors[name] = [Text("field_required", "This field is required.")]
    if errors or scope.since is None or scope.until is None:
        raise InvalidInput(
            "the cost and benefit need a period", errors, code="cost_benefit_scope_invalid"
        )
    first = scope.since.astimezone(FINLAND).date()
    last = cb.one_day_before(scope.until.astimezone(FINLAND).date())  # `until` is exclusive
    today = clock().astimezone(FINLAND).date()
    days = cb.counted_range(first, last, today)
    paths = ReportPaths(access.report_condition(actor))
    with uow:
        models = [m for m in _read_parameters(uow) if scope.model_key in (None, m.model_key)]
        if scope.model_key and not models:
            raise InvalidInput(
                f"process model '{scope.model_key}' does not exist",
                {"model": [Text("value_not_allowed", "Choose one of the allowed values.")]},
                code="cost_benefit_scope_invalid",
            )
        found, relationships = cb.read(uow.session, scope, paths)
    parameters = {m.model_key: m.parameters for m in models if m.parameters is not None}
    combined = cb.combine(
        found, relationships, [m.model_key for m in models], parameters,
        Period(scope.since, scope.until), days,
    )  # fmt: skip
    return Report(first, last, today, models, combined)
