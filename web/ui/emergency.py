"""Emergency access in the browser: the offer on a refused client page or plan, the form that
opens a path with a reason, the banner's data, and the supervisors' review page."""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from engine.errors import InvalidInput
from engine.services import access, emergency_access
from engine.services.access import Actor
from engine.services.emergency_access import Opening
from web.context import polku
from web.ui import blueprint, labels

FormErrors = dict[str, list[str]]
# The pages whose refusal offers emergency access, and the argument that names the client's
# path or the client.
OFFERED_ON = {"ui.client_page": "client_id", "ui.plan_page": "instance_id"}
SUPERVISOR_ROLE = access.SUPERVISOR_ROLE


def _actor() -> Actor:
    actor: Actor = g.actor
    return actor


def _field_messages(errors: FormErrors) -> FormErrors:
    """The service's field messages in the reader's language (by their codes)."""
    return labels.messages(errors)


@blueprint.app_template_global()
def emergency_offer() -> str | None:
    """On a refused client page or plan: the address of the emergency-access form, when the
    reader may open one of the client's paths in an emergency."""
    actor: Actor | None = g.get("actor")
    argument = OFFERED_ON.get(request.endpoint or "")
    value = (request.view_args or {}).get(argument or "")
    if actor is None or argument is None or not isinstance(value, int):
        return None
    ctx = polku()
    found = emergency_access.openable_paths(ctx.uow(), ctx.clock, actor, **{argument: value})
    return url_for("ui.emergency_form", client_id=found[0].client_id) if found else None


@blueprint.app_template_global()
def emergency_opening(instance_id: int) -> Opening | None:
    """The reader's own emergency opening of the path, for the banner on the client page."""
    actor: Actor | None = g.get("actor")
    if actor is None:
        return None
    ctx = polku()
    return emergency_access.current_opening(ctx.uow(), ctx.clock, actor, instance_id)


@blueprint.app_context_processor
def _emergency_globals() -> dict[str, Any]:
    actor: Actor | None = g.get("actor")
    supervises = actor is not None and access.supervises_emergency_access(actor)
    return {"supervises_emergency_access": supervises}


# ---------------------------------------------------------------- opening a path


@blueprint.get("/clients/<int:client_id>/emergency")
def emergency_form(client_id: int) -> tuple[str, int]:
    return _render_form(client_id=client_id)


@blueprint.post("/paths/<int:instance_id>/emergency")
def open_emergency(instance_id: int) -> Response | tuple[str, int]:
    ctx, actor = polku(), _actor()
    found = emergency_access.require_openable(ctx.uow(), ctx.clock, actor, instance_id=instance_id)
    client_id = found[0].client_id
    values = {"reason": request.form.get("reason", "").strip()}
    try:
        emergency_access.open_emergency_access(
            ctx.uow(), ctx.clock, actor, instance_id, values["reason"]
        )
    except InvalidInput as exc:
        return _render_form(
            client_id=client_id, values={instance_id: values}, errors={instance_id: exc.errors}
        )
    flash(
        _("The path was opened in an emergency. The opening is logged and your supervisor "
          "reviews it."),
        "success",
    )  # fmt: skip
    return redirect(url_for("ui.client_page", client_id=client_id, _anchor=f"path-{instance_id}"))


def _render_form(
    *,
    client_id: int,
    values: dict[int, dict[str, str]] | None = None,
    errors: dict[int, FormErrors] | None = None,
) -> tuple[str, int]:
    ctx = polku()
    found = emergency_access.require_openable(ctx.uow(), ctx.clock, _actor(), client_id=client_id)
    return render_template(
        "emergency_open.html",
        client_id=client_id,
        paths=found,
        hours=access.EMERGENCY_HOURS,
        values=values or {},
        errors={k: _field_messages(v) for k, v in (errors or {}).items()},
    ), 400 if errors else 200


# ---------------------------------------------------------------- the supervisors' review


@blueprint.get("/emergency-access")
def emergency_reviews() -> tuple[str, int]:
    return _render_reviews()


@blueprint.post("/emergency-access/<int:access_id>/review")
def review_emergency(access_id: int) -> Response | tuple[str, int]:
    ctx = polku()
    values = {"note": request.form.get("note", "").strip()}
    try:
        emergency_access.review(ctx.uow(), ctx.clock, _actor(), access_id, values["note"])
    except InvalidInput as exc:
        return _render_reviews(values={access_id: values}, errors={access_id: exc.errors})
    flash(_("The emergency opening was marked reviewed."), "success")
    shown = request.form.get("reviewed") == "1"
    return redirect(url_for("ui.emergency_reviews", reviewed="1" if shown else None))


def _render_reviews(
    *,
    values: dict[int, dict[str, str]] | None = None,
    errors: dict[int, FormErrors] | None = None,
) -> tuple[str, int]:
    ctx = polku()
    show_reviewed = request.values.get("reviewed") == "1"
    items = emergency_access.reviews(ctx.uow(), ctx.clock, _actor(), show_reviewed)
    return render_template(
        "emergency_reviews.html",
        open_items=[o for o in items if not o.reviewed],
        reviewed_items=[o for o in items if o.reviewed],
        show_reviewed=show_reviewed,
        values=values or {},
        errors={k: _field_messages(v) for k, v in (errors or {}).items()},
    ), 400 if errors else 200
