"""Notes on a path between colleagues: the form on the client page (`_notes.html`)."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from engine.errors import InvalidInput
from engine.services import path_notes
from web.context import polku
from web.ui import blueprint
from web.ui.client_pages import _actor, _render_client


@blueprint.post("/clients/<int:client_id>/paths/<int:instance_id>/notes")
def add_note(client_id: int, instance_id: int) -> Response | tuple[str, int]:
    ctx = polku()
    values = {
        "text": request.form.get("text", ""),
        "visibility": request.form.get("visibility", "").strip() or path_notes.DEFAULT_VISIBILITY,
    }
    try:
        path_notes.add_note(
            ctx.uow(), ctx.clock, _actor(), instance_id, values["text"], values["visibility"]
        )
    except InvalidInput as exc:
        key = (instance_id, "note")
        return _render_client(client_id, forms={key: values}, errors={key: exc.errors})
    flash(_("The note was added."), "success")
    return redirect(
        url_for("ui.client_page", client_id=client_id, _anchor=f"notes-{instance_id}"), code=303
    )
