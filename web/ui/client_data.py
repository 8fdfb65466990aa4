"""Everything kept of a client, for the client (GDPR art. 15 and 20): a readable, printable
document (`/clients/<id>/export`) and the same as a JSON download (`/clients/<id>/export.json`).
Both are one export of `engine/services/client_export.py`, logged as a disclosure; the link on
the client page shows when the access policy would allow it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Response, g, render_template

from engine.services import client_export
from engine.services.access import Actor
from web.context import polku
from web.ui import blueprint, format_when
from web.ui.documents import Item, Section, item, plan_sections
from web.ui.model_texts import model_form


@dataclass
class SubmissionDocument:
    submission: dict[str, Any]
    items: list[Item]


@dataclass
class RevisionDocument:
    revision: dict[str, Any]
    sections: list[Section]


@dataclass
class PathDocument:
    path: dict[str, Any]
    submissions: list[SubmissionDocument] = field(default_factory=list)
    revisions: list[RevisionDocument] = field(default_factory=list)
    drafts: list[SubmissionDocument] = field(default_factory=list)


def _actor() -> Actor:
    actor: Actor = g.actor
    return actor


@blueprint.app_template_filter("iso_when")
def iso_when(value: str | None) -> str:
    """An exported (ISO 8601) moment in the reader's language and time zone."""
    return format_when(datetime.fromisoformat(value)) if value else ""


def _answers(form: Mapping[str, Any] | None, data: Mapping[str, Any]) -> list[Item]:
    """Every answer under its label: the form's fields in its order, then anything else."""
    props: Mapping[str, Any] = (form or {}).get("properties") or {}
    keys = [k for k in props if k in data] + [k for k in data if k not in props]
    return [item(k, props.get(k) or {}, data.get(k)) for k in keys]


def _documents(export: dict[str, Any]) -> list[PathDocument]:
    # the forms' labels and choices in the reader's language (the JSON download stays as stored)
    forms: dict[str, Any] = {
        name: model_form(None, form) if isinstance(form, dict) else form
        for name, form in export["forms"].items()
    }
    result = []
    for path in export["paths"]:
        document = PathDocument(path)
        for s in path["submissions"]:
            form = forms.get(s["form"] or "")
            document.submissions.append(SubmissionDocument(s, _answers(form, s["data"])))
        for r in path["plan_revisions"]:
            form = forms.get(r["form"] or "")
            document.revisions.append(RevisionDocument(r, plan_sections(form, r["data"])))
        for draft in path["drafts"]:
            document.drafts.append(SubmissionDocument(draft, _answers(None, draft["data"])))
        result.append(document)
    return result


@blueprint.get("/clients/<int:client_id>/export")
def client_export_page(client_id: int) -> str:
    ctx = polku()
    export = client_export.export_client(
        ctx.uow(), ctx.engine, ctx.clock, _actor(), client_id, medium="a readable document"
    )
    return render_template(
        "client_export.html", export=export, documents=_documents(export), now=ctx.clock()
    )


@blueprint.get("/clients/<int:client_id>/export.json")
def client_export_json(client_id: int) -> Response:
    ctx = polku()
    export = client_export.export_client(
        ctx.uow(), ctx.engine, ctx.clock, _actor(), client_id, medium="a JSON download"
    )
    body = json.dumps(export, ensure_ascii=False, indent=2)
    response = Response(body, mimetype="application/json")
    name = f"polku-{export['client']['pseudonym']}.json"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response
