"""The supervisor's review list of unusual access: emergency openings, a person reading many
clients within an hour, reads at night (22-06 Finnish time), reads of closed paths. A
supervisor (`access.supervises`: "manager" in the owning organisation) sees the log rows of
the paths their organisations own (client-level rows: of clients on such a path), clients by
pseudonym only; reading the list is logged per client shown. Reads from lists (worklists,
client lists, review lists) are not counted. Each finding is marked reviewed with a note
(`AccessReview`; an emergency opening through `emergency_access.review`, its own review).

Keys are URL-safe and stable, "<kind>-<id>": the emergency opening's id or the finding's first
access-log row's. Night reads are grouped per person, client and night; reads of a closed path
per person, path and day; a burst is the hour from its first read.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from typing import Any, NoReturn

from sqlalchemy import and_, or_, select

from engine.clock import Clock
from engine.errors import Conflict, InvalidInput, NotFound, Text
from engine.persistence.audit import AccessLog, AccessReview
from engine.persistence.relationships import EmergencyAccess
from engine.persistence.tables import Client, ProcessInstance, User
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import access, emergency_access
from engine.services.access import Actor
from engine.services.access_report import FINLAND
from engine.services.emergency_access import Opening

KINDS = ("emergency", "burst", "night", "closed")
BURST_CLIENTS = 20  # more distinct clients than this ...
BURST_WINDOW = timedelta(hours=1)  # ... read within this time is a finding
NIGHT_STARTS, NIGHT_ENDS = time(22), time(6)  # Finnish time
DEFAULT_DAYS, MAX_DAYS = 30, 366
ROW_LIMIT = 50_000  # access-log rows examined (the newest); more: `truncated`
LIST_LIMIT = 500  # findings shown
MAX_NOTE = 500
RESOURCE = "access_review"
REVIEW_BASIS = "supervisor review of unusual access"
READ_ACTIONS = ("read", "disclose")
# Lists and review pages: they show a row per client but open nobody's records.
NOT_COUNTED = (
    "worklist", "client_list", "stall_list", "team_view", "caseload", RESOURCE,
    emergency_access.RESOURCE, "notifications", "digest",
)  # fmt: skip
KEY = re.compile(r"^(emergency|burst|night|closed)-([1-9][0-9]{0,17})$")
REFUSAL = "only supervisors review unusual access"
NOT_THEIRS = "only the supervisor of the path's owning organisation reviews its unusual access"
NOTE_MESSAGE = Text("note_too_long", "At most {max} characters.", max=MAX_NOTE)
DAYS_MESSAGE = Text("days_out_of_range", "Give 1 to {max} days.", max=MAX_DAYS)
KIND_MESSAGE = Text("kind_unknown", "One of {kinds}.", kinds=", ".join(KINDS))


@dataclass(frozen=True)
class Finding:
    """One finding: what kind, who, when (first and last read), which clients (pseudonyms)
    and path, how many reads, and whether and how it was reviewed."""

    kind: str
    key: str
    username: str
    display_name: str
    occurred_at: datetime
    last_at: datetime
    client_ids: tuple[int, ...]
    client_pseudonyms: tuple[str, ...]
    instance_id: int | None
    organisation: str | None
    description: str
    reads: int
    reason: str | None = None  # the emergency opening's reason
    closed_at: datetime | None = None  # the closed path's end
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    review_note: str | None = None

    @property
    def reviewed(self) -> bool:
        return self.reviewed_at is not None


@dataclass(frozen=True)
class UnusualAccess:
    since: datetime
    until: datetime
    findings: tuple[Finding, ...]
    truncated: bool  # more rows or findings than examined or shown: choose a shorter period


@dataclass
class _Found:
    kind: str
    key: str
    username: str
    first: datetime
    last: datetime
    clients: dict[int, str]  # id -> pseudonym, in the order read
    instance_id: int | None
    reads: int = 1
    closed_at: datetime | None = None
    opening: EmergencyAccess | None = None


def _days(since_days: int) -> int:
    if not isinstance(since_days, int) or not 1 <= since_days <= MAX_DAYS:
        raise InvalidInput(
            "the period is not valid", {"since_days": [DAYS_MESSAGE]}, code="period_invalid"
        )
    return since_days


def _note(note: str | None) -> str | None:
    text = (note or "").strip()
    if len(text) > MAX_NOTE or "\x00" in text:
        raise InvalidInput(
            "the review note is not valid", {"note": [NOTE_MESSAGE]}, code="review_note_invalid"
        )
    return text or None


def _finnish(moment: datetime) -> datetime:
    return moment.astimezone(FINLAND)


def _is_night(moment: datetime) -> bool:
    clock_time = _finnish(moment).time()
    return clock_time >= NIGHT_STARTS or clock_time < NIGHT_ENDS


def _log_rows(uow: UnitOfWork, actor: Actor, start: datetime, now: datetime) -> list[Any]:
    """The reads of the actor's organisations' paths (and their clients) from `start`, newest
    first, at most ROW_LIMIT + 1: the indexed `occurred_at` bounds the scan."""
    orgs = sorted(actor.organisations)
    owned = select(ProcessInstance.client_id).where(ProcessInstance.organisation_id.in_(orgs))
    columns = (AccessLog.id, AccessLog.occurred_at, AccessLog.username, AccessLog.client_id,
               AccessLog.instance_id, Client.pseudonym, ProcessInstance.status,
               ProcessInstance.completed_at)  # fmt: skip
    query = (
        select(*columns)
        .join(Client, Client.id == AccessLog.client_id)
        .outerjoin(ProcessInstance, ProcessInstance.id == AccessLog.instance_id)
        .where(
            AccessLog.occurred_at >= start,
            AccessLog.occurred_at <= now,
            AccessLog.action.in_(READ_ACTIONS),
            AccessLog.success.is_(True),
            AccessLog.resource.not_in(NOT_COUNTED),
            or_(
                ProcessInstance.organisation_id.in_(orgs),
                and_(AccessLog.instance_id.is_(None), AccessLog.client_id.in_(owned)),
            ),
        )
        .order_by(AccessLog.occurred_at.desc(), AccessLog.id.desc())
        .limit(ROW_LIMIT + 1)
    )
    return list(uow.session.execute(query))


def _grouped(rows: list[Any], period_start: datetime) -> list[_Found]:
    """Night reads per person, client and night; reads of closed paths per person, path and
    day. Rows oldest first; the night before the period's first day is whole in `rows`."""
    groups: dict[tuple[Any, ...], _Found] = {}
    for r in rows:
        if _is_night(r.occurred_at):
            night = (_finnish(r.occurred_at) - timedelta(hours=NIGHT_ENDS.hour)).date()
            _add(groups, ("night", r.username, r.client_id, night), r)
        closed = r.completed_at
        after_closing = r.status == "completed" and closed is not None and r.occurred_at > closed
        if after_closing and r.occurred_at >= period_start:
            day = _finnish(r.occurred_at).date()
            _add(groups, ("closed", r.username, r.instance_id, day), r).closed_at = closed
    return list(groups.values())


