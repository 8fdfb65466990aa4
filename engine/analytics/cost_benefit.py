"""Cost and benefit of a pilot (DOMAIN.md §4, issue 16 §6): Rovaniemi's impact model (232,000 €
a year, 3,800 € a participant: more tax revenue and less spent on benefits, less the coaching's
cost) computed from the employment events with parameters an administrator sets per model.

The rules, for one model (a region) and one period of whole days (From–To, both included):

- counted: every employment relationship recorded as an `employment_event` on the model's
  paths the reader may count: an employment (company, city or third sector, with or without
  wage subsidy) or an apprenticeship (recorded without wage subsidy: an apprenticeship's
  effect is the one without). Work trials and study places are not employment and do not
  count (they are shown beside, as not counted). A closing outcome without an event has no
  dates and does not count.
- months: a relationship's days within the period (its start day and its end day included;
  one still running, or ending after today, runs to today or the period's end, whichever is
  first) ÷ 30. A period reaching past today ends today.
- benefit = Σ months × the monthly effect per employed person (the one with wage subsidy for a
  wage-subsidised employment, the one without for the others).
- programme cost for the period = the programme's cost a year × the period's days ÷ 365.
- net = benefit − programme cost; per participant = net ÷ persons coached (the pilot metric
  `coached`: coaching began in the period, `engine.analytics.pilot_metrics`).

Money is in `Decimal` euros, rounded to the cent once, at the end of each sum."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.analytics import metrics
from engine.analytics.employment import REFERRAL_CATEGORIES, category, is_employment
from engine.analytics.pilot_metrics import PathRecord, Period
from engine.analytics.pilot_metrics import compute as count_metrics
from engine.analytics.report_paths import ReportPaths
from engine.analytics.stalls import Scope
from engine.persistence.employment import EmploymentEvent

DAYS_PER_MONTH = 30
DAYS_PER_YEAR = 365
CENT = Decimal("0.01")
# the categories that count, in the onward-referral table's order; the others are shown beside
COUNTED = tuple(c for c in REFERRAL_CATEGORIES if is_employment(c))
NOT_COUNTED = tuple(c for c in REFERRAL_CATEGORIES if not is_employment(c))


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def subsidised(category_code: str) -> bool:
    return category_code.endswith("_wage_subsidy")


@dataclass(frozen=True)
class Parameters:
    """An administrator's parameters of one model's impact model, in euros."""

    effect_with_subsidy: Decimal  # a month per person employed with wage subsidy
    effect_without_subsidy: Decimal  # a month per person employed without it
    cost_per_year: Decimal  # the programme's (the coaching's) cost a year


@dataclass(frozen=True)
class Relationship:
    model_key: str
    category: str  # one of REFERRAL_CATEGORIES
    started_on: date
    ended_on: date | None = None


@dataclass(frozen=True)
class DayRange:
    """The counted period: whole days, both ends included (empty when last < first)."""

    first: date
    last: date

    @property
    def days(self) -> int:
        return max(0, (self.last - self.first).days + 1)

    def overlap(self, started_on: date, ended_on: date | None) -> int:
        """A relationship's days within the range, its start and end day included."""
        last = self.last if ended_on is None else min(ended_on, self.last)
        return max(0, (last - max(started_on, self.first)).days + 1)


def counted_range(first: date, last: date, today: date) -> DayRange:
    """The period From–To (both included), ending today at the latest."""
    return DayRange(first, min(last, today))


@dataclass
class KindRow:
    """The relationships of one onward-referral category and their days in the period."""

    category: str
    relationships: int = 0
    days: int = 0
    counted: bool = True

    @property
    def months(self) -> Decimal:
        return Decimal(self.days) / DAYS_PER_MONTH


