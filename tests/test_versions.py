"""Model versions: deploying an edited model, version pinning, migration (and its refusals),
refused uploads that store nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.errors import Forbidden, ModelRejected
from engine.persistence.tables import AccessLog, Deployment, ProcessInstance, ProcessModelVersion
from engine.services import designer, users
from engine.services.access import Actor
from engine.services.demo import sample
from engine.services.instances import complete_task
from tests.conftest import PASSWORD, PROCESSES, Services

NATIONAL = (PROCESSES / "national" / "national_path.bpmn").read_text(encoding="utf-8")
EXTRA_STEP = NATIONAL.replace(
    "<bpmn:flowNodeRef>Task_encounter</bpmn:flowNodeRef>",
    "<bpmn:flowNodeRef>Task_encounter</bpmn:flowNodeRef><bpmn:flowNodeRef>Task_extra"
    "</bpmn:flowNodeRef>",
).replace(
    '<bpmn:sequenceFlow id="Flow_encounter_to_urgent" sourceRef="Task_encounter" '
    'targetRef="Gateway_urgent" />',
    '<bpmn:sequenceFlow id="Flow_encounter_to_urgent" sourceRef="Task_encounter" '
    'targetRef="Task_extra" />'
    '<bpmn:userTask id="Task_extra" name="Lisäselvitys"><bpmn:extensionElements>'
    '<spiffworkflow:properties><spiffworkflow:property name="formJsonSchemaFilename" '
    'value="forms/further_investigations.schema.json" /><spiffworkflow:property name="phase" '
    'value="encounter" /></spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>'
    '<bpmn:sequenceFlow id="Flow_extra" sourceRef="Task_extra" targetRef="Gateway_urgent" />',
)
RENAMED = NATIONAL.replace("Task_encounter", "Task_meeting")


@pytest.fixture
def designer_actor(services: Services) -> Actor:
    user_id = users.create_user(
        services.uow(),
        services.engine.roles,
        username="dora",
        display_name="Dora Designer",
        password=PASSWORD,
        roles=["process_designer"],
    )
    user = users.get_user(services.uow(), user_id)
    assert user is not None
    return Actor.from_user(user)


def deploy(services: Services, actor: Actor, xml: str) -> int:
    result = designer.deploy_bpmn(
        services.uow(),
        services.engine,
        services.clock,
        actor,
        "national",
        "national_path.bpmn",
        xml.encode(),
    )
    assert result.created
    return result.version


def version_of(services: Services, instance_id: int) -> int:
    with services.uow() as uow:
        row = uow.session.get(ProcessInstance, instance_id)
        assert row is not None
        return row.model_version.number


def test_a_new_version_leaves_running_paths_on_theirs(
    services: Services, designer_actor: Actor
) -> None:
    old = services.start()
    assert deploy(services, designer_actor, EXTRA_STEP) == 2
    new = services.start()
    assert (version_of(services, old), version_of(services, new)) == (1, 2)
    services.walk(old, "Task_encounter")
    assert {t.bpmn_id for t in services.open_tasks(old)} == {"Task_initial_interview"}
    services.walk(new, "Task_encounter")
    assert {t.bpmn_id for t in services.open_tasks(new)} == {"Task_extra"}
    # The earlier version stays readable.
    assert designer.version_bpmn(services.uow(), "national", 1)[1] == NATIONAL
    versions = designer.model_versions(services.uow(), "national")
    assert [(v.number, v.source, v.deployed_by) for v in versions] == [
        (2, "upload", "dora"),
        (1, "disk", "test"),
    ]


def test_migration_moves_what_it_can_and_says_why_not(
    services: Services, designer_actor: Actor
) -> None:
    at_encounter = services.start()
    moved_on = services.start()
    services.walk(moved_on, "Task_encounter")  # has passed Task_encounter
    deploy(services, designer_actor, RENAMED)  # version 2 has no Task_encounter

    plan = designer.migrate(
        services.uow(),
        services.engine,
        services.clock,
        designer_actor,
        "national",
        1,
        2,
        dry_run=True,
    )
    by_id = {c.instance_id: c for c in plan}
    assert not by_id[at_encounter].movable
    assert (
        "current step 'Kohtaaminen ja puheeksiotto' (Task_encounter) does not exist in "
        "version 2" in by_id[at_encounter].reasons
    )
    assert not by_id[moved_on].movable
    assert "has passed" in by_id[moved_on].reasons[0]
    assert version_of(services, at_encounter) == 1

    deploy(services, designer_actor, EXTRA_STEP)  # version 3 keeps every step, adds one
    dry = designer.migrate(
        services.uow(),
        services.engine,
        services.clock,
        designer_actor,
        "national",
        1,
        3,
        dry_run=True,
    )
    assert all(c.movable and not c.moved for c in dry)
    assert version_of(services, at_encounter) == 1  # a dry run moves nothing

    done = designer.migrate(
        services.uow(),
        services.engine,
        services.clock,
        designer_actor,
        "national",
        1,
        3,
        dry_run=False,
    )
    assert all(c.moved for c in done)
    assert version_of(services, at_encounter) == 3
    # what the designer's migration read (dry run) and moved is in the access log, per path
    with services.uow() as uow:
        logged = [
            (r.action, r.instance_id)
            for r in uow.session.scalars(
                select(AccessLog).where(
                    AccessLog.username == designer_actor.username,
                    AccessLog.resource == "process_instance",
                )
            )
        ]
    assert logged.count(("read", at_encounter)) == 2 and ("update", at_encounter) in logged
    services.walk(at_encounter, "Task_encounter")  # continues the new way
    assert {t.bpmn_id for t in services.open_tasks(at_encounter)} == {"Task_extra"}
    task = services.open_task(at_encounter, "Task_extra")
    complete_task(
        services.uow(),
        services.engine,
        services.clock,
        services.doer(task),
        task.id,
        sample("Task_further_investigations"),
    )
    assert {t.bpmn_id for t in services.open_tasks(at_encounter)} == {"Task_initial_interview"}
    services.walk(moved_on, "Task_initial_interview")  # already past the new step: carries on
    assert len(services.open_tasks(moved_on)) == 4  # three assessments, the client's view


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"PK\x03\x04 a zip file", "not well-formed XML"),
        (
            b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><d>&x;</d>',
            "DOCTYPE and entity declarations are not allowed",
        ),
        (b"<a>" + b"x" * (3 * 1024 * 1024) + b"</a>", "larger than"),
        (
            NATIONAL.replace("urgent == True", "__import__('os').system('id')").encode(),
            "function calls are not allowed",
        ),
    ],
)
def test_refused_uploads_store_nothing_but_are_recorded(
    services: Services, designer_actor: Actor, content: bytes, problem: str
) -> None:
    with pytest.raises(ModelRejected) as info:
        designer.deploy_bpmn(
            services.uow(),
            services.engine,
            services.clock,
            designer_actor,
            "national",
            "national_path.bpmn",
            content,
        )
    assert any(problem in p.message for p in info.value.problems), info.value.problems
    with services.uow() as uow:
        assert designer.model_versions(services.uow(), "national")[0].number == 1
        assert uow.session.scalar(select(func.count(ProcessModelVersion.id))) == len(
            designer.list_models(services.uow())
        )
        refused = uow.session.scalar(select(Deployment).where(Deployment.accepted.is_(False)))
        assert refused is not None and refused.attempted_by == "dora"


def test_only_designers_deploy(services: Services) -> None:
    with pytest.raises(Forbidden):
        designer.deploy_bpmn(
            services.uow(),
            services.engine,
            services.clock,
            services.actors["kaisa"],
            "national",
            "national_path.bpmn",
            NATIONAL.encode(),
        )


def test_comparison_of_a_region_with_the_national_path(services: Services) -> None:
    from engine.services.comparison import compare

    result = compare(services.uow(), services.engine, "national", "kainuu")
    assert [p.phase for p in result.phases] == [
        "encounter",
        "referral",
        "assessment",
        "services",
        "follow_up",
    ]
    assert result.base_order_ok and result.other_order_ok
    referral = next(p for p in result.phases if p.phase == "referral")
    added = {step_id for step_id, _ in referral.added}
    assert "Task_pair_consultation" in added  # Kainuu's alkupalvelu
    assessment = next(p for p in result.phases if p.phase == "assessment")
    assert "Task_support_plan" in assessment.shared  # reached through the shared subprocess
    assert "Task_health_check" in {s for s, _ in assessment.added}
