"""The history of a path as sentences in the reader's language: who (their display name, not
their username) did what, in which role, at which step, and what came of it where that is safe
to show ("Kela's decision arrived: approved, 1.12.2026.").

`sentence(event)` words every kind of event the engine writes (`SENTENCES`); a kind it does not
know still gets a worded sentence, never its code. `tests/test_history_sentences.py` scans the
engine's source for the kinds it records, so a new kind cannot be forgotten here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import format_date, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from web.ui import blueprint, labels, person, role_label
from web.ui.model_texts import model_text

# Outside messages a path waits for, by the message's name in the model.
MESSAGE_NAMES = {
    "kela_decision": _l("Kela's decision"),
    "pension_decision": _l("The pension provider's decision"),
}
FIELD_CLASSES = {
    "shared": _l("Shared data"),
    "health": _l("Health data"),
    "social": _l("Social welfare data"),
    "employment": _l("Employment data"),
    "benefits": _l("Benefits data"),
}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_NAMED_IN = "named in "


@dataclass(frozen=True)
class Context:
    """What a sentence may need beyond its event: the path's model name, the notes the
    reader may see (by id) and the outside messages' forms (by message name)."""

    model_name: str = ""
    notes: Mapping[int, Any] | None = None
    message_forms: Mapping[str, Mapping[str, Any]] | None = None


Event = Mapping[str, Any]
Words = Callable[[Event, Any, Context], str]


def _who(e: Event) -> str:
    return person(e.get("actor")) or _("Someone")


def _role(e: Event) -> str:
    return role_label(e.get("role")) if e.get("role") else ""


def _step(e: Event) -> str:
    return str(e.get("element_name") or e.get("bpmn_id") or _("a step"))


def _reason(text: str | None) -> str:
    """A reason as stored, in words ("named in Support plan" is the engine's own)."""
    if not text:
        return ""
    if text.startswith(_NAMED_IN):
        return _("named in the form “%(form)s”", form=text.removeprefix(_NAMED_IN))
    return text


def _day(value: Any) -> str:
    if isinstance(value, datetime | date):
        return str(format_date(value, format="short"))
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            return str(format_date(date.fromisoformat(value[:10]), format="short"))
        except ValueError:
            return value
    return str(value or "")


def _with_reason(text: str, reason: str | None) -> str:
    words = _reason(reason)
    if not words:
        return text
    return text + " " + _("Reason: %(reason)s.", reason=words.rstrip("."))


def _started(e: Event, d: Any, c: Context) -> str:
    text = _(
        "%(who)s started the path %(model)s (version %(version)s).",
        who=_who(e), model=c.model_name or d.get("model") or _("of this client"),
        version=d.get("version", "?"),
    )  # fmt: skip
    if d.get("duplicate_of") and d.get("override_reason_given"):
        text += " " + _(
            "Another path of the same model was already running; a reason for starting a "
            "second one was recorded."
        )
    elif d.get("duplicate_of"):
        text += " " + _("Another path of the same model was already running.")
    return text


def _ready(e: Event, d: Any, c: Context) -> str:
    if e.get("role"):
        return _("The step “%(step)s” is ready for %(role)s.", step=_step(e), role=_role(e))
    return _("The step “%(step)s” is ready.", step=_step(e))


def _completed(e: Event, d: Any, c: Context) -> str:
    if e.get("role"):
        return _(
            "%(who)s (%(role)s) completed the step “%(step)s”.",
            who=_who(e), role=_role(e), step=_step(e),
        )  # fmt: skip
    return _("%(who)s completed the step “%(step)s”.", who=_who(e), step=_step(e))


def _element(e: Event, d: Any, c: Context) -> str:
    if e.get("element_name"):
        return _("The path passed the automatic step “%(step)s”.", step=e["element_name"])
    return _("The path passed an automatic step.")


def _timer(e: Event, d: Any, c: Context) -> str:
    if e.get("element_name"):
        return _("The waiting time “%(step)s” ended.", step=e["element_name"])
    return _("A waiting time ended.")


def _value(field: str, value: Any, schema: Mapping[str, Any] | None) -> str | None:
    """A message's value in words, or None when it is free text (not shown here)."""
    prop = ((schema or {}).get("properties") or {}).get(field) or {}
    enum, names = prop.get("enum"), prop.get("x-enumNames")
    if isinstance(enum, list) and isinstance(names, list) and value in enum:
        return str(names[enum.index(value)]) if enum.index(value) < len(names) else str(value)
    if field == "decision" and value in labels.DECISIONS:
        return labels.decision(value).lower()
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str) and _ISO_DATE.match(value):
        return _day(value)
    if isinstance(value, str) and isinstance(enum, list) and value in enum:
        return value
    return None


