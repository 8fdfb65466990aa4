"""The words for employment events (issue 16 §2): their kinds and sectors, and the history's
sentence for one (`employment_recorded`)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from web.ui import format_day

KINDS = {
    "employment": _l("Employment relationship"),
    "apprenticeship": _l("Apprenticeship"),
    "work_trial": _l("Work trial"),
    "study": _l("Study place"),
}
SECTORS = {
    "company": _l("Company"),
    "city": _l("City or municipality"),
    "third_sector": _l("Third sector"),
}


def describe(kind: str, sector: str | None, wage_subsidy: bool) -> str:
    """E.g. “Employment relationship, company, with wage subsidy”."""
    parts = [str(KINDS.get(kind, kind))]
    if sector:
        parts.append(str(SECTORS.get(sector, sector)).lower())
    if wage_subsidy:
        parts.append(_("with wage subsidy"))
    return ", ".join(parts)


def sentence(who: str, d: Any) -> str:
    """The history's sentence for an `employment_recorded` event."""
    what = describe(str(d["kind"]), d.get("sector"), bool(d.get("wage_subsidy")))
    start = format_day(date.fromisoformat(str(d["started_on"])))
    if d.get("ended_on"):
        end = format_day(date.fromisoformat(str(d["ended_on"])))
        return _(
            "%(who)s recorded: %(what)s, from %(start)s to %(end)s.",
            who=who, what=what, start=start, end=end,
        )  # fmt: skip
    return _("%(who)s recorded: %(what)s, from %(start)s.", who=who, what=what, start=start)
