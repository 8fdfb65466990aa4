"""Consent that holds (issue 11, section 3, first cases): once a client withdraws consent to
multi-organisation handling, Kela's staff find nothing of them in the client list, and a Kela
decision is refused before anything is written, never answered 403 after being committed."""

from __future__ import annotations

import pytest

from engine.errors import Forbidden
from engine.persistence.tables import AccessLog
from engine.services import instances, queries, users, workspace
from engine.services.access import Actor
from engine.services.client_search import search_clients
from engine.services.demo import TO_PLAN
from tests.conftest import PASSWORD, Services
from tests.test_api import Api, app, database_fingerprint  # noqa: F401  (fixtures)

TO_DECISION = TO_PLAN  # the demo's steps up to the support plan


def waiting_for_kela(services: Services) -> tuple[int, int]:
    path = services.start()
    services.walk(path, *TO_DECISION, ("Task_arrange_services", {"awaits_external_decision": True}))
    kaisa = services.actors["kaisa"]
    client_id = queries.get_instance(services.uow(), services.clock, kaisa, path).client_id
    return path, client_id


def second_kela_advisor(services: Services) -> Actor:
    user_id = users.create_user(
        services.uow(), services.engine.roles, username="kalle", display_name="Kalle",
        password=PASSWORD, roles=["kela_advisor"],
    )  # fmt: skip
    user = users.get_user(services.uow(), user_id)
    assert user is not None
    return Actor.from_user(user)


def test_without_consent_kela_finds_nothing_in_the_client_list(services: Services) -> None:
    path, client_id = waiting_for_kela(services)
    kerttu, kalle = services.actors["kerttu"], second_kela_advisor(services)
    listed = [c["id"] for c in search_clients(services.uow(), services.clock, kerttu).items]
    assert client_id in listed  # the decision is awaited and consent is in force
    workspace.withdraw_consent(services.uow(), services.clock, services.actors["aino"],
                               client_id, "Asiakas perui suostumuksen")  # fmt: skip
    for advisor in (kerttu, kalle):
        shown = search_clients(services.uow(), services.clock, advisor).items
        assert client_id not in [c["id"] for c in shown]
    # the team's own coordinator still sees the client
    kaisa = services.actors["kaisa"]
    shown = search_clients(services.uow(), services.clock, kaisa).items
    assert client_id in [c["id"] for c in shown]


def test_a_refused_kela_decision_changes_nothing(services: Services) -> None:
    path, client_id = waiting_for_kela(services)
    workspace.withdraw_consent(services.uow(), services.clock, services.actors["aino"],
                               client_id, "Asiakas perui suostumuksen")  # fmt: skip
    with pytest.raises(Forbidden, match="no consent to multi-organisation handling"):
        instances.deliver_message(
            services.uow(), services.engine, services.clock, services.actors["kerttu"], path,
            "kela_decision", {"decision": "approved"},
        )  # fmt: skip
    kaisa = services.actors["kaisa"]
    view = queries.get_instance(services.uow(), services.clock, kaisa, path)
    assert [w["message_name"] for w in view.waiting if w["kind"] == "message"] == ["kela_decision"]
    with services.uow() as uow:
        refusals = (
            uow.session.query(AccessLog)
            .filter(AccessLog.username == "kerttu", AccessLog.resource == "message")
            .all()
        )
    assert [(r.success, r.basis[:16]) for r in refusals] == [(False, "no consent to mu")]


def test_over_http_a_refused_decision_is_a_403_that_committed_nothing(app) -> None:  # noqa: F811
    api = Api(app.test_client())
    path = api.start_path()
    for step in TO_DECISION:
        api.complete("timo" if step == "Task_support_plan" else _doer(step), path, step)
    api.complete("aino", path, "Task_arrange_services", awaits_external_decision=True)
    client_id = api.get(f"/instances/{path}", "kaisa").json["client_id"]
    withdrawn = app.test_client()
    withdrawn.post("/login", data={"username": "aino", "password": PASSWORD})
    assert withdrawn.post(f"/clients/{client_id}/consent/withdraw",
                          data={"reason": "Asiakas perui"}).status_code in (200, 302)  # fmt: skip
    api.token("kerttu")
    before = database_fingerprint(app)
    decision = {"name": "kela_decision", "data": {"decision": "approved"}}
    refused = api.post(f"/instances/{path}/messages", "kerttu", json=decision)
    assert refused.status_code == 403
    assert database_fingerprint(app) == before  # nothing but the refusal's log row


def _doer(step: str) -> str:
    return {
        "Task_encounter": "kaisa",
        "Task_initial_interview": "kaisa",
        "Task_physician_assessment": "lauri",
        "Task_functional_assessment": "fanni",
        "Task_social_assessment": "sanna",
        "Task_client_situation": "client",  # `Api.complete` has the client themself do it
        "Task_client_plan_acceptance": "client",
    }[step]


def test_with_consent_refused_at_the_encounter_the_employment_expert_is_not_offered_the_task(
    services: Services,
) -> None:
    """Eksote's path with consent refused: the employment authority's expert (another
    organisation) finds the task nowhere, cannot open, claim or complete it; the path's own
    coordinator still sees it waiting."""
    import json

    from sqlalchemy import select

    from engine.persistence.tables import HumanTask
    from tests.conftest import ROOT

    walk = json.loads((ROOT / "tests" / "walks" / "eksote.json").read_text())["walks"][0]
    path = services.start("eksote")
    for step in walk["steps"][:2]:
        data = dict(step["data"])
        if step["task"] == "Task_encounter":
            data.update(consent_multi_org=False, consent_scope="")
        task = services.open_task(path, step["task"])
        instances.complete_task(services.uow(), services.engine, services.clock,
                                services.doer(task), task.id, data)  # fmt: skip
    with services.uow() as uow:
        employment = uow.session.scalar(
            select(HumanTask).where(
                HumanTask.instance_id == path,
                HumanTask.bpmn_id == "Task_employment_assessment",
                HumanTask.state == "open",
            )
        )
    assert employment is not None and employment.role == "employment_expert"
    tuomas = services.actors["tuomas"]
    worklist = queries.list_tasks(services.uow(), services.clock, tuomas)
    assert employment.id not in [t.id for t in worklist]
    with pytest.raises(Forbidden):
        queries.get_task(services.uow(), services.engine, services.clock, tuomas, employment.id)
    with pytest.raises(Forbidden):
        instances.claim_task(services.uow(), services.clock, tuomas, employment.id)
    with pytest.raises(Forbidden):
        instances.complete_task(services.uow(), services.engine, services.clock, tuomas,
                                employment.id, walk["steps"][3]["data"])  # fmt: skip
    still_open = services.open_task(path, "Task_employment_assessment")
    assert still_open.state == "open"  # it waits, visibly, for consent
    # The owning team sees it waiting for consent; once the client consents it is offered.
    kaisa = services.actors["kaisa"]  # the owning organisation's intake coordinator
    view = queries.get_instance(services.uow(), services.clock, kaisa, path)
    [waiting] = [t for t in view.open_tasks if t.id == employment.id]
    assert waiting.waiting_for_consent
    workspace.give_consent(
        services.uow(), services.clock, kaisa, view.client_id,
        "Hyvinvointialue ja työllisyysalue",
    )  # fmt: skip
    worklist = queries.list_tasks(services.uow(), services.clock, tuomas)
    assert employment.id in [t.id for t in worklist]
