"""The worklist's cursors: where a page starts, as URL-safe text a client passes back unread.

A cursor is base64url (no padding) of a small JSON array: the direction (`"n"` the rows after,
`"p"` the rows before), the order, the position's key in that order and the task's id, e.g.
`["n", "due", "2026-03-02T08:00:00+00:00", "2026-02-01T08:00:00+00:00", "<task id>"]`. The
client order names the client by id, never by name: cursors end up in addresses, and addresses
in server logs, browser history and Referer headers. Anything else is refused as `InvalidInput`
naming `cursor`; a well-formed cursor someone made up only moves where the page starts, and the
access policy still decides which rows there are."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from engine.errors import InvalidInput, Text

# order code -> what its key holds before the task's id
SORTS: dict[str, tuple[str, ...]] = {
    "created": ("created_at",),
    "waiting": ("created_at",),  # the longest waiting first: the oldest first
    "due": ("due_at", "created_at"),  # no due date last
    "step": ("name", "created_at"),
    "client": ("client_id", "created_at"),  # ordered by the client's name
}
MAX_LENGTH = 1000  # characters; a real cursor is a few hundred at most
MAX_ID = 2**63 - 1
_DIRECTIONS = {"n": True, "p": False}


@dataclass(frozen=True)
class Position:
    """The row a page starts beside: `forward` the rows after it, else the rows before."""

    forward: bool
    sort: str
    values: tuple[Any, ...]  # as SORTS[sort] names them
    task_id: str


def bad_cursor(reason: str = "not a cursor this list gave") -> InvalidInput:
    return InvalidInput(
        f"the cursor is {reason}",
        {
            "cursor": [
                Text(
                    "cursor_start_again",
                    "The cursor is {reason}: start again from the first page.",
                    reason=reason,
                )
            ]
        },
        code="cursor_invalid",
        params={"reason": reason},
    )


def encode(position: Position) -> str:
    values = [v.astimezone(UTC).isoformat() if isinstance(v, datetime) else v
              for v in position.values]  # fmt: skip
    direction = "n" if position.forward else "p"
    text = json.dumps([direction, position.sort, *values, position.task_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


def decode(cursor: str, sort: str) -> Position:
    """The position a cursor of the order `sort` names; `InvalidInput` for anything else."""
    if not isinstance(cursor, str) or not 0 < len(cursor) <= MAX_LENGTH:
        raise bad_cursor()
    try:
        raw = base64.b64decode(cursor + "=" * (-len(cursor) % 4), altchars=b"-_", validate=True)
        parts = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError):  # JSON and UTF-8 errors are ValueErrors too
        raise bad_cursor() from None
    if not isinstance(parts, list) or len(parts) < 3:
        raise bad_cursor()
    direction, order, *values, task_id = parts
    if not (isinstance(direction, str) and isinstance(order, str)):
        raise bad_cursor()
    if direction not in _DIRECTIONS or order not in SORTS:
        raise bad_cursor()
    if order != sort:
        raise bad_cursor(f"for another order ({order}, not {sort})")
    names = SORTS[order]
    if len(values) != len(names) or not _is_text(task_id, 36):
        raise bad_cursor()
    return Position(
        _DIRECTIONS[direction],
        order,
        tuple(_value(name, v) for name, v in zip(names, values, strict=True)),
        task_id,
    )


def _value(name: str, value: Any) -> Any:
    if name == "due_at" and value is None:
        return None
    if name in ("created_at", "due_at"):
        if not _is_text(value, 40):
            raise bad_cursor()
        try:
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is None:
                raise bad_cursor()
            return moment.astimezone(UTC)
        except (ValueError, OverflowError):  # not a moment; beyond the years a date holds
            raise bad_cursor() from None
    if name == "client_id":
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
            raise bad_cursor()
        return value
    if not _is_text(value, 300):  # a step's name
        raise bad_cursor()
    return value


def _is_text(value: Any, longest: int) -> bool:
    return isinstance(value, str) and 0 < len(value) <= longest and "\x00" not in value
