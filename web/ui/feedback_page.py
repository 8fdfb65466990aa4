"""The managers' page of client feedback (issue 17 §4): the closing survey's answers by region,
phase and period (mean, count, distribution), never per person; a group of fewer than five
answers says "too few answers". Free texts only for the managers of the owning organisation,
without names and with the month only (engine/services/feedback_report.py)."""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask_babel import gettext as _

from engine.analytics.feedback import MIN_ANSWERS, PERIODS, SCORES
from engine.services import feedback_report
from web.context import polku
from web.ui import blueprint, labels
from web.ui.dashboard import dashboard_actor
from web.ui.reports import Column, Table, download_or


def _period_names() -> dict[str, str]:
    return {"quarter": _("Quarter"), "month": _("Month"), "year": _("Year")}


def feedback_tables(report: feedback_report.FeedbackReport) -> list[Table]:
    too_few = _("too few answers")
    groups = Table(
        key="feedback",
        title=_("Client feedback by region, phase and period"),
        columns=[
            Column(_("Region")),
            Column(_("Phase")),
            Column(_("Period")),
            Column(_("Answers")),  # a count, or "too few answers"
            Column(_("Mean (1–5)"), "ratio"),
            *(Column(_("Score %(score)s", score=s), "int") for s in SCORES),
        ],
        note=_(
            "The answers of the closing survey (1 = not useful at all, 5 = very useful). A group "
            "of fewer than %(num)s answers is not shown.",
            num=MIN_ANSWERS,
        ),
        row_headers=False,
    )
    for g in report.groups:
        head = [g.region or _("No region"), labels.phase(g.phase) if g.phase else "–", g.period]
        if g.too_few:  # neither the count nor the scores of a small group are shown
            groups.rows.append([*head, too_few, None, *(None for _s in SCORES)])
        else:
            scores = [(g.distribution or {}).get(s, 0) for s in SCORES]
            groups.rows.append([*head, str(g.count), g.mean, *scores])
    tables = [groups]
    if report.sees_texts:
        texts = Table(
            key="feedback-texts",
            title=_("What the clients wrote"),
            columns=[Column(_("Month")), Column(_("Region")), Column(_("Feedback"))],
            rows=[[t.month, t.region or _("No region"), t.text] for t in report.texts],
            note=_(
                "The free texts of your own organisation's paths, without names; only the month "
                "is shown."
            ),
            row_headers=False,
        )
        tables.append(texts)
    return tables


@blueprint.get("/dashboard/feedback")
def feedback_page() -> Any:
    actor = dashboard_actor()
    ctx = polku()
    period = request.args.get("period") or "quarter"
    if period not in PERIODS:
        period = "quarter"
    report = feedback_report.feedback_report(ctx.uow(), ctx.clock, actor, period)
    tables = feedback_tables(report)
    return download_or(
        tables,
        lambda: render_template(
            "feedback.html",
            report=report,
            tables=tables,
            periods=[(p, _period_names()[p]) for p in PERIODS],
            query={"period": period},
        ),
    )