def _add(groups: dict[tuple[Any, ...], _Found], group: tuple[Any, ...], r: Any) -> _Found:
    found = groups.get(group)
    if found is None:
        found = groups[group] = _Found(
            group[0], f"{group[0]}-{r.id}", r.username, r.occurred_at, r.occurred_at,
            {r.client_id: r.pseudonym}, r.instance_id,
        )  # fmt: skip
        return found
    found.last, found.reads = r.occurred_at, found.reads + 1
    found.clients.setdefault(r.client_id, r.pseudonym)
    return found


def _bursts(rows: list[Any], period_start: datetime) -> list[_Found]:
    """More than BURST_CLIENTS distinct clients read by one person within BURST_WINDOW,
    scanned from each person's first read; a burst covers the hour from its first read."""
    by_person: dict[str, list[Any]] = {}
    for r in rows:
        by_person.setdefault(r.username, []).append(r)
    found: list[_Found] = []
    for username, reads in by_person.items():
        counts: Counter[int] = Counter()
        start = end = 0
        while start < len(reads):
            until = reads[start].occurred_at + BURST_WINDOW
            while end < len(reads) and reads[end].occurred_at < until:
                counts[reads[end].client_id] += 1
                end += 1
            if len(counts) > BURST_CLIENTS:
                window = reads[start:end]
                if window[0].occurred_at >= period_start:
                    clients = {r.client_id: r.pseudonym for r in window}
                    found.append(_Found(
                        "burst", f"burst-{window[0].id}", username, window[0].occurred_at,
                        window[-1].occurred_at, clients, None, len(window),
                    ))  # fmt: skip
                counts.clear()
                start = end
                continue
            counts[reads[start].client_id] -= 1
            if not counts[reads[start].client_id]:
                del counts[reads[start].client_id]
            start += 1
    return found


