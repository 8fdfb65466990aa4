"""The pilots' own outcome metrics (DOMAIN.md §4) as tables and charts, each table also as CSV;
for Polku's own history (by region, period and model version) or for an imported data set,
computed by the same definitions (engine/analytics/pilot_metrics.py). The tables and the
cohort rules beside each figure: web/ui/metrics_tables.py."""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask_babel import gettext as _

from engine.services import dashboards
from web.context import polku
from web.ui import blueprint, labels
from web.ui.dashboard import dashboard_actor
from web.ui.metrics_tables import all_tables
from web.ui.reports import Table, bar_chart, download_or, read_scope


@blueprint.get("/dashboard/metrics")
def metrics_page() -> Any:
    actor = dashboard_actor()
    ctx = polku()
    choices = dashboards.scope_choices(ctx.uow())
    datasets = dashboards.list_datasets(ctx.uow(), actor)
    dataset = None
    form = read_scope(request.args, choices)
    dataset_text = (request.args.get("dataset") or "").strip()
    if dataset_text:
        dataset = next((d for d in datasets if str(d.id) == dataset_text), None)
        if dataset is None:
            form.errors["dataset"] = [_("There is no such imported data set.")]
    tables: list[Table] = []
    charts: dict[str, Any] = {}
    if form.valid:
        if dataset is not None:
            result = dashboards.imported_metrics(ctx.uow(), ctx.engine, actor, dataset.id)
        else:
            result = dashboards.pilot_metrics(ctx.uow(), ctx.clock, actor, form.scope)
        tables = all_tables(result)
        by_key = {t.key: t for t in tables}
        referrals = by_key["onward-referrals"]
        charts["onward-referrals"] = bar_chart(
            [(labels.outcome(r.category), r.count) for r in result.referrals],
            referrals.columns[1],
            referrals,
        )
        targets = by_key["targets"]
        charts["targets"] = bar_chart(
            [(r[0], r[4]) for r in targets.rows],
            targets.columns[4],
            targets,
            secondary=[r[3] for r in targets.rows],
        )
    query = form.query(dataset=dataset.id if dataset else None)
    return download_or(
        tables,
        lambda: (
            render_template(
                "metrics.html",
                form=form,
                choices=choices,
                datasets=datasets,
                dataset=dataset,
                tables={t.key: t for t in tables},
                order=[t.key for t in tables],
                charts=charts,
                query=query,
            ),
            200 if form.valid else 400,
        ),
    )
