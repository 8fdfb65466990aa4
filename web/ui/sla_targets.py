"""Service-level targets in working days: everyone with the dashboards sees them; an
administrator sets, changes and removes them here, without a deploy. Open steps' due dates
follow at once."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from engine.errors import InvalidInput
from engine.services import access, dashboards, sla
from engine.workflow.loader import PHASES
from web.context import polku
from web.ui import blueprint, labels, person
from web.ui.dashboard import dashboard_actor
from web.ui.model_texts import model_text
from web.ui.reports import Column, Table, download_or

FIELDS = ("model_key", "target", "working_days")


BASE_MODEL = "national"


def all_steps(names: dict[str, dict[str, str]]) -> dict[str, str]:
    """One name per step id, the national path's first, sorted by name."""
    merged: dict[str, str] = {}
    for key in sorted(names, key=lambda k: (k != BASE_MODEL, k)):
        for bpmn_id, name in names[key].items():
            merged.setdefault(bpmn_id, name)
    return dict(sorted(merged.items(), key=lambda item: item[1].casefold()))


def targets_table(targets: list[Any], names: dict[str, dict[str, str]]) -> Table:
    steps = all_steps(names)
    table = Table(
        "service-level-targets",
        _("Targets in force"),
        [
            Column(_("Applies to")),
            Column(_("Step or phase")),
            Column(_("Working days"), "int"),
            Column(_("Changed by")),
            Column(_("Changed")),
        ],  # fmt: skip
        note=_(
            "A step's own target comes first, then its phase's; a model's target comes before "
            "the one for every model. Working days leave out weekends and Finnish public holidays."
        ),
        row_headers=False,
    )
    for t in targets:
        table.rows.append(
            [
                t.model_key or _("Every model"),
                _(
                    "Step: %(name)s",
                    name=model_text(
                        None, names.get(t.model_key or "", steps).get(t.bpmn_id, t.bpmn_id)
                    ),
                )
                if t.bpmn_id
                else _("Phase: %(name)s", name=labels.phase(t.phase)),
                t.working_days,
                person(t.updated_by),
                t.updated_at.date().isoformat(),
            ]
        )
    return table


def _page(errors: dict[str, list[str]] | None = None, values: dict[str, str] | None = None,
          status: int = 200) -> Any:  # fmt: skip
    actor = dashboard_actor()
    ctx = polku()
    names = sla.step_names(ctx.uow(), ctx.engine)
    steps = all_steps(names)
    raw = sla.list_targets(ctx.uow())
    table = targets_table(raw, names)
    return download_or(
        [table],
        lambda: (
            render_template(
                "sla_targets.html",
                table=table,
                targets=raw,
                steps=steps,
                phases=PHASES,
                choices=dashboards.scope_choices(ctx.uow()),
                may_change=access.administers(actor),
                errors=errors or {},
                values=values or {},
            ),
            status,
        ),
    )


@blueprint.get("/dashboard/targets")
def sla_targets_page() -> Any:
    return _page()


def _target_fields(target: str) -> tuple[str | None, str | None]:
    """The form's one "step or phase" choice ("step:<id>" or "phase:<code>") as two fields."""
    kind, _sep, code = target.partition(":")
    if kind == "step" and code:
        return code, None
    if kind == "phase" and code:
        return None, code
    return None, None


@blueprint.post("/dashboard/targets")
def sla_targets_set() -> Any:
    actor = dashboard_actor()
    ctx = polku()
    values = {name: (request.form.get(name) or "").strip() for name in FIELDS}
    remove = request.form.get("action") == "remove"
    bpmn_id, phase = _target_fields(values["target"])
    days_text = values["working_days"]
    errors: dict[str, list[str]] = {}
    if not values["target"] or (bpmn_id, phase) == (None, None):
        errors["target"] = [_("Choose a step or a phase.")]
    days: int | None = None
    if not remove:
        if not days_text.isdigit():
            errors["working_days"] = [_("Give a whole number of working days from 0 to 365.")]
        else:
            days = int(days_text)
    if not errors:
        try:
            sla.set_target(
                ctx.uow(), ctx.clock, actor, model_key=values["model_key"] or None,
                bpmn_id=bpmn_id, phase=phase, working_days=days,
            )  # fmt: skip
        except InvalidInput as exc:
            for name, messages in labels.messages(exc.errors).items():
                field = "target" if name in ("bpmn_id", "phase") else name
                errors.setdefault(field if field in FIELDS else "target", []).extend(messages)
    if errors:
        return _page(errors, values, 400)
    flash(_("The target was removed.") if remove else _("The target was saved."), "success")
    return redirect(url_for("ui.sla_targets_page"))


@blueprint.app_template_global()
def sla_target_value(target: Any) -> str:
    """A target's "step or phase" as the form sends it."""
    return f"step:{target.bpmn_id}" if target.bpmn_id else f"phase:{target.phase}"
