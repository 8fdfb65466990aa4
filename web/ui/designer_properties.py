"""The JSON the modeller's properties panel asks for (`web/assets/properties/`): what it offers
(roles, organisations, phases, forms and their fields, subprocesses, service-level targets) and
its checks as the designer types (a flow's condition, a timer's ISO 8601 text and its reading).

Designers and administrators only, like the other designer pages; the service asks again.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from flask import g, jsonify, request, url_for
from flask_babel import get_translations, ngettext
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from engine.errors import Forbidden, InvalidInput, NotFound
from engine.services import access, sla
from engine.services import model_catalogue as service
from engine.services.access import Actor
from web.context import polku
from web.ui import blueprint, current_lang, format_when, labels, messages
from web.ui.designer import may_design
from web.ui.diagrams import json_error

MAX_TEXT_CHARS = 4000


MAX_FIELDS = 2000


def _refused() -> tuple[Response, int]:
    return json_error(403, _("Only process designers may change process models."))


def _json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _name(names: dict[str, str], fallback: str) -> str:
    return names.get(current_lang()) or names.get("fi") or fallback


@blueprint.get("/designer/<key>/properties.json")
def designer_properties(key: str) -> Response | tuple[Response, int]:
    """What the panel offers for the model version being edited (`?version=`, else latest)."""
    actor: Actor = g.actor
    if not may_design(actor):
        return _refused()
    ctx = polku()
    try:
        cat = service.catalogue(
            ctx.uow(), ctx.engine, actor, key, request.args.get("version", type=int)
        )
    except Forbidden:
        return _refused()
    except NotFound as exc:
        return json_error(404, labels.detail(exc) or exc.message)
    organisation_names = {code: _name(names, code) for code, names in cat.organisations.items()}
    roles: list[dict[str, Any]] = []
    unnamed = replace(cat, lane_organisations={})  # what a lane gets when model.json names none
    for code, names in cat.roles.items():
        organisation, basis = service.lane_organisation(cat, code)
        default, default_basis = service.lane_organisation(unnamed, code)
        roles.append(
            {
                "code": code,
                "name": _name(names, code),
                "lane_name": names.get("fi") or code,  # lanes are named as the shipped models do
                "names": sorted({code, *names.values()}),
                "organisation": organisation,
                "organisation_name": organisation_names.get(organisation or "", ""),
                "organisation_note": _organisation_note(basis),
                "default_organisation": default,
                "default_organisation_name": organisation_names.get(default or "", ""),
                "default_organisation_note": _organisation_note(default_basis),
            }
        )
    roles.sort(key=lambda r: str(r["name"]).casefold())
    response = jsonify(
        {
            "key": cat.key,
            "version": cat.number,
            "main_file": cat.main_file,
            "roles": roles,
            # the organisations serving the model's region (and every region) first
            "organisations": [
                {
                    "code": code,
                    "name": name,
                    "region": cat.organisation_regions.get(code),
                    "in_region": cat.organisation_regions.get(code) in (cat.region, None),
                }
                for code, name in sorted(
                    organisation_names.items(),
                    key=lambda i: (
                        cat.organisation_regions.get(i[0]) not in (cat.region, None),
                        i[1].casefold(),
                    ),
                )
            ],
            "region": cat.region,
            "lane_organisations": cat.lane_organisations,
            "phases": [{"code": code, "name": labels.phase(code)} for code in cat.phases],
            "forms": [{"path": f.path, "title": f.title, "fields": f.fields} for f in cat.forms],
            "subprocesses": [
                {"id": s.process_id, "name": s.name, "file": s.file, "fields": s.fields}
                for s in cat.subprocesses
            ],
            "targets": _targets(cat.targets),
            # an administrator sets a step's target here; anyone who may open the page sees it
            "may_set_targets": access.administers(actor),
            "targets_url": url_for("ui.sla_targets_page")
            if access.may_see_dashboards(actor)
            else None,
            "target_url": url_for("ui.designer_set_target", key=key),
            "condition_url": url_for("ui.designer_check_condition", key=key),
            "timer_url": url_for("ui.designer_read_timer", key=key),
        }
    )
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def _targets(targets: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "model_key": t.model_key,
            "bpmn_id": t.bpmn_id,
            "phase": t.phase,
            "working_days": t.working_days,
        }
        for t in targets
    ]


@blueprint.post("/designer/<key>/properties/target")
def designer_set_target(key: str) -> Response | tuple[Response, int]:
    """Set (or, with working_days null, remove) a step's own service-level target in this
    model: {bpmn_id, working_days} in; {ok, message, targets} out. The targets page's service
    (`sla.set_target`) with its rule: administrators only; the row records who and when."""
    actor: Actor = g.actor
    if not may_design(actor):
        return _refused()
    body = _json_body()
    bpmn_id = body.get("bpmn_id")
    days = body.get("working_days")
    if not isinstance(bpmn_id, str) or not bpmn_id or len(bpmn_id) > 200:
        return json_error(400, _("Choose a step or a phase."))
    if days is not None and (isinstance(days, bool) or not isinstance(days, int)):
        return json_error(400, _("Give a whole number of working days from 0 to 365."))
    ctx = polku()
    try:
        sla.set_target(
            ctx.uow(), ctx.clock, actor, model_key=key, bpmn_id=bpmn_id, phase=None,
            working_days=days,
        )  # fmt: skip
    except Forbidden:
        return json_error(403, _("Only administrators set service-level targets."))
    except InvalidInput as exc:
        found = [m for msgs in labels.messages(exc.errors).values() for m in msgs]
        return json_error(400, " ".join(found) or (labels.detail(exc) or exc.message))
    except NotFound as exc:
        if exc.code != "sla_target_not_found":  # removing a target there is none of: done
            return json_error(404, labels.detail(exc) or exc.message)
    targets = [t for t in sla.list_targets(ctx.uow()) if t.model_key in (None, key)]
    return jsonify(
        {
            "ok": True,
            "message": _("The target was removed.") if days is None else _("The target was saved."),
            "targets": _targets(targets),
        }
    )


def _organisation_note(basis: str) -> str:
    if basis == "model":
        return _("Named for this role in the model's model.json (lane_organisations).")
    if basis == "kind":
        return _("The organisation of this role's kind that serves the model's region.")
    if basis == "region_kind":
        return _("The organisation of this role's kind in the region of the path's owner.")
    return _("The organisation that owns the client's path.")


@blueprint.post("/designer/<key>/properties/condition")
def designer_check_condition(key: str) -> Response | tuple[Response, int]:
    """Check a condition in Polku's expression language: {expression, fields?} in; {ok,
    message, code, names, unknown} out (the message in the reader's language)."""
    actor: Actor = g.actor
    if not may_design(actor):
        return _refused()
    body = _json_body()
    text = body.get("expression")
    if not isinstance(text, str):
        text = ""
    if len(text) > MAX_TEXT_CHARS:
        return json_error(413, _("The data sent was too large."))
    raw_fields = body.get("fields")
    fields = None
    if isinstance(raw_fields, list):
        fields = [str(f) for f in raw_fields[:MAX_FIELDS] if isinstance(f, str)]
    try:
        result = service.check_condition(actor, text, fields)
    except Forbidden:
        return _refused()
    if not result.ok:
        message = _(
            "The condition is not allowed: %(problem)s",
            problem=messages.text(result.problem) if result.problem else "",
        )
        code = getattr(result.problem, "code", None)
    elif result.unknown:
        message = ngettext(
            "The condition is valid, but no form before this flow has the field %(names)s.",
            "The condition is valid, but no form before this flow has the fields %(names)s.",
            len(result.unknown),
            names=", ".join(result.unknown),
        )
        code = "condition_unknown_fields"
    else:
        message = _("The condition is valid.")
        code = None
    return jsonify(
        {
            "ok": result.ok,
            "code": code,
            "message": message,
            "names": result.names,
            "unknown": result.unknown,
        }
    )


@blueprint.post("/designer/<key>/properties/timer")
def designer_read_timer(key: str) -> Response | tuple[Response, int]:
    """Check a timer's ISO 8601 text: {kind: duration|cycle|date, expression} in; {ok, code,
    message, reading} out, the reading in plain words ("every day, 6 times")."""
    actor: Actor = g.actor
    if not may_design(actor):
        return _refused()
    body = _json_body()
    text = body.get("expression")
    kind = body.get("kind")
    if not isinstance(text, str):
        text = ""
    if len(text) > MAX_TEXT_CHARS:
        return json_error(413, _("The data sent was too large."))
    try:
        result = service.read_timer(actor, kind if isinstance(kind, str) else "duration", text)
    except Forbidden:
        return _refused()
    if not result.ok:
        return jsonify(
            {
                "ok": False,
                "kind": result.kind,
                "code": getattr(result.problem, "code", None),
                "message": messages.text(result.problem) if result.problem else "",
                "reading": "",
            }
        )
    reading = timer_reading(result)
    return jsonify(
        {
            "ok": True,
            "kind": result.kind,
            "code": None,
            "value": result.value,
            "message": reading,
            "reading": reading,
        }
    )


# --------------------------------------------------------------- timer readings


def _amount(value: float) -> str:
    if value == int(value):
        return str(int(value))
    return str(value) if current_lang() == "en" else str(value).replace(".", ",")


def _plural(translated: str, num: str) -> str:
    """A plural form with `num` written by us (flask_babel's ngettext would write the count,
    and a duration may be 1.5 days)."""
    return translated % {"num": num}


def _unit(unit: str, value: float) -> str:
    count = int(value) if value == int(value) else 2
    num = _amount(value)
    if unit == "years":
        return _plural(get_translations().ngettext("%(num)s year", "%(num)s years", count), num)
    if unit == "months":
        return _plural(get_translations().ngettext("%(num)s month", "%(num)s months", count), num)
    if unit == "weeks":
        return _plural(get_translations().ngettext("%(num)s week", "%(num)s weeks", count), num)
    if unit == "days":
        return _plural(get_translations().ngettext("%(num)s day", "%(num)s days", count), num)
    if unit == "hours":
        return _plural(get_translations().ngettext("%(num)s hour", "%(num)s hours", count), num)
    if unit == "minutes":
        return _plural(get_translations().ngettext("%(num)s minute", "%(num)s minutes", count), num)
    return _plural(get_translations().ngettext("%(num)s second", "%(num)s seconds", count), num)


def _every(duration: dict[str, float]) -> str:
    if len(duration) == 1:
        unit, value = next(iter(duration.items()))
        if value == 1:
            return {
                "years": _("every year"),
                "months": _("every month"),
                "weeks": _("every week"),
                "days": _("every day"),
                "hours": _("every hour"),
                "minutes": _("every minute"),
                "seconds": _("every second"),
            }[unit]
    return _("every %(duration)s", duration=_length(duration))


def _length(duration: dict[str, float]) -> str:
    if not duration:
        return _("no time at all")
    return " ".join(_unit(unit, value) for unit, value in duration.items())


def _moment(value: datetime) -> str:
    return format_when(value, "short")


def timer_reading(result: service.TimerReading) -> str:
    """A checked timer in plain words in the reader's language."""
    if result.kind == "date":
        if result.start is not None:
            return _("Once, at %(when)s.", when=_moment(result.start))
        return _(
            "Once, %(duration)s after the timer is reached.", duration=_length(result.duration)
        )
    if result.kind == "cycle":
        every = _every(result.duration)
        if result.repetitions is None:
            times = _("without end")
        else:
            times = ngettext("%(num)s time", "%(num)s times", result.repetitions)
        reading = _("%(every)s, %(times)s", every=every, times=times)
        if result.start is not None:
            reading = _(
                "%(reading)s, starting %(when)s", reading=reading, when=_moment(result.start)
            )
        return reading[:1].upper() + reading[1:] + "."
    return _("Waits %(duration)s.", duration=_length(result.duration))
