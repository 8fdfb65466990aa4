"""The client's pages in plain language (selkokieli): the five phases, the access log's
actions and the error pages, in the reader's language (Finnish by default)."""

from __future__ import annotations

from flask import render_template
from flask_babel import lazy_gettext as _l

# the five phases of the national pathway, as a client would say them
PHASES = {
    "encounter": _l("First meeting"),
    "referral": _l("You are referred to the team"),
    "assessment": _l("We look at your situation and make a plan"),
    "services": _l("You get services and support"),
    "follow_up": _l("We follow how you are doing"),
}
PHASE_HELP = {
    "encounter": _l("You met a professional. You talked about your work ability."),
    "referral": _l("A coordinator talks with you and finds the right people for you."),
    "assessment": _l(
        "The team looks at your health, work ability and situation with you. Together you "
        "make a support plan."
    ),
    "services": _l("Your case manager arranges the services and support in your plan."),
    "follow_up": _l("You and your case manager check how things are going and what is next."),
}

# what was done with the client's data (access_log.action)
ACTIONS = {
    "read": _l("looked at"),
    "update": _l("changed or added"),
    "create": _l("added"),
    "disclose": _l("handed out"),
    "sign-in": _l("signed in"),
    "sign-out": _l("signed out"),
}

# the access policy's bases (access_log.basis), by how they begin, in plain words
BASES = [
    ("the client themself", _l("it was you")),
    ("the client's request", _l("you asked for it")),
    ("case manager", _l("they are your case manager")),
    ("assigned task", _l("they had a task on your path")),
    ("assignee", _l("they had a task on your path")),
    ("offered task", _l("a task on your path was for their work")),
    ("did task", _l("they did a task on your path")),
    ("named in", _l("they are named in your plan")),
    ("recorded an external decision", _l("they recorded a decision on your path")),
    ("external decision awaited", _l("your path waited for their decision")),
    ("intake coordination", _l("they receive new clients in the organisation")),
    ("emergency access", _l("they opened your path in an emergency")),
    ("background job", _l("Polku's automatic work")),
    ("auditor", _l("they check the log of the organisation")),
    ("supervisor", _l("a supervisor checked the use of data")),
    ("strong identification", _l("you signed in")),
    ("demo sign-in", _l("you signed in (demo)")),
]

_ERRORS = {
    403: (_l("You cannot see this"), _l("This is not your information. The attempt was saved.")),
    404: (_l("Not found"), _l("We did not find this page.")),
    409: (_l("This cannot be done now"), _l("Please try again later or ask your case manager.")),
}


def phase(code: str | None) -> str:
    return str(PHASES.get(code or "", "")) if code else ""


def basis(text: str) -> str:
    """Why someone was allowed to, in plain words (the policy's own words when unknown)."""
    for start, words in BASES:
        if text.startswith(start):
            return str(words)
    return text


def action(code: str) -> str:
    return str(ACTIONS.get(code, code))


def error_page(status: int) -> tuple[str, int]:
    title, text = _ERRORS.get(status, _ERRORS[409])
    return render_template("oma/error.html", title=title, text=text, status=status), status
