"""Process designers' pages: the models and their versions, a diagram of any version, uploading
and modelling a new version in bpmn-js, moving running paths to a version, comparing a regional
variant with the national path.

Open to users with the `process_designer` role and to administrators; the services check again.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from engine.errors import Forbidden, InvalidInput, ModelRejected, NotFound
from engine.services import access, comparison
from engine.services import designer as service
from engine.services.access import Actor
from web.context import polku
from web.security import SANDBOX_POLICY, safe_file_stem
from web.ui import blueprint, labels, message_texts, messages
from web.ui.diagrams import json_error

DESIGNER_ROLE = service.DESIGNER_ROLE
BASE_MODEL = "national"
MAX_XML_CHARS = 2 * 1024 * 1024
ATTEMPTS_SHOWN = 20
LANE_ORGANISATIONS = "lane_organisations"  # the save's optional {lane role: organisation code}


def may_design(actor: Actor | None) -> bool:
    """The access policy's answer (`access.may_design`), which the designer service asks too."""
    return actor is not None and access.may_design(actor)


@blueprint.app_context_processor
def _designer_globals() -> dict[str, Any]:
    return {"may_design": may_design(g.get("actor"))}


def _designer() -> Actor:
    actor: Actor = g.actor
    if not may_design(actor):
        raise Forbidden("only process designers may manage process models", code="designer_refused")
    return actor


def _problem_dicts(problems: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "file": p.file,
            "element": p.element,
            "message": messages.finding(p),
            "severity": p.severity,
            # the validator's findings are translated by their code; one without stays English
            "lang": None if p.code in message_texts.TEMPLATES else "en",
        }
        for p in problems
    ]


@blueprint.app_template_global()
def finding_line(found: Any) -> tuple[str, str | None]:
    """A stored validation finding as a line for the designer's pages, and its language."""
    return messages.finding_line(found)


def _rejection_problems(exc: InvalidInput) -> list[dict[str, Any]]:
    """The problems of a refused model; from `errors` when the service gives no `problems`."""
    if isinstance(exc, ModelRejected) and exc.problems:
        return _problem_dicts(exc.problems)
    found = [
        {
            "file": "",
            "element": None,  # the keys name form fields (file, key), not BPMN elements
            "message": labels.message(m),
            "severity": "error",
            "lang": None,
        }
        for msgs in exc.errors.values()
        for m in msgs
    ]
    return found or [
        {
            "file": "",
            "element": None,
            "message": labels.detail(exc) or exc.message,
            "severity": "error",
            "lang": None if labels.detail(exc) else "en",
        }
    ]


# ---------------------------------------------------------------- the models


@blueprint.get("/designer")
def designer_models() -> str:
    _designer()
    models = service.list_models(polku().uow())
    return render_template("designer_models.html", models=models, base_key=BASE_MODEL)


@blueprint.get("/designer/<key>")
def designer_model(key: str) -> tuple[str, int]:
    return _render_model(key)


