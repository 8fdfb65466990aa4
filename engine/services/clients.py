"""Registering clients and their consent to multi-organisation handling."""

from __future__ import annotations

import re
import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from engine.clock import Clock
from engine.errors import InvalidInput, Text
from engine.persistence.tables import Client, Consent
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import access

_HETU = re.compile(r"^(\d{2})(\d{2})(\d{2})([-+ABCDEFYXWVU])(\d{3})([0-9A-Y])$")
_HETU_CHECK = "0123456789ABCDEFHJKLMNPRSTUVWXY"


_CENTURY = {"+": 1800, "-": 1900, "Y": 1900, "X": 1900, "W": 1900, "V": 1900, "U": 1900,
            "A": 2000, "B": 2000, "C": 2000, "D": 2000, "E": 2000, "F": 2000}  # fmt: skip


def valid_identity_code(code: str) -> bool:
    """A Finnish personal identity code (henkilötunnus): a real date of birth (the separator
    gives the century) and a correct check character."""
    from datetime import date

    match = _HETU.match(code.upper())
    if not match:
        return False
    day, month, year, separator, serial, check = match.groups()
    try:
        date(_CENTURY[separator] + int(year), int(month), int(day))
    except ValueError:
        return False
    return _HETU_CHECK[int(day + month + year + serial) % 31] == check


def create_client(
    uow: UnitOfWork,
    clock: Clock,
    actor: access.Actor,
    *,
    full_name: str,
    identity_code: str | None = None,
    municipality: str | None = None,
    consent_scope: str | None = None,
) -> int:
    now = clock()
    errors: dict[str, list[str]] = {}
    if not full_name or not full_name.strip():
        errors["full_name"] = [Text("field_required", "This field is required.")]
    if identity_code and not valid_identity_code(identity_code):
        errors["identity_code"] = [
            Text("identity_code_invalid", "Not a valid Finnish personal identity code.")
        ]
    if errors:
        raise InvalidInput("the client's details have errors", errors, code="client_invalid")
    with uow:
        if not access.may_register_client(actor):
            raise access.refuse(
                uow,
                now,
                actor,
                "create",
                "client",
                None,
                None,
                "only coordination roles may register clients",
                code="register_clients_refused",
            )
        code = identity_code.upper() if identity_code else None
        exists = InvalidInput(
            "the client exists",
            {
                "identity_code": [
                    Text("client_registered", "A client with this code is registered.")
                ]
            },
            code="client_exists",
        )
        if code and uow.session.scalar(select(Client.id).where(Client.identity_code == code)):
            raise exists
        client = Client(
            pseudonym="A-" + secrets.token_hex(5),
            full_name=full_name.strip(),
            identity_code=code,
            municipality=(municipality or "").strip() or None,
            created_at=now,
            created_by=actor.username,
        )
        uow.session.add(client)
        try:
            uow.session.flush()
        except IntegrityError:  # registered at the same moment by another request
            raise exists from None
        if consent_scope:
            uow.session.add(
                Consent(
                    client_id=client.id,
                    scope=consent_scope,
                    given_at=now,
                    recorded_by=actor.username,
                )
            )
        access.log(
            uow, now, actor, "create", "client", client_id=client.id,
            basis="intake coordination", detail="client registered",
        )  # fmt: skip
        uow.commit()
        return client.id
