"""The engine's coded messages in the reader's language, by lookup of their code.

The engine gives every error, field message and validation finding a stable code and the
params it was made from (engine.errors.Text); `message_texts.TEMPLATES` words each code. A
message without a code (or with an unknown one) is shown as it is: in English, never wrong."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask_babel import gettext as _

from engine.errors import Text
from web.ui import labels
from web.ui.message_texts import GENERIC, TEMPLATES

# The web layer's own field messages (coded like the engine's, so they translate alike).
REQUIRED = Text("field_required", "This field is required.")
NOT_ALLOWED = Text("value_not_allowed", "Choose one of the allowed values.")
GIVE_REASON = Text("reason_give", "Give a reason.")
TOO_LONG = Text("text_too_long", "The text is too long.")

# Params whose value is itself a code with a word of its own.
_WORDS: dict[str, Callable[[Any], str]] = {
    "state": lambda v: labels.task_state(str(v)).lower(),
    "status": lambda v: labels.status(str(v)).lower(),
    "holder": lambda v: _("someone else") if v == "someone else" else str(v),
}


def render(code: str | None, params: Mapping[str, Any] | None, fallback: str) -> str:
    """The code's wording with its params, or `fallback` (the English) for an unknown code."""
    template = TEMPLATES.get(code or "")
    if template is None:
        return fallback
    values: dict[str, Any] = dict(params or {})
    for name in list(values):
        inner = values.get(f"{name}_code")
        if inner:  # a message nested in this one (e.g. why a condition is not allowed)
            rest = {k: v for k, v in values.items() if k != f"{name}_code"}
            values[name] = render(str(inner), rest, str(values[name]))
        elif name in _WORDS and values[name] is not None:
            values[name] = _WORDS[name](values[name])
    try:
        return str(template) % values if "%(" in str(template) else str(template)
    except (KeyError, TypeError, ValueError):
        return fallback


def text(message: str) -> str:
    """One message (a field message, a finding, a stored import error) for the reader."""
    if isinstance(message, Text):
        return render(message.code, message.params, str(message))
    return str(message)


def fields(errors: Mapping[str, list[str]] | None) -> dict[str, list[str]]:
    """InvalidInput.errors for the reader: field -> its messages, each translated."""
    return {key: [text(m) for m in msgs] for key, msgs in (errors or {}).items()}


def detail(error: Any) -> str | None:
    """What an engine error says, for the reader; None when its code is a class's generic one
    (the error page's explanation says it) or has no wording."""
    code = getattr(error, "code", None)
    if code is None and isinstance(error, Text):
        code = error.code
    if code is None or code in GENERIC or code not in TEMPLATES:
        return None
    params = getattr(error, "params", None) or {}
    fallback = str(getattr(error, "message", error))
    return render(code, params, fallback)


def finding(problem: Any) -> str:
    """A validation finding's problem (engine.workflow.model.Problem) for the reader."""
    return text(problem.message)


def finding_line(found: Any) -> tuple[str, str | None]:
    """A validation finding as one line for the reader, and its language when it is left in
    English (an older row's finding, or one without a known code): `found` is a Problem or
    what process_model_version.validation / deployment.problems hold (`Problem.stored()`)."""
    from engine.workflow.model import Problem

    problem = found if isinstance(found, Problem) else Problem.from_stored(found)
    if problem.code is None or problem.code not in TEMPLATES:
        return str(problem), "en"
    where = problem.file + (f" [{problem.element}]" if problem.element else "")
    severity = _("Warning") if problem.severity == "warning" else _("Error")
    return f"{severity}: {where}: {finding(problem)}", None