def _openings(uow: UnitOfWork, actor: Actor, period_start: datetime) -> list[_Found]:
    query = (
        select(EmergencyAccess, User.username, Client.id, Client.pseudonym)
        .join(User, User.id == EmergencyAccess.user_id)
        .join(ProcessInstance, ProcessInstance.id == EmergencyAccess.instance_id)
        .join(Client, Client.id == ProcessInstance.client_id)
        .where(
            ProcessInstance.organisation_id.in_(sorted(actor.organisations)),
            EmergencyAccess.opened_at >= period_start,
        )
        .order_by(EmergencyAccess.opened_at.desc(), EmergencyAccess.id.desc())
        .limit(LIST_LIMIT)
    )
    found = []
    for row, username, client_id, pseudonym in uow.session.execute(query):
        when, clients = row.opened_at, {client_id: pseudonym}
        key = f"emergency-{row.id}"
        found.append(_Found("emergency", key, username, when, when, clients, row.instance_id))
        found[-1].opening = row
    return found


def _describe(f: _Found) -> str:
    if f.kind == "emergency":
        return f"opened the path in an emergency: {f.opening.reason if f.opening else ''}"
    if f.kind == "burst":
        return f"read {len(f.clients)} clients within an hour ({f.reads} reads)"
    if f.kind == "night":
        return f"read the client's records at night, 22-06 Finnish time ({f.reads} reads)"
    closed = _finnish(f.closed_at).date().isoformat() if f.closed_at else ""
    return f"read a path closed on {closed} ({f.reads} reads)"


def _resolve(uow: UnitOfWork, actor: Actor, found: list[_Found]) -> list[Finding]:
    """Names, the path (for a client-level row, the client's newest path an organisation of
    the actor owns), the supervisor's check (`access.supervises`) and the review marks."""
    pathless = {next(iter(f.clients)) for f in found if f.instance_id is None}
    paths = list(uow.session.scalars(
        select(ProcessInstance).where(or_(
            ProcessInstance.id.in_(sorted({f.instance_id for f in found if f.instance_id})),
            and_(ProcessInstance.client_id.in_(sorted(pathless)),
                 ProcessInstance.organisation_id.in_(sorted(actor.organisations))),
        )).order_by(ProcessInstance.id)
    ))  # fmt: skip
    by_id = {p.id: p for p in paths}
    owned = {p.client_id: p for p in paths if p.organisation_id in actor.organisations}
    names = {username: name for username, name in uow.session.execute(
        select(User.username, User.display_name)
        .where(User.username.in_(sorted({f.username for f in found})))
    )}  # fmt: skip
    stored = [_stored(f.key) for f in found if f.kind != "emergency"]
    marks = {m.finding: m for m in uow.session.scalars(
        select(AccessReview).where(AccessReview.finding.in_(stored)))}  # fmt: skip
    result = []
    for f in found:
        if f.instance_id is not None:
            path = by_id.get(f.instance_id)
        else:
            path = None if f.kind == "burst" else owned.get(next(iter(f.clients)))
            f.instance_id = path.id if path is not None else None
        if path is not None and not access.supervises(actor, path):
            continue
        mark, opening = marks.get(_stored(f.key)), f.opening
        review = (
            (opening.reviewed_by, opening.reviewed_at, opening.review_note) if opening
            else (mark.reviewed_by, mark.reviewed_at, mark.note) if mark else (None, None, None)
        )  # fmt: skip
        result.append(Finding(
            f.kind, f.key, f.username, names.get(f.username, f.username), f.first, f.last,
            tuple(f.clients), tuple(f.clients.values()), f.instance_id,
            path.organisation.code if path and path.organisation else None, _describe(f),
            f.reads, opening.reason if opening else None, f.closed_at, *review,
        ))  # fmt: skip
    return result


