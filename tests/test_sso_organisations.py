"""Single sign-on places people in organisations when the role map says so (issue 11, §1)."""

from __future__ import annotations

import pytest

from engine.services import single_sign_on, users
from engine.services.access import Actor
from engine.services.single_sign_on import Identity, SignInRefused
from tests.conftest import Services

ROLE_MAP = {
    "laakarit": ["physician", "organisation:hva-kainuu"],
    "kela": ["kela_advisor", "organisation:kela"],
}


def identity(*groups: str) -> Identity:
    return Identity("https://idp.example", "subject-1", "lea", "Lea Lääkäri", groups)


def test_the_groups_set_the_organisations_at_every_sign_in(services: Services) -> None:
    roles = services.engine.roles
    user = single_sign_on.sign_in(services.uow(), roles, identity("laakarit"), ROLE_MAP)
    assert [o.code for o in users.get_user(services.uow(), user.id).organisations] == ["hva-kainuu"]
    again = single_sign_on.sign_in(services.uow(), roles, identity("kela"), ROLE_MAP)
    actor = Actor.from_user(users.get_user(services.uow(), again.id))
    assert again.id == user.id and actor.roles == {"kela_advisor"}
    assert [o.code for o in users.get_user(services.uow(), user.id).organisations] == ["kela"]
    # an account of the provider has no password sign-in
    with pytest.raises(Exception, match="wrong username or password"):
        users.authenticate(services.uow(), again.username, "anything at all")


def test_a_map_without_organisations_keeps_what_an_administrator_set(
    services: Services,
) -> None:
    roles = services.engine.roles
    user = single_sign_on.sign_in(
        services.uow(), roles, identity("laakarit"), {"laakarit": ["physician"]}
    )
    assert users.get_user(services.uow(), user.id).organisations == []


def test_an_unknown_organisation_refuses_the_sign_in(services: Services) -> None:
    with pytest.raises(SignInRefused) as refused:
        single_sign_on.sign_in(
            services.uow(), services.engine.roles, identity("x"),
            {"x": ["physician", "organisation:nowhere"]},
        )  # fmt: skip
    assert refused.value.reason == "role_map"
