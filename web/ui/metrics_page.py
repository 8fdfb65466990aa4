"""The pilots' own outcome metrics (DOMAIN.md §4) as tables and charts, each table also as CSV;
for Polku's own history (by region, period and model version) or for an imported data set."""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask_babel import gettext as _

from engine.analytics import metrics as pilot
from engine.services import dashboards
from web.context import polku
from web.ui import blueprint, labels
from web.ui.dashboard import dashboard_actor
from web.ui.reports import Column, Table, bar_chart, download_or, read_scope

# The Rovaniemi onward-referral table: each sector without and with wage subsidy, then the
# sector's total; then apprenticeship, work trial and study.
SECTORS = (
    ("employment_company", "employment_company_wage_subsidy"),
    ("employment_city", "employment_city_wage_subsidy"),
    ("employment_third_sector", "employment_third_sector_wage_subsidy"),
)
SECTOR_TOTALS = {
    "employment_company": lambda: _("Total to companies"),
    "employment_city": lambda: _("Total to the city"),
    "employment_third_sector": lambda: _("Total to the third sector"),
}
OTHER_REFERRALS = ("apprenticeship", "work_trial", "study")


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _ratio_row(title: str, ratio: pilot.Ratio) -> list[Any]:
    return [title, ratio.numerator, ratio.denominator, _percent(ratio.numerator, ratio.denominator)]


def clients_table(m: pilot.Metrics, imported: bool) -> Table:
    table = Table(
        "clients",
        _("Clients, enrolment and coverage"),
        [
            Column(_("Measure")),
            Column(_("Clients"), "int"),
            Column(_("Of"), "int"),
            Column(_("Share"), "percent"),
        ],  # fmt: skip
        note=_(
            "Contacted: every client whose path started. Enrolled: those referred to the "
            "work ability support team (Iisalmi counted 69 contacted, 40 enrolled)."
        ),
    )
    table.rows.append([_("Contacted"), m.contacted, None, None])
    table.rows.append(
        [_("Enrolled in the team"), m.enrolled, m.contacted, _percent(m.enrolled, m.contacted)]
    )
    table.rows.append(_ratio_row(_("Enrolled with a support plan"), m.plan_coverage))
    if not imported:
        table.rows.append(_ratio_row(_("Enrolled with a named case manager"),
                                     m.case_manager_coverage))  # fmt: skip
    return table


def employment_table(m: pilot.Metrics) -> Table:
    table = Table(
        "employment",
        _("Coaching and employment"),
        [
            Column(_("Measure")),
            Column(_("Number"), "int"),
            Column(_("Persons coached"), "int"),
            Column(_("Rate"), "ratio"),
        ],  # fmt: skip
        note=_(
            "Employment rate: persons with at least one employment started ÷ persons coached. "
            "Employment-relationship rate: relationships ÷ persons coached (it can exceed 1)."
        ),
    )
    table.rows.append([_("Persons coached"), m.coached, None, None])
    table.rows.append([_("Persons employed"), m.employed, m.coached, m.employment_rate.value])
    table.rows.append(
        [_("Employment relationships"), m.relationships, m.coached, m.relationship_rate.value]
    )
    return table


def referral_table(m: pilot.Metrics) -> Table:
    counts = {r.category: r.count for r in m.referrals}
    total = sum(counts.values())
    table = Table(
        "onward-referrals",
        _("Onward referral"),
        [Column(_("Onward referral")), Column(_("Persons"), "int"), Column("%", "percent")],
        note=_("Percentages of all onward referrals, laid out as in the Rovaniemi pilot's table."),
    )
    for plain, subsidised in SECTORS:
        table.rows.append(
            [labels.outcome(plain), counts.get(plain, 0), _percent(counts.get(plain, 0), total)]
        )
        table.rows.append(
            [_("with wage subsidy"), counts.get(subsidised, 0),
             _percent(counts.get(subsidised, 0), total)]
        )  # fmt: skip
        both = counts.get(plain, 0) + counts.get(subsidised, 0)
        table.emphasised.add(len(table.rows))
        table.rows.append([SECTOR_TOTALS[plain](), both, _percent(both, total)])
    for code in OTHER_REFERRALS:
        table.rows.append([labels.outcome(code), counts.get(code, 0),
                           _percent(counts.get(code, 0), total)])  # fmt: skip
    table.emphasised.add(len(table.rows))
    table.rows.append([_("All onward referrals"), total, 100.0 if total else None])
    return table


def consultation_table(m: pilot.Metrics) -> Table:
    table = Table(
        "consultation-hour",
        _("Consultation hour"),
        [Column(_("Measure")), Column(_("Number"), "ratio")],
        note=_("Sessions are the days on which the consultation hour discussed at least one case."),
    )
    table.rows += [
        [_("Sessions"), m.consultation_sessions],
        [_("Cases discussed"), m.consultation_cases],
        [_("Cases per session"), m.cases_per_session],
    ]
    return table


def kykyviisari_table(m: pilot.Metrics) -> Table:
    change = m.kykyviisari
    table = Table(
        "kykyviisari",
        _("Kykyviisari: change in work ability"),
        [Column(_("Measure")), Column(_("Value"), "ratio")],
        note=_(
            "Change between each client's first and latest work ability score (0–10), "
            "for clients who answered at least twice."
        ),
    )
    table.rows += [
        [_("Clients who answered at least twice"), change.clients],
        [_("Improved"), change.improved],
        [_("Unchanged"), change.unchanged],
        [_("Worsened"), change.worsened],
        [_("Mean change (points)"), m.kykyviisari_mean_change],
    ]
    return table


def targets_table(m: pilot.Metrics) -> Table:
    table = Table(
        "targets",
        _("Targets and actual clients per pilot"),
        [
            Column(_("Pilot")),
            Column(_("Model")),
            Column(_("Target, at least"), "int"),
            Column(_("Target, at most"), "int"),
            Column(_("Actual clients"), "int"),
            Column(_("Of the target"), "percent"),
        ],  # fmt: skip
        note=_("As the Eksote pilots reported them: the clients each pilot aimed at and reached."),
    )
    for t in m.targets:
        table.rows.append(
            [t.label, t.model_key, t.target_min, t.target_max, t.actual,
             _percent(t.actual, t.target_min)]
        )  # fmt: skip
    return table


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
            tables = [clients_table(result, True), referral_table(result)]
        else:
            result = dashboards.pilot_metrics(ctx.uow(), ctx.clock, actor, form.scope)
            tables = [
                clients_table(result, False),
                employment_table(result),
                referral_table(result),
                consultation_table(result),
                kykyviisari_table(result),
                targets_table(result),
            ]
        by_key = {t.key: t for t in tables}
        referrals = by_key["onward-referrals"]
        charts["onward-referrals"] = bar_chart(
            [(labels.outcome(r.category), r.count) for r in result.referrals],
            referrals.columns[1],
            referrals,
        )
        if "targets" in by_key:
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
