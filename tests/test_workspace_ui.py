"""The professionals' workspace through the Flask test client: worklist views, counts, sorting
and filters; handing a task over; drafts; the team view; the caseload; the support plan as a
document with revisions; consent; the Kykyviisari chart; Swedish; complete catalogues."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.clock import FrozenClock
from engine.persistence.tables import Event, HumanTask
from engine.services import sla, users
from engine.services.access import Actor
from engine.services.demo import sample
from engine.workflow.loader import PHASES
from tests.conftest import LONG_SESSIONS, PASSWORD, STAFF, Services
from tests.test_api import database_fingerprint
from web import create_app

WEB = Path(__file__).resolve().parent.parent / "web"
# A second work-ability coordinator (to hand tasks to) and an administrator.
EXTRA_STAFF = {"kalle": ["work_ability_coordinator"], "ari2": ["job_coach"]}


@pytest.fixture
def app(tmp_path: Any, clock: FrozenClock) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_AUTO_UPGRADE": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'ws.db'}",
            "CLOCK": clock,
            "SECRET_KEY": "workspace-test",
            **LONG_SESSIONS,
            "WTF_CSRF_ENABLED": False,
        }
    )
    ctx = app.extensions["polku"]
    for username, roles in {**STAFF, **EXTRA_STAFF}.items():
        users.create_user(
            ctx.uow(),
            ctx.engine.roles,
            username=username,
            display_name=f"{username.title()} Testinen",
            password=PASSWORD,
            roles=roles,
        )
    users.create_user(
        ctx.uow(),
        ctx.engine.roles,
        username="admin",
        display_name="Ylläpitäjä",
        password=PASSWORD,
        roles=[],
        is_admin=True,
    )
    admin = Actor.from_user(users.authenticate(ctx.uow(), "admin", PASSWORD))
    for phase in PHASES:  # every step is due in five working days
        sla.set_target(
            ctx.uow(), clock, admin, model_key=None, bpmn_id=None, phase=phase, working_days=5
        )
    yield app
    ctx.db.dispose()


@pytest.fixture
def svc(app: Flask, clock: FrozenClock) -> Services:
    ctx = app.extensions["polku"]
    actors = {u.username: Actor.from_user(u) for u in users.list_users(ctx.uow())}
    return Services(ctx.engine, clock, ctx.session_factory, actors)


def login(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.text
    return client


def open_task_id(svc: Services, instance_id: int, bpmn_id: str) -> str:
    return svc.open_task(instance_id, bpmn_id).id


def to_support_plan(svc: Services, instance_id: int) -> None:
    svc.walk(
        instance_id,
        "Task_encounter",
        "Task_initial_interview",
        "Task_physician_assessment",
        "Task_functional_assessment",
        "Task_social_assessment",
    )


def text_of(html: str) -> str:
    """The page's text with tags and repeated white space removed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# ---------------------------------------------------------------- the worklist


def test_worklist_views_have_counts_and_overdue_tasks_are_said_in_words(
    app: Flask, svc: Services, clock: FrozenClock
) -> None:
    first = svc.start()
    svc.start()
    kaisa = login(app, "kaisa")
    page = kaisa.get("/")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Kaikki tehtäväni (2)" in text
    assert "Minulle osoitetut (0)" in text
    assert "Roolieni tehtävät (2)" in text
    assert "Myöhässä (0)" in text
    assert 'aria-current="page"' in page.text

    clock.advance(days=40)  # every due date has passed
    overdue = kaisa.get("/?view=overdue")
    text = text_of(overdue.text)
    assert "Myöhässä (2)" in text
    assert text.count("Myöhässä") >= 4  # the tab, the heading and a word on each row
    assert 'class="overdue-tag"' in overdue.text

    task_id = open_task_id(svc, first, "Task_encounter")
    kaisa.post(
        f"/tasks/{task_id}/hand-over", data={"to_username": "kalle", "reason": "Loma alkaa."}
    )
    kalle = login(app, "kalle")
    mine = kalle.get("/?view=mine")
    assert "Minulle osoitetut (1)" in text_of(mine.text)
    assert f"/tasks/{task_id}" in mine.text
    assert f"/tasks/{task_id}" not in kalle.get("/?view=role").text


