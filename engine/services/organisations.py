"""Organisations, their members, and which organisation owns a client's path and does each of
its tasks. The catalogue is `processes/organisations.json`, kept in step at deploy time."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from engine.errors import InvalidInput, Text
from engine.persistence.relationships import Organisation
from engine.persistence.tables import Client, HumanTask, ProcessInstance, ProcessModel, User
from engine.persistence.unit_of_work import UnitOfWork

CATALOGUE_FILE = "organisations.json"
WELLBEING_COUNTY = "wellbeing_county"
# model.json may name the organisation of a lane's role: {"lane_organisations": {role: code}}
LANE_ORGANISATIONS = "lane_organisations"


@dataclass(frozen=True)
class Catalogue:
    organisations: dict[str, dict[str, Any]] = field(default_factory=dict)
    # roles whose work belongs to another kind of organisation than the path's owner
    role_kinds: dict[str, str] = field(default_factory=dict)

    def county_of_municipality(self, municipality: str | None) -> str | None:
        wanted = (municipality or "").strip().casefold()
        for code, entry in self.organisations.items():
            if wanted and wanted in (m.casefold() for m in entry.get("municipalities", [])):
                return code
        return None


@lru_cache(maxsize=8)
def catalogue(processes_dir: Path) -> Catalogue:
    path = processes_dir / CATALOGUE_FILE
    if not path.is_file():
        return Catalogue()
    data = json.loads(path.read_text(encoding="utf-8"))
    return Catalogue(
        dict(data.get("organisations", {})), dict(data.get("role_organisation_kinds", {}))
    )


def sync(uow: UnitOfWork, cat: Catalogue) -> None:
    """Add or update the catalogue's organisations and give an owner to paths (and an
    organisation to tasks) that have none yet, e.g. after an upgrade from 0.1.0. Inside the
    caller's transaction."""
    session = uow.session
    known = {o.code: o for o in session.scalars(select(Organisation))}
    for code, entry in cat.organisations.items():
        row = known.get(code) or Organisation(code=code)
        names = dict(entry.get("names", {}))
        row.name = names.get("fi") or names.get("en") or code
        row.names, row.kind, row.region = names, str(entry.get("kind")), entry.get("region")
        session.add(row)
    session.flush()
    for instance in session.scalars(
        select(ProcessInstance).where(ProcessInstance.organisation_id.is_(None))
    ):
        owner = _derived_owner(uow, cat, instance.model_version.model.region, instance.client)
        instance.organisation_id = owner.id if owner else None
    for task in session.scalars(select(HumanTask).where(HumanTask.organisation_id.is_(None))):
        if task.instance.organisation is not None:
            task.organisation_id = task_organisation(
                uow, cat, task.instance.organisation, task.lane_role, {}
            )
    session.flush()
    # the worklist's copy of its path's owner, for paths that just got one
    session.execute(
        update(HumanTask)
        .where(
            HumanTask.owner_organisation_id.is_(None),
            HumanTask.instance_id.in_(
                select(ProcessInstance.id).where(ProcessInstance.organisation_id.is_not(None))
            ),
        )
        .values(
            owner_organisation_id=select(ProcessInstance.organisation_id)
            .where(ProcessInstance.id == HumanTask.instance_id)
            .scalar_subquery()
        )
        .execution_options(synchronize_session=False)
    )


def by_code(uow: UnitOfWork, code: str) -> Organisation | None:
    return uow.session.scalar(select(Organisation).where(Organisation.code == code))


def _derived_owner(
    uow: UnitOfWork, cat: Catalogue, region: str | None, client: Client
) -> Organisation | None:
    if region:
        owner = uow.session.scalar(
            select(Organisation).where(
                Organisation.region == region, Organisation.kind == WELLBEING_COUNTY
            )
        )
        if owner is not None:
            return owner
    code = cat.county_of_municipality(client.municipality)
    return by_code(uow, code) if code else None


def owner_for_new_path(
    uow: UnitOfWork,
    cat: Catalogue,
    model: ProcessModel,
    client: Client,
    actor_organisations: frozenset[int],
    chosen: str | None,
) -> Organisation:
    """The organisation that will own a path being started: the one chosen, the model's
    region's county, the county of the client's municipality, or the starter's only county."""
    if chosen:
        owner = by_code(uow, chosen)
        if owner is None:
            raise InvalidInput(
                f"no organisation '{chosen}'",
                {"organisation": [Text("organisation_no_such", "No such organisation.")]},
                code="organisation_unknown",
                params={"organisation": chosen},
            )
        return owner
    derived = _derived_owner(uow, cat, model.region, client)
    if derived is not None:
        return derived
    counties = [
        o
        for o in uow.session.scalars(
            select(Organisation).where(Organisation.kind == WELLBEING_COUNTY)
        )
        if o.id in actor_organisations
    ]
    if len(counties) == 1:
        return counties[0]
    raise InvalidInput(
        "choose the organisation that owns the client's path",
        {
            "organisation": [
                Text("organisation_choose", "Choose the organisation that owns the path.")
            ]
        },
        code="organisation_missing",
    )


def task_organisation(
    uow: UnitOfWork,
    cat: Catalogue,
    owner: Organisation,
    lane_role: str | None,
    lane_organisations: dict[str, str],
) -> int:
    """The organisation whose staff do a task of `lane_role` on a path `owner` owns: the one
    the model names for the lane, else the organisation of the role's kind in the owner's
    region (Kela serves every region), else the owner."""
    named = lane_organisations.get(lane_role or "")
    if named:
        row = by_code(uow, named)
        if row is not None:
            return row.id
    kind = cat.role_kinds.get(lane_role or "")
    if kind and kind != owner.kind:
        for row in uow.session.scalars(select(Organisation).where(Organisation.kind == kind)):
            if row.region in (owner.region, None):
                return row.id
    return owner.id


def all_organisations(uow: UnitOfWork) -> list[Organisation]:
    return list(uow.session.scalars(select(Organisation).order_by(Organisation.code)))


def counties_of(uow: UnitOfWork, member_of: frozenset[int]) -> list[Organisation]:
    """The wellbeing counties among these organisations: those a path can be owned by."""
    with uow:
        return [
            o for o in all_organisations(uow) if o.kind == WELLBEING_COUNTY and o.id in member_of
        ]


def set_memberships(uow: UnitOfWork, user: User, codes: Iterable[str]) -> None:
    """Make the user a member of exactly these organisations (by code)."""
    wanted = sorted(set(codes))
    rows = {o.code: o for o in all_organisations(uow)}
    unknown = [c for c in wanted if c not in rows]
    if unknown:
        raise InvalidInput(
            "the user is not valid",
            {
                "organisations": [
                    Text(
                        "organisations_unknown",
                        "Unknown organisation: {codes}",
                        codes=", ".join(unknown),
                    )
                ]
            },
            code="user_invalid",
        )
    user.organisations = [rows[c] for c in wanted]


def label(organisation: Organisation | None, language: str = "fi") -> str:
    if organisation is None:
        return ""
    return organisation.names.get(language) or organisation.name
