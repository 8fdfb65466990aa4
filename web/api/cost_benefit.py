"""Cost and benefit of the pilots (issue 16 §6): the figures of a region and period
(`GET /api/v1/cost-benefit?model=&version=&since=&until=`, days as YYYY-MM-DD, `until`
included) and each model's parameters (`GET` / `PUT /api/v1/cost-benefit/parameters`,
administrators change them). Euros are strings of a decimal number, to the cent."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from flask import Response, jsonify, request
from marshmallow import Schema, fields

from engine.analytics import cost_benefit as cb
from engine.analytics.stalls import Scope
from engine.analytics.workdays import FINLAND
from engine.services import cost_benefit as service
from web.api import blueprint
from web.api.auth import actor, token_required
from web.api.views import _body
from web.context import polku


class CostBenefitQuerySchema(Schema):
    model = fields.String(load_default=None)
    version = fields.Integer(load_default=None)
    since = fields.Date(load_default=None)
    until = fields.Date(load_default=None)


class ParametersSchema(Schema):
    model_key = fields.String(required=True)
    effect_with_subsidy = fields.Raw(required=True)
    effect_without_subsidy = fields.Raw(required=True)
    cost_per_year = fields.Raw(required=True)


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _parameters(entry: service.ModelParameters) -> dict[str, Any]:
    p = entry.parameters
    return {
        "model_key": entry.model_key,
        "name": entry.name,
        "region": entry.region,
        "effect_with_subsidy": _money(p.effect_with_subsidy) if p else None,
        "effect_without_subsidy": _money(p.effect_without_subsidy) if p else None,
        "cost_per_year": _money(p.cost_per_year) if p else None,
        "changed_by": entry.changed_by,
        "changed_at": entry.changed_at.isoformat() if entry.changed_at else None,
    }


def _result(result: cb.Result) -> dict[str, Any]:
    return {
        "model_key": result.model_key,
        "period": {"first": result.period.first.isoformat(),
                   "last": result.period.last.isoformat(), "days": result.period.days},
        "inputs": [
            {"category": r.category, "counted": r.counted, "relationships": r.relationships,
             "days": r.days, "months": str(round(r.months, 2))}
            for r in result.rows
        ],
        "relationships_with_subsidy": result.relationships_with_subsidy,
        "relationships_without_subsidy": result.relationships_without_subsidy,
        "months_with_subsidy": str(round(result.months_with_subsidy, 2)),
        "months_without_subsidy": str(round(result.months_without_subsidy, 2)),
        "benefit_with_subsidy": _money(result.benefit_with_subsidy),
        "benefit_without_subsidy": _money(result.benefit_without_subsidy),
        "benefit": _money(result.benefit),
        "programme_cost": _money(result.cost),
        "net": _money(result.net),
        "coached": result.coached,
        "per_participant": _money(result.per_participant),
    }  # fmt: skip


@blueprint.get("/cost-benefit")
@token_required
def cost_benefit_report() -> Response:
    """Each model's (region's) cost and benefit over the period, its inputs and the total."""
    args = CostBenefitQuerySchema().load(request.args.to_dict())
    since, until = args["since"], args["until"]
    scope = Scope(
        model_key=args["model"] or None,
        version=args["version"] or None,
        since=datetime.combine(since, time.min, tzinfo=FINLAND) if since else None,
        until=(datetime.combine(until + timedelta(days=1), time.min, tzinfo=FINLAND)
               if until else None),
    )  # fmt: skip
    ctx = polku()
    report = service.report(ctx.uow(), ctx.clock, actor(), scope)
    parameters = {m.model_key: _parameters(m) for m in report.models}
    c = report.combined
    return jsonify({
        "since": report.first.isoformat(),
        "until": report.last.isoformat(),
        "models": [{**_result(r), "parameters": parameters[r.model_key or ""]}
                   for r in c.models],
        "total": {"benefit": _money(c.benefit), "programme_cost": _money(c.cost),
                  "net": _money(c.net), "coached": c.coached,
                  "per_participant": _money(c.per_participant)},
    })  # fmt: skip


@blueprint.get("/cost-benefit/parameters")
@token_required
def list_cost_benefit_parameters() -> Response:
    found = service.list_parameters(polku().uow(), actor())
    return jsonify([_parameters(m) for m in found])


@blueprint.put("/cost-benefit/parameters")
@token_required
def set_cost_benefit_parameters() -> Response:
    """Set one model's parameters (administrators): the saved values, who and when."""
    body = ParametersSchema().load(_body())
    ctx = polku()
    saved = service.set_parameters(ctx.uow(), ctx.clock, actor(), **body)
    return jsonify(_parameters(saved))