def test_worklist_sorts_by_a_column_and_filters_by_step_and_client(
    app: Flask, svc: Services
) -> None:
    svc.start()
    other = svc.start()
    svc.walk(other, "Task_encounter")
    kaisa = login(app, "kaisa")
    page = kaisa.get("/?sort=client")
    assert re.search(r'<th scope="col" aria-sort="ascending">\s*Asiakas', page.text)
    assert page.text.count("aria-sort=") == 1
    assert 'href="/?sort=due"' not in page.text  # the default order has the shortest address
    assert 'href="/?sort=created"' in page.text

    waiting = kaisa.get("/?sort=waiting")
    assert 'aria-sort="descending"' in waiting.text

    only_interviews = kaisa.get("/?step=Task_initial_interview")
    assert "Alkuhaastattelu ja neuvonta" in only_interviews.text
    assert 'href="/tasks/' in only_interviews.text
    assert "Kohtaaminen ja puheeksiotto</a>" not in only_interviews.text
    assert "(suodatettu)" in only_interviews.text

    # the client search is a name: it goes by POST into the session, never into the address
    searched = kaisa.post("/worklist/filter", data={"client": "Ei-ketaan", "sort": "created"})
    assert searched.status_code == 302
    assert "Ei-ketaan" not in searched.headers["Location"]
    nobody = kaisa.get(searched.headers["Location"])
    assert "Suodattimiin sopivia tehtäviä ei ole." in nobody.text
    assert 'value="Ei-ketaan"' in nobody.text  # the search stays shown while it is in force
    assert "Ei-ketaan" not in kaisa.get("/?clear=1").text


# ---------------------------------------------------------------- handing over


def test_a_task_is_handed_over_to_a_colleague_with_a_reason(app: Flask, svc: Services) -> None:
    iid = svc.start()
    task_id = open_task_id(svc, iid, "Task_encounter")
    kaisa = login(app, "kaisa")
    form = kaisa.get(f"/tasks/{task_id}/hand-over")
    assert form.status_code == 200
    assert 'value="kalle"' in form.text  # holds the task's role
    assert 'value="lauri"' not in form.text  # does not
    assert 'value="kaisa"' not in form.text  # holds the task now

    before = database_fingerprint(app)
    missing = kaisa.post(f"/tasks/{task_id}/hand-over", data={"to_username": "kalle"})
    assert missing.status_code == 400
    assert "Kerro syy." in missing.text and 'aria-invalid="true"' in missing.text
    assert database_fingerprint(app) == before

    done = kaisa.post(
        f"/tasks/{task_id}/hand-over",
        data={"to_username": "kalle", "reason": "Kalle tuntee asiakkaan.", "next": "/"},
    )
    assert done.status_code == 302 and done.headers["Location"] == "/"
    with svc.uow() as uow:
        row = uow.session.get(HumanTask, task_id)
        assert row is not None and row.assignee is not None
        assert row.assignee.username == "kalle"
        event = uow.session.scalar(select(Event).where(Event.kind == "task_handed_over"))
        assert event is not None and event.data["reason"] == "Kalle tuntee asiakkaan."
    page = login(app, "timo").get(f"/clients/{row.instance.client_id}")
    assert "siirsi vaiheen" in page.text and "Kalle tuntee asiakkaan." in page.text


# ---------------------------------------------------------------- drafts


def test_a_draft_is_saved_without_checks_and_shown_again(app: Flask, svc: Services) -> None:
    iid = svc.start()
    task_id = open_task_id(svc, iid, "Task_encounter")
    kaisa = login(app, "kaisa")
    saved = kaisa.post(
        f"/tasks/{task_id}",
        data={
            "action": "draft",
            "entry_channel": "kela",
            "kykyviisari_work_ability": "paljon",  # not a number: kept as typed
            "notes": "Kesken jäänyt kirjaus.",
        },
    )
    assert saved.status_code == 302
    assert task_id in saved.headers["Location"]
    page = kaisa.get(saved.headers["Location"])
    assert "Luonnos tallennettu" in page.text
    assert "Kesken jäänyt kirjaus." in page.text
    assert 'value="paljon"' in page.text
    assert re.search(r'<option value="kela"\s+selected', page.text)
    assert [t.bpmn_id for t in svc.open_tasks(iid)] == ["Task_encounter"]  # nothing moved on

    # Completing still checks the form.
    bad = kaisa.post(f"/tasks/{task_id}", data={"entry_channel": "kela"})
    assert bad.status_code == 400 and "Tämä kenttä on pakollinen." in bad.text


