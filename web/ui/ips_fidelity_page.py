"""The team's IPS fidelity self-assessment (IPS-25): each round's total and its 25 items over
time (tables, each also as CSV), and the form to enter a round (engine/services/ips_fidelity.py;
the API: `/api/v1/ips-fidelity`)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.errors import InvalidInput
from engine.services import dashboards, ips_fidelity
from web.context import polku
from web.ui import blueprint, format_day, labels
from web.ui.dashboard import dashboard_actor
from web.ui.reports import Column, Table, download_or


def tables(rounds: list[ips_fidelity.FidelityRound]) -> list[Table]:
    totals = Table(
        "ips-fidelity-totals",
        _("IPS fidelity: the total of each round"),
        [
            Column(_("Assessed")),
            Column(_("Model")),
            Column(_("Total (25–125)"), "int"),
            Column(_("Mean per item"), "ratio"),
        ],  # fmt: skip
        note=_("The team's own assessment, 25 items scored 1–5 each, round by round."),
    )
    items = Table(
        "ips-fidelity-items",
        _("IPS fidelity: the items over time"),
        [Column(_("Item")), *(Column(format_day(r.assessed_on), "int") for r in rounds)],
    )
    for r in rounds:
        totals.rows.append([format_day(r.assessed_on), r.model_key, r.total,
                            round(r.total / ips_fidelity.ITEMS, 2)])  # fmt: skip
    for number in range(ips_fidelity.ITEMS):
        items.rows.append(
            [_("Item %(number)s", number=number + 1), *(r.scores[number] for r in rounds)]
        )
    return [totals, items]


def _page(errors: dict[str, list[str]] | None = None, values: dict[str, Any] | None = None,
          status: int = 200) -> Any:  # fmt: skip
    actor = dashboard_actor()
    ctx = polku()
    model = request.args.get("model") or None
    found = tables(ips_fidelity.list_rounds(ctx.uow(), actor, model))
    return download_or(
        found,
        lambda: (
            render_template(
                "ips_fidelity.html", tables=found, model=model, items=ips_fidelity.ITEMS,
                choices=dashboards.scope_choices(ctx.uow()), errors=errors or {},
                values=values or {},
            ),
            status,
        ),
    )  # fmt: skip


@blueprint.get("/dashboard/ips-fidelity")
def ips_fidelity_page() -> Any:
    return _page()


@blueprint.post("/dashboard/ips-fidelity")
def ips_fidelity_record() -> Any:
    actor = dashboard_actor()
    ctx = polku()
    values: dict[str, Any] = {k: (request.form.get(k) or "").strip()
                              for k in ("model_key", "assessed_on")}  # fmt: skip
    texts = [(request.form.get(f"item_{n}") or "").strip() for n in range(ips_fidelity.ITEMS)]
    values["items"] = texts
    scores = [int(t) if t.isdigit() else -1 for t in texts]
    try:
        ips_fidelity.record_round(
            ctx.uow(), ctx.clock, actor, model_key=values["model_key"],
            assessed_on=values["assessed_on"], scores=scores,
        )  # fmt: skip
    except InvalidInput as exc:
        return _page(labels.messages(exc.errors), values, 400)
    flash(_("The fidelity round was saved."), "success")
    return redirect(url_for("ui.ips_fidelity_page", model=values["model_key"]), code=303)
