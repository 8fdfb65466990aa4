"""The pilot metrics' tables (DOMAIN.md §4), each figure with its cohort rule beside it: which
date puts a client in the period (engine/analytics/pilot_metrics.py defines them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from engine.analytics import pilot_metrics as pilot
from web.ui import labels
from web.ui.reports import Column, Table

COHORTS: dict[str, Callable[[], str]] = {
    "contacted": lambda: _("First contact in the period"),
    "enrolled": lambda: _("Taken on by the team in the period"),
    "coverage": lambda: _("Of those taken on by the team in the period"),
    "coached": lambda: _("Coaching began in the period"),
    "employed": lambda: _("Of those whose coaching began in the period"),
    "consultation": lambda: _("Sessions held in the period"),
    "kykyviisari": lambda: _("First response in the period"),
    "lead_times": lambda: _("The lead time starts in the period"),
    "employer_contacts": lambda: _("Contacts dated in the period"),
}
SECTORS = (
    ("employment_company", "employment_company_wage_subsidy"),
    ("employment_city", "employment_city_wage_subsidy"),
    ("employment_third_sector", "employment_third_sector_wage_subsidy"),
)
SECTOR_TOTALS = {
    "employment_company": lambda: _("Total to companies"),
    "employment_city": lambda: _("Total to the city"),
    "employment_third_sector": lambda: _("Total to the third sector"),
}
OTHER_REFERRALS = ("apprenticeship", "work_trial", "study")
MEASURES = {
    "work_ability": _l("Work ability (0–10)"),
    "functional_capacity": _l("Functional capacity"),
    "mental_wellbeing": _l("Mental wellbeing"),
    "social_participation": _l("Social participation"),
    "physical_functioning": _l("Physical functioning"),
    "skills": _l("Skills"),
    "everyday_coping": _l("Everyday coping"),
}
LEAD_TIMES = {
    "contact->team": _l("First contact → taken on by the team"),
    "contact->plan": _l("First contact → approved support plan"),
    "plan->first_service": _l("Approved support plan → first service"),
    "enrolment->outcome": _l("Taken on by the team → outcome (closing)"),
}
CHANNELS = {
    "self_booked": _l("Booked a time themselves"),
    "employment_services": _l("Employment services (TE)"),
    "municipal_employment": _l("Municipal employment services"),
    "social_services": _l("Social services"),
    "kela": _l("Kela (the Social Insurance Institution)"),
    "pension_insurer": _l("Earnings-related pension insurer"),
    "ngo": _l("Organisation (NGO)"),
    "occupational_health": _l("Occupational health care"),
    "criminal_sanctions": _l("Criminal Sanctions Agency"),
    "youth_services": _l("Youth services"),
    "education_services": _l("Education services"),
    "third_sector": _l("Third sector"),
    "": _l("Not recorded"),
}
RESULTS = {
    "no_vacancy": _l("No vacancy"),
    "follow_up_agreed": _l("New contact agreed"),
    "job_interview": _l("Job interview"),
    "work_trial_agreed": _l("Work trial agreed"),
    "job_offer": _l("Job offer"),
    "employment_agreed": _l("Employment agreed"),
}


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _counted() -> Column:
    return Column(_("Who is counted"))


def _ratio_row(title: str, ratio: pilot.Ratio, cohort: str) -> list[Any]:
    return [
        title, ratio.numerator, ratio.denominator,
        _percent(ratio.numerator, ratio.denominator), cohort,
    ]  # fmt: skip


def clients_table(m: pilot.Metrics) -> Table:
    table = Table(
        "clients",
        _("Clients, enrolment and coverage"),
        [
            Column(_("Measure")),
            Column(_("Persons"), "int"),
            Column(_("Of"), "int"),
            Column(_("Share"), "percent"),
            _counted(),
        ],  # fmt: skip
        note=_(
            "Distinct clients, not paths. Contacted: every client with a path started. "
            "Enrolled: taken on by the work ability support team (Iisalmi counted 69 contacted, "
            "40 enrolled). An approved plan is one not concluded “unclear”."
        ),
    )
    table.rows.append([_("Contacted"), m.contacted, None, None, COHORTS["contacted"]()])
    table.rows.append([_("Enrolled in the team"), m.enrolled, None, None, COHORTS["enrolled"]()])
    cover = COHORTS["coverage"]()
    table.rows.append(_ratio_row(_("Enrolled with an approved support plan"), m.plan_coverage,
                                 cover))  # fmt: skip
    table.rows.append(_ratio_row(_("Enrolled with a named case manager"),
                                 m.case_manager_coverage, cover))  # fmt: skip
    return table


def employment_table(m: pilot.Metrics) -> Table:
    table = Table(
        "employment",
        _("Coaching and employment"),
        [
            Column(_("Measure")),
            Column(_("Number"), "int"),
            Column(_("Persons coached"), "int"),
            Column(_("Rate"), "ratio"),
            _counted(),
        ],  # fmt: skip
        note=_(
            "Employment rate: persons coached with at least one employment relationship started "
            "(an employment or an apprenticeship) ÷ persons coached. Relationship rate: their "
            "employments, apprenticeships, work trials and study places ÷ persons coached (it "
            "can exceed 1). Counted from the employment events recorded on the paths."
        ),
    )
    table.rows.append([_("Persons coached"), m.coached, None, None, COHORTS["coached"]()])
    employed = COHORTS["employed"]()
    table.rows.append(
        [_("Persons employed"), m.employed, m.coached, m.employment_rate.value, employed]
    )
    table.rows.append([_("Employment relationships"), m.relationships, m.coached,
                       m.relationship_rate.value, employed])  # fmt: skip
    return table


def referral_table(m: pilot.Metrics) -> Table:
    coached = {r.category: r.count for r in m.referrals}
    every = {r.category: r.count for r in m.all_referrals}
    total, all_total = sum(coached.values()), sum(every.values())
    table = Table(
        "onward-referrals",
        _("Onward referral"),
        [
            Column(_("Onward referral")),
            Column(_("Persons coached: relationships"), "int"),
            Column("%", "percent"),
            Column(_("All clients: relationships"), "int"),
            Column(_("% of all"), "percent"),
        ],  # fmt: skip
        note=_(
            "Laid out as in the Rovaniemi pilot's table: every employment relationship, "
            "apprenticeship, work trial and study place, each counted (a person with two jobs "
            "counts twice); percentages of all relationships. First the persons whose coaching "
            "began in the period, then every client's relationships started in the period."
        ),
    )

    def row(title: str, *codes: str) -> None:
        n, a = sum(coached.get(c, 0) for c in codes), sum(every.get(c, 0) for c in codes)
        table.rows.append([title, n, _percent(n, total), a, _percent(a, all_total)])

    for plain, subsidised in SECTORS:
        row(labels.outcome(plain), plain)
        row(_("with wage subsidy"), subsidised)
        table.emphasised.add(len(table.rows))
        row(SECTOR_TOTALS[plain](), plain, subsidised)
    for code in OTHER_REFERRALS:
        row(labels.outcome(code), code)
    table.emphasised.add(len(table.rows))
    row(_("All relationships"), *(r.category for r in m.referrals))
    return table


def consultation_table(m: pilot.Metrics) -> Table:
    table = Table(
        "consultation-hour",
        _("Consultation hour"),
        [Column(_("Measure")), Column(_("Number"), "ratio"), _counted()],
        note=_("A session is a day on which a team held the consultation hour for a case."),
    )
    cohort = COHORTS["consultation"]()
    table.rows += [
        [_("Sessions"), m.consultation_sessions, cohort],
        [_("Cases discussed"), m.consultation_cases, cohort],
        [_("Cases per session"), m.cases_per_session, cohort],
    ]
    return table


def kykyviisari_table(m: pilot.Metrics) -> Table:
    table = Table(
        "kykyviisari",
        _("Kykyviisari: change between the first and the latest response"),
        [
            Column(_("Measure")),
            Column(_("Persons"), "int"),
            Column(_("Improved"), "int"),
            Column(_("Unchanged"), "int"),
            Column(_("Worsened"), "int"),
            Column(_("Mean change (points)"), "ratio"),
            _counted(),
        ],  # fmt: skip
        note=_(
            "Per person, over all their paths: the first and the latest response by time, for "
            "persons who answered the measure at least twice."
        ),
    )
    for c in m.kykyviisari_changes:
        table.rows.append([str(MEASURES.get(c.measure, c.measure)), c.clients, c.improved,
                           c.unchanged, c.worsened, c.mean_change,
                           COHORTS["kykyviisari"]()])  # fmt: skip
    return table


def lead_times_table(m: pilot.Metrics) -> Table:
    table = Table(
        "lead-times",
        _("Lead times"),
        [
            Column(_("Lead time")),
            Column(_("Paths"), "int"),
            Column(_("Median"), "days"),
            Column(_("90th percentile"), "days"),
            _counted(),
        ],  # fmt: skip
        note=_("In calendar days, per path."),
    )
    for key, title in LEAD_TIMES.items():
        d = m.lead_times.get(key)
        table.rows.append([str(title), d.count if d else 0, d.median if d else None,
                           d.p90 if d else None, COHORTS["lead_times"]()])  # fmt: skip
    return table


def referred_by_table(m: pilot.Metrics) -> Table:
    table = Table(
        "referred-by",
        _("Clients by who referred them"),
        [Column(_("Referred by")), Column(_("Persons"), "int"), Column("%", "percent")],
        note=_("Persons with a first contact in the period, by the entry channel recorded."),
    )
    total = sum(m.referred_by.values())
    for code, n in m.referred_by.items():
        table.rows.append([str(CHANNELS.get(code, code)), n, _percent(n, total)])
    return table


def employer_contacts_table(m: pilot.Metrics) -> Table:
    c = m.employer_contacts
    table = Table(
        "employer-contacts",
        _("Employer contacts"),
        [Column(_("Measure")), Column(_("Number"), "ratio"), _counted()],
        note=_("From the coaching form: each contact with an employer recorded by a job coach."),
    )
    cohort = COHORTS["employer_contacts"]()
    table.rows += [
        [_("Employer contacts"), c.total, cohort],
        [_("Per coach"), c.per_coach, cohort],
        [_("Per client"), c.per_client, cohort],
    ]
    for code, n in c.by_result.items():
        table.rows.append([_("Result: %(result)s", result=RESULTS.get(code, code)), n, cohort])
    return table


def targets_table(m: pilot.Metrics) -> Table:
    table = Table(
        "targets",
        _("Targets and actual clients per pilot"),
        [
            Column(_("Pilot")),
            Column(_("Model")),
            Column(_("Target, at least"), "int"),
            Column(_("Target, at most"), "int"),
            Column(_("Actual clients"), "int"),
            Column(_("Of the target"), "percent"),
        ],  # fmt: skip
        note=_(
            "Persons with a first contact in the period on a path of the pilot's model whose "
            "step recorded the pilot's group. An administrator sets the targets."
        ),
    )
    for t in m.targets:
        table.rows.append([t.label, t.model_key, t.target_min, t.target_max, t.actual,
                           _percent(t.actual, t.target_min)])  # fmt: skip
    return table


def all_tables(m: pilot.Metrics) -> list[Table]:
    return [
        clients_table(m), employment_table(m), referral_table(m), consultation_table(m),
        kykyviisari_table(m), lead_times_table(m), referred_by_table(m),
        employer_contacts_table(m), targets_table(m),
    ]  # fmt: skip
