"""Emergency access (the issue: "a professional without a basis may open a path after giving a
reason; it is marked as such, and listed for the supervisor to review"): a physician with no
relation to a client is refused, opens the path in an emergency with a reason, reads it with
the basis "emergency access: …" for `EMERGENCY_HOURS`, and the supervisor of the owning
organisation reviews the opening; nobody else may open or review."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine.errors import Forbidden
from engine.persistence.relationships import EmergencyAccess
from engine.persistence.tables import AccessLog
from engine.services import emergency_access, queries, users
from engine.services.access import EMERGENCY_HOURS, Actor
from tests.conftest import LONG_SESSIONS, PASSWORD, Services
from web import create_app

OWNER = "hva-pohjois-savo"  # owns the national paths `services.start()` starts
REASON = "Asiakas päivystyksessä, tarvitaan tiedot heti"
FULL_NAME = "Testi Asiakas"  # `services.new_client()`'s client


@pytest.fixture
def site(services: Services, tmp_path: Path) -> Iterator[Flask]:
    """The web app on the `services` database (staff of the demo organisations)."""
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_AUTO_UPGRADE": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'engine.db'}",
            "CLOCK": services.clock,
            "SECRET_KEY": "emergency-test",
            "WTF_CSRF_ENABLED": False,
            **LONG_SESSIONS,
        }
    )
    yield app
    app.extensions["polku"].db.dispose()


def person(
    services: Services, username: str, roles: list[str], organisations: list[str], **extra: bool
) -> Actor:
    user_id = users.create_user(
        services.uow(), services.engine.roles, username=username, display_name=username.title(),
        password=PASSWORD, roles=roles, organisations=organisations, **extra,
    )  # fmt: skip
    user = users.get_user(services.uow(), user_id)
    assert user is not None
    return Actor.from_user(user)


def sign_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.text
    return client


def api_token(app: Flask, username: str) -> dict[str, str]:
    made = app.test_client().post(
        "/api/v1/tokens", json={"username": username, "password": PASSWORD}
    )
    assert made.status_code == 201, made.json
    return {"Authorization": f"Bearer {made.json['token']}"}


def new_path(services: Services) -> tuple[int, int, str]:
    """A just-started national path (only the coordinator's first task open): its id, the
    client's id and pseudonym."""
    path = services.start()
    view = queries.get_instance(services.uow(), services.clock, services.actors["kaisa"], path)
    return path, view.client_id, view.client_pseudonym


def log_rows(services: Services, username: str) -> list[AccessLog]:
    with services.uow() as uow:
        return list(
            uow.session.scalars(
                select(AccessLog).where(AccessLog.username == username).order_by(AccessLog.id)
            )
        )


def openings(services: Services) -> int:
    with services.uow() as uow:
        return uow.session.scalar(select(func.count()).select_from(EmergencyAccess)) or 0


def test_a_physician_without_a_basis_opens_a_path_in_an_emergency(
    services: Services, site: Flask
) -> None:
    path, client_id, _ = new_path(services)
    lauri = sign_in(site, "lauri")  # a physician of the owning organisation, no relation

    refused = lauri.get(f"/clients/{client_id}")
    assert refused.status_code == 403
    assert f'href="/clients/{client_id}/emergency"' in refused.text  # the offer
    assert [(r.action, r.resource, r.client_id, r.success) for r in log_rows(services, "lauri")
            if r.resource == "client"] == [("read", "client", client_id, False)]  # fmt: skip
    refused_plan = lauri.get(f"/paths/{path}/plan")
    assert refused_plan.status_code == 403
    assert f'href="/clients/{client_id}/emergency"' in refused_plan.text

    form = lauri.get(f"/clients/{client_id}/emergency")
    assert form.status_code == 200
    assert f'action="/paths/{path}/emergency"' in form.text
    assert "esihenkilösi tarkastaa" in form.text  # logged and reviewed, in Finnish

    rows_before = len(log_rows(services, "lauri"))
    short = lauri.post(f"/paths/{path}/emergency", data={"reason": "kiire"})
    assert short.status_code == 400
    assert f'id="emergency-{path}-reason"' in short.text and 'aria-invalid="true"' in short.text
    assert "Kirjoita perustelu, 10–500 merkkiä." in short.text
    assert openings(services) == 0 and len(log_rows(services, "lauri")) == rows_before

    opened = lauri.post(f"/paths/{path}/emergency", data={"reason": REASON})
    assert opened.status_code == 302
    assert opened.headers["Location"].endswith(f"/clients/{client_id}#path-{path}")
    page = lauri.get(f"/clients/{client_id}")
    assert page.status_code == 200
    assert f"Avattu hätätilanteessa: {REASON} — päättyy" in page.text  # the banner
    assert lauri.get(f"/paths/{path}/plan").status_code == 200

    rows = [r for r in log_rows(services, "lauri") if r.success]
    assert ("create", "emergency_access", f"emergency access: {REASON}") in [
        (r.action, r.resource, r.basis) for r in rows
    ]
    reads = [r for r in rows if r.action == "read"]
    assert reads and all(r.basis == f"emergency access: {REASON}" for r in reads)
    assert {r.resource for r in reads} >= {"client", "process_instance"}

    services.clock.advance(hours=EMERGENCY_HOURS)
    again = lauri.get(f"/clients/{client_id}")
    assert again.status_code == 403  # the opening has expired
    assert f'href="/clients/{client_id}/emergency"' in again.text  # it may be opened anew


def test_over_the_api_a_reason_is_required_and_an_opening_answers_201(
    services: Services, site: Flask
) -> None:
    path, _, pseudonym = new_path(services)
    client, lauri = site.test_client(), api_token(site, "lauri")
    url = f"/api/v1/instances/{path}/emergency-access"
    for body in ({}, {"reason": "lyhyt"}, {"reason": "x" * 501}):
        answer = client.post(url, json=body, headers=lauri)
        assert answer.status_code == 400 and "reason" in answer.json["errors"], body
    assert openings(services) == 0

    made = client.post(url, json={"reason": REASON}, headers=lauri)
    assert made.status_code == 201, made.json
    assert made.json["instance_id"] == path and made.json["reason"] == REASON
    assert made.json["client_pseudonym"] == pseudonym and "client_name" not in made.json
    assert made.headers["Location"].endswith(f"/api/v1/instances/{path}")
    read = client.get(f"/api/v1/instances/{path}", headers=lauri)
    assert read.status_code == 200
    assert log_rows(services, "lauri")[-1].basis == f"emergency access: {REASON}"

    missing = client.post("/api/v1/instances/999999/emergency-access",
                          json={"reason": REASON}, headers=lauri)  # fmt: skip
    assert missing.status_code == 404
    # the owning organisation's coordinator has a basis already: nothing to open
    kaisa = api_token(site, "kaisa")
    assert client.post(url, json={"reason": REASON}, headers=kaisa).status_code == 409


def test_nobody_but_a_care_professional_of_the_owning_organisation_opens_in_an_emergency(
    services: Services, site: Flask
) -> None:
    path, client_id, _ = new_path(services)
    admin = person(services, "ylla", [], [OWNER], is_admin=True)
    designer = person(services, "dani", ["process_designer"], [OWNER])
    others = [services.actors["tuomas"], services.actors["kerttu"]]  # employment, Kela
    for actor in [*others, admin, designer]:
        with pytest.raises(Forbidden):
            emergency_access.open_emergency_access(
                services.uow(), services.clock, actor, path, REASON
            )
        refusals = [r for r in log_rows(services, actor.username) if not r.success]
        assert [(r.action, r.resource, r.instance_id) for r in refusals] == [
            ("create", "emergency_access", path)
        ], actor.username
    tuomas = [r for r in log_rows(services, "tuomas") if not r.success][0]
    assert tuomas.basis.startswith("no consent to multi-organisation handling")
    assert openings(services) == 0

    for username in ("tuomas", "ylla", "dani"):
        browser = sign_in(site, username)
        refused = browser.get(f"/clients/{client_id}")
        assert refused.status_code == 403 and "/emergency" not in refused.text, username
        assert browser.get(f"/clients/{client_id}/emergency").status_code == 403
        assert browser.post(f"/paths/{path}/emergency", data={"reason": REASON}).status_code == 403
    assert openings(services) == 0


def test_the_supervisor_of_the_owning_organisation_reviews_the_opening(
    services: Services, site: Flask
) -> None:
    path, client_id, pseudonym = new_path(services)
    emergency_access.open_emergency_access(
        services.uow(), services.clock, services.actors["lauri"], path, REASON
    )
    person(services, "esko", ["manager"], [OWNER])
    person(services, "maria", ["manager"], ["hva-kainuu"])  # supervises no owning organisation

    esko = sign_in(site, "esko")
    listed = esko.get("/emergency-access")
    assert listed.status_code == 200
    assert 'href="/emergency-access"' in listed.text  # the nav item
    assert REASON in listed.text and pseudonym in listed.text and "Lauri" in listed.text
    assert FULL_NAME not in listed.text
    review_rows = [r for r in log_rows(services, "esko") if r.resource == "emergency_access"]
    assert [(r.action, r.client_id, r.instance_id, r.basis) for r in review_rows] == [
        ("read", client_id, path, "supervisor review of emergency access")
    ]
    token = api_token(site, "esko")
    items = site.test_client().get("/api/v1/emergency-access", headers=token).json
    seen = [(i["instance_id"], i["client_pseudonym"], i["username"], i["display_name"],
              i["reviewed"]) for i in items]  # fmt: skip
    assert seen == [(path, pseudonym, "lauri", "Lauri", False)]
    assert FULL_NAME not in str(items)
    access_id = items[0]["id"]

    maria = sign_in(site, "maria")
    theirs = maria.get("/emergency-access")
    assert theirs.status_code == 200 and REASON not in theirs.text and pseudonym not in theirs.text
    maria_token = api_token(site, "maria")
    assert site.test_client().get("/api/v1/emergency-access", headers=maria_token).json == []
    assert maria.post(f"/emergency-access/{access_id}/review", data={"note": "ok"}).status_code \
        == 403  # fmt: skip
    lauri = sign_in(site, "lauri")
    assert lauri.get("/emergency-access").status_code == 403
    assert 'href="/emergency-access"' not in lauri.get("/").text  # no nav item

    done = esko.post(f"/emergency-access/{access_id}/review",
                     data={"note": "Perusteltu: päivystyskäynti"})  # fmt: skip
    assert done.status_code == 302
    open_list = esko.get("/emergency-access")
    assert REASON not in open_list.text  # it has left the open list
    shown = esko.get("/emergency-access?reviewed=1")
    assert REASON in shown.text and "Perusteltu: päivystyskäynti" in shown.text
    with services.uow() as uow:
        row = uow.session.get(EmergencyAccess, access_id)
        assert row is not None
        assert (row.reviewed_by, row.review_note) == ("esko", "Perusteltu: päivystyskäynti")
        assert row.reviewed_at == services.clock()
    assert any(
        r.action == "update" and r.resource == "emergency_access" and r.success
        for r in log_rows(services, "esko")
    )
    again = site.test_client().post(f"/api/v1/emergency-access/{access_id}/review",
                                    json={"note": None}, headers=token)  # fmt: skip
    assert again.status_code == 409  # reviewed once
    everything = site.test_client().get(
        "/api/v1/emergency-access", query_string={"reviewed": "true"}, headers=token
    )
    assert [i["reviewed_by"] for i in everything.json] == ["esko"]
