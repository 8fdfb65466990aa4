"""The designer's page for a model's texts in Swedish and English: every Finnish source text of
the latest version, where it occurs, its translations (missing ones marked); saving makes the
model's next version, validated as every version is."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from engine.errors import InvalidInput
from engine.services import model_texts as service
from engine.workflow.model_texts import TRANSLATED
from web.context import polku
from web.ui import blueprint, labels
from web.ui.designer import _designer, _rejection_problems

MAX_ROWS = 2000  # posted rows read at most

KINDS = {
    "name": _l("name"),
    "documentation": _l("documentation"),
    "title": _l("title"),
    "description": _l("help text"),
    "choice": _l("choice"),
}


def kind_label(kind: str) -> str:
    return str(KINDS.get(kind, kind))


@blueprint.get("/designer/<key>/texts")
def designer_texts(key: str) -> tuple[str, int]:
    return _render(key)


def _render(
    key: str,
    *,
    problems: list[dict[str, Any]] | None = None,
    error: str | None = None,
    status: int = 200,
) -> tuple[str, int]:
    actor = _designer()
    view = service.model_texts_view(polku().uow(), actor, key)
    only_missing = request.args.get("missing") == "1"
    groups: dict[str, list[tuple[int, service.TextRow]]] = {}
    for index, row in enumerate(view.rows):
        if only_missing and not row.missing:
            continue
        groups.setdefault(row.source.group, []).append((index, row))
    return render_template(
        "designer_texts.html",
        key=key,
        view=view,
        groups=groups,
        only_missing=only_missing,
        languages=TRANSLATED,
        kind_label=kind_label,
        problems=problems,
        error=error,
    ), status


@blueprint.post("/designer/<key>/texts")
def designer_texts_save(key: str) -> Response | tuple[str, int]:
    actor = _designer()
    ctx = polku()
    changes: dict[str, dict[str, str]] = {lang: {} for lang in TRANSLATED}
    for index in range(MAX_ROWS):
        source = request.form.get(f"source-{index}")
        if source is None:
            continue
        for lang in TRANSLATED:
            value = request.form.get(f"{lang}-{index}")
            if value is not None:
                changes[lang][source] = value
    if not any(changes.values()):
        return _render(key, error=_("No translations were sent."), status=400)
    try:
        result = service.save_texts(ctx.uow(), ctx.engine, ctx.clock, actor, key, changes)
    except InvalidInput as exc:
        detail = labels.detail(exc.message) or exc.message
        return _render(key, problems=_rejection_problems(exc), error=detail, status=400)
    if result.created:
        flash(_("Saved as version %(number)s.", number=result.version), "success")
    else:
        flash(_("Nothing was changed: no new version was made."), "info")
    missing = "1" if request.args.get("missing") == "1" else None
    return redirect(url_for("ui.designer_texts", key=key, missing=missing))