def _message(e: Event, d: Any, c: Context) -> str:
    name = str(d.get("message") or "")
    schema = (c.message_forms or {}).get(name)
    title = MESSAGE_NAMES.get(name) or (schema or {}).get("title") or _("An outside decision")
    values = d.get("values") if isinstance(d.get("values"), dict) else {}
    order = sorted(values, key=lambda f: (f != "decision",))
    shown = [v for v in (_value(f, values[f], schema) for f in order) if v]
    text = (
        _("%(message)s arrived: %(content)s.", message=title, content=", ".join(shown))
        if shown
        else _("%(message)s arrived.", message=title)
    )
    if e.get("actor") and e.get("actor") != "system":
        text += " " + _("Recorded by %(who)s.", who=_who(e))
    return text


def _case_manager(e: Event, d: Any, c: Context) -> str:
    new, old, reason = person(d.get("to")), person(d.get("from")), d.get("reason") or ""
    if reason.startswith(_NAMED_IN):
        return _(
            "%(new)s was named the case manager in the form “%(form)s”.",
            new=new, form=reason.removeprefix(_NAMED_IN),
        )  # fmt: skip
    if old:
        text = _(
            "%(who)s changed the case manager from %(old)s to %(new)s.",
            who=_who(e), old=old, new=new,
        )  # fmt: skip
    else:
        text = _("%(who)s named %(new)s the case manager.", who=_who(e), new=new)
    return _with_reason(text, reason)


def _handed_over(e: Event, d: Any, c: Context) -> str:
    from web.ui.team import holder_label

    text = _(
        "%(who)s handed the step “%(step)s” over from %(old)s to %(new)s.",
        who=_who(e), step=_step(e), old=holder_label(d.get("from")) or "–",
        new=person(d.get("to")),
    )  # fmt: skip
    return _with_reason(text, d.get("reason"))


def _consent_given(e: Event, d: Any, c: Context) -> str:
    text = _("%(who)s recorded the client's consent to multi-organisation handling.", who=_who(e))
    if d.get("scope"):
        text += " " + _("Scope: %(scope)s.", scope=d["scope"])
    return text


def _consent_withdrawn(e: Event, d: Any, c: Context) -> str:
    text = _(
        "%(who)s recorded that the client withdrew the consent: multi-organisation handling "
        "stopped.",
        who=_who(e),
    )
    return _with_reason(text, d.get("reason"))


def _correction_requested(e: Event, d: Any, c: Context) -> str:
    """The client asked for a correction on their own pages (/oma), in their words."""
    return _("The client asked for a correction: “%(text)s”", text=d["text"])


def _instance_completed(e: Event, d: Any, c: Context) -> str:
    if d.get("outcome"):
        outcome = labels.outcome(d["outcome"])
        return _("The path was completed. Outcome: %(outcome)s.", outcome=outcome)
    return _("The path was completed.")


def _employment(e: Event, d: Any, c: Context) -> str:
    from web.ui.employment_words import sentence as employment_sentence

    return employment_sentence(_who(e), d)


def _migrated(e: Event, d: Any, c: Context) -> str:
    if d.get("undo_of"):
        text = _(
            "%(who)s undid a version migration: the path is back on version %(new)s of its "
            "model (from version %(old)s).",
            who=_who(e), old=d.get("from", "?"), new=d.get("to", "?"),
        )  # fmt: skip
    else:
        text = _(
            "%(who)s moved the path from version %(old)s to version %(new)s of its model.",
            who=_who(e), old=d.get("from", "?"), new=d.get("to", "?"),
        )  # fmt: skip
    renamed = [r for r in d.get("renamed") or [] if isinstance(r, dict) and r.get("to")]
    for r in renamed:
        text += " " + _(
            "The open step “%(old)s” is now “%(new)s”.",
            old=model_text(None, str(r.get("from") or "")),
            new=model_text(None, str(r["to"])),
        )
    return text


