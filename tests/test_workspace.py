"""The workspace services: hand-over, drafts, consent, the team view, the caseload, the records."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.errors import Forbidden, InvalidInput, NotFound
from engine.persistence.tables import Event
from engine.services import instances, queries, records, workspace
from tests.conftest import Services


def test_handing_a_task_over_to_a_named_colleague(services: Services) -> None:
    from engine.services import users
    from engine.services.access import Actor
    from tests.conftest import PASSWORD

    uid = users.create_user(
        services.uow(),
        services.engine.roles,
        username="kalle",
        display_name="Kalle",
        password=PASSWORD,
        roles=["work_ability_coordinator"],
    )
    kalle = Actor.from_user(users.get_user(services.uow(), uid))  # type: ignore[arg-type]
    iid = services.start()
    task = services.open_task(iid, "Task_encounter")
    kaisa = services.actors["kaisa"]
    with pytest.raises(InvalidInput):
        workspace.hand_over(services.uow(), services.clock, kaisa, task.id, "kalle", " ")
    with pytest.raises(InvalidInput):  # a physician does not hold the coordinator's role
        workspace.hand_over(services.uow(), services.clock, kaisa, task.id, "lauri", "loma")
    workspace.hand_over(services.uow(), services.clock, kaisa, task.id, "kalle", "Lomalla")
    assert [t.id for t in queries.list_tasks(services.uow(), services.clock, kalle)] == [task.id]
    assert queries.list_tasks(services.uow(), services.clock, kaisa) == []
    with services.uow() as uow:
        event = uow.session.scalar(select(Event).where(Event.kind == "task_handed_over"))
        assert event is not None
        assert event.data == {
            "from": "work_ability_coordinator",
            "to": "kalle",
            "reason": "Lomalla",
        }


def test_a_draft_is_kept_and_dropped_on_completion(services: Services) -> None:
    iid = services.start()
    task = services.open_task(iid, "Task_encounter")
    kaisa = services.actors["kaisa"]
    workspace.save_draft(services.uow(), services.clock, kaisa, task.id, {"notes": "kesken"})
    view = queries.get_task(services.uow(), services.engine, services.clock, kaisa, task.id)
    assert view.draft == {"notes": "kesken"} and view.draft_saved_by == "kaisa"
    with pytest.raises(Forbidden):
        workspace.save_draft(
            services.uow(), services.clock, services.actors["lauri"], task.id, {"notes": "x"}
        )
    services.walk(iid, "Task_encounter")
    subs = records.submissions(services.uow(), services.engine, services.clock, kaisa, iid)
    assert [s.bpmn_id for s in subs] == ["Task_encounter"]


def test_withdrawing_consent_shuts_out_the_other_organisations(services: Services) -> None:
    iid = services.start()
    services.walk(
        iid,
        *(
            "Task_encounter",
            "Task_initial_interview",
            "Task_physician_assessment",
            "Task_functional_assessment",
            "Task_social_assessment",
            "Task_support_plan",
        ),
    )
    services.walk(iid, ("Task_arrange_services", {"awaits_external_decision": True}))
    kerttu, kaisa = services.actors["kerttu"], services.actors["kaisa"]
    client_id = queries.get_instance(services.uow(), services.clock, kaisa, iid).client_id
    assert queries.get_instance(services.uow(), services.clock, kerttu, iid).id == iid
    workspace.withdraw_consent(
        services.uow(),
        services.clock,
        services.actors["aino"],
        client_id,
        "Asiakas perui suostumuksen",
    )
    with pytest.raises(Forbidden):
        queries.get_instance(services.uow(), services.clock, kerttu, iid)
    consents = records.get_consents(services.uow(), services.clock, kaisa, client_id)
    assert consents[0]["withdrawal_reason"] == "Asiakas perui suostumuksen"
    workspace.give_consent(services.uow(), services.clock, kaisa, client_id, "Kela")
    assert queries.get_instance(services.uow(), services.clock, kerttu, iid).id == iid


def test_team_view_and_caseload(services: Services) -> None:
    iid = services.start()
    services.walk(
        iid,
        "Task_encounter",
        "Task_initial_interview",
        "Task_physician_assessment",
        "Task_functional_assessment",
        "Task_social_assessment",
        ("Task_support_plan", {"case_manager": "aino"}),
        "Task_arrange_services",
    )
    team = workspace.team_view(services.uow(), services.clock, services.actors["timo"])
    assert team == []  # nothing open: the path waits for the follow-up timer
    with pytest.raises(Forbidden):
        workspace.team_view(services.uow(), services.clock, services.actors["kaisa"])
    [row] = workspace.caseload(services.uow(), services.clock, services.actors["aino"])
    assert row.instance_id == iid and row.next_review is not None
    assert row.current_steps == ["Seurantajakso"]
    assert workspace.caseload(services.uow(), services.clock, services.actors["ari"]) == []
    assert (
        workspace.caseload(services.uow(), services.clock, services.actors["timo"], "aino")[
            0
        ].instance_id
        == iid
    )
    with pytest.raises(NotFound):
        workspace.caseload(services.uow(), services.clock, services.actors["timo"], "nobody")


def test_support_plan_revisions_and_kykyviisari(services: Services) -> None:
    iid = services.start()
    services.walk(
        iid,
        ("Task_encounter", {"kykyviisari_work_ability": 3}),
        "Task_initial_interview",
        "Task_physician_assessment",
        "Task_functional_assessment",
        "Task_social_assessment",
        ("Task_client_situation", {"kykyviisari_work_ability": 5}),  # the client's own
        ("Task_support_plan", {"conclusion": "unclear", "main_goal": "Ensimmäinen"}),
    )
    services.walk(
        iid,
        (
            "Task_additional_investigations",
            {"investigations": ["health_check"], "investigation_findings": "ok"},
        ),
    )
    services.walk(iid, ("Task_support_plan", {"main_goal": "Tarkennettu"}), "Task_arrange_services")
    services.clock.advance(days=31)
    instances.fire_due_timers(services.uow, services.engine, services.clock)
    services.walk(iid, ("Task_follow_up_review", {"kykyviisari_work_ability": 6}))
    kaisa = services.actors["kaisa"]
    plans = records.support_plan_revisions(
        services.uow(), services.engine, services.clock, kaisa, iid
    )
    assert [p.data["main_goal"] for p in plans] == ["Ensimmäinen", "Tarkennettu"]
    client_id = queries.get_instance(services.uow(), services.clock, kaisa, iid).client_id
    series = records.kykyviisari_series(services.uow(), services.clock, kaisa, client_id)
    assert [v for _, v in series] == [3, 5, 6]


def test_worklist_sorting_filters_and_counts(services: Services) -> None:
    first = services.start()
    services.clock.advance(minutes=5)  # the same moment would be ordered by the task's id
    second = services.start()
    services.clock.advance(hours=1)
    kaisa = services.actors["kaisa"]
    tasks = queries.list_tasks(services.uow(), services.clock, kaisa, sort="waiting")
    assert [t.instance_id for t in tasks] == [first, second]
    assert all(t.waiting_days > 0 for t in tasks)
    only = queries.list_tasks(services.uow(), services.clock, kaisa, client="Testi")
    assert len(only) == 2
    assert queries.list_tasks(services.uow(), services.clock, kaisa, client="Nobody") == []
    counts = queries.task_counts(services.uow(), services.clock, kaisa)
    assert counts == {"all": 2, "mine": 0, "role": 2, "overdue": 0}
