"""Cost and benefit of the pilots (issue 16 §6), by region and period: the inputs (the
employment relationships and their months by kind, the parameters), the formula in words and
numbers, and the result (engine/services/cost_benefit.py; the rules:
engine/analytics/cost_benefit.py). An administrator sets each model's parameters on
`/dashboard/cost-benefit/parameters`; the API: `/api/v1/cost-benefit`."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import format_currency, format_decimal
from flask_babel import gettext as _

from engine.analytics import cost_benefit as cb
from engine.errors import InvalidInput
from engine.services import access, dashboards
from engine.services import cost_benefit as service
from web.context import polku
from web.ui import blueprint, labels
from web.ui.dashboard import dashboard_actor
from web.ui.reports import Column, Table, download_or, read_scope


def euros(value: Decimal | None) -> str:
    return "–" if value is None else format_currency(value, "EUR")


def months(value: Decimal) -> str:
    return format_decimal(value, format="#,##0.0#")


@dataclass
class Figure(Column):
    """A column of euros (`euro`) or months (`months`) as well as the shared kinds."""

    @property
    def numeric(self) -> bool:
        return self.kind in ("euro", "months") or super().numeric


class FigureTable(Table):
    def display(self, column: Column, value: Any) -> str:
        if value is not None and column.kind == "euro":
            return euros(value)
        if value is not None and column.kind == "months":
            return months(value)
        return super().display(column, value)


def _inputs(result: cb.Result, title: str) -> Table:
    table = FigureTable(
        f"cost-benefit-inputs-{result.model_key}",
        _("Employment relationships in the period: %(model)s", model=title),
        [Figure(_("Kind")), Figure(_("Counted")), Figure(_("Relationships"), "int"),
         Figure(_("Days in the period"), "int"), Figure(_("Months (days ÷ 30)"), "months")],
        note=_("A relationship counts with its days within the period, its first and last day "
               "included; one still running counts until today or the period's end. Work "
               "trials and study places are not employment and do not count."),
    )  # fmt: skip
    for row in result.rows:
        table.rows.append([labels.outcome(row.category), _("yes") if row.counted else _("no"),
                           row.relationships, row.days, row.months])  # fmt: skip
    for name, count, days, total in (
        (_("With wage subsidy"), result.relationships_with_subsidy, result.days_with_subsidy,
         result.months_with_subsidy),
        (_("Without wage subsidy"), result.relationships_without_subsidy,
         result.days_without_subsidy, result.months_without_subsidy),
    ):  # fmt: skip
        table.emphasised.add(len(table.rows))
        table.rows.append([name, _("yes"), count, days, total])
    return table


def _summary(report: service.Report, titles: dict[str, str]) -> Table:
    table = FigureTable(
        "cost-benefit",
        _("Cost and benefit by region"),
        [Figure(_("Model")), Figure(_("Benefit"), "euro"), Figure(_("Programme cost"), "euro"),
         Figure(_("Net"), "euro"), Figure(_("Persons coached"), "int"),
         Figure(_("Net per participant"), "euro")],
        note=_("Regions whose parameters have not been set are shown without euros."),
    )  # fmt: skip
    for result in report.combined.models:
        table.rows.append([titles[result.model_key or ""], result.benefit, result.cost,
                           result.net, result.coached, result.per_participant])  # fmt: skip
    if len(report.combined.priced) > 1:
        c = report.combined
        table.emphasised.add(len(table.rows))
        table.rows.append([_("Total"), c.benefit, c.cost, c.net, c.coached, c.per_participant])
    return table


def formula(result: cb.Result) -> list[str]:
    """The calculation written out in words and numbers, a line a step."""
    p = result.parameters
    if p is None:
        return []
    lines = [
        _("Benefit = months with wage subsidy × monthly effect with wage subsidy + months "
          "without wage subsidy × monthly effect without it = %(m1)s × %(e1)s + %(m2)s × "
          "%(e2)s = %(benefit)s",
          m1=months(result.months_with_subsidy), e1=euros(p.effect_with_subsidy),
          m2=months(result.months_without_subsidy), e2=euros(p.effect_without_subsidy),
          benefit=euros(result.benefit)),
        _("Programme cost for the period = cost a year × days in the period ÷ 365 = %(cost)s × "
          "%(days)s ÷ 365 = %(total)s",
          cost=euros(p.cost_per_year), days=format_decimal(result.period.days),
          total=euros(result.cost)),
        _("Net = benefit − programme cost = %(benefit)s − %(cost)s = %(net)s",
          benefit=euros(result.benefit), cost=euros(result.cost), net=euros(result.net)),
    ]  # fmt: skip
    if result.coached:
        lines.append(_("Net per participant = net ÷ persons coached = %(net)s ÷ %(coached)s = "
                       "%(each)s", net=euros(result.net), coached=format_decimal(result.coached),
                       each=euros(result.per_participant)))  # fmt: skip
    else:
        lines.append(_("Net per participant: no one's coaching began in the period."))
    return lines


@blueprint.get("/dashboard/cost-benefit")
def cost_benefit_page() -> Any:
    actor = dashboard_actor()
    ctx = polku()
    choices = dashboards.scope_choices(ctx.uow())
    form = read_scope(request.args, choices)
    asked = bool(form.since or form.until)
    if asked:
        for name in ("since", "until"):
            if not getattr(form, name) and name not in form.errors:
                form.errors[name] = [_("Give the date as YYYY-MM-DD.")]
    report = None
    tables: list[Table] = []
    sections: list[dict[str, Any]] = []
    if form.valid and asked:
        report = service.report(ctx.uow(), ctx.clock, actor, form.scope)
        titles = {m.model_key: m.name + (f" ({m.region})" if m.region else "")
                  for m in report.models}  # fmt: skip
        tables.append(_summary(report, titles))
        info = {m.model_key: m for m in report.models}
        for result in report.combined.models:
            key = result.model_key or ""
            inputs = _inputs(result, titles[key])
            tables.append(inputs)
            sections.append({"title": titles[key], "result": result, "inputs": inputs,
                             "set": info[key], "formula": formula(result)})  # fmt: skip
    return download_or(
        tables,
        lambda: (
            render_template(
                "cost_benefit.html",
                form=form,
                choices=choices,
                report=report,
                summary=tables[0] if tables else None,
                sections=sections,
                query=form.query(),
                euros=euros,
            ),
            200 if form.valid else 400,
        ),
    )


FIELDS = ("model_key", "effect_with_subsidy", "effect_without_subsidy", "cost_per_year")


def _parameters_page(errors: dict[str, list[str]] | None = None,
                     values: dict[str, str] | None = None, status: int = 200) -> Any:  # fmt: skip
    actor = dashboard_actor()
    ctx = polku()
    return render_template(
        "cost_benefit_parameters.html",
        models=service.list_parameters(ctx.uow(), actor),
        may_change=access.administers(actor),
        errors=errors or {},
        values=values or {},
        euros=euros,
    ), status


@blueprint.get("/dashboard/cost-benefit/parameters")
def cost_benefit_parameters_page() -> Any:
    return _parameters_page()


@blueprint.post("/dashboard/cost-benefit/parameters")
def cost_benefit_parameters_set() -> Any:
    actor = dashboard_actor()
    ctx = polku()
    values = {name: (request.form.get(name) or "").strip() for name in FIELDS}
    errors: dict[str, list[str]] = {}
    if not values["model_key"]:
        errors["model_key"] = [_("Choose the model.")]
    try:
        service.set_parameters(
            ctx.uow(), ctx.clock, actor, model_key=values["model_key"],
            effect_with_subsidy=values["effect_with_subsidy"],
            effect_without_subsidy=values["effect_without_subsidy"],
            cost_per_year=values["cost_per_year"],
        )  # fmt: skip
    except InvalidInput as exc:
        errors.update({k: v for k, v in labels.messages(exc.errors).items() if k not in errors})
    if errors:
        return _parameters_page(errors, values, 400)
    flash(_("The cost-benefit parameters were saved."), "success")
    return redirect(url_for("ui.cost_benefit_parameters_page"), code=303)
