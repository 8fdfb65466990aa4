"""Conformance to the national reference path: fitness per region and model version, the
deviations with their effect on lead time, the variants, and the figures per phase painted
on a model's diagram (`/dashboard/conformance`, its diagram's JSON, and CSV downloads).

For whoever may open the dashboards; the services count only the paths of the reader's report
scope. Aggregates only: no client is shown."""

from __future__ import annotations

from typing import Any

from flask import jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from engine.analytics import conformance as figures
from engine.errors import Forbidden, NotFound
from engine.services import conformance
from web.context import polku
from web.ui import blueprint, labels
from web.ui.dashboard import BASE_MODEL, _scope_form, dashboard_actor
from web.ui.diagrams import json_error
from web.ui.reports import Column, Table, download_or, read_scope

DEVIATION_NAMES = {
    "skipped": _l("Phase skipped"),
    "repeated": _l("Phase repeated"),
    "out_of_order": _l("Phase out of order"),
    "ended_early": _l("Ended early"),
}


def sequence_text(phases: tuple[str, ...]) -> str:
    return " → ".join(labels.phase(p) for p in phases) if phases else "–"


def percent(share: float | None) -> float | None:
    return None if share is None else 100 * share  # rounded as shown (one decimal)


def tables(result: figures.Conformance) -> list[Table]:
    fitness = Table(
        "conformance-fitness",
        _("Fitness by region and version"),
        [
            Column(_("Model")),
            Column(_("Region")),
            Column(_("Version"), "int"),
            Column(_("Closed paths"), "int"),
            Column(_("In the reference order"), "int"),
            Column(_("Fitness"), "percent"),
        ],
        note=_(
            "Fitness is the share of the closed paths that passed the five phases of the "
            "national path once each, in order. With a period chosen: the paths closed in it."
        ),
    )
    for g in result.groups:
        fitness.rows.append(
            [g.model_key, g.region, g.version, g.paths, g.fitting, percent(g.fitness)]
        )
    fitness.rows.append(
        [_("All"), None, None, result.paths, result.fitting, percent(result.fitness)]
    )
    fitness.emphasised.add(len(fitness.rows) - 1)
    deviations = Table(
        "conformance-deviations",
        _("Deviations from the reference path"),
        [
            Column(_("Deviation")),
            Column(_("Paths"), "int"),
            Column(_("Phases concerned")),
            Column(_("Median lead time with it (days)"), "days"),
            Column(_("Median lead time without it (days)"), "days"),
        ],
        note=_("Lead time counts calendar days from the start of the path to its closing."),
    )
    for d in result.deviations:
        concerned = ", ".join(f"{labels.phase(p)} {n}" for p, n in d.by_phase.items())
        deviations.rows.append(
            [
                str(DEVIATION_NAMES[d.deviation]),
                d.paths,
                concerned,
                d.median_with,
                d.median_without,
            ]
        )
    variants = Table(
        "conformance-variants",
        _("Variants: the phase sequences"),
        [
            Column(_("Phases in the order passed")),
            Column(_("Paths"), "int"),
            Column(_("Share"), "percent"),
            Column(_("Follows the reference")),
            Column(_("Median lead time (days)"), "days"),
        ],
    )
    for v in result.variants:
        variants.rows.append(
            [
                sequence_text(v.phases),
                v.paths,
                percent(v.share),
                _("Yes") if v.fits else _("No"),
                v.median_days,
            ]
        )
    return [fitness, deviations, variants, phase_table(result.phases)]


def phase_table(phases: list[figures.PhaseRow]) -> Table:
    table = Table(
        "conformance-phases",
        _("Phase by phase"),
        [
            Column(_("Phase")),
            Column(_("Paths through it"), "int"),
            *(Column(str(DEVIATION_NAMES[d]), "int") for d in figures.DEVIATIONS),
        ],
    )
    for row in phases:
        table.rows.append(
            [labels.phase(row.phase), row.reached, *(row.counts[d] for d in figures.DEVIATIONS)]
        )
    return table


@blueprint.get("/dashboard/conformance")
def conformance_page() -> Any:
    actor = dashboard_actor()
    ctx = polku()
    form, choices = _scope_form()
    found: list[Table] = []
    result = None
    diagram_key = form.model or (BASE_MODEL if any(c.key == BASE_MODEL for c in choices) else None)
    if form.valid:
        result = conformance.report(ctx.uow(), ctx.clock, actor, form.scope)
        found = tables(result)
    diagram_name = next((c.name for c in choices if c.key == diagram_key), diagram_key)
    return download_or(
        found,
        lambda: (
            render_template(
                "conformance.html",
                form=form,
                choices=choices,
                tables={t.key: t for t in found},
                result=result,
                diagram_key=diagram_key,
                diagram_name=diagram_name,
            ),
            200 if form.valid else 400,
        ),
    )


def badge_label(cell: conformance.PhaseCell) -> str:
    counts = cell.row.counts
    return _(
        "%(phase)s: %(skipped)s skipped, %(repeated)s repeated, %(out_of_order)s out of "
        "order, %(ended)s ended before it (of %(paths)s)",
        phase=labels.phase(cell.phase),
        skipped=counts["skipped"],
        repeated=counts["repeated"],
        out_of_order=counts["out_of_order"],
        ended=counts["ended_early"],
        paths=cell.paths,
    )


@blueprint.get("/dashboard/conformance/diagram.json")
def conformance_diagram() -> Response | tuple[Response, int]:
    """The BPMN XML of a model version and its closed paths' conformance per phase."""
    ctx = polku()
    key = request.args.get("model") or BASE_MODEL
    number = request.args.get("version", type=int)
    try:
        actor = dashboard_actor()
        period = {k: request.args.get(k, "") for k in ("since", "until")}
        form = read_scope(period, [])
        if not form.valid:
            return json_error(400, "; ".join(m for ms in form.errors.values() for m in ms))
        found = conformance.diagram(
            ctx.uow(), ctx.engine, ctx.clock, actor, key, number, form.scope
        )
    except NotFound as exc:
        return json_error(404, labels.detail(exc.message) or _("Not found"))
    except Forbidden as exc:
        return json_error(403, labels.detail(exc.message) or _("Access denied"))
    response = jsonify(
        {
            "model_key": found.model_key,
            "version": found.version,
            "xml": found.xml,
            "paths": found.paths,
            "cells": [
                {
                    "id": c.element_id,
                    "phase": c.phase,
                    "share": c.share,
                    "label": badge_label(c) if c.first else "",
                }
                for c in found.cells
            ],
        }
    )
    response.headers["Cache-Control"] = "no-store"
    return response
