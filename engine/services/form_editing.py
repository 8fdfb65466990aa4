"""The designer's form editor: a model's forms and the tasks using each, a form read as an
editable structure (engine.workflow.form_drafts), and an edited form saved with its
translations as the model's next version, validated as every version is (the same steps as
the texts page's `model_texts.save_texts`: nothing is stored when the validator finds an error).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from engine.clock import Clock
from engine.errors import InvalidInput, ModelRejected, NotFound, Text
from engine.persistence.tables import ProcessModelVersion
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import access
from engine.services.deployment import DeployResult, latest_version, store_version
from engine.services.designer import _refuse, require_designer
from engine.workflow import expressions, forms, model_texts
from engine.workflow.engine import WorkflowEngine
from engine.workflow.form_draft_checks import check
from engine.workflow.form_drafts import FormEdit, read_form, write_form
from engine.workflow.loader import DUE_FROM_FIELD_PROPERTY, load_model
from engine.workflow.model import ModelSource, ParsedModel, UserTaskInfo, WaitInfo
from engine.workflow.model_texts import TRANSLATED
from engine.workflow.xml import UnsafeXmlError, parse_bpmn_bytes

FORMS_SOURCE = "forms"  # process_model_version.source of a version saved from the form editor


@dataclass
class FormUse:
    bpmn_id: str
    name: str


@dataclass
class FormSummary:
    path: str
    title: str
    fields: int
    tasks: list[FormUse] = field(default_factory=list)


@dataclass
class FormsView:
    key: str
    name: str
    version: int
    forms: list[FormSummary]


@dataclass
class FormDraft:
    """A form of the latest version, for the editor: the schema it was read from, the edit."""

    key: str
    version: int
    base: dict[str, Any]
    edit: FormEdit
    tasks: list[FormUse]
    form_visibility: str  # the class of fields that name none
    # language -> Finnish -> translation, as the version has them (shared and own texts)
    catalogues: dict[str, dict[str, str]] = field(default_factory=dict)


def _not_found(key: str) -> NotFound:
    return NotFound(
        f"process model '{key}' does not exist", code="model_not_found", params={"key": key}
    )


def _form_not_found(key: str, path: str) -> NotFound:
    return NotFound(
        Text("form_not_found", "the model '{key}' has no form '{form}'", key=key, form=path[:200])
    )


def _latest(uow: UnitOfWork, key: str) -> ProcessModelVersion:
    version = latest_version(uow, key)
    if version is None:
        raise _not_found(key)
    return version


def _uses(model: ParsedModel) -> dict[str, list[FormUse]]:
    found: dict[str, list[FormUse]] = {}
    steps: list[UserTaskInfo | WaitInfo] = [*model.user_tasks.values(), *model.waits.values()]
    for step in steps:
        if step.form_path:
            found.setdefault(step.form_path, []).append(FormUse(step.bpmn_id, step.name))
    return found


def _schema(files: dict[str, str], path: str) -> dict[str, Any] | None:
    if not path.endswith(".json") or model_texts.is_texts_file(path) or path not in files:
        return None
    try:
        data = json.loads(files[path])
    except ValueError:
        return None
    return data if isinstance(data, dict) and data.get("type") == "object" else None


def list_forms(uow: UnitOfWork, engine: WorkflowEngine, actor: access.Actor, key: str) -> FormsView:
    """The forms of the model's latest version: those its tasks use, then any other."""
    require_designer(actor)
    with uow:
        version = _latest(uow, key)
        files, number, digest = dict(version.files), version.number, version.content_hash
        name = version.model.name
    uses = _uses(engine.model_for_version(digest, key, files))
    paths = [*uses, *sorted(p for p in files if p.endswith(".schema.json") and p not in uses)]
    result = []
    for path in paths:
        schema = _schema(files, path)
        if schema is None:
            continue
        title = str(schema.get("title") or path)
        result.append(
            FormSummary(path, title, len(schema.get("properties") or {}), uses.get(path, []))
        )
    return FormsView(key, name, number, result)


def load_draft(
    uow: UnitOfWork, engine: WorkflowEngine, actor: access.Actor, key: str, path: str
) -> FormDraft:
    """A form of the latest version as the editor edits it, with its translations."""
    require_designer(actor)
    with uow:
        version = _latest(uow, key)
        files, number, digest = dict(version.files), version.number, version.content_hash
    schema = _schema(files, path)
    if schema is None:
        raise _form_not_found(key, path)
    catalogues = {lang: model_texts.catalogue(files, lang) for lang in TRANSLATED}
    uses = _uses(engine.model_for_version(digest, key, files)).get(path, [])
    return FormDraft(
        key,
        number,
        schema,
        read_form(schema, path, number, catalogues),
        uses,
        str(schema.get(forms.VISIBILITY_KEYWORD) or "shared"),
        catalogues,
    )