def _stored(key: str) -> str:
    """The review mark's `finding` column: "kind:id"."""
    return key.replace("-", ":", 1)


def _compute(
    uow: UnitOfWork, actor: Actor, now: datetime, since_days: int
) -> tuple[datetime, list[Finding], bool]:
    """The findings of the period (from the local midnight `since_days` days ago), newest
    first, and whether the rows examined were cut at ROW_LIMIT."""
    first_day = _finnish(now).date() - timedelta(days=since_days)
    period_start = datetime.combine(first_day, time(0), tzinfo=FINLAND)
    if not actor.organisations:
        return period_start, [], False
    # from 22:00 the evening before: the first night is whole
    rows = _log_rows(uow, actor, period_start - timedelta(hours=24 - NIGHT_STARTS.hour), now)
    truncated = len(rows) > ROW_LIMIT
    rows = rows[:ROW_LIMIT][::-1]  # oldest first
    found = _openings(uow, actor, period_start)
    found += _bursts(rows, period_start) + _grouped(rows, period_start)
    found.sort(key=lambda f: (f.first, f.key), reverse=True)
    return period_start, _resolve(uow, actor, found), truncated


def unusual_access(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    since_days: int = DEFAULT_DAYS,
    include_reviewed: bool = False,
    *,
    kind: str | None = None,
) -> UnusualAccess:
    """The findings of the last `since_days` days (whole Finnish days) in the paths the actor
    supervises, newest first: the unreviewed ones, with `include_reviewed` all. Supervisors
    only; each client shown is logged as read for the review."""
    days, wanted = _days(since_days), kind or None
    if wanted not in (None, *KINDS):
        raise InvalidInput(
            "no such kind of finding", {"kind": [KIND_MESSAGE]}, code="finding_kind_unknown"
        )
    now = clock()
    with uow:
        if not access.reviews_unusual_access(actor):
            raise access.refuse(
                uow, now, actor, "read", RESOURCE, None, None, REFUSAL, code="access_review_refused"
            )
        start, findings, truncated = _compute(uow, actor, now, days)
        shown = [
            f for f in findings
            if (include_reviewed or not f.reviewed) and wanted in (None, f.kind)
        ]  # fmt: skip
        truncated = truncated or len(shown) > LIST_LIMIT
        shown = shown[:LIST_LIMIT]
        paths: dict[int, int | None] = {}  # one row per client shown (with its path, if one)
        for f in shown:
            for client_id in f.client_ids:
                paths[client_id] = paths.get(client_id) or f.instance_id
        for client_id, instance_id in paths.items():
            access.log(uow, now, actor, "read", RESOURCE, client_id=client_id,
                       instance_id=instance_id, basis=REVIEW_BASIS)  # fmt: skip
        uow.commit()
    return UnusualAccess(start, now, tuple(shown), truncated)


