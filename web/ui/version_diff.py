"""The differences between two versions of one model (/designer/<key>/diff?old=…&new=…).

The server lists the elements added, removed and changed (engine.services.version_diff), so the
page says everything without scripts; in the browser, static/polku-version-diff.js draws both
versions and marks the same elements with bpmn-js-differ (its layout changes too). For process
designers and administrators only, like the other designer pages.
"""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from engine.errors import NotFound
from engine.services import designer
from engine.services import version_diff as service
from engine.services.version_diff import ElementChange, FacetChange, VersionDiff
from web.context import polku
from web.ui import blueprint
from web.ui.designer import _designer
from web.ui.model_texts import model_text

TYPES: dict[str, object] = {
    "process": _l("Process"),
    "collaboration": _l("Collaboration"),
    "participant": _l("Participant (pool)"),
    "laneSet": _l("Lane set"),
    "lane": _l("Lane"),
    "message": _l("Message"),
    "startEvent": _l("Start event"),
    "endEvent": _l("End event"),
    "intermediateCatchEvent": _l("Intermediate catch event"),
    "intermediateThrowEvent": _l("Intermediate throw event"),
    "boundaryEvent": _l("Boundary event"),
    "task": _l("Task"),
    "userTask": _l("User task"),
    "serviceTask": _l("Service task"),
    "scriptTask": _l("Script task"),
    "manualTask": _l("Manual task"),
    "sendTask": _l("Send task"),
    "receiveTask": _l("Receive task"),
    "businessRuleTask": _l("Business rule task"),
    "callActivity": _l("Call activity"),
    "subProcess": _l("Subprocess"),
    "exclusiveGateway": _l("Exclusive gateway"),
    "parallelGateway": _l("Parallel gateway"),
    "inclusiveGateway": _l("Inclusive gateway"),
    "eventBasedGateway": _l("Event-based gateway"),
    "sequenceFlow": _l("Sequence flow"),
    "messageFlow": _l("Message flow"),
    "textAnnotation": _l("Text annotation"),
    "association": _l("Association"),
}

FACETS: dict[str, object] = {
    "name": _l("Name"),
    "type": _l("Type"),
    "lane": _l("Lane"),
    "form": _l("Form"),
    "phase": _l("Phase"),
    "condition": _l("Condition"),
    "documentation": _l("Description"),
    "source": _l("Source"),
    "target": _l("Target"),
    "default_flow": _l("Default flow"),
    "attached_to": _l("Attached to"),
    "called_element": _l("Called process"),
    "message": _l("Message"),
    "process": _l("Process"),
    "event_definition": _l("Event definition"),
}
# facets whose values are model texts (translated for the reader like the names)
TEXT_FACETS = {"name", "lane", "documentation"}
SYMBOLS = {"added": "+", "removed": "−", "changed": "~"}


def type_label(code: str) -> str:
    label = TYPES.get(code)
    return str(label) if label is not None else code


def facet_label(facet: str) -> str:
    label = FACETS.get(facet)
    if label is not None:
        return str(label)
    kind, _sep, name = facet.partition(":")
    if kind == "property":
        return _("Property %(name)s", name=name)
    if kind == "extension":
        return _("Extension %(name)s", name=name)
    if kind == "attribute":
        return _("Attribute %(name)s", name=name)
    if kind == "content":
        return _("Content %(name)s", name=name)
    return facet


def _number(raw: str | None, default: int | None, key: str) -> int | None:
    """A version number from the query string; a bad one is a clear 404."""
    if raw is None or raw == "":
        return default
    if not raw.isdecimal() or len(raw) > 9:  # not a number, or none a model would have
        raise NotFound(
            f"process model '{key}' has no version {raw}",
            code="model_version_not_found",
            params={"key": key, "number": raw},
        )
    return int(raw)


def _row(change: ElementChange, result: VersionDiff) -> dict[str, Any]:
    version_id = (result.old if change.kind == "removed" else result.new).version_id
    return {
        "id": change.element_id,
        "kind": change.kind,
        "symbol": SYMBOLS[change.kind],
        "name": model_text(version_id, change.name) if change.name else "",
        "type": type_label(change.type),
        "type_code": change.type,
        "changes": [_facet_row(c, result) for c in change.changes],
    }


def _facet_row(change: FacetChange, result: VersionDiff) -> dict[str, Any]:
    old, new = change.old, change.new
    if change.facet in TEXT_FACETS:
        old = model_text(result.old.version_id, old) if old else old
        new = model_text(result.new.version_id, new) if new else new
    elif change.facet == "type":
        old = type_label(old) if old else old
        new = type_label(new) if new else new
    return {"facet": change.facet, "label": facet_label(change.facet), "old": old, "new": new}


@blueprint.get("/designer/<key>/diff")
def designer_version_diff(key: str) -> tuple[str, int]:
    actor = _designer()
    ctx = polku()
    model = next((m for m in designer.list_models(ctx.uow()) if m.key == key), None)
    if model is None:
        raise NotFound(
            f"process model '{key}' does not exist", code="model_not_found", params={"key": key}
        )
    numbers = sorted(v.number for v in designer.model_versions(ctx.uow(), key))
    if not numbers:
        raise NotFound(
            f"process model '{key}' does not exist", code="model_not_found", params={"key": key}
        )
    latest = numbers[-1]
    previous = numbers[-2] if len(numbers) > 1 else latest
    old = _number(request.args.get("old"), previous, key)
    new = _number(request.args.get("new"), latest, key)
    assert old is not None and new is not None
    result = service.diff_versions(ctx.uow(), actor, key, old, new)
    rows = [_row(c, result) for c in result.changes]
    names = {row["id"]: row["name"] for row in rows if row["name"]}
    facets = {row["id"]: [c["label"] for c in row["changes"]] for row in rows if row["changes"]}
    return render_template(
        "designer_diff.html",
        model=model,
        numbers=numbers,
        d=result,
        rows=rows,
        counts=result.counts,
        names=names,
        facets=facets,
        symbols=SYMBOLS,
        type_labels={code: str(label) for code, label in TYPES.items()},
    ), 200
