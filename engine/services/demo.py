"""Demo data for `make run`: one user per role and a handful of clients at different points."""

from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy
from typing import Any

from sqlalchemy import func, select

from engine.clock import Clock
from engine.persistence.tables import HumanTask, PilotTarget, User
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import clients, instances, sla, users
from engine.services.access import Actor
from engine.workflow.engine import WorkflowEngine
from engine.workflow.roles import CLIENT

DEMO_PASSWORD = "polku-demo"

# username, display name, roles
DEMO_USERS: list[tuple[str, str, list[str]]] = [
    ("koordinaattori", "Kaisa Koordinaattori", ["work_ability_coordinator"]),
    ("tiimikoordinaattori", "Timo Tiimikoordinaattori", ["case_coordinator"]),
    ("palveluohjaaja", "Paula Palveluohjaaja", ["service_counsellor"]),
    ("laakari", "Lauri Lääkäri", ["physician"]),
    ("fysioterapeutti", "Fanni Fysioterapeutti", ["physiotherapist"]),
    ("sosiaalityontekija", "Sanna Sosiaalityöntekijä", ["social_worker"]),
    ("asiakasvastaava", "Aino Asiakasvastaava", ["rehabilitation_counsellor"]),
    ("asiakasvastaava2", "Ari Asiakasvastaava", ["job_coach"]),
    ("kelaneuvoja", "Kerttu Kelan työkykyneuvoja", ["kela_advisor"]),
    ("sairaanhoitaja", "Saara Sairaanhoitaja", ["nurse"]),
    ("terveydenhoitaja", "Tea Terveydenhoitaja", ["public_health_nurse"]),
    ("mielenterveystyontekija", "Mikko Mielenterveystyöntekijä", ["mental_health_worker"]),
    ("psykologi", "Pia Psykologi", ["psychologist"]),
    ("tyollisyysasiantuntija", "Tuomas Työllisyysasiantuntija", ["employment_expert"]),
    ("suunnittelija", "Sirpa Suunnittelija", ["process_designer"]),
    ("esihenkilo", "Erkki Esihenkilö", ["manager"]),
]
# Service-level targets in working days (phase targets for all models; a few step targets).
DEMO_TARGETS: list[tuple[str | None, str | None, str | None, int]] = [
    (None, None, "encounter", 5),
    (None, None, "referral", 10),
    (None, None, "assessment", 15),
    (None, None, "services", 20),
    (None, None, "follow_up", 10),
    ("national", "Task_support_plan", None, 10),
]
# Eksote's targets vs actual clients per pilot track.
DEMO_PILOT_TARGETS = [
    ("eksote", "P1+2", "Task_team_meeting", "pilot_track", "P2_integrated_path", 15, 20),
    ("eksote", "P3", "Task_team_meeting", "pilot_track", "P3_group_subcontracting", 15, 15),
    ("eksote", "P4", "Task_team_meeting", "pilot_track", "P4_targeted_employment", 40, 40),
]
DEMO_ADMIN: tuple[str, str, list[str]] = ("admin", "Ylläpitäjä", [])
# The demo regions' organisations: the social and health staff work for the four wellbeing
# counties (one demo team serves every demo region), the employment expert for the four
# employment areas, the Kela advisor for Kela. Administrators and designers do no client work.
DEMO_COUNTIES = ["hva-etela-karjala", "hva-kainuu", "hva-lappi", "hva-pohjois-savo"]
DEMO_EMPLOYMENT = [
    "tyollisyys-etela-karjala", "tyollisyys-kainuu", "tyollisyys-rovaniemi", "tyollisyys-ylasavo",
]  # fmt: skip


def demo_organisations(roles: list[str]) -> list[str]:
    """The demo organisations of someone holding these roles."""
    if "kela_advisor" in roles:
        return ["kela"]
    if "employment_expert" in roles:
        return DEMO_EMPLOYMENT
    if not roles or roles == ["process_designer"]:
        return []
    return DEMO_COUNTIES


def add_pilot_targets(uow: UnitOfWork) -> None:
    """The Eksote pilots' client targets (DOMAIN.md §3): P1+2 15-20, P3 15, P4 40."""
    with uow:
        for key, label, bpmn_id, group_field, value, low, high in DEMO_PILOT_TARGETS:
            uow.session.add(
                PilotTarget(
                    model_key=key,
                    label=label,
                    bpmn_id=bpmn_id,
                    group_field=group_field,
                    group_value=value,
                    target_min=low,
                    target_max=high,
                )
            )
        uow.commit()