def preview(draft: FormDraft, edit: FormEdit, lang: str) -> dict[str, Any]:
    """The schema the edit makes, its texts in the language: the version's translations with
    the draft's changes."""
    check(draft.base, edit)
    schema = write_form(draft.base, edit)
    if lang not in TRANSLATED:
        return schema
    texts = dict(draft.catalogues.get(lang, {}))
    for source, value in changed_texts(edit, draft.catalogues).get(lang, {}).items():
        if value:
            texts[source] = value
        else:
            texts.pop(source, None)
    return model_texts.translate_schema(schema, texts)


def changed_texts(edit: FormEdit, current: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """Language -> Finnish text -> translation for the draft's translations that differ from
    the version's (`current`); "" removes one. A text given in several places of the draft
    changes if any of them changes it."""
    result: dict[str, dict[str, str]] = {lang: {} for lang in TRANSLATED}
    for lang in TRANSLATED:
        pairs = [(edit.title, edit.title_translations.get(lang, ""))]
        for f in edit.fields:
            texts = f.texts(lang)
            pairs += [(f.title, texts.title), (f.description, texts.description)]
            pairs += [
                (c.label or "", texts.choices[i] if i < len(texts.choices) else "")
                for i, c in enumerate(f.choices)
            ]
        known = current.get(lang, {})
        for source, value in pairs:
            source, value = source.strip(), value.strip()
            if source and value != known.get(source, ""):
                result[lang][source] = value
    return result


def save_form(
    uow: UnitOfWork,
    engine: WorkflowEngine,
    clock: Clock,
    actor: access.Actor,
    key: str,
    edit: FormEdit,
    *,
    dry_run: bool = False,
) -> DeployResult:
    """Store the edited form, and its translations in the model's `texts/<lang>.json`, as the
    model's next version. Refused (InvalidInput naming the posted field) for a bad edit, for a
    draft of an older version, and for renaming or removing a field a condition, a prefill or a
    timer reads; ModelRejected (every problem listed, nothing saved) when the validator finds
    an error. A dry run (the editor's preview) checks all that and stores nothing."""
    require_designer(actor)
    now = clock()
    with uow:
        latest = _latest(uow, key)
        if edit.based_on != latest.number:
            raise InvalidInput(
                Text(
                    "form_version_stale",
                    "the form was read from version {based_on}, but the model's latest is "
                    "version {latest}: open the form again",
                    based_on=edit.based_on,
                    latest=latest.number,
                ),
                {"based_on": [Text("form_version_stale_field", "Open the form again.")]},
            )
        base = _schema(latest.files, edit.path)
        if base is None:
            raise _form_not_found(key, edit.path)
        check(base, edit)
        schema = write_form(base, edit)
        files = {k: v.encode("utf-8") for k, v in latest.files.items()}
        parsed_before = engine.model_for_version(latest.content_hash, key, latest.files)
        _check_references(files, edit, base, schema, parsed_before)
        candidate = ModelSource(key, files)
        if schema != base:
            content = json.dumps(schema, ensure_ascii=False, indent=2) + "\n"
            candidate = candidate.replace(edit.path, content.encode("utf-8"))
        candidate = _with_translations(candidate, files, edit)
        parsed, problems = load_model(candidate, engine.roles)
        if parsed is None:
            if dry_run:
                uow.rollback()
            else:
                _refuse(uow, key, now, actor, FORMS_SOURCE, edit.path, b"", problems)
            raise ModelRejected(
                f"the model '{key}' has errors: nothing was saved",
                problems,
                code="model_rejected",
                params={"key": key},
            )
        if dry_run or latest.content_hash == candidate.content_hash:
            return DeployResult(key, latest.number, created=False)
        number = store_version(
            uow, candidate, parsed, problems, now, actor.username, FORMS_SOURCE, edit.path
        )
        uow.commit()
        return DeployResult(key, number, created=True)


# ---------------------------------------------------------------- translations


def _with_translations(
    candidate: ModelSource, old: dict[str, bytes], edit: FormEdit
) -> ModelSource:
    """The model's own texts files with the draft's translations (as the texts page writes
    them: an empty one, or one the shared texts give, is left out) and without the entries the
    edit left behind (a Finnish text that no longer occurs)."""
    old_known = {s.text for s in model_texts.source_texts(old)}
    new_known = {s.text for s in model_texts.source_texts(candidate.files)}
    order = {s: i for i, s in enumerate(t.text for t in model_texts.source_texts(candidate.files))}
    current = {lang: model_texts.catalogue(old, lang) for lang in TRANSLATED}
    for lang, entries in changed_texts(edit, current).items():
        name = model_texts.texts_file(lang)
        shared = model_texts.catalogue({n: c for n, c in old.items() if n != name}, lang)
        own = _own_entries(old.get(name))
        before = dict(own)
        for source, translation in entries.items():
            value = translation.strip()
            if not value or value == shared.get(source):
                own.pop(source, None)
            else:
                own[source] = value
        for source in [s for s in own if s in old_known and s not in new_known]:
            own.pop(source)
        if own == before:
            continue
        ordered = dict(sorted(own.items(), key=lambda kv: order.get(kv[0], len(order))))
        content = json.dumps(ordered, ensure_ascii=False, indent=2) + "\n"
        candidate = candidate.replace(name, content.encode("utf-8"))
    return candidate


def _own_entries(content: bytes | None) -> dict[str, str]:
    if content is None:
        return {}
    try:
        data = json.loads(content.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, str)} if isinstance(data, dict) else {}


