"""The access policy's role-only questions (`engine.services.access_roles`, re-exported by
`engine.services.access`): who of the demo staff each lets in, and, through the Flask test
client, that the main menu offers each page exactly to those its service lets in."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask, url_for

from engine.clock import FrozenClock
from engine.persistence.tables import ProcessInstance
from engine.services import access, access_roles, dashboards, users
from engine.services.access import Actor
from engine.services.demo import demo_organisations
from tests.conftest import PASSWORD, Services
from web import create_app

# Staff of no client work, beside the fixtures' professionals.
OTHERS = {
    "erkki": ["manager"],
    "sirpa": ["process_designer"],
    "aapo": ["auditor"],
    "admin": [],
}
QUESTIONS: dict[str, Callable[[Actor], bool]] = {
    "may_design": access.may_design,
    "coordinates_team": access.coordinates_team,
    "supervises_emergency_access": access.supervises_emergency_access,
    "reviews_unusual_access": access.reviews_unusual_access,
    "may_see_dashboards": access.may_see_dashboards,
    "administers": access.administers,
    "may_register_client": access.may_register_client,
    "may_override_duplicate_path": access.may_override_duplicate_path,
}
# Who (of the fixtures' staff and OTHERS) each question lets in; everyone else is refused.
LET_IN = {
    "may_design": {"sirpa", "admin"},
    "coordinates_team": {"timo"},
    "supervises_emergency_access": {"erkki"},
    "reviews_unusual_access": {"erkki"},
    "may_see_dashboards": {"kaisa", "timo", "paula", "erkki", "aapo", "admin"},
    "administers": {"admin"},
    "may_register_client": {"kaisa", "timo", "paula"},
    "may_override_duplicate_path": {"kaisa", "timo"},
}
# The main menu's links, the question that offers each, and the page's endpoint.
MENU = {
    "ui.team_page": "coordinates_team",
    "ui.dashboard_page": "may_see_dashboards",
    "ui.emergency_reviews": "supervises_emergency_access",
    "ui.access_review_page": "reviews_unusual_access",
    "ui.admin_people": "administers",
    "ui.designer_models": "may_design",
}
MENU_PEOPLE = ["kaisa", "timo", "paula", "lauri", "kerttu", "erkki", "sirpa", "aapo", "admin"]


def _other(username: str, roles: list[str]) -> Actor:
    return Actor(
        1000 + len(username), username, username.title(), frozenset(roles),
        is_admin=username == "admin",
    )  # fmt: skip


def _everyone(services: Services) -> dict[str, Actor]:
    return {**services.actors, **{u: _other(u, r) for u, r in OTHERS.items()}}


def test_the_names_stay_importable_from_the_policy() -> None:
    for name in [*QUESTIONS, "TEAM_COORDINATOR", "DUPLICATE_PATH_ROLES", "SUPERVISOR_ROLE"]:
        assert name in access.__all__
        assert getattr(access, name) is getattr(access_roles, name)
    assert dashboards.may_see_dashboards is access.may_see_dashboards


@pytest.mark.parametrize("question", sorted(QUESTIONS))
def test_who_each_role_question_lets_in(services: Services, question: str) -> None:
    everyone = _everyone(services)
    let_in = {name for name, actor in everyone.items() if QUESTIONS[question](actor)}
    assert let_in == LET_IN[question]


def test_a_supervisor_supervises_only_their_own_organisations_paths(services: Services) -> None:
    instance_id = services.start()
    with services.uow() as uow:
        instance = uow.session.get(ProcessInstance, instance_id)
        assert instance is not None
        owner = instance.organisation_id
        assert owner is not None
        erkki = _other("erkki", ["manager"])
        assert not access.supervises(erkki, instance)  # of no organisation
        inside = Actor(1, "erkki", "Erkki", erkki.roles, organisations=frozenset({owner}))
        assert access.supervises(inside, instance)
        assert not access.supervises(services.actors["timo"], instance)  # not a supervisor


# ---------------------------------------------------------------- the menu and the pages


@pytest.fixture
def app(tmp_path: Path, clock: FrozenClock) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_AUTO_UPGRADE": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'roles.db'}",
            "CLOCK": clock,
            "SECRET_KEY": "access-roles-test",
            "WTF_CSRF_ENABLED": False,
        }
    )
    ctx = app.extensions["polku"]
    staff = {
        "kaisa": ["work_ability_coordinator"], "timo": ["case_coordinator"],
        "paula": ["service_counsellor"], "lauri": ["physician"], "kerttu": ["kela_advisor"],
        **OTHERS,
    }  # fmt: skip
    for username, roles in staff.items():
        users.create_user(
            ctx.uow(),
            ctx.engine.roles,
            username=username,
            display_name=f"{username.title()} Testinen",
            password=PASSWORD,
            roles=roles,
            is_admin=username == "admin",
            organisations=demo_organisations(roles),
        )
    yield app
    ctx.db.dispose()


def _main_menu(html: str) -> str:
    found = re.search(r'<nav class="main-nav".*?</nav>', html, re.S)
    assert found is not None
    return found.group(0)


@pytest.mark.parametrize("username", MENU_PEOPLE)
def test_the_menu_offers_a_page_exactly_to_those_its_service_lets_in(
    app: Flask, username: str
) -> None:
    client = app.test_client()
    signed_in = client.post("/login", data={"username": username, "password": PASSWORD})
    assert signed_in.status_code == 302, signed_in.text
    with app.test_request_context():
        addresses = {endpoint: url_for(endpoint) for endpoint in MENU}
        home = url_for("ui.caseload_page")  # every signed-in person's page
    page = client.get(home)
    assert page.status_code == 200, page.text
    menu = _main_menu(page.text)
    for endpoint, question in MENU.items():
        offered = f'href="{addresses[endpoint]}"' in menu
        status = client.get(addresses[endpoint]).status_code
        allowed = username in LET_IN[question]
        assert offered == allowed, (endpoint, username)
        assert status == (200 if allowed else 403), (endpoint, username, status)
