"""The client's access report (asiakastietolaki 703/2023, GDPR art. 15): for one client and a
period, every access and disclosure of their data in the access log: when, by whom (person,
organisation, roles), what, on what basis, with what outcome. Refusals are in it too, and rows
written by automated jobs (username "system").

Who may make it is the access policy's question (`access.record_keeping_basis`: an auditor of an
organisation that owns one of the client's paths, or a professional with a basis for the
client). Making a report is itself a disclosure and is logged in the same transaction; the row
appears in the next report.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from engine.clock import Clock
from engine.errors import InvalidInput, NotFound, Text
from engine.persistence.audit import AccessLog
from engine.persistence.relationships import Organisation
from engine.persistence.tables import Client, User
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import access, organisations
from engine.services.access import Actor

FINLAND = ZoneInfo("Europe/Helsinki")
RESOURCE = "access_report"
DEFAULT_DAYS = 730  # the last two years
MAX_YEARS = 10
MAX_ROWS = 100_000  # a longer report is refused (never cut short): choose a shorter period
REFUSAL = Text("access_report_refused", "no basis to make the client's access report")
PERIOD_MESSAGE = Text("period_reversed", "The start of the period is after its end.")
LENGTH_MESSAGE = Text("period_over_ten_years", "The period may be at most ten years.")
ROWS_MESSAGE = Text(
    "period_rows",
    "The period holds more than {max} rows: choose a shorter period.",
    max=MAX_ROWS,
)
CSV_HEADERS = (
    "when", "username", "name", "organisations", "roles", "action", "resource", "detail",
    "basis", "outcome",
)  # fmt: skip
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ReportRow:
    """One access-log row of the client: who did what, when, on what basis, how it went."""

    id: int
    occurred_at: datetime
    username: str
    display_name: str
    organisation_codes: tuple[str, ...]
    organisations: tuple[str, ...]  # their labels in the report's language
    roles: tuple[str, ...]
    action: str  # read | create | update | disclose | ...
    resource: str
    detail: str | None
    basis: str
    success: bool
    instance_id: int | None

    @property
    def outcome(self) -> str:
        return "allowed" if self.success else "refused"


@dataclass(frozen=True)
class AccessReport:
    """The client (by pseudonym), the period (whole days in Finnish time, both inclusive), who
    made the report on what basis, and the rows, oldest first."""

    client_id: int
    client_pseudonym: str
    period_from: date
    period_to: date
    made_by: str
    made_at: datetime
    basis: str
    rows: tuple[ReportRow, ...]


def _day(value: date | datetime | None) -> date | None:
    if isinstance(value, datetime):
        return value.astimezone(FINLAND).date()
    return value


def period(now: datetime, since: date | None, until: date | None) -> tuple[date, date]:
    """The period's first and last day: the last `DEFAULT_DAYS` days up to today unless told.
    An InvalidInput names the field ("from" or "to") when it is backwards or too long."""
    last = _day(until) or now.astimezone(FINLAND).date()
    first = _day(since) or last - timedelta(days=DEFAULT_DAYS)
    if first > last:
        raise InvalidInput(
            "the period is not valid", {"from": [PERIOD_MESSAGE]}, code="period_invalid"
        )
    if first < _years_before(last, MAX_YEARS):
        raise InvalidInput(
            "the period is not valid", {"from": [LENGTH_MESSAGE]}, code="period_too_long"
        )
    return first, last


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=FINLAND)


def _client_and_basis(
    uow: UnitOfWork, actor: Actor, client_id: int, now: datetime
) -> tuple[Client, str]:
    client = uow.session.get(Client, client_id)
    if client is None:
        raise NotFound(
            f"client {client_id} does not exist",
            code="client_not_found",
            params={"client_id": client_id},
        )
    basis = access.record_keeping_basis(uow, actor, client_id, now)
    if basis is None:
        raise access.refuse(
            uow,
            now,
            actor,
            "disclose",
            RESOURCE,
            client_id,
            None,
            REFUSAL,
            code="access_report_refused",
        )
    return client, basis


def require_basis(uow: UnitOfWork, clock: Clock, actor: Actor, client_id: int) -> str:
    """The actor's basis to make the client's access report; refused (and the refusal logged)
    without one, NotFound for an unknown client. For a form that cannot make the report yet."""
    with uow:
        return _client_and_basis(uow, actor, client_id, clock())[1]


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(part for part in (text or "").split(",") if part)


def access_report(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    client_id: int,
    since: date | None = None,
    until: date | None = None,
    *,
    language: str = "fi",
) -> AccessReport:
    """Every access-log row of the client in the period, oldest first; the report itself is
    logged (action "disclose", resource "access_report", the record-keeping basis)."""
    now = clock()
    first, last = period(now, since, until)
    with uow:
        client, basis = _client_and_basis(uow, actor, client_id, now)
        in_period = (
            AccessLog.client_id == client_id,
            AccessLog.occurred_at >= _start_of(first),
            AccessLog.occurred_at < _start_of(last + timedelta(days=1)),
        )
        count = uow.session.scalar(select(func.count(AccessLog.id)).where(*in_period)) or 0
        if count > MAX_ROWS:
            raise InvalidInput(
                "the period is too long",
                {"from": [ROWS_MESSAGE]},
                code="period_too_many_rows",
                params={"max": MAX_ROWS},
            )
        found = list(
            uow.session.scalars(
                select(AccessLog)
                .where(*in_period)
                .order_by(AccessLog.occurred_at, AccessLog.id)
                .limit(MAX_ROWS)
            )
        )
        names = _display_names(uow, {r.username for r in found})
        labels = {
            o.code: organisations.label(o, language)
            for o in uow.session.scalars(select(Organisation))
        }
        rows = tuple(_row(r, names, labels) for r in found)
        access.log(
            uow, now, actor, "disclose", RESOURCE, client_id=client_id, basis=basis,
            detail=f"period {first.isoformat()}..{last.isoformat()}, {len(rows)} rows",
        )  # fmt: skip
        uow.commit()
        return AccessReport(
            client_id=client_id,
            client_pseudonym=client.pseudonym,
            period_from=first,
            period_to=last,
            made_by=actor.username,
            made_at=now,
            basis=basis,
            rows=rows,
        )


def _display_names(uow: UnitOfWork, usernames: set[str]) -> dict[str, str]:
    if not usernames:
        return {}
    query = select(User.username, User.display_name).where(User.username.in_(sorted(usernames)))
    return {username: name for username, name in uow.session.execute(query)}


def _row(row: AccessLog, names: dict[str, str], labels: dict[str, str]) -> ReportRow:
    codes = _split(row.actor_organisations)
    return ReportRow(
        id=row.id,
        occurred_at=row.occurred_at,
        username=row.username,
        display_name=names.get(row.username, row.username),
        organisation_codes=codes,
        organisations=tuple(labels.get(code, code) for code in codes),
        roles=_split(row.actor_roles),
        action=row.action,
        resource=row.resource,
        detail=row.detail,
        basis=row.basis,
        success=row.success,
        instance_id=row.instance_id,
    )


# ---------------------------------------------------------------- CSV


def safe_cell(value: object) -> str:
    """A cell a spreadsheet does not run as a formula: text starting with = + - @ (or a tab or
    carriage return) is prefixed with a quote."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def to_csv(
    report: AccessReport,
    *,
    headers: Sequence[str] = CSV_HEADERS,
    role_label: Callable[[str], str] | None = None,
    outcome_label: Callable[[bool], str] | None = None,
) -> str:
    """The report as CSV (RFC 4180: comma-separated, CRLF line ends, fields quoted when they
    need it): a header row, then one line per row. Times in Finnish time, ISO 8601."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([safe_cell(h) for h in headers])
    for row in report.rows:
        roles = [role_label(r) if role_label else r for r in row.roles]
        cells = [
            row.occurred_at.astimezone(FINLAND).isoformat(timespec="seconds"),
            row.username,
            row.display_name,
            "; ".join(row.organisations),
            "; ".join(roles),
            row.action,
            row.resource,
            row.detail or "",
            row.basis,
            outcome_label(row.success) if outcome_label else row.outcome,
        ]
        writer.writerow([safe_cell(c) for c in cells])
    return out.getvalue()