# ---------------------------------------------------------------- what reads a field


def field_references(files: dict[str, bytes], model: ParsedModel, path: str) -> dict[str, str]:
    """Field name -> the first thing in the model that reads it by name from the form `path`
    (written in codes, whatever the reader's language): a gateway condition and its flow,
    another form's `x-prefill` and its field, a timer's `dueFromField`."""
    found: dict[str, str] = {}
    own_steps = {t.bpmn_id for t in model.user_tasks.values() if t.form_path == path}
    for name in sorted(n for n in files if n.endswith(".bpmn")):
        try:
            tree = parse_bpmn_bytes(files[name], name)
        except UnsafeXmlError:
            continue
        for node in tree.iter():
            if not isinstance(node.tag, str):
                continue
            local = node.tag.rsplit("}", 1)[-1]
            owner = node.getparent()
            element = owner.get("id") if owner is not None else None
            if local == "conditionExpression" and node.text and node.text.strip():
                try:
                    used = expressions.names_used(node.text)
                except expressions.ExpressionError:
                    continue
                for used_name in used:
                    found.setdefault(used_name, f"{node.text.strip()[:80]} ({element})")
            elif local == "property" and node.get("name") == DUE_FROM_FIELD_PROPERTY:
                timer = _ancestor_id(node)
                found.setdefault(
                    str(node.get("value") or "").strip(), f"{DUE_FROM_FIELD_PROPERTY} ({timer})"
                )
    for info in model.user_tasks.values():
        if info.form is None or info.form_path == path:
            continue
        try:
            prefills = forms.prefills(info.form)
        except Exception:  # noqa: BLE001  (the validator reports a malformed prefill)
            continue
        for target, (step, source) in prefills.items():
            if step is None or step in own_steps:
                found.setdefault(source, f"{forms.PREFILL_KEYWORD} {target} ({info.form_path})")
    return found


def _ancestor_id(node: Any) -> str:
    while node is not None:
        local = node.tag.rsplit("}", 1)[-1] if isinstance(node.tag, str) else ""
        if node.get("id") and local not in ("property", "properties", "extensionElements"):
            return str(node.get("id"))
        node = node.getparent()
    return "?"


def _check_references(
    files: dict[str, bytes],
    edit: FormEdit,
    base: dict[str, Any],
    schema: dict[str, Any],
    model: ParsedModel,
) -> None:
    """Refuse renaming or removing a field something reads by name, unless another form of the
    model still gives a field of that name (task data accumulates along the path)."""
    kept = set(schema.get("properties") or {})
    gone = [n for n in (base.get("properties") or {}) if n not in kept]
    if not gone:
        return
    references = field_references(files, model, edit.path)
    steps: list[UserTaskInfo | WaitInfo] = [*model.user_tasks.values(), *model.waits.values()]
    others = {
        name
        for info in steps
        if info.form is not None and info.form_path != edit.path
        for name in (info.form.get("properties") or {})
    }
    for name in gone:
        where = references.get(name)
        if where is None or (name in others and forms.PREFILL_KEYWORD not in where):
            continue
        index = next((i for i, f in enumerate(edit.fields) if f.original == name), None)
        raise InvalidInput(
            Text(
                "form_field_referenced",
                "the field '{field}' is read by {reference}: change that first, or keep the "
                "field's name",
                field=name,
                reference=where,
            ),
            {
                "fields" if index is None else f"field-{index}-name": [
                    Text(
                        "form_field_referenced_field",
                        "A condition, a prefill or a timer reads this field by its name.",
                    )
                ]
            },
        )