# Typical answers for each task of the national path, by BPMN id.
SAMPLE_FORM_DATA: dict[str, dict[str, Any]] = {
    "Task_encounter": {
        "entry_channel": "municipal_employment",
        "kykyviisari_done": True,
        "kykyviisari_work_ability": 4,
        "health_check_offered": True,
        "urgent": False,
        "occupational_health_covered": False,
        "consent_multi_org": True,
        "consent_scope": "Hyvinvointialue, kunnan työllisyyspalvelut ja Kela",
        "notes": "Asiakas toi puheeksi selkävaivat ja jaksamisen.",
    },
    "Task_initial_interview": {
        "benefits_advice_given": True,
        "pair_consultation": False,
        "interview_summary": "Tilanne selvitetty; tarvitaan moniammatillinen arvio.",
        "team_decision": "team_now",
    },
    "Task_further_investigations": {
        "investigations": ["health_check", "physician_assessment"],
        "investigation_findings": "Terveystarkastus tehty, ei kiireellisiä löydöksiä.",
    },
    "Task_physician_assessment": {
        "physician_work_ability": 5,
        "diagnosis_summary": "Pitkäaikainen selkäkipu.",
        "statement_needed": False,
    },
    "Task_functional_assessment": {
        "assessment_methods": ["interview", "physical_tests"],
        "physical_load_tolerance": "light",
        "functional_findings": "Kevyt työ onnistuu.",
    },
    "Task_social_assessment": {
        "social_need_areas": ["income"],
        "special_support_need": False,
        "social_assessment_summary": "Toimeentulo tiukka, ei erityisen tuen tarvetta.",
    },
    "Task_support_plan": {
        "partial_work_ability_types": ["physical"],
        "strengths": "Motivoitunut, hyvä asiakaspalvelija.",
        "challenges": "Ei kestä raskasta fyysistä työtä.",
        "client_view": "Haluaa kevyeen työhön.",
        "main_goal": "Työllistyminen kevyeen asiakaspalvelutyöhön",
        "sub_goals": [{"goal": "Työkokeilu kaupan kassalla", "measure": "3 kk jakso"}],
        "services": [{"service": "ips_supported_employment"}],
        # a day before any demo history: the follow-up timer keeps its model's period (a
        # later date would schedule the first review on it, `dueFromField`)
        "next_review_date": "2025-01-15",
        "case_manager": "asiakasvastaava",
        "conclusion": "employment_track",
    },
    "Task_incapacity_statement": {
        "statement_recipient": "kela",
        "statement_date": "2026-12-01",
        "statement_summary": "B-lausunto SV7 Kelalle kuntoutustuesta.",
    },
    "Task_treatment_start": {
        "treatment_services": ["medical_rehabilitation"],
        "treatment_start_date": "2026-12-07",
    },
    "Task_arrange_services": {
        "services_arranged": [{"service": "ips_supported_employment", "status": "agreed"}],
        "awaits_external_decision": False,
    },
    "Task_follow_up_review": {
        "kykyviisari_work_ability": 6,
        "goal_status": "progressing",
        "plan_revision_needed": False,
        "close_path": False,
    },
    # the client's own tasks (the client's lane, role `client`)
    "Task_client_situation": {
        "client_own_view": "Selkä kipeytyy seisomisesta; haluaisin kokeilla osa-aikatyötä.",
        "client_own_goals": "Osa-aikainen työ, jossa voi vaihtaa asentoa.",
        "kykyviisari_done": True,
        "kykyviisari_work_ability": 5,
        "kykyviisari_mental_wellbeing": 6,
        "kykyviisari_social_participation": 5,
        "kykyviisari_physical_functioning": 3,
        "kykyviisari_skills": 7,
        "kykyviisari_everyday_coping": 6,
    },
    "Task_client_plan_acceptance": {"plan_accepted": "accepted"},
    "Task_plan_revision": {"plan_revision_summary": "Työkokeilun alkua siirrettiin kuukaudella."},
    "Task_client_feedback": {
        "feedback_score": 4,
        "feedback_text": "Sain apua ja minua kuunneltiin.",
    },
    "Task_closing": {
        "closing_reason": "goal_reached",
        "outcome": "employment_company_wage_subsidy",
        "closing_summary": "Työsuhde yritykseen palkkatuella.",
    },
}


# The national path up to the support plan, in an order its gateways accept.
TO_PLAN = (
    "Task_encounter",
    "Task_initial_interview",
    "Task_physician_assessment",
    "Task_functional_assessment",
    "Task_social_assessment",
    "Task_client_situation",
    "Task_support_plan",
    "Task_client_plan_acceptance",
)
# The steps before the plan (the team's assessments and the client's own view).
BEFORE_PLAN = TO_PLAN[:-2]


def sample(bpmn_id: str, **overrides: Any) -> dict[str, Any]:
    data = deepcopy(SAMPLE_FORM_DATA[bpmn_id])
    data.update(overrides)
    return data


