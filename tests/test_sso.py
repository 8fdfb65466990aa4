"""Single sign-on (docs/single-sign-on.md) against a provider built with Authlib inside the
tests (tests/oidc_provider.py). In a browser: a physician signs in and sees the physician's
worklist. Through the test client: roles follow the groups at every sign-in; no mapped group
or a closed account is 403; a forged state, a provider's error and a forged id_token are 400, an
unreachable provider 503; nothing changes on a failure; local accounts are never taken
over; the password form goes away when password login is off; never a 500."""

from __future__ import annotations

import copy
import os
import shutil
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask, got_request_exception, request_finished
from flask.testing import FlaskClient
from sqlalchemy import func, select, update
from werkzeug.serving import make_server
from werkzeug.test import TestResponse

from engine.persistence.tables import HumanTask, User
from engine.services import clients, instances, users
from engine.services.access import Actor
from engine.services.demo import sample
from engine.services.single_sign_on import username_from
from tests.conftest import PASSWORD, ROOT
from tests.oidc_provider import OpenIDProvider, Person, running
from tests.test_api import database_fingerprint
from web import ConfigError, create_app

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ROLE_MAP = {
    "henkilosto": ["organisation:hva-pohjois-savo"],  # the county's staff
    "tyokyky-laakarit": ["physician"],
    "tyokyky-koordinaattorit": ["work_ability_coordinator"],
    "polku-admins": ["admin"],
}
PEOPLE = [
    Person("idp-0001", "liisa", "Liisa Lääkäri", ["tyokyky-laakarit", "henkilosto"]),
    Person("idp-0002", "olli", "Olli Ulkopuolinen", ["kirjanpito"]),
    Person("idp-0003", "kaisa", "Kaisa Kotitalo", ["tyokyky-koordinaattorit"]),
]
AppFactory = Callable[..., Flask]


@pytest.fixture(autouse=True)
def no_server_errors() -> Iterator[None]:
    """Whatever goes wrong in a sign-in answers a page: never a 500 from any app here (503,
    the provider being away, is an answer, not a failure)."""
    seen: list[Any] = []  # each answer's status, and any exception a view let through
    with (
        request_finished.connected_to(lambda _app, response, **_: seen.append(response.status)),
        got_request_exception.connected_to(lambda _app, exception, **_: seen.append(exception)),
    ):
        yield
    assert all(isinstance(s, str) and (s[0] != "5" or s.startswith("503")) for s in seen), seen


@pytest.fixture
def provider() -> Iterator[OpenIDProvider]:
    with running(copy.deepcopy(PEOPLE)) as running_provider:
        yield running_provider


