"""Model texts (step names, form labels and choices, model names) in the reader's language.

Pages and templates call `model_text(model_version_id, text)` (a Jinja global too, and the
filter `text|model_text(version_id)`) and `model_form(model_version_id, schema)`. A version's
translations are read once per process; the newest versions' ids (for a text shown without its
version) once per request.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import g

from engine.services import model_texts as service
from engine.workflow.model_texts import TRANSLATED, ModelTexts
from web.context import polku
from web.ui import blueprint, current_lang


def _translator() -> service.Translator:
    """The request's translator (every model's newest translations read once per request)."""
    if "model_translator" not in g:
        g.model_translator = service.Translator(polku().uow())
    translator: service.Translator = g.model_translator
    return translator


def model_text(version_id: int | None, text: str | None, lang: str | None = None) -> str:
    """The text in the reader's language (or `lang`); the Finnish text when untranslated."""
    return _translator().text(version_id, text, lang or current_lang())


def model_form(version_id: int | None, schema: dict[str, Any]) -> dict[str, Any]:
    """A task form's schema with its titles, help texts and choices in the reader's language."""
    lang = current_lang()
    if lang not in TRANSLATED:
        return schema
    translator = _translator()
    texts = translator.version(version_id) if version_id else None
    merged = ModelTexts.merged([t for t in (texts, translator.fallback()) if t is not None])
    return merged.form(schema, lang)


def model_documentation(version_id: int | None, bpmn_id: str) -> str | None:
    """A step's documentation (what the step is for) in the reader's language."""
    if version_id is None:
        return None
    return _translator().version(version_id).documentation_of(bpmn_id, current_lang())


@blueprint.app_template_global("model_text")
def _model_text_global(version_id: int | None, text: str | None) -> str:
    return model_text(version_id, text)


@blueprint.app_template_filter("model_text")
def _model_text_filter(text: str | None, version_id: int | None = None) -> str:
    return model_text(version_id, text)


def localise_task(task: Any) -> Any:
    """A task view (engine.services.worklist.TaskView) with its step's name in the reader's
    language; the view is the page's own copy, the stored name stays Finnish."""
    task.name = model_text(getattr(task, "model_version_id", None), task.name)
    return task


def localise_tasks(tasks: Iterable[Any]) -> None:
    if current_lang() in TRANSLATED:
        for task in tasks:
            localise_task(task)


def localise_path(view: Any) -> Any:
    """A path view (engine.services.path_views.InstanceView): the model's, the open steps',
    the awaited events' and the history's names in the reader's language."""
    if current_lang() not in TRANSLATED:
        return view
    version = getattr(view, "model_version_id", None)
    view.model_name = model_text(version, view.model_name)
    localise_tasks(view.open_tasks)
    for waiting in view.waiting:
        if waiting.get("name"):
            waiting["name"] = model_text(version, waiting["name"])
    for event in view.history:
        if event.get("element_name"):
            event["element_name"] = model_text(version, event["element_name"])
    return view


def model_forms(
    version_id: int | None, schemas: dict[str, dict[str, Any]] | None
) -> dict[str, dict[str, Any]] | None:
    """Several forms of one version (e.g. the outside decisions' by message name), translated."""
    if not schemas or current_lang() not in TRANSLATED:
        return schemas
    return {name: model_form(version_id, schema) for name, schema in schemas.items()}
