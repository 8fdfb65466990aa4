"""The designer's form editor: the model's forms and the tasks using each; one form's fields
edited in plain HTML forms (each button posts the whole draft back: add, remove, move up or
down, preview, save), a preview drawn by the task forms' own renderer (web.ui.forms), and
"Save as a new version" through the validator (engine.services.form_editing)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from engine.errors import InvalidInput, ModelRejected
from engine.services import form_editing as service
from engine.workflow.form_drafts import KINDS, OTHER, Choice, FieldEdit, FieldTexts, FormEdit
from engine.workflow.forms import VISIBILITY_CLASSES
from engine.workflow.model_texts import TRANSLATED
from web.context import polku
from web.ui import blueprint, current_lang, forms, labels
from web.ui.designer import _designer, _rejection_problems
from web.ui.history import FIELD_CLASSES

MAX_POSTED_FIELDS = 201  # rows read from one post at most (the service refuses over 200)

KIND_LABELS = {
    "text": _l("Short text"),
    "textarea": _l("Long text"),
    "number": _l("Number"),
    "integer": _l("Whole number"),
    "boolean": _l("Yes or no"),
    "date": _l("Date"),
    "choice": _l("Choice from a list"),
    "multi": _l("Several choices"),
    "user": _l("A person"),
    OTHER: _l("Other (kept as it is)"),
}


@dataclass
class FieldRow:
    """A field of the draft as the editor shows it."""

    index: int
    edit: FieldEdit
    choices_text: str
    translated_choices: dict[str, str]
    errors: dict[str, list[str]] = field(default_factory=dict)

    def error(self, part: str) -> list[str]:
        return self.errors.get(f"field-{self.index}-{part}", [])

    @property
    def translation_errors(self) -> bool:
        return any(self.error(f"{lang}-{part}") for lang in TRANSLATED
                   for part in ("title", "description", "choices"))  # fmt: skip


# ---------------------------------------------------------------- the list


@blueprint.get("/designer/<key>/forms")
def designer_forms(key: str) -> str:
    actor = _designer()
    ctx = polku()
    view = service.list_forms(ctx.uow(), ctx.engine, actor, key)
    return render_template("designer_forms.html", key=key, view=view)


# ---------------------------------------------------------------- one form


@blueprint.get("/designer/<key>/forms/<path:form>")
def designer_form(key: str, form: str) -> tuple[str, int]:
    actor = _designer()
    ctx = polku()
    draft = service.load_draft(ctx.uow(), ctx.engine, actor, key, form)
    return _render(draft, draft.edit)


@blueprint.post("/designer/<key>/forms/<path:form>")
def designer_form_post(key: str, form: str) -> Response | tuple[str, int]:
    actor = _designer()
    ctx = polku()
    draft = service.load_draft(ctx.uow(), ctx.engine, actor, key, form)
    try:
        edit = edit_from_post(request.form, form)
    except InvalidInput as exc:
        return _render(draft, draft.edit, error=exc, status=400)
    action = request.form.get("action", "preview")
    if _rearrange(edit, action):
        return _render(draft, edit)
    try:
        result = service.save_form(
            ctx.uow(), ctx.engine, ctx.clock, actor, key, edit, dry_run=action != "save"
        )
    except ModelRejected as exc:
        return _render(draft, edit, error=exc, problems=_rejection_problems(exc), status=400)
    except InvalidInput as exc:
        return _render(draft, edit, error=exc, status=400)
    if action != "save":
        return _render(draft, edit, checked=True)
    if result.created:
        flash(_("Saved as version %(number)s.", number=result.version), "success")
    else:
        flash(_("Nothing was changed: no new version was made."), "info")
    return redirect(url_for("ui.designer_form", key=key, form=form))


def _rearrange(edit: FormEdit, action: str) -> bool:
    """Add, remove or move a field as the button asks; False for preview and save."""
    if action == "add":
        taken = {f.name for f in edit.fields}
        number = next(n for n in range(1, len(taken) + 2) if f"field_{n}" not in taken)
        edit.fields.append(FieldEdit(name=f"field_{number}", title=""))
        return True
    verb, _sep, position = action.partition("-")
    if verb not in ("up", "down", "remove") or not position.isdigit():
        return False
    index = int(position)
    if index >= len(edit.fields):
        return True
    if verb == "remove":
        edit.fields.pop(index)
    else:
        other = index - 1 if verb == "up" else index + 1
        if 0 <= other < len(edit.fields):
            edit.fields[index], edit.fields[other] = edit.fields[other], edit.fields[index]
    return True


def _render(
    draft: service.FormDraft,
    edit: FormEdit,
    *,
    error: InvalidInput | None = None,
    problems: list[dict[str, Any]] | None = None,
    checked: bool = False,
    status: int = 200,
) -> tuple[str, int]:
    errors = labels.messages(error.errors) if error is not None else {}
    rows = [
        FieldRow(
            i,
            f,
            choices_text(f.choices),
            {lang: "\n".join(f.texts(lang).choices) for lang in TRANSLATED},
            errors,
        )
        for i, f in enumerate(edit.fields)
    ]
    preview = None
    if error is None or isinstance(error, ModelRejected):
        try:
            schema = service.preview(draft, edit, current_lang())
        except InvalidInput:
            schema = None
        if schema is not None:
            preview = forms.build(schema)
    summary = labels.detail(error) if error is not None else None
    return render_template(
        "designer_form.html",
        draft=draft,
        edit=edit,
        rows=rows,
        errors=errors,
        # an error with no wording of its own is said by its fields' messages (listed below it)
        error=summary or (error.message if error is not None and not errors else None),
        problems=problems,
        preview=preview,
        checked=checked,
        languages=TRANSLATED,
        kinds=[*KINDS],
        kind_labels=KIND_LABELS,
        visibility_classes=VISIBILITY_CLASSES,
        visibility_labels=FIELD_CLASSES,
    ), status


# ---------------------------------------------------------------- the posted draft


def choices_text(choices: list[Choice]) -> str:
    """The choices one per line: `value = label` (or the value alone)."""
    return "\n".join(f"{c.value} = {c.label}" if c.label is not None else c.value for c in choices)


def parse_choices(text: str) -> list[Choice]:
    result = []
    for line in text.replace("\r\n", "\n").split("\n"):
        line = line.strip()
        if not line:
            continue
        value, sep, label = line.partition("=")
        result.append(Choice(value.strip(), label.strip() or None if sep else None))
    return result


def _lines(text: str) -> list[str]:
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _text(form: MultiDict[str, str], name: str) -> str:
    return form.get(name, "").replace("\r\n", "\n")


def edit_from_post(form: MultiDict[str, str], path: str) -> FormEdit:
    """The draft the editor posted; InvalidInput naming the field when it is not readable."""
    count_text = form.get("field-count", "")
    based_on_text = form.get("based_on", "")
    if not count_text.isdigit() or int(count_text) > MAX_POSTED_FIELDS:
        raise InvalidInput(
            "the form editor's field-count is missing or not a number",
            {"field-count": [_("Open the form again.")]},
            code="invalid_input",
        )
    if not based_on_text.isdigit():
        raise InvalidInput(
            "the form editor's based_on is missing or not a number",
            {"based_on": [_("Open the form again.")]},
            code="invalid_input",
        )
    edit = FormEdit(
        path=path,
        based_on=int(based_on_text),
        title=_text(form, "form-title"),
        title_translations={lang: _text(form, f"form-{lang}-title") for lang in TRANSLATED},
    )
    for i in range(int(count_text)):
        key = f"field-{i}"
        if f"{key}-name" not in form:
            continue
        original = form.get(f"{key}-original", "")
        edit.fields.append(
            FieldEdit(
                name=form.get(f"{key}-name", "").strip(),
                original=original or None,
                title=_text(form, f"{key}-title"),
                kind=form.get(f"{key}-kind", "text"),
                required=form.get(f"{key}-required") == "1",
                description=_text(form, f"{key}-description"),
                visibility=form.get(f"{key}-visibility", ""),
                choices=parse_choices(form.get(f"{key}-choices", "")),
                translations={
                    lang: FieldTexts(
                        _text(form, f"{key}-{lang}-title"),
                        _text(form, f"{key}-{lang}-description"),
                        _lines(form.get(f"{key}-{lang}-choices", "")),
                    )
                    for lang in TRANSLATED
                },
            )
        )
    return edit
