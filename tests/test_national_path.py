"""The national reference path run through the services on the real BPMN: every gateway
branch, every closing outcome, the timer, the message and the case manager's tasks."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.errors import Conflict, Forbidden, InvalidInput
from engine.persistence.tables import Event, ProcessInstance, WaitingEvent
from engine.services import instances, queries
from engine.services.demo import sample as services_sample
from tests.conftest import Services

ASSESSMENTS = ("Task_physician_assessment", "Task_functional_assessment", "Task_social_assessment")
CLIENT_VIEW = "Task_client_situation"  # the client's own view, beside the assessments
ACCEPT = "Task_client_plan_acceptance"  # the client accepts the plan
TO_PLAN = ("Task_encounter", "Task_initial_interview", *ASSESSMENTS, CLIENT_VIEW)


def instance(services: Services, instance_id: int) -> ProcessInstance:
    with services.uow() as uow:
        row = uow.session.get(ProcessInstance, instance_id)
        assert row is not None
        assert row.state is not None  # the workflow state is deferred: load it while open
        return row


def open_ids(services: Services, instance_id: int) -> set[str]:
    return {t.bpmn_id for t in services.open_tasks(instance_id)}


def waiting(services: Services, instance_id: int) -> list[WaitingEvent]:
    with services.uow() as uow:
        return list(
            uow.session.scalars(
                select(WaitingEvent).where(
                    WaitingEvent.instance_id == instance_id, WaitingEvent.settled_at.is_(None)
                )
            )
        )


def test_a_new_path_waits_for_the_encounter_by_the_coordinator(services: Services) -> None:
    iid = services.start()
    [task] = services.open_tasks(iid)
    assert (task.bpmn_id, task.role, task.phase) == (
        "Task_encounter",
        "work_ability_coordinator",
        "encounter",
    )


@pytest.mark.parametrize(
    ("answers", "outcome"),
    [
        ({"urgent": True}, "urgent_care"),
        ({"occupational_health_covered": True}, "occupational_health"),
    ],
)
def test_urgent_and_occupational_health_exits_end_the_path(
    services: Services, answers: dict[str, bool], outcome: str
) -> None:
    iid = services.start()
    services.walk(iid, ("Task_encounter", answers))
    row = instance(services, iid)
    assert (row.status, row.outcome) == ("completed", outcome)
    assert services.open_tasks(iid) == []


def test_team_now_opens_three_parallel_assessments_then_the_plan(services: Services) -> None:
    iid = services.start()
    services.walk(iid, "Task_encounter", "Task_initial_interview")
    assert open_ids(services, iid) == {*ASSESSMENTS, CLIENT_VIEW}
    services.walk(iid, "Task_physician_assessment", "Task_functional_assessment")
    assert open_ids(services, iid) == {"Task_social_assessment", CLIENT_VIEW}
    services.walk(iid, "Task_social_assessment")
    assert open_ids(services, iid) == {CLIENT_VIEW}  # the join waits for the client's view too
    services.walk(iid, CLIENT_VIEW)
    assert open_ids(services, iid) == {"Task_support_plan"}
    assert services.open_task(iid, "Task_support_plan").role == "case_coordinator"


def test_further_investigations_come_before_the_team(services: Services) -> None:
    iid = services.start()
    services.walk(
        iid,
        "Task_encounter",
        ("Task_initial_interview", {"team_decision": "further_investigations"}),
    )
    task = services.open_task(iid, "Task_further_investigations")
    assert task.role == "physician"
    services.walk(iid, "Task_further_investigations")
    assert open_ids(services, iid) == {*ASSESSMENTS, CLIENT_VIEW}


def test_an_unclear_conclusion_goes_back_to_investigations_then_the_plan(
    services: Services,
) -> None:
    iid = services.start()
    services.walk(iid, *TO_PLAN, ("Task_support_plan", {"conclusion": "unclear"}), ACCEPT)
    assert open_ids(services, iid) == {"Task_additional_investigations"}
    assert services.open_task(iid, "Task_additional_investigations").role == "physician"
    services.walk(
        iid, ("Task_additional_investigations", services_sample("Task_further_investigations"))
    )
    assert open_ids(services, iid) == {"Task_support_plan"}
    services.walk(iid, "Task_support_plan", ACCEPT)
    assert open_ids(services, iid) == {"Task_arrange_services"}


def test_the_plan_names_the_case_manager_who_gets_the_next_tasks(services: Services) -> None:
    iid = services.start()
    services.walk(iid, *TO_PLAN, ("Task_support_plan", {"case_manager": "aino"}), ACCEPT)
    row = instance(services, iid)
    assert row.case_manager is not None and row.case_manager.username == "aino"
    task = services.open_task(iid, "Task_arrange_services")
    assert task.assignee_id == services.actors["aino"].user_id
    # Nobody else, not even someone with the same role, sees or may complete it.
    mine = queries.list_tasks(services.uow(), services.clock, services.actors["aino"])
    assert [t.bpmn_id for t in mine] == ["Task_arrange_services"]
    assert queries.list_tasks(services.uow(), services.clock, services.actors["ari"]) == []
    with pytest.raises(Forbidden):
        instances.complete_task(
            services.uow(), services.engine, services.clock, services.actors["timo"], task.id, {}
        )


def test_changing_the_case_manager_moves_open_tasks(services: Services) -> None:
    iid = services.start()
    services.walk(iid, *TO_PLAN, ("Task_support_plan", {"case_manager": "aino"}), ACCEPT)
    instances.change_case_manager(
        services.uow(), services.clock, services.actors["timo"], iid, "ari", "Aino jää lomalle"
    )
    task = services.open_task(iid, "Task_arrange_services")
    assert task.assignee_id == services.actors["ari"].user_id
    with services.uow() as uow:
        named, changed = uow.session.scalars(
            select(Event)
            .where(Event.instance_id == iid, Event.kind == "case_manager_changed")
            .order_by(Event.id)
        )
        assert (named.data["from"], named.data["to"]) == (None, "aino")
        assert (changed.actor, changed.data["from"], changed.data["to"]) == ("timo", "aino", "ari")
        event = changed
        assert event.data["reason"] == "Aino jää lomalle"


def test_long_term_incapacity_needs_a_statement_and_waits_for_kela(services: Services) -> None:
    iid = services.start()
    services.walk(
        iid, *TO_PLAN, ("Task_support_plan", {"conclusion": "long_term_incapacity"}), ACCEPT
    )
    assert open_ids(services, iid) == {"Task_incapacity_statement"}
    services.walk(
        iid,
        "Task_incapacity_statement",
        ("Task_arrange_services", {"awaits_external_decision": True, "decision_source": "kela"}),
    )
    assert services.open_tasks(iid) == []
    [message] = waiting(services, iid)
    assert (message.kind, message.message_name) == ("message", "kela_decision")

    instances.deliver_message(
        services.uow(),
        services.engine,
        services.clock,
        services.actors["kerttu"],
        iid,
        "kela_decision",
        {"decision": "approved"},
    )
    [timer] = waiting(services, iid)
    assert timer.kind == "timer"
    with services.uow() as uow:
        kinds = [
            e.kind
            for e in uow.session.scalars(
                select(Event).where(Event.instance_id == iid).order_by(Event.id)
            )
        ]
    assert "message_received" in kinds


def test_a_message_nothing_waits_for_is_refused(services: Services) -> None:
    iid = services.start()
    with pytest.raises(Forbidden):  # Kela's advisor has no part in this path
        instances.deliver_message(
            services.uow(), services.engine, services.clock, services.actors["kerttu"], iid,
            "kela_decision", {},
        )  # fmt: skip
    with pytest.raises(Conflict):
        instances.deliver_message(
            services.uow(),
            services.engine,
            services.clock,
            services.actors["kaisa"],
            iid,
            "kela_decision",
            {},
        )
    with pytest.raises(InvalidInput):
        instances.deliver_message(
            services.uow(),
            services.engine,
            services.clock,
            services.actors["kaisa"],
            iid,
            "no_such_message",
            {},
        )


def test_treatment_first_starts_treatment_before_arranging_services(services: Services) -> None:
    iid = services.start()
    services.walk(iid, *TO_PLAN, ("Task_support_plan", {"conclusion": "treatment_first"}), ACCEPT)
    assert open_ids(services, iid) == {"Task_treatment_start"}
    services.walk(iid, "Task_treatment_start")
    assert open_ids(services, iid) == {"Task_arrange_services"}


def _to_follow_up(services: Services) -> int:
    iid = services.start()
    services.walk(iid, *TO_PLAN, "Task_support_plan", ACCEPT, "Task_arrange_services")
    return iid


def test_the_follow_up_timer_fires_only_when_due_and_loops(services: Services) -> None:
    iid = _to_follow_up(services)
    [timer] = waiting(services, iid)
    assert timer.kind == "timer"
    assert 29 <= (timer.due_at - services.clock()).days <= 30  # P30D
    fire = lambda: instances.fire_due_timers(services.uow, services.engine, services.clock)  # noqa: E731
    assert fire() == 0 and services.open_tasks(iid) == []
    services.clock.advance(days=31)
    assert fire() == 1
    assert open_ids(services, iid) == {"Task_follow_up_review"}
    assert waiting(services, iid) == []
    # No closing yet: back to the timer for another round.
    services.walk(iid, "Task_follow_up_review")
    assert services.open_tasks(iid) == [] and len(waiting(services, iid)) == 1
    services.clock.advance(days=31)
    assert fire() == 1
    # A plan revision goes back to arranging services.
    services.walk(iid, ("Task_follow_up_review", {"plan_revision_needed": True}))
    assert open_ids(services, iid) == {"Task_arrange_services"}


@pytest.mark.parametrize(
    "outcome",
    [
        "employment_company",
        "employment_company_wage_subsidy",
        "employment_city",
        "employment_city_wage_subsidy",
        "employment_third_sector",
        "employment_third_sector_wage_subsidy",
        "apprenticeship",
        "work_trial",
        "study",
        "pension_decision",
        "other_service",
        "no_onward_referral",
    ],
)
def test_closing_records_each_outcome_category(services: Services, outcome: str) -> None:
    iid = _to_follow_up(services)
    services.clock.advance(days=31)
    instances.fire_due_timers(services.uow, services.engine, services.clock)
    services.walk(
        iid,
        ("Task_follow_up_review", {"close_path": True}),
        "Task_client_feedback",
        ("Task_closing", {"outcome": outcome}),
    )
    row = instance(services, iid)
    assert (row.status, row.outcome, row.end_event) == ("completed", outcome, "End_closed")
    assert waiting(services, iid) == []


def test_invalid_form_data_changes_nothing(services: Services) -> None:
    iid = services.start()
    task = services.open_task(iid, "Task_encounter")
    before = instance(services, iid)
    with pytest.raises(InvalidInput) as info:
        instances.complete_task(
            services.uow(),
            services.engine,
            services.clock,
            services.actors["kaisa"],
            task.id,
            {"urgent": "yes", "entry_channel": "carrier pigeon"},
        )
    assert {"urgent", "entry_channel", "kykyviisari_done"} <= set(info.value.errors)
    after = instance(services, iid)
    assert (after.lock_version, after.state) == (before.lock_version, before.state)
    assert open_ids(services, iid) == {"Task_encounter"}


def test_a_case_manager_who_does_not_exist_is_a_field_error(services: Services) -> None:
    iid = services.start()
    services.walk(iid, *TO_PLAN)
    task = services.open_task(iid, "Task_support_plan")
    with pytest.raises(InvalidInput) as info:
        services.complete(iid, "Task_support_plan", case_manager="nobody")
    assert list(info.value.errors) == ["case_manager"]
    assert services.open_task(iid, "Task_support_plan").id == task.id


def test_a_completed_task_cannot_be_completed_again(services: Services) -> None:
    iid = services.start()
    task = services.open_task(iid, "Task_encounter")
    services.walk(iid, "Task_encounter")
    with pytest.raises(Conflict):
        instances.complete_task(
            services.uow(), services.engine, services.clock, services.actors["kaisa"], task.id, {}
        )


def test_the_history_says_who_did_what_in_which_role(services: Services) -> None:
    iid = services.start()
    services.walk(iid, "Task_encounter")
    view = queries.get_instance(services.uow(), services.clock, services.actors["kaisa"], iid)
    done = [e for e in view.history if e["kind"] == "task_completed"]
    assert [(e["bpmn_id"], e["actor"], e["role"]) for e in done] == [
        ("Task_encounter", "kaisa", "work_ability_coordinator")
    ]
    assert done[0]["data"]["choices"]["entry_channel"] == "municipal_employment"
    assert "notes" not in done[0]["data"]["choices"]  # free text stays out of the history
    passed = {e["bpmn_id"] for e in view.history if e["kind"] == "element_completed"}
    assert {"Gateway_urgent", "Gateway_occupational_health"} <= passed


def test_consent_given_in_the_encounter_is_recorded_on_the_client(services: Services) -> None:
    iid = services.start()
    services.walk(iid, ("Task_encounter", {"consent_scope": "Hyvinvointialue ja Kela"}))
    view = queries.get_instance(services.uow(), services.clock, services.actors["kaisa"], iid)
    assert [(c["scope"], c["withdrawn_at"]) for c in view.consents] == [
        ("Hyvinvointialue ja Kela", None)
    ]
    assert "consent_given" in [e["kind"] for e in view.history]