def mark_reviewed(
    uow: UnitOfWork,
    clock: Clock,
    actor: Actor,
    finding: str,
    note: str | None,
    *,
    since_days: int = DEFAULT_DAYS,
) -> Finding:
    """Mark a finding reviewed (by, at, note): a supervisor of the organisation owning its
    path, not the person it is about. A Conflict when it is reviewed already."""
    text, days = _note(note), _days(since_days)
    matched = KEY.match(finding or "")
    if matched is None:
        raise NotFound(
            f"there is no finding '{finding[:60]}'",
            code="finding_not_found",
            params={"finding": finding[:60]},
        )
    kind, number = matched.group(1), int(matched.group(2))
    if kind == "emergency":  # the opening's own review (it refuses and logs)
        return _from_opening(emergency_access.review(uow, clock, actor, number, text))
    now = clock()
    with uow:
        if not access.reviews_unusual_access(actor):
            raise access.refuse(
                uow,
                now,
                actor,
                "update",
                RESOURCE,
                None,
                None,
                REFUSAL,
                code="access_review_refused",
            )
        _, findings, _ = _compute(uow, actor, now, days)
        item = next((f for f in findings if f.key == finding), None)
        if item is None:
            _refuse_or_not_found(uow, actor, now, number, finding)
        if item.username == actor.username:
            raise access.refuse(uow, now, actor, "update", RESOURCE, item.client_ids[0],
                                item.instance_id, "a finding is reviewed by another supervisor "
                                "than the one it is about", code="finding_own")  # fmt: skip
        if uow.session.scalar(
            select(AccessReview.id).where(AccessReview.finding == _stored(finding))
        ):
            raise Conflict(
                f"finding {finding} is already reviewed",
                code="finding_reviewed",
                params={"finding": finding},
            )
        mark = AccessReview(finding=_stored(finding), reviewed_by=actor.username[:80],
                            reviewed_at=now, note=text)  # fmt: skip
        uow.session.add(mark)
        for client_id in item.client_ids:
            access.log(uow, now, actor, "update", RESOURCE, client_id=client_id,
                       instance_id=item.instance_id,
                       basis=f"{REVIEW_BASIS}: reviewed {finding}")  # fmt: skip
        uow.commit()
        return replace(item, reviewed_by=mark.reviewed_by, reviewed_at=now, review_note=text)


def _from_opening(o: Opening) -> Finding:
    return Finding(
        kind="emergency", key=f"emergency-{o.id}", username=o.username,
        display_name=o.display_name, occurred_at=o.opened_at, last_at=o.opened_at,
        client_ids=(), client_pseudonyms=(o.client_pseudonym,), instance_id=o.instance_id,
        organisation=o.organisation, description=f"opened the path in an emergency: {o.reason}",
        reads=1, reason=o.reason, reviewed_by=o.reviewed_by, reviewed_at=o.reviewed_at,
        review_note=o.review_note,
    )  # fmt: skip


def _refuse_or_not_found(
    uow: UnitOfWork, actor: Actor, now: datetime, row_id: int, key: str
) -> NoReturn:
    """Not a finding of the actor's: refused (and logged) when the row is another
    organisation's, NotFound when it does not exist or is no finding."""
    row = uow.session.get(AccessLog, row_id)
    if row is None or row.client_id is None:
        raise NotFound(
            f"there is no finding '{key}'", code="finding_not_found", params={"finding": key}
        )
    paths = list(uow.session.scalars(
        select(ProcessInstance).where(
            ProcessInstance.id == row.instance_id if row.instance_id is not None
            else ProcessInstance.client_id == row.client_id)
    ))  # fmt: skip
    if any(access.supervises(actor, p) for p in paths):
        raise NotFound(
            f"there is no finding '{key}' in the period",
            code="finding_not_in_period",
            params={"finding": key},
        )
    raise access.refuse(uow, now, actor, "update", RESOURCE, row.client_id, row.instance_id,
                        NOT_THEIRS, code="finding_not_theirs")  # fmt: skip
