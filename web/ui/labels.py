"""Words the pages show for codes the engine stores (event kinds, phases, statuses, outcomes)
and translations of the fixed English messages the services return."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

SYSTEM = _l("System")

EVENT_KINDS = {
    "instance_started": _l("Path started"),
    "task_ready": _l("Task ready"),
    "task_completed": _l("Task completed"),
    "task_cancelled": _l("Task cancelled"),
    "task_claimed": _l("Task claimed"),
    "task_released": _l("Task released"),
    "element_completed": _l("Automatic step completed"),
    "timer_fired": _l("Waiting time ended"),
    "message_received": _l("External decision received"),
    "case_manager_changed": _l("Case manager changed"),
    "task_handed_over": _l("Task handed over"),
    "consent_given": _l("Consent given"),
    "consent_withdrawn": _l("Consent withdrawn"),
    "instance_completed": _l("Path completed"),
}

PHASES = {
    "encounter": _l("Encounter"),
    "referral": _l("Referral"),
    "assessment": _l("Assessment and plan"),
    "services": _l("Services"),
    "follow_up": _l("Follow-up"),
}

STATUSES = {
    "running": _l("Running"),
    "completed": _l("Completed"),
}

MODEL_SOURCES = {
    "disk": _l("Model folder"),
    "upload": _l("Uploaded file"),
    "modeller": _l("Modeller"),
}

TASK_STATES = {
    "open": _l("Open"),
    "completed": _l("Done"),
    "cancelled": _l("Cancelled"),
}

WAITING_KINDS = {
    "timer": _l("Timer"),
    "message": _l("Message"),
}

DECISIONS = {
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
}

OUTCOMES = {
    "urgent_care": _l("Referred to urgent care"),
    "occupational_health": _l("Referred to occupational health care"),
    "closed": _l("Closed"),
    "employment_company": _l("Employment in a company"),
    "employment_company_wage_subsidy": _l("Employment in a company with wage subsidy"),
    "employment_city": _l("Employment with the city"),
    "employment_city_wage_subsidy": _l("Employment with the city with wage subsidy"),
    "employment_third_sector": _l("Employment in the third sector"),
    "employment_third_sector_wage_subsidy": _l("Employment in the third sector with wage subsidy"),
    "apprenticeship": _l("Apprenticeship"),
    "work_trial": _l("Work trial"),
    "study": _l("Study"),
    "pension_decision": _l("Pension decision"),
    "other_service": _l("Referred to another service"),
    "no_onward_referral": _l("No onward referral"),
}


def _label(table: Mapping[str, object], code: str | None) -> str:
    if code is None:
        return ""
    return str(table.get(code, code))


def event_kind(code: str | None) -> str:
    return _label(EVENT_KINDS, code)


def phase(code: str | None) -> str:
    return _label(PHASES, code)


def status(code: str | None) -> str:
    return _label(STATUSES, code)


def task_state(code: str | None) -> str:
    return _label(TASK_STATES, code)


def waiting_kind(code: str | None) -> str:
    return _label(WAITING_KINDS, code)


def model_source(code: str | None) -> str:
    return _label(MODEL_SOURCES, code)


def decision(code: str | None) -> str:
    return _label(DECISIONS, code)


def outcome(code: str | None) -> str:
    return _label(OUTCOMES, code)


# Field messages: engine.workflow.forms.MESSAGES and OTHER, and those of the services.
MESSAGES = {
    "Not UTF-8 text.": _l("The file is not UTF-8 text."),
    "Between 1 and 250 working days.": _l("Give a whole number of working days from 1 to 250."),
    "Choose a process model.": _l("Choose a process model."),
    "Give the data set a name.": _l("Give the data set a name."),
    "This field is required.": _l("This field is required."),
    "Choose one of the allowed values.": _l("Choose one of the allowed values."),
    "The value is of the wrong type.": _l("The value is of the wrong type."),
    "The value is too small.": _l("The value is too small."),
    "The value is too large.": _l("The value is too large."),
    "The text is too short.": _l("The text is too short."),
    "The text is too long.": _l("The text is too long."),
    "Choose more items.": _l("Choose more items."),
    "Choose fewer items.": _l("Choose fewer items."),
    "The value is not in the right format.": _l("The value is not in the right format."),
    "The form has a field it does not know.": _l("The form has a field it does not know."),
    "The value is not valid.": _l("The value is not valid."),
    "Enter a number.": _l("Enter a number."),
    "Not a valid Finnish personal identity code.": _l(
        "Not a valid Finnish personal identity code."
    ),
    "A client with this code is registered.": _l("A client with this code is registered."),
    "Give a reason.": _l("Give a reason."),
    "This colleague does not hold the task's role.": _l(
        "This colleague does not hold the task's role."
    ),
    "Say what the consent covers.": _l("Say what the consent covers."),
    "No such user.": _l("No such user."),
    "Upload a .bpmn file.": _l("Upload a .bpmn file."),
    "Use lower-case letters, digits, '-' or '_'.": _l(
        "Use lower-case letters, digits, '-' or '_'."
    ),
    "Choose another version.": _l("Choose another version."),
}

_PATTERNS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (
        re.compile(r"^No user '(?P<name>.*)' exists\.$"),
        lambda m: _("No user '%(name)s' exists.", name=m["name"]),
    ),
    (
        re.compile(r"^Unknown message '(?P<name>.*)'\.$"),
        lambda m: _("Unknown message '%(name)s'.", name=m["name"]),
    ),
]


# What the event-log importer (engine.analytics.eventlog) finds wrong on a line.
_IMPORT_LINE = re.compile(r"^line (?P<line>\d+): (?P<problem>.*)$", re.S)
_IMPORT_PROBLEMS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"^the file is empty$"), lambda m: _("the file is empty")),
    (re.compile(r"^the file has no events$"), lambda m: _("the file has no events")),
    (
        re.compile(r"^the header must be (?P<columns>[\w,]+)(?P<rest>.*)$"),
        lambda m: _("the header must be %(columns)s", columns=m["columns"]) + m["rest"],
    ),
    (
        re.compile(r"^expected (?P<want>\d+) fields, found (?P<got>\d+)$"),
        lambda m: _("expected %(want)s fields, found %(got)s", want=m["want"], got=m["got"]),
    ),
    (re.compile(r"^(?P<name>\w+) is empty$"), lambda m: _("%(name)s is empty", name=m["name"])),
    (
        re.compile(r"^(?P<name>\w+) is longer than (?P<max>\d+) characters$"),
        lambda m: _("%(name)s is longer than %(max)s characters", name=m["name"], max=m["max"]),
    ),
    (
        re.compile(r"^timestamp '(?P<value>.*)' is not ISO 8601$", re.S),
        lambda m: _("timestamp '%(value)s' is not an ISO 8601 time", value=m["value"]),
    ),
    (
        re.compile(r"^timestamp '(?P<value>.*)' has no time zone$", re.S),
        lambda m: _("timestamp '%(value)s' has no time zone", value=m["value"]),
    ),
    (
        re.compile(r"^lifecycle '(?P<value>.*)' is not one of (?P<allowed>.*)$", re.S),
        lambda m: _(
            "lifecycle '%(value)s' is not one of %(allowed)s",
            value=m["value"],
            allowed=m["allowed"],
        ),
    ),  # fmt: skip
    (
        re.compile(r"^the line is longer than (?P<max>\d+) bytes$"),
        lambda m: _("the line is longer than %(max)s bytes", max=m["max"]),
    ),
    (
        re.compile(r"^(?P<name>\w+) contains a NUL character$"),
        lambda m: _("%(name)s contains a NUL character", name=m["name"]),
    ),
    (
        re.compile(r"^the line is not CSV \((?P<why>.*)\)$", re.S),
        lambda m: _("the line is not CSV (%(why)s)", why=m["why"]),
    ),
    (
        re.compile(r"^more than (?P<max>\d+) rows$"),
        lambda m: _("more than %(max)s rows", max=m["max"]),
    ),
]


def message(text: str) -> str:
    """A field message in the reader's language (unknown messages are shown as they are).
    An import problem keeps its line number: "line 3: ..." becomes "Rivi 3: ..."."""
    line = _IMPORT_LINE.match(text)
    if line is not None:
        problem = line["problem"]
        for pattern, render in _IMPORT_PROBLEMS:
            match = pattern.match(problem)
            if match:
                problem = render(match)
                break
        return _("Line %(line)s: %(problem)s", line=line["line"], problem=problem)
    known = MESSAGES.get(text)
    if known is not None:
        return str(known)
    for pattern, render in _PATTERNS:
        match = pattern.match(text)
        if match:
            return render(match)
    return text


def messages(errors: Mapping[str, list[str]] | None) -> dict[str, list[str]]:
    return {key: [message(m) for m in msgs] for key, msgs in (errors or {}).items()}


# Details of the errors the services raise (engine.services.*), in the reader's language.
_DETAILS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"^task \S+ does not exist$"), lambda m: _("The task does not exist.")),
    (re.compile(r"^client \S+ does not exist$"), lambda m: _("The client does not exist.")),
    (re.compile(r"^instance \S+ does not exist$"), lambda m: _("The path does not exist.")),
    (
        re.compile(r"^process model '(?P<key>.*)' does not exist$"),
        lambda m: _("The process model '%(key)s' does not exist.", key=m["key"]),
    ),
    (
        re.compile(r"^process model '(?P<key>.*)' has no version (?P<number>\S+)$"),
        lambda m: _(
            "The process model '%(key)s' has no version %(number)s.",
            key=m["key"],
            number=m["number"],
        ),
    ),
    (
        re.compile(r"^only process designers may change process models$"),
        lambda m: _("Only process designers may change process models."),
    ),
    (
        re.compile(r"^only process designers may manage process models$"),
        lambda m: _("Only process designers may manage process models."),
    ),
    (
        re.compile(r"^task '(?P<name>.*)' is already (?P<state>\w+)$"),
        lambda m: _(
            "The task “%(name)s” is already %(state)s.",
            name=m["name"],
            state=task_state(m["state"]).lower(),
        ),
    ),
    (
        re.compile(r"^task '(?P<name>.*)' is claimed by (?P<holder>.*)$"),
        lambda m: _(
            "The task “%(name)s” is claimed by %(holder)s.",
            name=m["name"],
            holder=m["holder"] if m["holder"] != "someone else" else _("someone else"),
        ),
    ),
    (
        re.compile(r"^task '(?P<name>.*)' is not claimed$"),
        lambda m: _("The task “%(name)s” is not claimed.", name=m["name"]),
    ),
    (
        re.compile(r"^you have already claimed task '(?P<name>.*)'$"),
        lambda m: _("You have already claimed the task “%(name)s”.", name=m["name"]),
    ),
    (
        re.compile(r"^task '(?P<name>.*)' is not for your roles$"),
        lambda m: _("The task “%(name)s” is not for your roles.", name=m["name"]),
    ),
    (
        re.compile(r"^no client relationship or task role$"),
        lambda m: _("You have no client relationship or task role for this client."),
    ),
    (
        re.compile(r"^only coordination roles may start a client's path$"),
        lambda m: _("Only coordination roles may start a client's path."),
    ),
    (
        re.compile(r"^only coordination roles may register clients$"),
        lambda m: _("Only coordination roles may register clients."),
    ),
    (
        re.compile(r"^your roles may not record external decisions$"),
        lambda m: _("Your roles may not record external decisions."),
    ),
    (
        re.compile(r"^only the team coordinator or the case manager may change the case manager$"),
        lambda m: _("Only the team coordinator or the case manager may change the case manager."),
    ),
    (
        re.compile(r"^task '(?P<name>.*)' is not yours to hand over$"),
        lambda m: _("You may not hand over the task “%(name)s”.", name=m["name"]),
    ),
    (
        re.compile(r"^task '(?P<name>.*)' is already (?P<holder>.*)'s$"),
        lambda m: _(
            "The task “%(name)s” is already %(holder)s’s.", name=m["name"], holder=m["holder"]
        ),
    ),
    (
        re.compile(r"^the team view is for the team coordinator$"),
        lambda m: _("The team view is for the team coordinator."),
    ),
    (
        re.compile(r"^only the team coordinator sees another case manager's caseload$"),
        lambda m: _("Only the team coordinator sees another case manager’s caseload."),
    ),
    (
        re.compile(r"^only coordinators and the case manager record consent$"),
        lambda m: _("Only coordinators and the client’s case manager record consent."),
    ),
    (
        re.compile(r"^the client has no consent in force$"),
        lambda m: _("The client has no consent in force."),
    ),
    (
        re.compile(r"^the client already has a consent in force$"),
        lambda m: _("The client already has a consent in force."),
    ),
    (
        re.compile(r"^no user '(?P<name>.*)'$"),
        lambda m: _("No user '%(name)s' exists.", name=m["name"]),
    ),
    (
        re.compile(r"^the client's path was changed by someone else meanwhile: try again$"),
        lambda m: _("Someone else changed the client's path meanwhile. Try again."),
    ),
    (
        re.compile(r"^the path is (?P<status>\w+)(: it waits for no messages)?$"),
        lambda m: _("The path is %(status)s.", status=status(m["status"]).lower()),
    ),
    (
        re.compile(r"^the process model could not go on"),
        lambda m: _("The process model could not go on. Tell the model's maintainer."),
    ),
]


def detail(text: str) -> str | None:
    """The service's explanation in the reader's language, or None when it is not known."""
    for pattern, render in _DETAILS:
        match = pattern.match(text)
        if match:
            return render(match)
    return None


# Each language is named in itself, whatever the page's language.
LANGUAGE_NAMES = {"fi": "Suomi", "en": "English", "sv": "Svenska"}
