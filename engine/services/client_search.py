"""Finding clients: one search text (a name or parts of it, a pseudonym, or an exact personal
identity code), a page at a time, only among the clients the reader may see in a list.

What the text is decides how it is matched (`kind_of`):
- a text shaped like a henkilötunnus (six digits, a century sign, three digits and a check
  character) is an identity code and matches only a client with exactly that code — never a
  part of one, so nobody can walk the codes a digit at a time;
- `A-` and hexadecimal digits is a pseudonym (or the start of one);
- anything else is a name: every word of it must occur in the client's name, in any case.

Every search writes one access-log row (action `search`) naming the reader, the kind of search
and how many were found, never the text itself: the text may be a name or an identity code,
and the access log is read by auditors and put in clients' access reports. Not even a hash of
an identity code: the codes are few enough to hash them all. Who was looked up is told by the
rows of the clients shown, written as for the client list (one per client, naming how they
were found).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from engine.clock import Clock
from engine.errors import InvalidInput, Text
from engine.persistence.tables import Client, ProcessInstance
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import access

PAGE_SIZE = 50  # clients on a page of the list
MAX_LIMIT = 100
MAX_TEXT = 100  # the session keeps at most this much of a search (user_session.client_*search)
KINDS = ("name", "pseudonym", "identity_code")

_HETU_SHAPE = re.compile(r"^\d{6}[-+ABCDEFYXWVU]\d{3}[0-9A-Z]$")
_PSEUDONYM = re.compile(r"^A-[0-9a-f]{1,38}$")


def kind_of(text: str) -> str:
    """How a search text is matched: "identity_code", "pseudonym" or "name"."""
    compact = text.strip()
    if _HETU_SHAPE.match(compact.upper()):
        return "identity_code"
    if _PSEUDONYM.match(compact[:1].upper() + compact[1:].lower()):
        return "pseudonym"
    return "name"



@dataclass
class ClientPage:
    """A page of the list: `items` (dicts), how many match in all, where the page starts."""

    items: list[dict[str, Any]]
    total: int
    offset: int
    limit: int
    kind: str | None  # None: no search, the whole list
    next_cursor: str | None = None
    prev_cursor: str | None = None
    shown: list[int] = field(default_factory=list)


def parse_cursor(cursor: str | None) -> int:
    """A page's cursor is the offset of its first row ("o50"): it names nobody."""
    if not cursor:
        return 0
    if not re.fullmatch(r"o\d{1,7}", cursor):
        raise InvalidInput(
            "the cursor is not valid",
            {"cursor": [Text("value_invalid", "The value is not valid.")]},
            code="search_invalid",
        )
    return int(cursor[1:])


def _like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _condition(kind: str, text: str) -> Any:
    compact = text.strip()
    if kind == "identity_code":
        return Client.identity_code == compact.upper()
    if kind == "pseudonym":
        pseudonym = "A-" + compact[2:].lower()
        return Client.pseudonym.like(_like(pseudonym)[1:], escape="\\")
    words = [w.lower() for w in compact.split() if w]
    return [func.lower(Client.full_name).like(_like(w), escape="\\") for w in words]


def search_clients(
    uow: UnitOfWork,
    clock: Clock,
    actor: access.Actor,
    text: str = "",
    *,
    limit: int = PAGE_SIZE,
    cursor: str | None = None,
) -> ClientPage:
    """A page of the clients the reader may see in a list (`access.client_list_condition`),
    newest first, matching `text` (empty: all of them). Logged: one `search` row when there
    is a text, and one list row per client shown."""
    now = clock()
    text = (text or "").strip()
    if len(text) > MAX_TEXT:
        raise InvalidInput(
            "the search is too long",
            {"q": [Text("text_too_long", "The text is too long.")]},
            code="search_invalid",
        )
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(
            "limit out of range",
            {"limit": [Text("value_too_large", "The value is too large.")]},
            code="search_invalid",
        )
    offset = parse_cursor(cursor)
    kind = kind_of(text) if text else None
    with uow:
        where: list[Any] = [access.client_list_condition(uow, actor, now)]  # the policy decides
        if kind is not None:
            found = _condition(kind, text)
            where.extend(found if isinstance(found, list) else [found])
        total = int(uow.session.scalar(select(func.count(Client.id)).where(*where)) or 0)
        rows = list(
            uow.session.scalars(
                select(Client)
                .where(*where)
                .order_by(Client.created_at.desc(), Client.id.desc())
                .offset(offset)
                .limit(limit)
            )
        )
        latest = _latest_paths(uow, actor, now, [c.id for c in rows])
        items = []
        for c in rows:
            path = latest.get(c.id)
            items.append(
                {
                    "id": c.id,
                    "pseudonym": c.pseudonym,
                    "full_name": c.full_name,
                    "municipality": c.municipality,
                    "created_at": c.created_at,
                    "instance_id": path[0] if path else None,
                    "status": path[1] if path else None,
                }
            )
            access.log(
                uow, now, actor, "read", "client_list", client_id=c.id,
                basis="client relationship" if path else "intake coordination (no path yet)",
                detail="client list entry: name, pseudonym, municipality"
                + (f" (found by {kind.replace('_', ' ')})" if kind else ""),
            )  # fmt: skip
        if kind is not None:
            detail = f"client search by {kind.replace('_', ' ')}: {total} found"
            access.log(
                uow, now, actor, "search", "client", client_id=None,
                basis="client list (search)", detail=detail,
            )  # fmt: skip
        uow.commit()
    page = ClientPage(items, total, offset, limit, kind, shown=[c.id for c in rows])
    if offset + limit < total:
        page.next_cursor = f"o{offset + limit}"
    if offset > 0:
        page.prev_cursor = f"o{max(0, offset - limit)}"
    return page


def _latest_paths(
    uow: UnitOfWork, actor: access.Actor, now: datetime, client_ids: list[int]
) -> dict[int, tuple[int, str]]:
    """Each client's latest path the reader may read (id, status), for all the page's clients
    in one statement (the paths' saved state is not read)."""
    if not client_ids:
        return {}
    found: dict[int, tuple[int, str]] = {}
    for client_id, path_id, status in uow.session.execute(
        select(ProcessInstance.client_id, ProcessInstance.id, ProcessInstance.status)
        .where(ProcessInstance.client_id.in_(client_ids), access.path_condition(uow, actor, now))
        .order_by(ProcessInstance.created_at, ProcessInstance.id)
    ):
        found[client_id] = (path_id, status)
    return found
