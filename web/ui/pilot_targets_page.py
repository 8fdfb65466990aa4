"""The pilots' client targets (e.g. Eksote's P1+2 15–20, P3 15, P4 40), each tied to its
model: everyone with the dashboards sees them; an administrator sets, changes and removes
them here (engine/services/pilot_targets.py; the API: `/api/v1/pilot-targets`)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.errors import InvalidInput
from engine.services import access, dashboards, pilot_targets
from web.context import polku
from web.ui import blueprint, labels
from web.ui.dashboard import dashboard_actor

FIELDS = ("model_key", "label", "bpmn_id", "group_field", "group_value", "target_min",
          "target_max")  # fmt: skip


def _page(errors: dict[str, list[str]] | None = None, values: dict[str, str] | None = None,
          status: int = 200) -> Any:  # fmt: skip
    actor = dashboard_actor()
    ctx = polku()
    return render_template(
        "pilot_targets.html",
        targets=pilot_targets.list_targets(ctx.uow(), actor),
        choices=dashboards.scope_choices(ctx.uow()),
        may_change=access.administers(actor),
        errors=errors or {},
        values=values or {},
    ), status


@blueprint.get("/dashboard/pilot-targets")
def pilot_targets_page() -> Any:
    return _page()


@blueprint.post("/dashboard/pilot-targets")
def pilot_targets_set() -> Any:
    actor = dashboard_actor()
    ctx = polku()
    values = {name: (request.form.get(name) or "").strip() for name in FIELDS}
    errors: dict[str, list[str]] = {}
    numbers: dict[str, int] = {}
    for name in ("target_min", "target_max"):
        if values[name].isdigit():
            numbers[name] = int(values[name])
        else:
            errors[name] = [_("Give a whole number of clients.")]
    if not values["model_key"]:
        errors["model_key"] = [_("Choose the model.")]
    if not errors:
        try:
            pilot_targets.set_target(
                ctx.uow(), ctx.engine, actor, model_key=values["model_key"],
                label=values["label"], bpmn_id=values["bpmn_id"],
                group_field=values["group_field"], group_value=values["group_value"],
                target_min=numbers["target_min"], target_max=numbers["target_max"],
            )  # fmt: skip
        except InvalidInput as exc:
            errors.update(labels.messages(exc.errors))
    if errors:
        return _page(errors, values, 400)
    flash(_("The pilot target was saved."), "success")
    return redirect(url_for("ui.pilot_targets_page"), code=303)


@blueprint.post("/dashboard/pilot-targets/<int:target_id>/remove")
def pilot_targets_remove(target_id: int) -> Any:
    actor = dashboard_actor()
    pilot_targets.remove_target(polku().uow(), actor, target_id)
    flash(_("The pilot target was removed."), "success")
    return redirect(url_for("ui.pilot_targets_page"), code=303)
