"""Client feedback as a measure (issue 17 §4): the closing survey's answers aggregated by region,
phase and period, never per person (a group of fewer than five answers: "too few answers");
free texts only for the managers of the owning organisation, with the month only."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask import Flask
from sqlalchemy import select

from engine.analytics.feedback import Answer, aggregate, free_texts, period_of
from engine.clock import FrozenClock
from engine.errors import Forbidden
from engine.persistence.tables import AccessLog
from engine.services import feedback_report, instances, users
from engine.services.access import Actor
from engine.services.demo import sample
from tests.conftest import PASSWORD, Services
from tests.test_dashboard_ui import app, svc  # noqa: F401  (the site with a manager, maija)
from tests.test_ui import login


def answer(score: int | None, month: int = 3, region: str = "Kainuu", text: str = "") -> Answer:
    return Answer(region, "follow_up", datetime(2026, month, 10, 12, tzinfo=UTC), score, text, 1)


def test_groups_by_region_phase_and_period_with_mean_count_and_distribution() -> None:
    made = [answer(s) for s in (5, 4, 4, 3, 5)] + [answer(2, month=5)] + [answer(None)]
    made += [answer(s, region="Iisalmi") for s in (1, 2, 3, 4, 5, 5)]
    first, small, iisalmi = sorted(aggregate(made), key=lambda g: (g.region != "Kainuu", g.period))
    assert (first.region, first.phase, first.period) == ("Kainuu", "follow_up", "2026 Q1")
    assert (first.count, first.mean, first.distribution) == (
        5, 4.2, {1: 0, 2: 0, 3: 1, 4: 2, 5: 2},
    )  # fmt: skip
    # one answer in the second quarter: never shown, not even its mean
    assert (small.period, small.too_few, small.mean, small.distribution) == (
        "2026 Q2", True, None, None,
    )  # fmt: skip
    assert (iisalmi.region, iisalmi.count, iisalmi.mean) == ("Iisalmi", 6, 3.33)


def test_four_answers_are_too_few_and_five_are_enough() -> None:
    [four] = aggregate([answer(5)] * 4)
    [five] = aggregate([answer(5)] * 5)
    assert four.too_few and four.distribution is None
    assert not five.too_few and five.mean == 5.0


def test_periods_are_months_quarters_or_years_in_finnish_time() -> None:
    new_year = datetime(2026, 12, 31, 22, 30, tzinfo=UTC)  # already 2027 in Helsinki
    assert [period_of(new_year, p) for p in ("month", "quarter", "year")] == [
        "2027-01", "2027 Q1", "2027",
    ]  # fmt: skip
    [monthly_a, monthly_b] = aggregate([answer(4, 1), answer(4, 2)], "month")
    assert (monthly_a.period, monthly_b.period) == ("2026-01", "2026-02")


def test_free_texts_carry_the_month_and_region_only() -> None:
    texts = free_texts([answer(4, 3, text=" Hyvä palvelu. "), answer(5, 4, text=""),
                        answer(3, 4, text="Odotin kauan.")])  # fmt: skip
    assert [(t.month, t.region, t.text) for t in texts] == [
        ("2026-04", "Kainuu", "Odotin kauan."),
        ("2026-03", "Kainuu", "Hyvä palvelu."),
    ]


def _closed_with_feedback(services: Services, score: int, text: str) -> int:
    iid = services.start()
    services.walk(
        iid,
        "Task_encounter",
        "Task_initial_interview",
        "Task_physician_assessment",
        "Task_functional_assessment",
        "Task_social_assessment",
        "Task_client_situation",
        "Task_support_plan",
        "Task_client_plan_acceptance",
        "Task_arrange_services",
    )
    services.clock.advance(days=31)
    instances.fire_due_timers(services.uow, services.engine, services.clock)
    services.walk(
        iid,
        ("Task_follow_up_review", {"close_path": True}),
        ("Task_client_feedback", {"feedback_score": score, "feedback_text": text}),
        "Task_closing",
    )  # fmt: skip
    return iid


def _manager(services: Services, organisations: list[str]) -> Actor:
    user_id = users.create_user(
        services.uow(), services.engine.roles, username=f"esihenkilo{len(organisations)}",
        display_name="Esihenkilö", password=PASSWORD, roles=["manager"],
        organisations=organisations,
    )  # fmt: skip
    user = users.get_user(services.uow(), user_id)
    assert user is not None
    return Actor.from_user(user)


def test_the_report_over_real_paths_hides_small_groups_and_shows_texts_to_owners(
    services: Services,
) -> None:
    for n, score in enumerate((5, 4, 4)):
        _closed_with_feedback(services, score, f"Palaute {n}" if n else "")
    owner = _manager(services, ["hva-pohjois-savo"])  # the national paths' owner
    report = feedback_report.feedback_report(services.uow(), services.clock, owner)
    [group] = report.groups
    assert (group.phase, group.count, group.too_few, group.mean) == ("follow_up", 3, True, None)
    assert report.answers == 3 and report.sees_texts
    assert sorted(t.text for t in report.texts) == ["Palaute 1", "Palaute 2"]
    assert all(len(t.month) == len("2026-12") for t in report.texts)
    with services.uow() as uow:
        logged = uow.session.scalars(
            select(AccessLog).where(AccessLog.resource == "client feedback")
        ).all()
    assert logged and {row.username for row in logged} == {owner.username}
    # a manager of another organisation: the texts are not theirs (and the paths not counted)
    other = _manager(services, ["hva-kainuu", "hva-lappi"])
    theirs = feedback_report.feedback_report(services.uow(), services.clock, other)
    assert theirs.texts == [] and theirs.groups == []
    # a team coordinator sees the figures but never the texts
    timo = services.actors["timo"]
    with pytest.raises(Forbidden):
        feedback_report.feedback_report(services.uow(), services.clock, services.actors["lauri"])
    assert not feedback_report.may_read_free_texts(timo)


def test_the_sample_survey_is_valid() -> None:
    assert sample("Task_client_feedback")["feedback_score"] in (1, 2, 3, 4, 5)


def test_the_managers_page_shows_the_figures_and_the_texts(
    app: Flask,  # noqa: F811
    svc: Services,  # noqa: F811
    clock: FrozenClock,
) -> None:
    for score in (5, 4):
        _closed_with_feedback(svc, score, "Sain apua.")
    page = login(app, "maija").get("/dashboard/feedback")
    assert page.status_code == 200, page.text
    text = page.get_data(as_text=True)
    assert "Asiakaspalaute" in text and "liian vähän vastauksia" in text  # two answers only
    assert "Sain apua." in text  # maija manages the owning organisation
    assert "A-" not in text  # no pseudonym anywhere
    download = login(app, "maija").get("/dashboard/feedback?download=feedback&period=month")
    assert download.status_code == 200 and "liian vähän vastauksia" in download.text
    refused = login(app, "lauri").get("/dashboard/feedback")
    assert refused.status_code == 403
