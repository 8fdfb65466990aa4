"""Words the pages show for codes the engine stores (event kinds, phases, statuses, outcomes)
(the services' coded messages are translated in web.ui.messages)."""

from __future__ import annotations

from collections.abc import Mapping

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
    "texts": _l("Texts page"),
    "forms": _l("Form editor"),
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


# The engine's messages are translated by their code (web.ui.messages); these keep the old
# names for the pages that call them.
def message(text: str) -> str:
    """A field message, finding or stored import error in the reader's language (one without
    a known code is shown as it is)."""
    from web.ui import messages as coded

    return coded.text(text)


def messages(errors: Mapping[str, list[str]] | None) -> dict[str, list[str]]:
    from web.ui import messages as coded

    return coded.fields(errors)


def detail(error: object) -> str | None:
    """An engine error's explanation in the reader's language (the error or its `message`),
    or None when it has none of its own."""
    from web.ui import messages as coded

    return coded.detail(error)


# Each language is named in itself, whatever the page's language.
LANGUAGE_NAMES = {"fi": "Suomi", "en": "English", "sv": "Svenska"}


SEARCH_KINDS = {
    "name": _l("by name"),
    "pseudonym": _l("by pseudonym"),
    "identity_code": _l("by personal identity code (exact)"),
}


def search_kind(code: str | None) -> str:
    """How the client search matched the text (engine.services.client_search.kind_of)."""
    return _label(SEARCH_KINDS, code)