def _render_model(
    key: str,
    *,
    problems: list[dict[str, Any]] | None = None,
    upload_name: str | None = None,
    migration: dict[str, Any] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    _designer()
    ctx = polku()
    model = next((m for m in service.list_models(ctx.uow()) if m.key == key), None)
    if model is None and problems is None:
        raise NotFound(
            f"process model '{key}' does not exist", code="model_not_found", params={"key": key}
        )
    versions = []
    if model is None:  # a refused first upload of a new key: no model yet, only its problems
        model = service.ModelSummary(key, key, None, 0, 0, 0)
    else:
        versions = sorted(service.model_versions(ctx.uow(), key), key=lambda v: v.number)
    numbers = [v.number for v in versions]
    shown = request.args.get("version", type=int)
    if shown not in numbers:
        shown = numbers[-1] if numbers else None
    attempts = service.deployments(ctx.uow(), key)[:ATTEMPTS_SHOWN]
    return render_template(
        "designer_model.html",
        model=model,
        attempts=attempts,
        versions=list(reversed(versions)),
        numbers=numbers,
        shown=shown,
        problems=problems,
        upload_name=upload_name,
        migration=migration,
        base_key=BASE_MODEL,
    ), status


@blueprint.get("/designer/<key>/versions/<int:number>.bpmn")
def designer_version_xml(key: str, number: int) -> Response:
    _designer()
    filename, xml = service.version_bpmn(polku().uow(), key, number)
    # An uploaded file is shown as plain text (or downloaded), never as XML a browser would
    # render: an XHTML <script> in extensionElements must not run in Polku's origin.
    download = request.args.get("download") == "1"
    response = Response(xml, mimetype="application/octet-stream" if download else "text/plain")
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = SANDBOX_POLICY
    if download:
        stem = safe_file_stem(filename, key)
        response.headers["Content-Disposition"] = f'attachment; filename="{stem}-v{number}.bpmn"'
    return response


@blueprint.post("/designer/<key>/upload")
def designer_upload(key: str) -> Response | tuple[str, int]:
    actor = _designer()
    ctx = polku()
    upload = request.files.get("bpmn_file")
    filename = (upload.filename or "").replace("\\", "/").rsplit("/", 1)[-1] if upload else ""
    if upload is None or not filename:
        problem = {
            "file": "",
            "element": None,
            "message": _("Choose a BPMN file to upload."),
            "severity": "error",
            "lang": None,
        }
        return _render_model(key, problems=[problem], status=400)
    content = upload.read()
    try:
        result = service.deploy_bpmn(
            ctx.uow(), ctx.engine, ctx.clock, actor, key, filename, content, source="upload"
        )
    except InvalidInput as exc:
        return _render_model(
            key, problems=_rejection_problems(exc), upload_name=filename, status=400
        )
    if result.created:
        flash(_("Saved as version %(number)s.", number=result.version), "success")
    else:
        flash(
            _(
                "The file is the same as version %(number)s: no new version was made.",
                number=result.version,
            ),
            "info",
        )
    return redirect(url_for("ui.designer_model", key=key, version=result.version))


# ---------------------------------------------------------------- the modeller


@blueprint.get("/designer/<key>/edit")
def designer_edit(key: str) -> str:
    _designer()
    ctx = polku()
    versions = sorted(service.model_versions(ctx.uow(), key), key=lambda v: v.number)
    if not versions:
        raise NotFound(
            f"process model '{key}' does not exist", code="model_not_found", params={"key": key}
        )
    number = request.args.get("version", type=int) or versions[-1].number
    version = next((v for v in versions if v.number == number), None)
    if version is None:
        abort(404)
    model = next((m for m in service.list_models(ctx.uow()) if m.key == key), None)
    return render_template(
        "designer_edit.html",
        key=key,
        model=model,
        version=version,
        latest=versions[-1].number,
    )


@blueprint.post("/designer/<key>/versions")
def designer_save(key: str) -> tuple[Response, int]:
    """A new version from the modeller: JSON {xml, filename, lane_organisations?} in, JSON
    out; a refusal names the `field` it concerns when there is one."""
    actor: Actor = g.actor
    if not may_design(actor):
        return json_error(403, _("Only process designers may change process models."))
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("xml"), str) or not body["xml"]:
        return json_error(400, _("The request has no BPMN XML."))
    if len(body["xml"]) > MAX_XML_CHARS:
        return json_error(413, _("The data sent was too large."))
    ctx = polku()
    filename = body.get("filename")
    if not isinstance(filename, str) or not filename.endswith(".bpmn"):
        filename = _main_file(key)
    lanes = body.get(LANE_ORGANISATIONS)
    if lanes is not None and not (
        isinstance(lanes, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in lanes.items())
    ):
        response = jsonify(
            {
                "error": _(
                    "The lanes' organisations must map a lane role to an organisation code."
                ),
                "field": LANE_ORGANISATIONS,
                "problems": [],
            }
        )
        return response, 400
    try:
        result = service.deploy_bpmn(
            ctx.uow(),
            ctx.engine,
            ctx.clock,
            actor,
            key,
            filename,
            body["xml"].encode("utf-8"),
            source="modeller",
            lanes=lanes,
        )
    except NotFound as exc:
        return json_error(404, labels.detail(exc.message) or exc.message)
    except Forbidden:
        return json_error(403, _("Only process designers may change process models."))
    except InvalidInput as exc:
        if LANE_ORGANISATIONS in exc.errors:
            error = _("The model was not saved: the lanes' organisations are not valid.")
        else:
            error = _("The model was not saved: it has problems.")
        response = jsonify(
            {
                "error": error,
                "field": next(iter(exc.errors), None),
                "problems": _rejection_problems(exc),
            }
        )
        return response, 400
    if result.created:
        message = _("Saved as version %(number)s.", number=result.version)
    else:
        message = _(
            "The model is the same as version %(number)s: no new version was made.",
            number=result.version,
        )
    return jsonify(
        {
            "version": result.version,
            "created": result.created,
            "message": message,
            "url": url_for("ui.designer_model", key=key, version=result.version),
        }
    ), 201 if result.created else 200


