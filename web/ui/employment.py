"""Employment events on a client's path (issue 16 §2): the form on the client page's path
section (`_employment.html`) posts here."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from engine.errors import InvalidInput
from engine.services import employment_events
from web.context import polku
from web.ui import blueprint
from web.ui.client_pages import _actor, _render_client


@blueprint.post("/clients/<int:client_id>/paths/<int:instance_id>/employment")
def record_employment(client_id: int, instance_id: int) -> Response | tuple[str, int]:
    ctx = polku()
    values = {
        name: request.form.get(name, "").strip()
        for name in ("kind", "sector", "started_on", "ended_on")
    }
    values["wage_subsidy"] = "1" if request.form.get("wage_subsidy") else ""
    try:
        employment_events.record_employment(
            ctx.uow(), ctx.clock, _actor(), instance_id, kind=values["kind"],
            sector=values["sector"] or None, wage_subsidy=bool(values["wage_subsidy"]),
            started_on=values["started_on"], ended_on=values["ended_on"] or None,
        )  # fmt: skip
    except InvalidInput as exc:
        key = (instance_id, "employment")
        return _render_client(client_id, forms={key: values}, errors={key: exc.errors})
    flash(_("The employment event was recorded."), "success")
    return redirect(
        url_for("ui.client_page", client_id=client_id, _anchor=f"employment-{instance_id}"),
        code=303,
    )
