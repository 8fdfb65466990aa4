"""Where clients stall: the stall figures per step (as tables, and painted on the diagram),
lead times between milestones, the weekly trend, and the list of stalled clients.

Open to managers, auditors, team coordinators and administrators; the services check again,
and count only the paths of the reader's report scope (`access.report_condition`: their
organisations' paths, and those where their organisation works while the client's consent is in
force). Management roles see no client's name: the stall list shows pseudonyms to them; a
coordinator sees the names of the clients whose paths they may read."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import g, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from engine.analytics import stall_list
from engine.analytics.stalls import MILESTONE_PAIRS
from engine.errors import Forbidden, InvalidInput, NotFound
from engine.services import access, dashboards
from engine.services.access import Actor
from web.context import polku
from web.ui import blueprint, labels
from web.ui.dashboard_charts import box_plot
from web.ui.diagrams import json_error
from web.ui.model_texts import model_text
from web.ui.reports import Column, Link, ScopeForm, Table, bar_chart, download_or, read_scope
from web.ui.team import holder_label

BASE_MODEL = "national"
MILESTONES = {
    "contact": _l("first contact"),
    "team": _l("the team"),
    "plan": _l("plan approved"),
    "first_service": _l("first service"),
    "closed": _l("closing"),
}
STALL_REASONS = {"overdue": _l("Overdue"), "quiet": _l("No events")}
WAITED_FOR = {
    "kela": _l("Kela"),
    "employment": _l("employment services"),
    "pension_insurer": _l("a pension insurer"),
    "calendar": _l("the calendar (a timer)"),
    "other": _l("another party"),
}


def party(code: str | None) -> str | None:
    """Who a wait waits for, in the reader's language (None: a step of the team's own)."""
    return str(WAITED_FOR.get(code, code)) if code else None


def may_see_dashboards(actor: Actor | None) -> bool:
    return actor is not None and access.may_see_dashboards(actor)


@blueprint.app_context_processor
def _dashboard_globals() -> dict[str, Any]:
    return {"may_see_dashboards": may_see_dashboards(g.get("actor"))}


def dashboard_actor() -> Actor:
    actor: Actor = g.actor
    if not may_see_dashboards(actor):
        raise Forbidden(
            "the dashboards are for managers, auditors and team coordinators",
            code="dashboards_refused",
        )
    return actor


def milestone_pair(key: str) -> str:
    first, second = key.split("->")
    return _(
        "From %(first)s to %(second)s",
        first=MILESTONES.get(first, first),
        second=MILESTONES.get(second, second),
    )


def step_table(steps: list[dashboards.stalls.StepStat]) -> Table:
    table = Table(
        "steps",
        _("Clients waiting per step"),
        [
            Column(_("Step")),
            Column(_("Phase")),
            Column(_("Model")),
            Column(_("Region")),
            Column(_("Version"), "int"),
            Column(_("Waiting now"), "int"),
            Column(_("Overdue"), "int"),
            Column(_("Median wait (days)"), "days"),
            Column(_("90th percentile (days)"), "days"),
            Column(_("Oldest wait (days)"), "days"),
            Column(_("Waiting for")),
        ],
        note=_(
            "Waiting time counts calendar days from the moment the step opened; with a period "
            "chosen, the waits that began in it. Waits for a decision from outside the team or "
            "for a timer are rows of their own, with the party waited for."
        ),
    )
    for s in steps:
        table.rows.append(
            [
                model_text(None, s.name),
                labels.phase(s.phase),
                s.model_key,
                s.region,
                s.version,
                s.waiting,
                s.overdue,
                s.median_days,
                s.p90_days,
                s.oldest_days,
                party(s.waited_for),
            ]
        )
    return table


def lead_time_table(lead_times: dict[str, Any]) -> Table:
    table = Table(
        "lead-times",
        _("Lead times between milestones"),
        [
            Column(_("Between")),
            Column(_("Clients"), "int"),
            Column(_("Shortest (days)"), "days"),
            Column(_("25th percentile (days)"), "days"),
            Column(_("Median (days)"), "days"),
            Column(_("75th percentile (days)"), "days"),
            Column(_("90th percentile (days)"), "days"),
            Column(_("Longest (days)"), "days"),
        ],
        note=_("Counted for the paths whose first milestone falls in the chosen period."),
    )
    for first, second in MILESTONE_PAIRS:
        d = lead_times[f"{first}->{second}"]
        table.rows.append(
            [
                milestone_pair(f"{first}->{second}"),
                d.count,
                d.minimum,
                d.p25,
                d.median,
                d.p75,
                d.p90,
                d.maximum,
            ]
        )
    return table


def trend_table(trend: list[dashboards.stalls.WeekRow]) -> Table:
    table = Table(
        "weekly-trend",
        _("Trend by week"),
        [
            Column(_("Week starting"), "date"),
            Column(_("Steps opened"), "int"),
            Column(_("Steps completed"), "int"),
            Column(_("Completed late"), "int"),
        ],
        note=_("Weeks start on Monday, Finnish time; with a period chosen, its weeks."),
    )
    for row in trend:
        table.rows.append(
            [date.fromisoformat(row.week_start), row.opened, row.completed, row.overdue_completed]
        )
    return table


def heat_table(heat: dashboards.Heatmap) -> Table:
    table = Table(
        "diagram-steps",
        _("The figures on the diagram"),
        [
            Column(_("Step on the diagram")),
            Column(_("Waiting now"), "int"),
            Column(_("Overdue"), "int"),
            Column(_("Share overdue"), "percent"),
        ],
    )
    for cell in heat.cells:
        table.rows.append(
            [
                ", ".join(dict.fromkeys(model_text(None, n) for n in cell.names)),
                cell.waiting,
                cell.overdue,
                100 * cell.overdue_share,  # rounded as shown (one decimal)
            ]
        )
    return table


def _scope_form() -> tuple[ScopeForm, list[dashboards.ModelChoice]]:
    choices = dashboards.scope_choices(polku().uow())
    return read_scope(request.args, choices), choices


@blueprint.get("/dashboard")
def dashboard_page() -> Any:
    actor = dashboard_actor()
    ctx = polku()
    form, choices = _scope_form()
    tables: list[Table] = []
    heat = None
    charts: dict[str, Any] = {}
    if form.valid:
        board = dashboards.dashboard(ctx.uow(), ctx.clock, actor, form.scope)
        steps, leads, trend = (
            step_table(board.steps),
            lead_time_table(board.lead_times),
            trend_table(board.trend),
        )
        heat_key = form.scope.model_key or (
            BASE_MODEL if any(c.key == BASE_MODEL for c in choices) else None
        )
        if heat_key is None and choices:
            heat_key = choices[0].key
        if heat_key:
            heat = dashboards.heatmap(
                ctx.uow(), ctx.engine, ctx.clock, actor, heat_key, form.scope.version, form.scope
            )
            tables.append(heat_table(heat))
        tables += [steps, leads, trend]
        charts["weekly-trend"] = bar_chart(
            [(trend.display(trend.columns[0], r[0]), r[1]) for r in trend.rows],
            trend.columns[1],
            trend,
            secondary=[r[2] for r in trend.rows],
        )
        charts["lead-times"] = box_plot(leads)
    return download_or(
        tables,
        lambda: (
            render_template(
                "dashboard.html",
                form=form,
                choices=choices,
                tables={t.key: t for t in tables},
                heat=heat,
                charts=charts,
            ),
            200 if form.valid else 400,
        ),
    )


@blueprint.get("/dashboard/diagram.json")
def dashboard_diagram() -> Response | tuple[Response, int]:
    """The BPMN XML of a model version and the stall figures of its steps (the heatmap)."""
    ctx = polku()
    key = request.args.get("model") or BASE_MODEL
    number = request.args.get("version", type=int)
    try:
        actor = dashboard_actor()
        period = {k: request.args.get(k, "") for k in ("since", "until")}
        form = read_scope(period, [])  # the period; the model and version as given above
        if not form.valid:
            return json_error(400, "; ".join(m for ms in form.errors.values() for m in ms))
        heat = dashboards.heatmap(ctx.uow(), ctx.engine, ctx.clock, actor, key, number, form.scope)
    except NotFound as exc:
        return json_error(404, labels.detail(exc.message) or _("Not found"))
    except Forbidden as exc:
        return json_error(403, labels.detail(exc.message) or _("Access denied"))
    response = jsonify(
        {
            "model_key": heat.model_key,
            "version": heat.version,
            "xml": heat.xml,
            "cells": [
                {
                    "id": c.element_id,
                    "waiting": c.waiting,
                    "overdue": c.overdue,
                    "share": c.overdue_share,
                    "waited_for": c.waited_for,
                    "label": _(
                        "%(waiting)s waiting for: %(party)s, %(overdue)s overdue",
                        waiting=c.waiting,
                        party=party(c.waited_for),
                        overdue=c.overdue,
                    )
                    if c.waited_for
                    else _(
                        "%(waiting)s waiting, %(overdue)s overdue",
                        waiting=c.waiting,
                        overdue=c.overdue,
                    ),
                }  # fmt: skip
                for c in heat.cells
            ],
        }
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.get("/dashboard/stalled")
def stalled_page() -> Any:
    actor = dashboard_actor()
    ctx = polku()
    form, choices = _scope_form()
    quiet_text = (request.args.get("quiet_days") or str(dashboards.DEFAULT_QUIET_DAYS)).strip()
    tables: list[Table] = []
    named = dashboards.sees_names(actor)
    rows: list[Any] = []
    page = None
    start = request.args.get("start", 0, type=int) or 0
    if form.valid:
        try:  # the service checks the number of days
            page = dashboards.stalled(
                ctx.uow(),
                ctx.clock,
                actor,
                form.scope,
                int(quiet_text) if quiet_text.isdigit() else 0,
                offset=max(0, start),
            )
            rows = page.rows
        except InvalidInput as exc:
            form.errors.update(labels.messages(exc.errors))
    if form.valid:
        table = Table(
            "stalled-clients",
            _("Stalled clients"),
            [Column(_("Client"))] * (1 if named else 0)
            + [
                Column(_("Pseudonym")),
                Column(_("Model")),
                Column(_("Open steps")),
                Column(_("Held by")),
                Column(_("Working days over target"), "int"),
                Column(_("Working days without events"), "int"),
                Column(_("Why listed")),
                Column(_("Waiting for")),
            ],
        )
        for r in rows:
            cells: list[Any] = []
            if named:  # a name and a link only where the reader may read the path
                cells.append(
                    Link(r.name, url_for("ui.client_page", client_id=r.client_id))
                    if r.name
                    else None
                )
            cells += [
                r.pseudonym,
                r.model_key,
                "; ".join(model_text(None, step) for step in r.steps),
                "; ".join(holder_label(h) for h in r.held_by),
                r.days_over_target,
                r.quiet_working_days,
                ", ".join(str(STALL_REASONS.get(x, x)) for x in r.reasons),
                "; ".join(party(w) or "" for w in r.waiting_for),
            ]
            table.rows.append(cells)
        tables.append(table)
    return download_or(
        tables,
        lambda: (
            render_template(
                "stalled.html",
                form=form,
                choices=choices,
                quiet_text=quiet_text,
                table=tables[0] if tables else None,
                named=named,
                page=page,
                page_size=stall_list.STALL_PAGE,
            ),
            200 if form.valid else 400,
        ),
    )
