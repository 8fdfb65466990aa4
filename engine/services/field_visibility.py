"""Which fields of a filled-in form a reader sees.

Each field carries a visibility class (`x-visibility` in the form's JSON Schema: on the form's
top level the default of its fields, on a top-level property its own; "shared" when neither
names one). The class of a top-level property covers everything under it (objects, arrays of
rows). The reader's classes come from the access policy (`access.visible_field_classes`); these
functions only cut the data to them, and say what was left out so that a page can tell.

What a reader recorded themselves they see whole, as the one doing a task sees its whole form.
A form that cannot be found (e.g. a step of a model version the path has since left) is taken
to hold every class: only a reader who sees every class (the path's case manager) sees it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

from sqlalchemy import select

from engine.persistence.tables import FormSubmission, ProcessInstance
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import access
from engine.workflow.forms import VISIBILITY_CLASSES, VISIBILITY_KEYWORD
from engine.workflow.model import ParsedModel

DEFAULT_CLASS = "shared"
CORRECTED = "submission_corrected"  # its data names the fields a correction changed
Schema = Mapping[str, Any]


def field_class(schema: Schema, field: str) -> str:
    """The visibility class of a top-level field of the form."""
    prop = (schema.get("properties") or {}).get(field)
    if isinstance(prop, Mapping) and isinstance(prop.get(VISIBILITY_KEYWORD), str):
        return str(prop[VISIBILITY_KEYWORD])
    default = schema.get(VISIBILITY_KEYWORD)
    return default if isinstance(default, str) else DEFAULT_CLASS


def reader_classes(actor: access.Actor, instance: ProcessInstance) -> frozenset[str]:
    """The classes the actor sees on this path (its case manager sees every class)."""
    return access.visible_field_classes(
        actor, case_manager=instance.case_manager_id == actor.user_id
    )


def sees_everything(classes: Collection[str]) -> bool:
    return all(c in classes for c in VISIBILITY_CLASSES)


def may_see(schema: Schema | None, field: str, classes: Collection[str]) -> bool:
    if schema is None:
        return sees_everything(classes)
    return field_class(schema, field) in classes


def visible(
    schema: Schema | None, data: Mapping[str, Any], classes: Collection[str]
) -> tuple[dict[str, Any], list[str]]:
    """The data without the fields of classes the reader does not see, and the names of the
    fields left out (in the data's order)."""
    shown: dict[str, Any] = {}
    hidden: list[str] = []
    for name, value in data.items():
        if may_see(schema, name, classes):
            shown[name] = value
        else:
            hidden.append(name)
    return shown, hidden


def _coded(prop: Any, *, dates_and_numbers: bool) -> bool:
    """A field whose value is a code, not free text: a choice, a yes/no or a whole number
    (and, when asked, a date or any number)."""
    if not isinstance(prop, dict):
        return False
    if "enum" in prop or prop.get("type") in ("boolean", "integer"):
        return True
    return dates_and_numbers and (prop.get("type") == "number" or prop.get("format") == "date")


def form_summary(schema: Schema, data: Mapping[str, Any]) -> dict[str, Any]:
    """What the history keeps of a completed form: the field names, and the values of its
    choice, yes/no and whole-number fields (they drive the path and the metrics), of every
    class (a reader sees them cut by `visible_summary`). Free text stays in the workflow."""
    props = schema.get("properties", {})
    choices = {k: v for k, v in data.items() if _coded(props.get(k), dates_and_numbers=False)}
    return {"fields": sorted(data), "choices": choices}


def decision_values(schema: Schema | None, payload: Mapping[str, Any]) -> dict[str, Any]:
    """What the history keeps of an outside decision's values: those of its choice, yes/no,
    number and date fields that everyone on the path may see (class `shared`); free text and
    fields of a narrower class (e.g. the benefit, `benefits`) stay in the workflow only."""
    if not schema:
        return {}
    props = schema.get("properties", {})
    return {
        k: v
        for k, v in payload.items()
        if _coded(props.get(k), dates_and_numbers=True) and field_class(schema, k) == DEFAULT_CLASS
    }


def visible_summary(
    schema: Schema | None, summary: Mapping[str, Any], classes: Collection[str]
) -> tuple[dict[str, Any], list[str]]:
    """A history summary of a form (`{"fields": [...], "choices": {...}}`) without the fields
    the reader does not see: neither their values nor their names are kept; the names left out
    are returned beside it."""
    fields = [str(f) for f in summary.get("fields") or []]
    choices: Mapping[str, Any] = summary.get("choices") or {}
    names = list(dict.fromkeys([*fields, *choices]))
    hidden = [n for n in names if not may_see(schema, n, classes)]
    masked = dict(summary)
    masked["fields"] = [f for f in fields if f not in hidden]
    masked["choices"] = {k: v for k, v in choices.items() if k not in hidden}
    return masked, hidden


def visible_schema(schema: Schema | None, classes: Collection[str]) -> dict[str, Any] | None:
    """The form as the reader sees it: the properties they do not see left out (so that a
    document of it does not show them as unanswered)."""
    if schema is None:
        return None
    props: Mapping[str, Any] = schema.get("properties") or {}
    kept = {k: v for k, v in props.items() if field_class(schema, k) in classes}
    result = dict(schema)
    if "properties" in schema:
        result["properties"] = kept
    if isinstance(schema.get("required"), list):
        result["required"] = [r for r in schema["required"] if r in kept]
    return result


def classes_of(schema: Schema | None, fields: Iterable[str]) -> list[str]:
    """The visibility classes the fields belong to, in the policy's order (none for a form that
    cannot be found)."""
    if schema is None:
        return []
    found = {field_class(schema, f) for f in fields}
    return [c for c in VISIBILITY_CLASSES if c in found]


def form_in(files: Mapping[str, str], path: str | None) -> dict[str, Any] | None:
    """A form of a stored model version, by its path in the version's files."""
    if not path or path not in files:
        return None
    try:
        form = json.loads(files[path])
    except ValueError:
        return None
    return form if isinstance(form, dict) else None


def _forms_by_path(
    instance: ProcessInstance, model: ParsedModel | None
) -> Callable[[str | None], dict[str, Any] | None]:
    """The path's model version's forms by their path in the version's files: from the parsed
    model (its user tasks' forms are those files) and, for a file no task of it uses, from the
    stored files (read only then)."""
    known: dict[str | None, dict[str, Any] | None] = {None: None}
    if model is not None:
        known.update({t.form_path: t.form for t in model.user_tasks.values() if t.form_path})

    def form(path: str | None) -> dict[str, Any] | None:
        if path not in known:
            known[path] = form_in(instance.model_version.files, path)
        return known[path]

    return form


def mask_history(
    uow: UnitOfWork,
    instance: ProcessInstance,
    history: list[dict[str, Any]],
    actor: access.Actor,
    *,
    model: ParsedModel | None = None,
    submissions: Iterable[FormSubmission] | None = None,
) -> None:
    """Leave out of each completed task's summary (and of each correction's list of changed
    fields) in the path's history (dicts with "kind", "task_id", "actor", "data") the fields
    the reader does not see, by the classes of that task's form, found through its submission
    in the stored files of the path's model version.
    What the reader recorded themselves stays whole. Sets each such event's "hidden" and
    "hidden_classes". The caller may pass the path's parsed `model` (its forms are the
    version's files, so the files are not read) and its `submissions` if it has read them."""
    classes = reader_classes(actor, instance)
    done = [
        e
        for e in history
        if e["kind"] in ("task_completed", CORRECTED)
        and isinstance(e["data"], dict)
        and e["actor"] != actor.username
    ]
    if not done or sees_everything(classes):
        return
    if submissions is not None:
        form_paths = {s.task_id: s.form_path for s in submissions}
    else:
        form_paths = {
            task_id: path
            for task_id, path in uow.session.execute(
                select(FormSubmission.task_id, FormSubmission.form_path).where(
                    FormSubmission.instance_id == instance.id
                )
            )
        }
    form = _forms_by_path(instance, model)
    for event in done:
        schema = form(form_paths.get(event["task_id"]))
        if event["kind"] == CORRECTED:  # the names of the corrected fields
            data = dict(event["data"])
            names = {"fields": data.get("fields") or []}
            shown, event["hidden"] = visible_summary(schema, names, classes)
            data["fields"] = shown["fields"]
            data["decided_fields"] = [
                f for f in data.get("decided_fields") or [] if f in shown["fields"]
            ]
            event["data"] = data
        else:
            event["data"], event["hidden"] = visible_summary(schema, event["data"], classes)
        event["hidden_classes"] = classes_of(schema, event["hidden"])
