"""The pilots' outcome metrics (DOMAIN.md §4), each defined once, here, over distinct clients
where the domain speaks of persons, each with its cohort rule: which date puts a client (or a
path, a session, a contact) in the period. The same definitions compute Polku's own paths and
imported data sets: both are first read into `PathRecord`s (engine/analytics/metrics.py), and
`compute` counts those.

Cohort rules (`COHORT_RULES`, shown on the page beside each figure):

- contacted: persons with a path whose first contact falls in the period;
- enrolled: persons taken on by the team (the path's first assessment step) in the period;
- plan coverage: of the enrolled, those with an approved support plan on a path enrolled in
  the period (a plan concluded "unclear", back to investigations, is not approved);
- case-manager coverage: of the enrolled, those with a case manager named on such a path;
- coached: persons whose IPS coaching began (first coaching step done) in the period;
- employed: of the coached, persons with at least one employment relationship started (an
  employment or an apprenticeship) recorded on their paths; employment rate: employed ÷ coached;
- relationships: every onward placement recorded for the coached (employment, apprenticeship,
  work trial, study place), the onward-referral table's total; relationship rate: ÷ coached;
  beside it the same table for every client: the placements started in the period;
- Kykyviisari: per person, the first and the latest response (by time), for persons whose first
  response falls in the period, per measure over those who answered it at least twice;
- consultation hour: a session is a day the team held it (per model), counted when held in the
  period; cases are the cases discussed on those days;
- lead times: per path, counted in the period of the moment they start;
- referred by: persons contacted in the period, by the channel of their earliest such path;
- employer contacts: those dated in the period;
- pilot targets: persons contacted in the period on a path of the target's model whose step
  recorded the target's group."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from engine.analytics.employment import REFERRAL_CATEGORIES, is_employment
from engine.analytics.stats import Distribution
from engine.analytics.workdays import FINLAND

DAY = 86400.0
# Kykyviisari's measures: work ability 0–10, functional capacity, and the five areas
KYKYVIISARI_MEASURES = (
    "work_ability",
    "functional_capacity",
    "mental_wellbeing",
    "social_participation",
    "physical_functioning",
    "skills",
    "everyday_coping",
)
# lead time -> (the moment it starts, the moment it ends), attributes of `PathRecord`
LEAD_TIMES = {
    "contact->team": ("contact_at", "enrolled_at"),
    "contact->plan": ("contact_at", "plan_at"),
    "plan->first_service": ("plan_at", "first_service_at"),
    "enrolment->outcome": ("enrolled_at", "outcome_at"),
}
COHORT_RULES = {
    "contacted": "first contact in the period",
    "enrolled": "taken on by the team in the period",
    "coverage": "of those enrolled in the period",
    "coached": "coaching began in the period",
    "employed": "of those coached in the period",
    "all_relationships": "relationship started in the period",
    "kykyviisari": "first response in the period",
    "consultation": "sessions held in the period",
    "lead_times": "the lead time starts in the period",
    "referred_by": "first contact in the period",
    "employer_contacts": "contact dated in the period",
    "targets": "first contact in the period",
}


@dataclass(frozen=True)
class Period:
    since: datetime | None = None
    until: datetime | None = None

    def holds(self, moment: datetime | None) -> bool:
        if moment is None:
            return False
        return (self.since is None or moment >= self.since) and (
            self.until is None or moment < self.until
        )

    def holds_day(self, day: date | None) -> bool:
        """A calendar day (in Finland) is in the period when its start is."""
        if day is None:
            return False
        return self.holds(datetime.combine(day, datetime.min.time(), tzinfo=FINLAND))


@dataclass(frozen=True)
class Placement:
    category: str  # one of REFERRAL_CATEGORIES
    started_on: date | None = None


@dataclass(frozen=True)
class EmployerContact:
    coach: str
    result: str
    on: date | None


@dataclass(frozen=True)
class Response:
    """One Kykyviisari response: its time, a tie-breaker (the history's order) and scores."""

    at: datetime
    order: int
    scores: dict[str, int]


@dataclass
class PathRecord:
    """What the metrics need of one path (or one imported case)."""

    path: str
    person: str
    model_key: str = ""
    contact_at: datetime | None = None
    enrolled_at: datetime | None = None
    plan_at: datetime | None = None  # the first approved plan
    case_manager_at: datetime | None = None
    coached_at: datetime | None = None
    first_service_at: datetime | None = None
    outcome_at: datetime | None = None
    placements: list[Placement] = field(default_factory=list)
    responses: list[Response] = field(default_factory=list)
    consultations: list[date] = field(default_factory=list)  # the days it was discussed
    referred_by: str | None = None
    employer_contacts: list[EmployerContact] = field(default_factory=list)
    groups: set[tuple[str, str, str]] = field(default_factory=set)  # (step, field, value)


@dataclass(frozen=True)
class TargetDefinition:
    model_key: str
    label: str
    bpmn_id: str
    group_field: str
    group_value: str
    target_min: int
    target_max: int


@dataclass
class Ratio:
    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return round(self.numerator / self.denominator, 2) if self.denominator else None


@dataclass
class ReferralRow:
    category: str
    count: int
    percent: float | None


@dataclass
class TargetRow:
    model_key: str
    label: str
    target_min: int
    target_max: int
    actual: int


@dataclass
class KykyviisariChange:
    """Change in one measure between each person's first and latest response, over the
    persons who answered it at least twice."""

    measure: str = "work_ability"
    clients: int = 0
    improved: int = 0
    unchanged: int = 0
    worsened: int = 0
    total_change: int = 0

    @property
    def mean_change(self) -> float | None:
        return round(self.total_change / self.clients, 2) if self.clients else None


@dataclass
class EmployerContacts:
    total: int = 0
    coaches: int = 0
    clients: int = 0
    by_result: dict[str, int] = field(default_factory=dict)

    @property
    def per_coach(self) -> float | None:
        return Ratio(self.total, self.coaches).value

    @property
    def per_client(self) -> float | None:
        return Ratio(self.total, self.clients).value


@dataclass
class Metrics:
    contacted: int = 0
    enrolled: int = 0
    plan_coverage: Ratio = field(default_factory=lambda: Ratio(0, 0))
    case_manager_coverage: Ratio = field(default_factory=lambda: Ratio(0, 0))
    coached: int = 0
    employed: int = 0
    relationships: int = 0
    employment_rate: Ratio = field(default_factory=lambda: Ratio(0, 0))
    relationship_rate: Ratio = field(default_factory=lambda: Ratio(0, 0))
    referrals: list[ReferralRow] = field(default_factory=list)  # of the coached
    # every client's relationships started in the period (a model without coaching has some)
    all_relationships: int = 0
    all_referrals: list[ReferralRow] = field(default_factory=list)
    consultation_sessions: int = 0
    consultation_cases: int = 0
    kykyviisari_changes: list[KykyviisariChange] = field(default_factory=list)
    lead_times: dict[str, Distribution] = field(default_factory=dict)
    referred_by: dict[str, int] = field(default_factory=dict)
    employer_contacts: EmployerContacts = field(default_factory=EmployerContacts)
    targets: list[TargetRow] = field(default_factory=list)

    @property
    def cases_per_session(self) -> float | None:
        return Ratio(self.consultation_cases, self.consultation_sessions).value

    @property
    def kykyviisari(self) -> KykyviisariChange:
        """The work ability score's change (the first measure)."""
        return next(
            (c for c in self.kykyviisari_changes if c.measure == "work_ability"),
            KykyviisariChange(),
        )

    @property
    def kykyviisari_mean_change(self) -> float | None:
        return self.kykyviisari.mean_change


def compute(
    records: Iterable[PathRecord],
    period: Period = Period(),
    targets: Sequence[TargetDefinition] = (),
) -> Metrics:
    """Every metric of DOMAIN.md §4 over the records, by the cohort rules above."""
    people: dict[str, list[PathRecord]] = defaultdict(list)
    for record in records:
        people[record.person].append(record)
    m = Metrics()
    contacted = {p for p, rs in people.items() if any(period.holds(r.contact_at) for r in rs)}
    enrolled_paths = {p: [r for r in rs if period.holds(r.enrolled_at)] for p, rs in people.items()}
    enrolled = {p for p, rs in enrolled_paths.items() if rs}
    planned = {p for p in enrolled if any(r.plan_at for r in enrolled_paths[p])}
    managed = {p for p in enrolled if any(r.case_manager_at for r in enrolled_paths[p])}
    m.contacted, m.enrolled = len(contacted), len(enrolled)
    m.plan_coverage = Ratio(len(planned), len(enrolled))
    m.case_manager_coverage = Ratio(len(managed), len(enrolled))

    coached = {p for p, rs in people.items() if any(period.holds(r.coached_at) for r in rs)}
    placements = [pl for p in coached for r in people[p] for pl in r.placements]
    employed = {
        p
        for p in coached
        if any(is_employment(pl.category) for r in people[p] for pl in r.placements)
    }
    m.coached, m.employed, m.relationships = len(coached), len(employed), len(placements)
    m.employment_rate = Ratio(len(employed), len(coached))
    m.relationship_rate = Ratio(len(placements), len(coached))
    m.referrals = referral_rows(placements)
    started = [
        pl for rs in people.values() for r in rs for pl in r.placements
        if period.holds_day(pl.started_on)
    ]  # fmt: skip
    m.all_relationships, m.all_referrals = len(started), referral_rows(started)

    sessions = {
        (r.model_key, day)
        for rs in people.values()
        for r in rs
        for day in r.consultations
        if period.holds_day(day)
    }
    m.consultation_sessions = len(sessions)
    m.consultation_cases = sum(
        1 for rs in people.values() for r in rs for day in r.consultations if period.holds_day(day)
    )
    m.kykyviisari_changes = [kykyviisari_change(people, period, k) for k in KYKYVIISARI_MEASURES]
    m.lead_times = {
        name: Distribution.of(
            [
                (getattr(r, end) - getattr(r, start)).total_seconds() / DAY
                for rs in people.values()
                for r in rs
                if period.holds(getattr(r, start)) and getattr(r, end) is not None
            ]
        )
        for name, (start, end) in LEAD_TIMES.items()
    }
    m.referred_by = referred_by(people, contacted, period)
    m.employer_contacts = employer_contacts(people, period)
    m.targets = [
        TargetRow(
            t.model_key,
            t.label,
            t.target_min,
            t.target_max,
            sum(
                1
                for p in contacted
                if any(
                    r.model_key == t.model_key
                    and period.holds(r.contact_at)
                    and (t.bpmn_id, t.group_field, t.group_value) in r.groups
                    for r in people[p]
                )
            ),
        )
        for t in sorted(targets, key=lambda t: (t.model_key, t.label))
    ]
    return m


def referral_rows(placements: Sequence[Placement]) -> list[ReferralRow]:
    """The onward-referral table: relationships per category, % of all of them."""
    counts, total = Counter(pl.category for pl in placements), len(placements)
    return [
        ReferralRow(c, counts[c], round(100 * counts[c] / total, 1) if total else None)
        for c in REFERRAL_CATEGORIES
    ]


def kykyviisari_change(
    people: dict[str, list[PathRecord]], period: Period, measure: str
) -> KykyviisariChange:
    """First and latest response per person (over all their paths), by time."""
    change = KykyviisariChange(measure)
    for rs in people.values():
        answers = sorted(
            (x for r in rs for x in r.responses if measure in x.scores),
            key=lambda x: (x.at, x.order),
        )
        if len(answers) < 2 or not period.holds(answers[0].at):
            continue
        delta = answers[-1].scores[measure] - answers[0].scores[measure]
        change.clients += 1
        change.total_change += delta
        if delta > 0:
            change.improved += 1
        elif delta < 0:
            change.worsened += 1
        else:
            change.unchanged += 1
    return change


def referred_by(
    people: dict[str, list[PathRecord]], contacted: set[str], period: Period
) -> dict[str, int]:
    """Persons contacted in the period by who referred them ("" when not recorded)."""
    counts: Counter[str] = Counter()
    for p in contacted:
        paths = sorted(
            (r for r in people[p] if period.holds(r.contact_at)),
            key=lambda r: r.contact_at or datetime.min.replace(tzinfo=FINLAND),
        )
        channel = next((r.referred_by for r in paths if r.referred_by), "")
        counts[channel] += 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def employer_contacts(people: dict[str, list[PathRecord]], period: Period) -> EmployerContacts:
    found = [
        (p, c)
        for p, rs in people.items()
        for r in rs
        for c in r.employer_contacts
        if period.holds_day(c.on)
    ]
    return EmployerContacts(
        total=len(found),
        coaches=len({c.coach for _p, c in found}),
        clients=len({p for p, _c in found}),
        by_result=dict(sorted(Counter(c.result for _p, c in found).items())),
    )
