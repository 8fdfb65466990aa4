"""The designer's migration page: which running paths of a version move to another (all, those
at some current steps, or one by one), mapping current steps the new version lacks, a dry run
that says how many will move and the confirmation that posts the same choice; the model's
migrations and undoing the last. The service is `engine.services.path_migration`."""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from engine.errors import Conflict, InvalidInput, NotFound
from engine.services import designer as designer_service
from engine.services import path_migration
from web.context import polku
from web.ui import blueprint, labels
from web.ui.designer import _designer

MODES = ("all", "steps", "paths")
MAP_PREFIX = "map:"


def _selection(form: MultiDict[str, str]) -> tuple[str, path_migration.Selection]:
    mode = form.get("mode", "all")
    if mode not in MODES:
        mode = "all"
    if mode == "steps":
        return mode, path_migration.Selection(steps=frozenset(form.getlist("steps")))
    if mode == "paths":
        ids = frozenset(int(v) for v in form.getlist("instances") if v.isdigit() and len(v) < 19)
        return mode, path_migration.Selection(instance_ids=ids)
    return mode, path_migration.Selection()


def _step_map(form: MultiDict[str, str]) -> dict[str, str]:
    return {
        name[len(MAP_PREFIX) :]: value
        for name, value in form.items()
        if name.startswith(MAP_PREFIX) and value and len(name) <= 300 and len(value) <= 200
    }


def _render(key: str, *, status: int = 200, **page: Any) -> tuple[str, int]:
    actor = _designer()
    ctx = polku()
    model = next((m for m in designer_service.list_models(ctx.uow()) if m.key == key), None)
    if model is None:
        raise NotFound(
            f"process model '{key}' does not exist", code="model_not_found", params={"key": key}
        )
    versions = sorted(designer_service.model_versions(ctx.uow(), key), key=lambda v: v.number)
    numbers = [v.number for v in versions]
    page.setdefault("from_version", numbers[-2] if len(numbers) > 1 else None)
    page.setdefault("to_version", numbers[-1] if numbers else None)
    return render_template(
        "designer_migration.html",
        model=model,
        versions=list(reversed(versions)),
        numbers=numbers,
        records=path_migration.history(ctx.uow(), actor, key),
        **page,
    ), status


def _plan(
    key: str, form: MultiDict[str, str], *, dry_run: bool, expect: int | None = None
) -> path_migration.MigrationPlan:
    actor = _designer()
    ctx = polku()
    _mode, selection = _selection(form)
    return path_migration.plan_migration(
        ctx.uow(), ctx.engine, ctx.clock, actor, key,
        form.get("from_version", type=int) or 0, form.get("to_version", type=int) or 0,
        dry_run=dry_run, selection=selection, step_map=_step_map(form), expect=expect,
    )  # fmt: skip


@blueprint.get("/designer/<key>/migrate")
def designer_migration(key: str) -> tuple[str, int]:
    """The versions to choose; with both chosen, the paths on the old one (a dry run)."""
    _designer()
    values: dict[str, Any] = {
        "from_version": request.args.get("from_version", type=int),
        "to_version": request.args.get("to_version", type=int),
    }
    if values["from_version"] is None or values["to_version"] is None:
        return _render(key)
    if values["from_version"] == values["to_version"]:
        return _render(key, status=400, **values, error=_versions_error())
    try:
        plan = _plan(key, request.args, dry_run=True)
    except (InvalidInput, NotFound) as exc:
        return _render(key, status=400, **values, error=_error(exc))
    return _render(key, **values, plan=plan, mode="all", chosen_steps=[], stage="choose")


@blueprint.post("/designer/<key>/migrate")
def designer_migrate(key: str) -> tuple[str, int]:
    """`action=dry_run`: how many of the chosen paths will move (the confirmation follows);
    `action=migrate`: move them, if the count (`expect`) still holds."""
    _designer()
    form = request.form
    values: dict[str, Any] = {
        "from_version": form.get("from_version", type=int),
        "to_version": form.get("to_version", type=int),
    }
    if None in values.values() or values["from_version"] == values["to_version"]:
        return _render(key, status=400, **values, error=_versions_error())
    mode, _selected = _selection(form)
    choice: dict[str, Any] = {
        "mode": mode,
        "chosen_steps": form.getlist("steps"),
        "step_map": _step_map(form),
    }
    migrate = form.get("action") == "migrate"
    try:
        if migrate:
            plan = _plan(key, form, dry_run=False, expect=form.get("expect", type=int))
        else:
            plan = _plan(key, form, dry_run=True)
    except Conflict as exc:  # the paths changed since the dry run: show it again
        plan = _plan(key, form, dry_run=True)
        return _render(
            key, status=409, **values, **choice, plan=plan, stage="confirm", error=_error(exc)
        )
    except (InvalidInput, NotFound) as exc:
        return _render(key, status=400, **values, **choice, error=_error(exc))
    return _render(key, **values, **choice, plan=plan, stage="done" if migrate else "confirm")


@blueprint.post("/designer/<key>/migrate/undo")
def designer_migration_undo(key: str) -> tuple[str, int]:
    """`action=dry_run`: which paths of the last migration would move back; `action=undo` (with
    the `migration_id` shown): move them."""
    actor = _designer()
    ctx = polku()
    undo = request.form.get("action") == "undo"
    try:
        result = path_migration.undo_last(
            ctx.uow(), ctx.engine, ctx.clock, actor, key, dry_run=not undo,
            migration_id=request.form.get("migration_id", type=int),
        )  # fmt: skip
    except (Conflict, NotFound) as exc:
        return _render(
            key, status=409 if isinstance(exc, Conflict) else 404, undo_error=_error(exc)
        )
    return _render(key, undo=result)


def _versions_error() -> str:
    return _("Choose two different versions.")


def _error(exc: Exception) -> str:
    message = getattr(exc, "message", str(exc))
    return labels.detail(message) or str(message)