# ---------------------------------------------------------------- team view and caseload


def test_the_team_view_is_for_the_team_coordinator(
    app: Flask, svc: Services, clock: FrozenClock
) -> None:
    first = svc.start()
    svc.start()
    task_id = open_task_id(svc, first, "Task_encounter")
    login(app, "kaisa").post(f"/tasks/{task_id}/claim")
    clock.advance(days=40)
    timo = login(app, "timo")
    page = timo.get("/team")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Tiimin tehtävät" in text
    assert "Kaisa Testinen" in text  # holds the claimed task
    assert "Ei kenelläkään: Työkykykoordinaattori" in text
    assert "Myöhässä" in text
    by_role = timo.get("/team?group=role&overdue=1")
    assert by_role.status_code == 200 and "Työkykykoordinaattori" in by_role.text
    assert 'href="/team"' in page.text  # the coordinator's menu has the team view

    refused = login(app, "kaisa").get("/team")
    assert refused.status_code == 403
    assert 'href="/team"' not in login(app, "kaisa").get("/").text


def test_the_caseload_lists_the_case_managers_clients(app: Flask, svc: Services) -> None:
    iid = svc.start()
    to_support_plan(svc, iid)
    svc.walk(iid, "Task_support_plan")  # names aino the case manager
    aino = login(app, "aino")
    page = aino.get("/caseload")
    assert page.status_code == 200
    text = text_of(page.text)
    assert "Testi Asiakas" in text
    # the step the path is on: the client's own acceptance of the plan
    assert "Suunnitelman hyväksyminen" in text
    assert "odottaa" in text

    empty = text_of(login(app, "kalle").get("/caseload").text)
    assert "Et ole asiakasvastaava yhdellekään" in empty
    timo = login(app, "timo")
    chosen = timo.get("/caseload?case_manager=aino")
    assert chosen.status_code == 200 and "Testi Asiakas" in chosen.text

    # The case manager changes: the reason is required and recorded; the new one sees the client.
    client_id = svc.open_task(iid, "Task_client_plan_acceptance").instance.client_id
    url = f"/clients/{client_id}/paths/{iid}/case-manager"
    missing = timo.post(url, data={"username": "ari"})
    assert missing.status_code == 400 and "Kerro syy." in missing.text
    assert timo.post(url, data={"username": "ari", "reason": "Työhönvalmennus"}).status_code == 302
    assert "Testi Asiakas" in login(app, "ari").get("/caseload").text
    assert "Testi Asiakas" not in aino.get("/caseload").text
    assert "Työhönvalmennus" in timo.get(f"/clients/{client_id}").text


# ---------------------------------------------------------------- the support plan


def test_the_support_plan_is_a_document_with_revisions(app: Flask, svc: Services) -> None:
    iid = svc.start()
    to_support_plan(svc, iid)
    svc.complete(iid, "Task_support_plan", conclusion="unclear")
    svc.walk(iid, ("Task_additional_investigations", sample("Task_further_investigations")))
    svc.complete(iid, "Task_support_plan", main_goal="Opiskelu lähihoitajaksi")

    timo = login(app, "timo")
    page = timo.get(f"/paths/{iid}/plan")
    assert page.status_code == 200
    text = text_of(page.text)
    for heading in (
        "a) Lähtötilanne",
        "b) Päätavoite ja osatavoitteet",
        "c) Palvelut, keinot ja etuudet",
        "d) Aikataulu",
        "e) Roolit, yhteistyö ja seuranta",
    ):
        assert heading in text
    assert "Opiskelu lähihoitajaksi" in text
    assert "IPS-työhönvalmennus (tuettu työllistyminen)" in text  # the enum's label
    assert "Fyysinen" in text and "physical" not in text
    assert "Aino Testinen" in text  # the case manager by name
    assert "@media print" in (WEB / "static" / "polku.css").read_text()

    older = timo.get(f"/paths/{iid}/plan?revision=1")
    assert older.status_code == 200
    older_text = text_of(older.text)
    assert "Tämä on suunnitelman aiempi versio." in older_text
    assert "Epäselvä – tarvitaan lisätutkimuksia" in older_text
    assert "Opiskelu lähihoitajaksi" not in older_text
    assert timo.get(f"/paths/{iid}/plan?revision=3").status_code == 404

    client_id = svc.open_tasks(iid)[0].instance.client_id
    client_page = timo.get(f"/clients/{client_id}").text
    assert f"/paths/{iid}/plan" in client_page
    assert "2 versiota" in client_page
    assert login(app, "ari").get(f"/paths/{iid}/plan").status_code == 403