@pytest.fixture(scope="module")
def roles_only(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A processes folder with the team roles and no models: the pages of these tests need
    no model, and loading every model for every app would make the tests slow."""
    folder = tmp_path_factory.mktemp("processes")
    shutil.copy(ROOT / "processes" / "roles.json", folder / "roles.json")
    shutil.copy(ROOT / "processes" / "organisations.json", folder / "organisations.json")
    return folder


@pytest.fixture
def make_app(tmp_path: Path, provider: OpenIDProvider, roles_only: Path) -> Iterator[AppFactory]:
    made: list[Flask] = []

    def make(oidc: dict[str, Any] | None = None, **config: Any) -> Flask:
        app = create_app(
            {
                "TESTING": True,
                "DATABASE_AUTO_UPGRADE": True,
                "DATABASE_URL": f"sqlite:///{tmp_path / f'sso{len(made)}.db'}",
                "SECRET_KEY": "sso-test",
                "WTF_CSRF_ENABLED": False,
                "PROCESSES_DIR": str(roles_only),
                "OIDC": provider.polku_settings(ROLE_MAP) if oidc is None else oidc,
                **config,
            }
        )
        ctx = app.extensions["polku"]
        users.create_user(
            ctx.uow(),
            ctx.engine.roles,
            username="kaisa",
            display_name="Kaisa Paikallinen",
            password=PASSWORD,
            roles=["case_coordinator"],
        )
        made.append(app)
        return app

    yield make
    for app in made:
        app.extensions["polku"].db.dispose()


@pytest.fixture
def app(make_app: AppFactory) -> Flask:
    return make_app()


def sso_sign_in(
    client: FlaskClient, provider: OpenIDProvider, username: str, *, next_page: str | None = None
) -> TestResponse:
    """Start at Polku, sign in at the provider, come back to Polku with its answer."""
    start = client.get("/login/sso", query_string={"next": next_page} if next_page else None)
    assert start.status_code == 302, start.text
    back = urlsplit(provider.sign_in(start.headers["Location"], username))
    assert back.path == "/login/sso/callback"
    return client.get(f"{back.path}?{back.query}")


def account(app: Flask, subject: str) -> User | None:
    with app.extensions["polku"].uow() as uow:
        user = uow.session.scalar(select(User).where(User.oidc_subject == subject))
        if user is not None:
            uow.session.expunge(user)
        return user


def user_count(app: Flask) -> int:
    with app.extensions["polku"].uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(User)) or 0)


def signed_in(client: FlaskClient) -> bool:
    return client.get("/").status_code == 200


def test_the_first_sign_in_makes_an_account_and_every_sign_in_sets_the_roles(
    app: Flask, provider: OpenIDProvider
) -> None:
    client = app.test_client()
    login_page = client.get("/login")
    assert 'id="sso-login"' in login_page.text
    assert "Kirjaudu organisaatiosi tunnuksilla" in login_page.text
    assert 'name="password"' in login_page.text  # password login stays on by default

    start = client.get("/login/sso")
    sent = parse_qs(urlsplit(start.headers["Location"]).query)
    assert sent["redirect_uri"] == ["http://localhost/login/sso/callback"]
    assert sent["scope"] == ["openid profile email"]
    assert sent["code_challenge_method"] == ["S256"] and sent["nonce"] and sent["state"]

    done = sso_sign_in(client, provider, "liisa")
    assert done.status_code == 302 and done.headers["Location"] == "/"
    worklist = client.get("/")
    assert worklist.status_code == 200
    assert "Liisa Lääkäri" in worklist.text and "Lääkäri" in worklist.text
    user = account(app, "idp-0001")
    assert user is not None
    assert (user.username, user.display_name) == ("liisa", "Liisa Lääkäri")
    assert user.oidc_issuer == provider.issuer
    assert user.role_codes == ["physician"] and not user.is_admin and user.active
    assert user.password_hash.startswith("$argon2")  # a hash of a secret nobody knows

    # Later sign-ins replace the roles with the ones the groups map to now.
    provider.people["liisa"].groups = ["tyokyky-koordinaattorit", "polku-admins"]
    provider.people["liisa"].name = "Liisa Lääkäri-Virtanen"
    assert sso_sign_in(app.test_client(), provider, "liisa").status_code == 302
    second = account(app, "idp-0001")
    assert second is not None and second.id == user.id and second.username == "liisa"
    assert second.role_codes == ["work_ability_coordinator"] and second.is_admin
    assert second.display_name == "Liisa Lääkäri-Virtanen"

    provider.people["liisa"].groups = ["tyokyky-laakarit"]
    assert sso_sign_in(app.test_client(), provider, "liisa").status_code == 302
    third = account(app, "idp-0001")
    assert third is not None and third.role_codes == ["physician"] and not third.is_admin
    assert user_count(app) == 2  # the local kaisa and liisa, never a second liisa


def test_no_mapped_group_or_a_closed_account_is_refused_and_changes_nothing(
    app: Flask, provider: OpenIDProvider
) -> None:
    before = database_fingerprint(app)
    client = app.test_client()
    refused = sso_sign_in(client, provider, "olli")
    assert refused.status_code == 403
    assert 'lang="fi"' in refused.text and "ei ole roolia" in refused.text
    assert account(app, "idp-0002") is None and database_fingerprint(app) == before
    assert not signed_in(client)

    # A person moved out of every mapped group is refused too, and keeps the old roles.
    client = app.test_client()
    assert sso_sign_in(client, provider, "liisa").status_code == 302
    provider.people["liisa"].groups = ["henkilosto"]
    assert sso_sign_in(app.test_client(), provider, "liisa").status_code == 403
    liisa = account(app, "idp-0001")
    assert liisa is not None and liisa.role_codes == ["physician"]

    # A closed account: the open session ends at once, and no new sign-in gets through.
    provider.people["liisa"].groups = ["tyokyky-laakarit"]
    with app.extensions["polku"].uow() as uow:
        uow.session.execute(update(User).where(User.id == liisa.id).values(active=False))
        uow.commit()
    assert not signed_in(client)
    before = database_fingerprint(app)
    again = app.test_client()
    closed = sso_sign_in(again, provider, "liisa")
    assert closed.status_code == 403 and "suljettu" in closed.text
    assert not signed_in(again) and database_fingerprint(app) == before


def test_a_forged_or_foreign_state_is_refused_and_changes_nothing(
    app: Flask, provider: OpenIDProvider
) -> None:
    before = database_fingerprint(app)
    nobody = app.test_client()
    assert nobody.get("/login/sso/callback?code=abc&state=forged").status_code == 400

    victim, attacker = app.test_client(), app.test_client()
    attacker_start = attacker.get("/login/sso")
    back = urlsplit(provider.sign_in(attacker_start.headers["Location"], "liisa"))
    victim.get("/login/sso")  # the victim's own sign-in waits for another state
    forced = victim.get(f"{back.path}?{back.query}")
    assert forced.status_code == 400 and "Kirjautuminen epäonnistui" in forced.text
    assert not signed_in(victim)
    assert database_fingerprint(app) == before


def test_a_local_account_of_the_same_username_is_never_taken_over(
    app: Flask, provider: OpenIDProvider
) -> None:
    client = app.test_client()
    assert sso_sign_in(client, provider, "kaisa").status_code == 302
    new = account(app, "idp-0003")
    assert new is not None and new.username == "kaisa_2"
    assert new.role_codes == ["work_ability_coordinator"]
    assert "Kaisa Kotitalo" in client.get("/").text

    local = users.authenticate(app.extensions["polku"].uow(), "kaisa", PASSWORD)
    assert local.id != new.id and local.oidc_subject is None
    assert local.display_name == "Kaisa Paikallinen" and local.role_codes == ["case_coordinator"]


def test_the_password_form_goes_away_when_password_login_is_off_and_the_base_url_counts(
    make_app: AppFactory, provider: OpenIDProvider
) -> None:
    settings = provider.polku_settings(
        ROLE_MAP, password_login=False, label="Kirjaudu hyvinvointialueen tunnuksilla"
    )
    app = make_app(settings, PUBLIC_BASE_URL="https://polku.example.fi")
    provider.client.redirect_uris.append("https://polku.example.fi/login/sso/callback")
    client = app.test_client()
    start = client.get("/login/sso")
    sent = parse_qs(urlsplit(start.headers["Location"]).query)
    assert sent["redirect_uri"] == ["https://polku.example.fi/login/sso/callback"]
    page = client.get("/login")
    assert "Kirjaudu hyvinvointialueen tunnuksilla" in page.text
    assert 'name="password"' not in page.text and 'id="sso-login"' in page.text
    posted = client.post("/login", data={"username": "kaisa", "password": PASSWORD})
    assert posted.status_code == 403 and not signed_in(client)
    token = client.post("/api/v1/tokens", json={"username": "kaisa", "password": PASSWORD})
    assert token.status_code == 403 and "single sign-on" in token.json["detail"]
    assert sso_sign_in(client, provider, "liisa").status_code == 302 and signed_in(client)


def test_failures_at_the_provider_answer_a_page_in_the_readers_language(
    app: Flask, provider: OpenIDProvider
) -> None:
    before = database_fingerprint(app)
    client = app.test_client()
    client.get("/lang/sv")
    start = client.get("/login/sso")
    back = urlsplit(provider.sign_in(start.headers["Location"], "liisa", cancel=True))
    assert parse_qs(back.query)["error"] == ["access_denied"]
    cancelled = client.get(f"{back.path}?{back.query}")
    assert cancelled.status_code == 400
    assert 'lang="sv"' in cancelled.text and "Inloggningen misslyckades" in cancelled.text

    provider.forge_id_tokens()  # signed with a key the provider's JWKS does not hold
    forged = sso_sign_in(client, provider, "liisa")
    assert forged.status_code == 400 and "kunde inte verifieras" in forged.text

    provider.signing_key = provider.key
    provider.audience = "some-other-client"
    foreign = sso_sign_in(client, provider, "liisa")
    assert foreign.status_code == 400 and "kunde inte verifieras" in foreign.text

    provider.audience = None
    assert client.get("/login/sso/callback").status_code == 400  # nothing at all
    assert not signed_in(client) and database_fingerprint(app) == before


def test_an_unreachable_provider_answers_a_page_and_not_an_error(
    make_app: AppFactory, provider: OpenIDProvider
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    app = make_app(provider.polku_settings(ROLE_MAP, issuer=closed))
    client = app.test_client()
    answer = client.get("/login/sso")
    assert answer.status_code == 503
    assert "ei juuri nyt saada yhteyttä" in answer.text
    assert client.get("/login").status_code == 200  # the login page itself still works


def test_groups_only_in_userinfo_and_the_way_back_to_the_page_asked_for(
    app: Flask, provider: OpenIDProvider
) -> None:
    provider.groups_in_id_token = False
    provider.iss = f"{provider.issuer}/"  # as some providers name themselves
    client = app.test_client()
    done = sso_sign_in(client, provider, "liisa", next_page="/clients")
    assert done.status_code == 302 and done.headers["Location"] == "/clients"
    liisa = account(app, "idp-0001")
    assert liisa is not None and liisa.role_codes == ["physician"]
    assert liisa.oidc_issuer == provider.issuer

    other = app.test_client()
    sent_elsewhere = sso_sign_in(other, provider, "liisa", next_page="//evil.example/")
    assert sent_elsewhere.headers["Location"] == "/"


def test_without_single_sign_on_there_is_no_button_and_no_route(make_app: AppFactory) -> None:
    app = make_app(oidc={})
    client = app.test_client()
    assert 'id="sso-login"' not in client.get("/login").text
    assert client.get("/login/sso").status_code == 404
    assert client.get("/login/sso/callback?code=x&state=y").status_code == 404


def test_a_wrong_setting_stops_the_start(tmp_path: Path, provider: OpenIDProvider) -> None:
    for settings, problem in (
        (provider.polku_settings({"laakarit": ["surgeon"]}), "surgeon"),
        (provider.polku_settings(ROLE_MAP, scope="profile email"), "openid"),
    ):
        with pytest.raises(ConfigError, match=problem):
            create_app(
                {
                    "TESTING": True,
                    "DATABASE_URL": f"sqlite:///{tmp_path / 'never.db'}",
                    "SECRET_KEY": "x",
                    "OIDC": settings,
                }
            )


def test_usernames_are_made_of_letters_digits_dots_and_underscores() -> None:
    assert username_from("Liisa.Laine@Example.fi") == "liisa.laine_example.fi"
    assert username_from("Äijä-Öhman") == "äijä_öhman"
    assert username_from("  --  ") == "user" and username_from(None) == "user"
    assert len(username_from("a" * 300)) <= 72


# -- in a browser ---------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    return {
        "executable_path": CHROMIUM,
        "headless": True,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    }


@pytest.fixture
def live_server(make_app: AppFactory, provider: OpenIDProvider) -> Iterator[tuple[str, str]]:
    """Polku on a free port, with a client whose path waits for a physician; no physician has
    an account yet."""
    app = make_app(WTF_CSRF_ENABLED=True, PROCESSES_DIR=str(ROOT / "processes"))
    ctx = app.extensions["polku"]
    kirsi_id = users.create_user(
        ctx.uow(),
        ctx.engine.roles,
        username="kirsi",
        display_name="Kirsi Koordinaattori",
        password=PASSWORD,
        roles=["work_ability_coordinator"],
    )
    kirsi = Actor.from_user(users.get_user(ctx.uow(), kirsi_id))  # type: ignore[arg-type]
    client_id = clients.create_client(ctx.uow(), ctx.clock, kirsi, full_name="Ville Virtanen")
    iid = instances.start_instance(ctx.uow(), ctx.engine, ctx.clock, kirsi, client_id, "national")
    for bpmn_id in ("Task_encounter", "Task_initial_interview"):
        with ctx.uow() as uow:
            task_id = uow.session.scalar(
                select(HumanTask.id).where(
                    HumanTask.instance_id == iid, HumanTask.bpmn_id == bpmn_id
                )
            )
        instances.complete_task(ctx.uow(), ctx.engine, ctx.clock, kirsi, task_id, sample(bpmn_id))
    with ctx.uow() as uow:
        waiting = uow.session.scalar(
            select(HumanTask.name).where(
                HumanTask.instance_id == iid,
                HumanTask.state == "open",
                HumanTask.role == "physician",
            )
        )
    assert waiting, "the path should wait for a physician"
    server = make_server("127.0.0.1", 0, app, threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    provider.client.redirect_uris.append(f"{base}/login/sso/callback")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield base, str(waiting)
    server.shutdown()
    server.server_close()


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}")
def test_a_physician_signs_in_with_the_organisations_account_in_a_browser(
    page: Any, live_server: tuple[str, str], provider: OpenIDProvider
) -> None:
    base, physician_task = live_server
    page.goto(base + "/")
    assert "/login" in page.url
    if AXE.exists():  # the login page with its new button stays WCAG 2.1 AA
        page.add_script_tag(url="/vendor/axe-core/axe.min.js")
        violations = page.evaluate(
            "() => axe.run(document, {resultTypes: ['violations'], runOnly: {type: 'tag', "
            "values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
            ".then(r => r.violations.filter(v => ['serious', 'critical'].includes(v.impact))"
            ".map(v => v.id))"
        )
        assert violations == []
    page.get_by_role("button", name="Kirjaudu organisaatiosi tunnuksilla").click()
    page.wait_for_url(f"{provider.issuer}/authorize**")
    page.fill("#idp-username", "liisa")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/")
    assert page.locator("html").get_attribute("lang") == "fi"
    assert page.locator(".who strong").inner_text() == "Liisa Lääkäri"
    assert "Lääkäri" in page.locator(".who-roles").first.inner_text()
    assert page.get_by_role("heading", name="Oma työlista").is_visible()
    assert page.get_by_role("link", name=physician_task, exact=True).is_visible()

    page.get_by_role("button", name="Kirjaudu ulos").click()
    page.wait_for_url(base + "/login")
    page.goto(base + "/")
    assert "/login" in page.url