# Test identity codes (individual numbers 900-999 are never given to anyone) of the demo
# clients, for the clients' own sign-in (README: "Signing in as a client").
DEMO_IDENTITY_CODES = {
    "Matti Meikäläinen": "150375-961E",
    "Liisa Laine": "220690-973M",
    "Jari Järvinen": "050585-984X",
    "Anna Aaltonen": "010280-952L",
    "Pekka Peltonen": "120470-915J",
}


def seed(uow_factory: Callable[[], UnitOfWork], engine: WorkflowEngine, clock: Clock) -> bool:
    """Create demo users and clients into a database that has no users yet."""
    with uow_factory() as uow:
        if uow.session.scalar(select(func.count(User.id))):
            return False
    ids: dict[str, int] = {}
    for username, name, roles in [*DEMO_USERS, DEMO_ADMIN]:
        ids[username] = users.create_user(
            uow_factory(),
            engine.roles,
            username=username,
            display_name=name,
            password=DEMO_PASSWORD,
            roles=roles,
            is_admin=username == "admin",
            is_demo=True,
            organisations=demo_organisations(roles),
        )
    actors = {u: _actor(uow_factory, ids[u]) for u in ids}
    for model_key, bpmn_id, phase, days in DEMO_TARGETS:
        sla.set_target(
            uow_factory(),
            clock,
            actors["admin"],
            model_key=model_key,
            bpmn_id=bpmn_id,
            phase=phase,
            working_days=days,
        )
    add_pilot_targets(uow_factory())

    coordinator = actors["koordinaattori"]
    to_plan = [(step, sample(step)) for step in TO_PLAN]
    people: list[tuple[str, str, list[tuple[str, dict[str, Any]]]]] = [
        ("Matti Meikäläinen", "Iisalmi", []),
        ("Liisa Laine", "Kajaani", to_plan[:2]),
        ("Jari Järvinen", "Rovaniemi", to_plan),
        (
            "Anna Aaltonen",
            "Lappeenranta",
            [*to_plan, ("Task_arrange_services", sample("Task_arrange_services"))],
        ),
        (
            "Pekka Peltonen",
            "Kajaani",
            [
                *to_plan[:-2],
                (
                    "Task_support_plan",
                    sample(
                        "Task_support_plan",
                        conclusion="long_term_incapacity",
                        case_manager="asiakasvastaava2",
                    ),
                ),
                to_plan[-1],
                ("Task_incapacity_statement", sample("Task_incapacity_statement")),
                (
                    "Task_arrange_services",
                    sample(
                        "Task_arrange_services",
                        awaits_external_decision=True,
                        decision_source="kela",
                    ),
                ),
            ],
        ),
        ("Eeva Eskola", "Iisalmi", [("Task_encounter", sample("Task_encounter", urgent=True))]),
    ]
    for name, municipality, steps in people:
        client_id = clients.create_client(
            uow_factory(), clock, coordinator, full_name=name, municipality=municipality,
            identity_code=DEMO_IDENTITY_CODES.get(name),
        )  # fmt: skip
        instance_id = instances.start_instance(
            uow_factory(), engine, clock, coordinator, client_id, "national"
        )
        for bpmn_id, data in steps:
            complete(uow_factory, engine, clock, actors, instance_id, bpmn_id, data)
    from engine.services.demo_history import seed_history

    seed_history(uow_factory, engine, clock, actors)
    return True


def complete(
    uow_factory: Callable[[], UnitOfWork],
    engine: WorkflowEngine,
    clock: Clock,
    actors: dict[str, Actor],
    instance_id: int,
    bpmn_id: str,
    data: dict[str, Any],
) -> None:
    """Complete the path's open step `bpmn_id` as the demo user who holds it."""
    with uow_factory() as uow:
        row = uow.session.scalar(
            select(HumanTask).where(
                HumanTask.instance_id == instance_id,
                HumanTask.bpmn_id == bpmn_id,
                HumanTask.state == "open",
            )
        )
        assert row is not None, f"demo: {bpmn_id} is not open"
        task_id, role, assignee = row.id, row.role, row.assignee_id
        client = row.instance.client
    if role == CLIENT:  # the client's own task: the client themself (as the portal signs in)
        instances.complete_task(
            uow_factory(), engine, clock, Actor.for_client(client), task_id, data
        )
        return
    doer = next(
        a
        for a in actors.values()
        if (assignee and a.user_id == assignee) or (not assignee and role in a.roles)
    )
    instances.complete_task(uow_factory(), engine, clock, doer, task_id, data)


def _actor(uow_factory: Callable[[], UnitOfWork], user_id: int) -> Actor:
    user = users.get_user(uow_factory(), user_id)
    assert user is not None
    return Actor.from_user(user)