# ---------------------------------------------------------------- consent and Kykyviisari


def test_consent_is_withdrawn_with_a_reason_and_given_again(app: Flask, svc: Services) -> None:
    iid = svc.start()
    svc.walk(iid, "Task_encounter")  # the client consents in the encounter
    client_id = svc.open_tasks(iid)[0].instance.client_id
    kaisa = login(app, "kaisa")
    page = kaisa.get(f"/clients/{client_id}")
    assert "Suostumus on voimassa." in text_of(page.text)
    assert "Peru suostumus" in page.text

    missing = kaisa.post(f"/clients/{client_id}/consent/withdraw", data={"reason": " "})
    assert missing.status_code == 400 and "Kerro syy." in missing.text

    done = kaisa.post(
        f"/clients/{client_id}/consent/withdraw", data={"reason": "Asiakas perui suullisesti."}
    )
    assert done.status_code == 302
    page = kaisa.get(done.headers["Location"])
    text = text_of(page.text)
    assert "Monialainen käsittely on lopetettu" in text
    assert "Asiakas perui suullisesti." in text
    assert "Kirjaa suostumus" in text

    given = kaisa.post(f"/clients/{client_id}/consent", data={"scope": "Hyvinvointialue ja Kela"})
    assert given.status_code == 302
    assert "Suostumus on voimassa." in text_of(kaisa.get(f"/clients/{client_id}").text)
    assert login(app, "fanni").post(
        f"/clients/{client_id}/consent/withdraw", data={"reason": "x"}
    ).status_code in (403, 404)


def test_kykyviisari_responses_are_a_chart_with_a_table(app: Flask, svc: Services) -> None:
    iid = svc.start()
    svc.walk(iid, "Task_encounter")  # Kykyviisari 4
    client_id = svc.open_tasks(iid)[0].instance.client_id
    page = login(app, "kaisa").get(f"/clients/{client_id}")
    assert '<svg viewBox="0 0' in page.text
    assert re.search(r'role="img" aria-labelledby="kykyviisari-title kykyviisari-desc"', page.text)
    assert '<title id="kykyviisari-title">' in page.text
    assert "Yksi vastaus: 4" in page.text
    assert re.search(r'<td class="num">4</td>', page.text)


# ---------------------------------------------------------------- languages


def test_swedish_is_selectable(app: Flask, svc: Services) -> None:
    svc.start()
    kaisa = login(app, "kaisa")
    assert kaisa.get("/lang/sv?next=/").status_code == 302
    page = kaisa.get("/")
    assert 'lang="sv"' in page.text
    assert "Min arbetslista" in page.text
    for code, name in (("fi", "Suomi"), ("en", "English"), ("sv", "Svenska")):
        assert f'href="/lang/{code}?next=/"' in page.text and name in page.text
    assert kaisa.get("/lang/de").status_code == 404


def _translated(message: Any) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(strings)


def _catalogue(lang: str) -> Any:
    with (WEB / "translations" / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f)


@pytest.mark.parametrize("lang", ["fi", "sv"])
def test_every_message_of_the_pages_is_translated(lang: str) -> None:
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2.ext:babel_extract")]
    found = {
        msg[2] if isinstance(msg[2], str) else msg[2][0]
        for msg in extract_from_dir(str(WEB), method_map, keywords=keywords)
    }
    catalogue = _catalogue(lang)
    missing = sorted(m for m in found if m not in catalogue or not _translated(catalogue[m]))
    assert not missing, f"{len(missing)} untranslated in {lang}: {missing[:10]}"
    fuzzy = [m.id for m in catalogue if m.id and m.fuzzy]
    assert not fuzzy