def _main_file(key: str) -> str:
    """The main BPMN file name of the model's latest version (a new model: `<key>.bpmn`)."""
    try:
        versions = service.model_versions(polku().uow(), key)
    except NotFound:
        versions = []
    return max(versions, key=lambda v: v.number).main_file if versions else f"{key}.bpmn"


# ---------------------------------------------------------------- comparing variants


@blueprint.get("/designer/compare")
def designer_compare() -> tuple[str, int]:
    _designer()
    ctx = polku()
    models = service.list_models(ctx.uow())
    keys = [m.key for m in models]
    base = request.args.get("base") or BASE_MODEL
    if base not in keys:
        raise NotFound(
            f"process model '{base}' does not exist", code="model_not_found", params={"key": base}
        )
    others = [m for m in models if m.key != base]
    other = request.args.get("other") or (others[0].key if others else None)
    result = None
    if other is not None:
        if other not in keys:
            raise NotFound(
                f"process model '{other}' does not exist",
                code="model_not_found", params={"key": other},
            )
        result = comparison.compare(ctx.uow(), ctx.engine, base, other)
    return render_template(
        "designer_compare.html",
        models=models,
        base=base,
        other=other,
        others=others,
        comparison=result,
        **(_comparison_tables(result) if result is not None else {}),
    ), 200


def _comparison_tables(result: comparison.Comparison) -> dict[str, Any]:
    """The comparison as the page shows it: per phase the rows (id, name, kind, the name in the
    other model), the totals, and the ids to mark in each diagram. A step both models have but in
    different phases is not "added" or "left out": its kind is 'moved' in the base model's phase
    and 'moved_in' in the other's."""
    base_ids = {step_id for p in result.phases for step_id, _name in p.base_steps}
    other_ids = {step_id for p in result.phases for step_id, _name in p.other_steps}
    phase_rows: dict[str, list[tuple[str, str, str, str | None]]] = {}
    totals = {"shared": 0, "added": 0, "left_out": 0, "moved": 0}
    marks: dict[str, dict[str, list[str]]] = {
        "base": {"polku-left-out": [], "polku-moved": []},
        "other": {"polku-added": [], "polku-moved": []},
    }
    for phase in result.phases:
        other_names = dict(phase.other_steps)
        shared = set(phase.shared)
        rows: list[tuple[str, str, str, str | None]] = []
        for step_id, name in phase.base_steps:
            if step_id in shared:
                kind = "shared"
            elif step_id in other_ids:
                kind = "moved"
                marks["base"]["polku-moved"].append(step_id)
            else:
                kind = "left_out"
                marks["base"]["polku-left-out"].append(step_id)
            rows.append((step_id, name, kind, other_names.get(step_id)))
        for step_id, name in phase.added:
            if step_id in base_ids:
                kind = "moved_in"
                marks["other"]["polku-moved"].append(step_id)
            else:
                kind = "added"
                marks["other"]["polku-added"].append(step_id)
            rows.append((step_id, name, kind, name))
        phase_rows[phase.phase] = rows
        for _step_id, _name, kind, _other in rows:
            if kind in totals:
                totals[kind] += 1
    return {"phase_rows": phase_rows, "totals": totals, "marks": marks}