def _corrected(e: Event, d: Any, c: Context) -> str:
    fields = d.get("fields") or []
    count = len(fields) if isinstance(fields, list) else 0
    if e.get("element_name"):
        text = ngettext(
            "%(who)s corrected %(num)d answer of the step “%(step)s”.",
            "%(who)s corrected %(num)d answers of the step “%(step)s”.",
            count, who=_who(e), step=e["element_name"],
        )  # fmt: skip
    else:
        text = ngettext(
            "%(who)s corrected %(num)d answer of an earlier form.",
            "%(who)s corrected %(num)d answers of an earlier form.",
            count, who=_who(e),
        )  # fmt: skip
    decided = d.get("decided_fields") or []
    if decided:
        text += " " + ngettext(
            "%(num)d of them had already decided where the path went; the path was not rerouted.",
            "%(num)d of them had already decided where the path went; the path was not rerouted.",
            len(decided),
        )
    return _with_reason(text, d.get("reason"))


def _note(e: Event, d: Any, c: Context) -> str:
    visibility = str(d.get("visibility") or "shared")
    label = str(FIELD_CLASSES.get(visibility, FIELD_CLASSES["shared"]))
    if c.notes is None:  # the notes are not at hand (an export): said without the text
        return _("%(who)s wrote a note (%(kind)s).", who=_who(e), kind=label)
    note = c.notes.get(d.get("note_id"))  # type: ignore[call-overload]
    if note is None:
        return _(
            "%(who)s wrote a note (%(kind)s) that your work does not need.",
            who=_who(e), kind=label,
        )  # fmt: skip
    return _(
        "%(who)s wrote a note (%(kind)s): “%(text)s”",
        who=_who(e), kind=label, text=note.text,
    )  # fmt: skip


def _rescheduled(e: Event, d: Any, c: Context) -> str:
    text = _(
        "%(who)s moved the follow-up review from %(old)s to %(new)s.",
        who=_who(e), old=_day(d.get("from")) or "–", new=_day(d.get("to")) or "–",
    )  # fmt: skip
    return _with_reason(text, d.get("reason"))


def _member(e: Event, d: Any, c: Context) -> str:
    member = person(d.get("user") or d.get("username") or d.get("member")) or _("A colleague")
    form = d.get("named_in") or e.get("element_name")
    if form:
        return _(
            "%(member)s was named to the client's team in the form “%(form)s”.",
            member=member, form=str(form).removeprefix(_NAMED_IN),
        )  # fmt: skip
    return _("%(member)s was named to the client's team.", member=member)


def _claimed(e: Event, d: Any, c: Context) -> str:
    return _("%(who)s took the step “%(step)s” to work on.", who=_who(e), step=_step(e))


def _released(e: Event, d: Any, c: Context) -> str:
    return _("%(who)s released the step “%(step)s” for others.", who=_who(e), step=_step(e))


def _cancelled(e: Event, d: Any, c: Context) -> str:
    return _("The step “%(step)s” was no longer needed as the path moved on.", step=_step(e))


SENTENCES: dict[str, Words] = {
    "instance_started": _started,
    "task_ready": _ready,
    "task_completed": _completed,
    "task_cancelled": _cancelled,
    "task_claimed": _claimed,
    "task_released": _released,
    "element_completed": _element,
    "timer_fired": _timer,
    "message_received": _message,
    "case_manager_changed": _case_manager,
    "task_handed_over": _handed_over,
    "consent_given": _consent_given,
    "consent_withdrawn": _consent_withdrawn,
    "correction_requested": _correction_requested,
    "instance_completed": _instance_completed,
    "instance_migrated": _migrated,
    "submission_corrected": _corrected,
    "note_added": _note,
    "review_rescheduled": _rescheduled,
    "member_named": _member,
    "employment_recorded": _employment,
}


def sentence(event: Event, context: Context | None = None) -> str:
    """The event in words, in the reader's language."""
    c = context or Context()
    data = event.get("data") if isinstance(event.get("data"), dict) else {}
    words = SENTENCES.get(str(event.get("kind")))
    if words is not None:
        try:
            return words(event, data, c)
        except (KeyError, TypeError, ValueError, AttributeError):
            pass  # an event written before its data took today's shape: said in general
    if event.get("element_name"):
        return _("Something was recorded at the step “%(step)s”.", step=event["element_name"])
    return _("Something was recorded on the path.")


def sentences(events: Iterable[Event], context: Context | None = None) -> list[tuple[Event, str]]:
    return [(e, sentence(e, context)) for e in events]


@blueprint.app_template_global("history_sentence")
def history_sentence(event: Event, model_name: str = "") -> str:
    """For templates that show a history without notes at hand (the client export)."""
    return sentence(event, Context(model_name=model_name))