@dataclass
class Result:
    """One model's (or all models') cost and benefit over one period, with its inputs."""

    model_key: str | None
    period: DayRange
    parameters: Parameters | None
    rows: list[KindRow] = field(default_factory=list)
    coached: int = 0

    def _days(self, with_subsidy: bool) -> int:
        return sum(
            r.days for r in self.rows if r.counted and subsidised(r.category) == with_subsidy
        )

    def _relationships(self, with_subsidy: bool) -> int:
        return sum(
            r.relationships
            for r in self.rows
            if r.counted and subsidised(r.category) == with_subsidy
        )

    @property
    def relationships_with_subsidy(self) -> int:
        return self._relationships(True)

    @property
    def relationships_without_subsidy(self) -> int:
        return self._relationships(False)

    @property
    def days_with_subsidy(self) -> int:
        return self._days(True)

    @property
    def days_without_subsidy(self) -> int:
        return self._days(False)

    @property
    def months_with_subsidy(self) -> Decimal:
        return Decimal(self.days_with_subsidy) / DAYS_PER_MONTH

    @property
    def months_without_subsidy(self) -> Decimal:
        return Decimal(self.days_without_subsidy) / DAYS_PER_MONTH

    @property
    def benefit_with_subsidy(self) -> Decimal | None:
        if self.parameters is None:
            return None
        return cents(self.months_with_subsidy * self.parameters.effect_with_subsidy)

    @property
    def benefit_without_subsidy(self) -> Decimal | None:
        if self.parameters is None:
            return None
        return cents(self.months_without_subsidy * self.parameters.effect_without_subsidy)

    @property
    def benefit(self) -> Decimal | None:
        a, b = self.benefit_with_subsidy, self.benefit_without_subsidy
        return None if a is None or b is None else a + b

    @property
    def cost(self) -> Decimal | None:
        if self.parameters is None:
            return None
        return cents(self.parameters.cost_per_year * self.period.days / DAYS_PER_YEAR)

    @property
    def net(self) -> Decimal | None:
        benefit, cost = self.benefit, self.cost
        return None if benefit is None or cost is None else benefit - cost

    @property
    def per_participant(self) -> Decimal | None:
        net = self.net
        return None if net is None or not self.coached else cents(net / self.coached)


def compute(
    relationships: Iterable[Relationship],
    period: DayRange,
    parameters: Parameters | None,
    coached: int,
    model_key: str | None = None,
) -> Result:
    """The cost and benefit of the relationships (of one model) over the period."""
    rows = {c: KindRow(c, counted=c in COUNTED) for c in REFERRAL_CATEGORIES}
    for rel in relationships:
        days = period.overlap(rel.started_on, rel.ended_on)
        if days <= 0:
            continue
        row = rows[rel.category]
        row.relationships += 1
        row.days += days
    return Result(model_key, period, parameters, list(rows.values()), coached)


@dataclass
class Combined:
    """Every model's result of the scope, and their sum (the models with parameters)."""

    models: list[Result]
    coached: int  # distinct persons coached over the models with parameters

    @property
    def priced(self) -> list[Result]:
        return [m for m in self.models if m.parameters is not None]

    def _sum(self, name: str) -> Decimal | None:
        values = [getattr(m, name) for m in self.priced]
        return sum(values, Decimal(0)) if values else None

    @property
    def benefit(self) -> Decimal | None:
        return self._sum("benefit")

    @property
    def cost(self) -> Decimal | None:
        return self._sum("cost")

    @property
    def net(self) -> Decimal | None:
        return self._sum("net")

    @property
    def per_participant(self) -> Decimal | None:
        net = self.net
        return None if net is None or not self.coached else cents(net / self.coached)


def read(
    session: Session, scope: Scope, paths: ReportPaths
) -> tuple[dict[int, PathRecord], list[Relationship]]:
    """The scope's paths the reader may count (as the pilot metrics read them) and the
    employment events recorded on them, with their model."""
    found = metrics.records(session, scope, paths)
    within = metrics.model_scope(scope)
    relationships = [
        Relationship(found[iid].model_key, category(kind, sector, subsidy), started, ended)
        for iid, kind, sector, subsidy, started, ended in session.execute(
            select(
                EmploymentEvent.instance_id,
                EmploymentEvent.kind,
                EmploymentEvent.sector,
                EmploymentEvent.wage_subsidy,
                EmploymentEvent.started_on,
                EmploymentEvent.ended_on,
            ).where(paths.holds(EmploymentEvent.instance_id, within=within))
        )
        if iid in found
    ]
    return found, relationships


def combine(
    found: dict[int, PathRecord],
    relationships: Sequence[Relationship],
    model_keys: Sequence[str],
    parameters: dict[str, Parameters],
    period: Period,
    days: DayRange,
) -> Combined:
    """Each model's result, `coached` by the pilot metrics' rule over the period."""
    records: dict[str, list[PathRecord]] = defaultdict(list)
    for record in found.values():
        records[record.model_key].append(record)
    by_model: dict[str, list[Relationship]] = defaultdict(list)
    for rel in relationships:
        by_model[rel.model_key].append(rel)
    results = [
        compute(
            by_model[key],
            days,
            parameters.get(key),
            count_metrics(records[key], period).coached,
            key,
        )
        for key in model_keys
    ]
    priced = [r for key in model_keys if key in parameters for r in records[key]]
    return Combined(results, count_metrics(priced, period).coached)


def one_day_before(day: date) -> date:
    return day - timedelta(days=1)
