"""The benchmarks' accounts: a manager whose organisations own every benchmark path, and the
staff who work on the real paths the HTTP load runs. The staff work for one wellbeing county,
North Savo (as the tests place people, `tests/conftest.py` `home_organisations`): their
worklists hold that county's share of the data set. Created once, kept so afterwards."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from engine.persistence.tables import User
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import organisations, users
from engine.services.access import Actor
from engine.workflow.engine import WorkflowEngine

PASSWORD = "bench-password"
MANAGER = "bench_manager"
# username -> roles: everyone the national path needs up to the follow-up timer (two intake
# coordinators share the first two steps; two case managers are named in the plans)
STAFF: dict[str, list[str]] = {
    "bench_coordinator": ["work_ability_coordinator"],
    "bench_coordinator2": ["work_ability_coordinator"],
    "bench_case_coordinator": ["case_coordinator"],
    "bench_physician": ["physician"],
    "bench_physiotherapist": ["physiotherapist"],
    "bench_social_worker": ["social_worker"],
    "bench_case_manager": ["rehabilitation_counsellor"],
    "bench_case_manager2": ["job_coach"],
}
CASE_MANAGERS = ("bench_case_manager", "bench_case_manager2")
STAFF_COUNTY = "hva-pohjois-savo"


def _ensure(
    uow: Callable[[], UnitOfWork],
    engine: WorkflowEngine,
    username: str,
    roles: list[str],
    member_of: list[str],
) -> Actor:
    with uow() as unit:
        user = unit.session.scalar(select(User).where(User.username == username))
        if user is not None and [o.code for o in user.organisations] != sorted(member_of):
            organisations.set_memberships(unit, user, member_of)
            unit.commit()
        user_id = user.id if user is not None else None
    if user_id is None:
        user_id = users.create_user(
            uow(), engine.roles, username=username, display_name=username.replace("_", " "),
            password=PASSWORD, roles=roles, organisations=member_of,
        )  # fmt: skip
    user = users.get_user(uow(), user_id)
    assert user is not None
    return Actor.from_user(user)


def ensure_manager(uow: Callable[[], UnitOfWork], engine: WorkflowEngine) -> Actor:
    """The manager, a member of every organisation in the catalogue: every benchmark path is
    owned by one of its wellbeing counties, so the dashboards count them all."""
    with uow() as unit:
        codes = [o.code for o in organisations.all_organisations(unit)]
    return _ensure(uow, engine, MANAGER, ["manager"], codes)


def ensure_staff(uow: Callable[[], UnitOfWork], engine: WorkflowEngine) -> dict[str, Actor]:
    return {
        name: _ensure(uow, engine, name, roles, [STAFF_COUNTY]) for name, roles in STAFF.items()
    }
