"""What coaching and follow-up led to (issue 16 §2): the kinds of onward placement a path
records (`employment_event`), and the Rovaniemi onward-referral category each belongs to."""

from __future__ import annotations

KINDS = ("employment", "apprenticeship", "work_trial", "study")
# the kinds that are an employment relationship started (a person with one is employed)
EMPLOYMENT_KINDS = ("employment", "apprenticeship")
SECTORS = ("company", "city", "third_sector")
# The Rovaniemi onward-referral table, in its order.
REFERRAL_CATEGORIES = (
    "employment_company",
    "employment_company_wage_subsidy",
    "employment_city",
    "employment_city_wage_subsidy",
    "employment_third_sector",
    "employment_third_sector_wage_subsidy",
    "apprenticeship",
    "work_trial",
    "study",
)


def category(kind: str, sector: str | None, wage_subsidy: bool) -> str:
    """The onward-referral category of a placement: an employment by its sector and wage
    subsidy; the other kinds by themselves."""
    if kind != "employment":
        return kind
    code = f"employment_{sector or 'company'}"
    return f"{code}_wage_subsidy" if wage_subsidy else code


def is_employment(category_code: str) -> bool:
    """An employment relationship started: any employment, or an apprenticeship (an
    apprenticeship is an employment contract); a work trial or a study place is not."""
    return category_code.startswith("employment_") or category_code == "apprenticeship"
