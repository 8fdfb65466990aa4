"""Starting a path from a form: on the client list (the client found with the list's search)
or on the client's page. No model is chosen in advance. When the client already has a running
path of the same model the engine refuses a second one (`Conflict`, code `duplicate_path`);
the form says so and, if the access policy lets the reader, asks for a reason to start it
anyway."""

from __future__ import annotations

from datetime import date

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from engine.errors import InvalidInput
from engine.services import duplicates, instances
from web.context import polku
from web.ui import blueprint, format_day
from web.ui.client_pages import FormErrors, _actor, _render_client, _render_clients

START_FORM = (0, "start")  # the start form's key among the client page's forms
REASON_MAX = duplicates.REASON_MAX


@blueprint.post("/paths")
def start_path() -> Response | tuple[str, int]:
    ctx = polku()
    client_id = request.form.get("client_id", type=int)
    model_key = request.form.get("process", "").strip()
    organisation = request.form.get("organisation", "").strip() or None
    reason = request.form.get("override_reason", "").strip()
    on_client_page = request.form.get("from") == "client" and client_id is not None
    values = {k: v for k, v in request.form.items() if k != "csrf_token"}
    errors: FormErrors = {}
    if client_id is None:
        errors["client_id"] = [_("Choose a client.")]
    if not model_key:
        errors["process"] = [_("Choose a model.")]
    if len(reason) > REASON_MAX:
        errors["override_reason"] = [_("The text is too long.")]
    if errors or client_id is None:
        return _refused(on_client_page, client_id, values, errors, 400)
    try:
        instance_id = instances.start_instance(
            ctx.uow(), ctx.engine, ctx.clock, _actor(), client_id, model_key, organisation,
            override_reason=reason or None,
        )  # fmt: skip
    except duplicates.DuplicatePath as exc:
        values["duplicate"] = "1"
        if exc.started_on is None:  # another organisation's path: no date for this reader
            message = _(
                "The client already has a running path “%(model)s”. A second one of the same "
                "model is started only for a reason.",
                model=exc.model_name,
            )
        else:
            message = _(
                "The client already has a running path “%(model)s” (started %(day)s). A second "
                "one of the same model is started only for a reason.",
                model=exc.model_name, day=format_day(date.fromisoformat(exc.started_on)),
            )  # fmt: skip
        if exc.may_override:
            values["may_override"] = "1"
            message += " " + _("Give the reason to start another one anyway.")
            return _refused(on_client_page, client_id, values, {"override_reason": [message]}, 409)
        message += " " + _("Only a coordinator may start a second one.")
        return _refused(on_client_page, client_id, values, {"process": [message]}, 409)
    except InvalidInput as exc:
        return _refused(on_client_page, client_id, values, exc.errors, 400)
    flash(_("The path was started."), "success")
    return redirect(url_for("ui.client_page", client_id=client_id, _anchor=f"path-{instance_id}"))


def _refused(
    on_client_page: bool,
    client_id: int | None,
    values: dict[str, str],
    errors: FormErrors,
    status: int,
) -> tuple[str, int]:
    if on_client_page and client_id is not None:
        return _render_client(
            client_id, forms={START_FORM: values}, errors={START_FORM: errors}, status=status
        )
    return _render_clients(start_values=values, start_errors=errors, status=status)
