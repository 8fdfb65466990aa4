"""Cost and benefit of the pilots (issue 16 §6): the impact model's calculation on inputs
worked out by hand (engine/analytics/cost_benefit.py), on Polku's own Rovaniemi paths through
the service, the parameters an administrator sets (the page and the API), who may see what,
and bad input named by its field."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from engine.analytics import cost_benefit as cb
from engine.analytics.stalls import Scope
from engine.errors import Forbidden, InvalidInput
from engine.persistence.tables import AccessLog
from engine.services import cost_benefit, users
from engine.services.access import Actor
from tests.conftest import PASSWORD, Services
from tests.test_analytics import admin, manager  # noqa: F401  (fixtures)
from tests.test_api import Api, app  # noqa: F401  (the app fixture)
from tests.test_pilot_metrics import EMPLOYMENT_WALK, FIRST_COACHING, _employment, _path, _replay
from tests.test_ui import login

YEAR_2025 = cb.DayRange(date(2025, 1, 1), date(2025, 12, 31))  # 365 days
PARAMETERS = cb.Parameters(Decimal(500), Decimal(900), Decimal(10_000))  # with, without, a year
HAND = [  # 6 months with wage subsidy; 12 and 3 months without; a work trial (not counted)
    cb.Relationship("r", "employment_company_wage_subsidy", date(2025, 1, 1), date(2025, 6, 29)),
    cb.Relationship("r", "employment_city", date(2025, 1, 1), date(2025, 12, 26)),
    cb.Relationship("r", "apprenticeship", date(2025, 3, 1), date(2025, 5, 29)),
    cb.Relationship("r", "work_trial", date(2025, 2, 1), None),
]


def test_the_impact_model_on_inputs_worked_out_by_hand() -> None:
    """180 + 360 + 90 days: 6 × 500 + (12 + 3) × 900 = 16,500; − 10,000 = 6,500; ÷ 2 = 3,250."""
    r = cb.compute(HAND, YEAR_2025, PARAMETERS, coached=2, model_key="r")
    assert (r.relationships_with_subsidy, r.relationships_without_subsidy) == (1, 2)
    assert (r.days_with_subsidy, r.days_without_subsidy) == (180, 450)
    assert (r.months_with_subsidy, r.months_without_subsidy) == (6, 15)
    assert (r.benefit_with_subsidy, r.benefit_without_subsidy) == (Decimal(3000), Decimal(13500))
    assert r.benefit == Decimal("16500.00")
    assert r.cost == Decimal("10000.00")  # a whole year: the cost a year
    assert r.net == Decimal("6500.00")
    assert r.per_participant == Decimal("3250.00")
    rows = {row.category: row for row in r.rows}
    assert (rows["work_trial"].relationships, rows["work_trial"].counted) == (1, False)
    assert rows["study"].relationships == 0
    # nobody coached: no figure per participant
    assert cb.compute(HAND, YEAR_2025, PARAMETERS, coached=0).per_participant is None
    # no parameters: the inputs, no euros
    bare = cb.compute(HAND, YEAR_2025, None, coached=2)
    assert (bare.months_without_subsidy, bare.benefit, bare.net) == (15, None, None)


def test_the_period_cuts_a_relationship_and_ends_today() -> None:
    first_half = cb.DayRange(date(2025, 1, 1), date(2025, 6, 30))  # 181 days
    cut = [
        # began before the period: January–March count (31 + 28 + 31 = 90 days)
        cb.Relationship("r", "employment_third_sector", date(2024, 10, 1), date(2025, 3, 31)),
        # still running: to the period's end (1 June – 30 June, 30 days)
        cb.Relationship("r", "employment_company_wage_subsidy", date(2025, 6, 1), None),
        # ends and begins outside the period: nothing
        cb.Relationship("r", "employment_city", date(2024, 1, 1), date(2024, 12, 31)),
        cb.Relationship("r", "employment_city", date(2025, 7, 1), None),
    ]
    r = cb.compute(cut, first_half, PARAMETERS, coached=1)
    assert (r.days_without_subsidy, r.days_with_subsidy) == (90, 30)
    assert r.relationships_without_subsidy == 1  # the two outside do not count
    assert r.benefit == Decimal(3200)  # 3 months × 900 + 1 month × 500
    assert r.cost == Decimal("4958.90")  # 10,000 × 181 ÷ 365
    # a period reaching past today ends today: 1 January – 10 January 2025, 10 days
    today = cb.counted_range(date(2025, 1, 1), date(2025, 12, 31), date(2025, 1, 10))
    early = cb.compute(cut, today, PARAMETERS, coached=1)
    assert (today.days, early.days_without_subsidy, early.days_with_subsidy) == (10, 10, 0)
    assert early.benefit == Decimal("300.00") and early.cost == Decimal("273.97")


def _coached(services: Services) -> tuple[int, int]:
    """Two Rovaniemi clients whose IPS coaching began in January 2025."""
    _a, a = _path(services)
    _replay(services, a, EMPLOYMENT_WALK[: FIRST_COACHING + 1])
    _b, b = _path(services)
    _replay(services, b, EMPLOYMENT_WALK[: FIRST_COACHING + 1])
    return a, b


def test_the_service_on_polkus_own_paths(
    services: Services,
    admin: Actor,  # noqa: F811
    manager: Actor,  # noqa: F811
) -> None:
    services.clock.now = datetime(2025, 1, 2, 7, tzinfo=UTC)
    a, b = _coached(services)
    services.clock.now = datetime(2026, 1, 20, 7, tzinfo=UTC)
    _employment(services, a, "employment", sector="company", wage_subsidy=True,
                started_on="2025-01-01", ended_on="2025-06-29")  # fmt: skip
    # cut by the period: from June 2024, 360 days of 2025
    _employment(services, b, "employment", sector="city", started_on="2024-06-01",
                ended_on="2025-12-26")  # fmt: skip
    _employment(services, b, "apprenticeship", sector="company", started_on="2025-03-01",
                ended_on="2025-05-29")  # fmt: skip
    _employment(services, a, "work_trial", sector="company", started_on="2025-02-01")
    with pytest.raises(Forbidden):
        cost_benefit.set_parameters(services.uow(), services.clock, manager, model_key="rovaniemi",
                                    effect_with_subsidy="500", effect_without_subsidy="900",
                                    cost_per_year="10000")  # fmt: skip
    with pytest.raises(InvalidInput) as info:
        cost_benefit.set_parameters(services.uow(), services.clock, admin, model_key="rovaniemi",
                                    effect_with_subsidy="-1", effect_without_subsidy="899,50",
                                    cost_per_year="lots")  # fmt: skip
    assert set(info.value.errors) == {"effect_with_subsidy", "cost_per_year"}
    saved = cost_benefit.set_parameters(
        services.uow(), services.clock, admin, model_key="rovaniemi",
        effect_with_subsidy="500", effect_without_subsidy="900,00", cost_per_year=10000,
    )  # fmt: skip
    assert saved.parameters == PARAMETERS
    assert (saved.changed_by, saved.changed_at) == ("root", services.clock())
    with services.uow() as uow:
        logged = uow.session.scalars(
            select(AccessLog.basis).where(AccessLog.resource == "cost-benefit parameters rovaniemi")
        ).all()
    assert logged and "effect_with_subsidy unset -> 500.00" in logged[0]

    period = Scope(
        model_key="rovaniemi",
        since=datetime(2024, 12, 31, 22, tzinfo=UTC),  # 1 January 2025 in Finland
        until=datetime(2025, 12, 31, 22, tzinfo=UTC),  # up to 31 December included
    )
    report = cost_benefit.report(services.uow(), services.clock, manager, period)
    [r] = report.combined.models
    assert (r.months_with_subsidy, r.months_without_subsidy, r.coached) == (6, 15, 2)
    assert (r.benefit, r.cost, r.net, r.per_participant) == (
        Decimal(16500), Decimal(10000), Decimal(6500), Decimal(3250),
    )  # fmt: skip
    assert report.combined.per_participant == Decimal(3250)
    # every region: the others have no parameters and no euros; the total is Rovaniemi's
    every = cost_benefit.report(
        services.uow(), services.clock, manager, Scope(since=period.since, until=period.until)
    )
    assert len(every.combined.models) > 1 and every.combined.net == Decimal(6500)
    assert all(m.net is None for m in every.combined.models if m.model_key != "rovaniemi")
    with pytest.raises(Forbidden):  # a job coach does not see the dashboards
        cost_benefit.report(services.uow(), services.clock, services.actors["ari"], period)
    with pytest.raises(InvalidInput) as info:
        cost_benefit.report(services.uow(), services.clock, manager, Scope(model_key="rovaniemi"))
    assert set(info.value.errors) == {"since", "until"}


def _admin(app: Flask) -> None:  # noqa: F811
    ctx = app.extensions["polku"]
    users.create_user(ctx.uow(), ctx.engine.roles, username="root", display_name="Root",
                      password=PASSWORD, roles=[], is_admin=True)  # fmt: skip


def test_the_api_and_the_pages(app: Flask) -> None:  # noqa: F811
    _admin(app)
    api = Api(app.test_client())
    path = api.start_path()
    api.complete("kaisa", path, "Task_encounter")
    made = api.post(f"/instances/{path}/employment", "kaisa", json={
        "kind": "employment", "sector": "company", "wage_subsidy": True,
        "started_on": "2025-01-01", "ended_on": "2025-06-29"})  # fmt: skip
    assert made.status_code == 201, made.json
    body: dict[str, Any] = {"model_key": "national", "effect_with_subsidy": "500",
                            "effect_without_subsidy": 900, "cost_per_year": "3650"}  # fmt: skip
    refused = api.call("PUT", "/cost-benefit/parameters", "kaisa", json=body)
    assert refused.status_code == 403  # administrators only
    wrong = api.call(
        "PUT",
        "/cost-benefit/parameters",
        "root",
        json={**body, "effect_without_subsidy": -5, "cost_per_year": "1234,50"},
    )
    assert wrong.status_code == 400 and set(wrong.json["errors"]) == {"effect_without_subsidy"}
    missing = api.call("PUT", "/cost-benefit/parameters", "root", json={"model_key": "national"})
    assert missing.status_code == 400 and "cost_per_year" in missing.json["errors"]
    saved = api.call("PUT", "/cost-benefit/parameters", "root", json=body)
    assert saved.status_code == 200, saved.json
    assert (saved.json["effect_with_subsidy"], saved.json["changed_by"]) == ("500.00", "root")
    listed = api.get("/cost-benefit/parameters", "kaisa").json
    assert {m["model_key"]: m["cost_per_year"] for m in listed}["national"] == "3650.00"
    assert api.get("/cost-benefit/parameters", "ari").status_code == 403

    year = "since=2025-01-01&until=2025-12-31"
    got = api.get(f"/cost-benefit?model=national&{year}", "kaisa")
    assert got.status_code == 200, got.json
    [national] = got.json["models"]
    # 180 days × 500 € ÷ 30 = 3,000 €; 3,650 € × 365 ÷ 365; nobody coached
    assert (national["benefit"], national["programme_cost"], national["net"]) == (
        "3000.00", "3650.00", "-650.00")  # fmt: skip
    assert national["per_participant"] is None and national["coached"] == 0
    no_period = api.get("/cost-benefit?model=national", "kaisa")
    assert no_period.status_code == 400 and set(no_period.json["errors"]) == {"since", "until"}
    bad_day = api.get("/cost-benefit?model=national&since=2025-13-01&until=2025-12-31", "kaisa")
    assert bad_day.status_code == 400 and "since" in bad_day.json["errors"]
    unknown = api.get(f"/cost-benefit?model=nowhere&{year}", "kaisa")
    assert unknown.status_code == 400 and "model" in unknown.json["errors"]
    assert api.get(f"/cost-benefit?{year}", "ari").status_code == 403

    browser = login(app, "kaisa")  # a coordinator sees the dashboards, in Finnish
    page = browser.get(f"/dashboard/cost-benefit?model=national&{year}")
    assert page.status_code == 200
    text = page.text.replace("\u00a0", " ").replace("\u202f", " ")
    assert "Kustannukset ja hyödyt" in text
    assert "6,0 × 500,00 € + 0,0 × 900,00 € = 3 000,00 €" in text  # the formula in numbers
    assert "3 650,00 € × 365 ÷ 365 = 3 650,00 €" in text
    assert "3 000,00 € − 3 650,00 € = -650,00 €" in text
    csv = browser.get(f"/dashboard/cost-benefit?model=national&{year}&download=cost-benefit")
    assert csv.status_code == 200 and "-650.00" in csv.text
    assert browser.get("/dashboard/cost-benefit").status_code == 200  # asks for the period
    half = browser.get("/dashboard/cost-benefit?model=national&since=2025-01-01")
    assert half.status_code == 400 and 'id="f-until-error"' in half.text
    assert browser.get("/dashboard/cost-benefit/parameters").status_code == 200
    form = {"model_key": "national", "effect_with_subsidy": "600",
            "effect_without_subsidy": "900", "cost_per_year": "3650"}  # fmt: skip
    assert browser.post("/dashboard/cost-benefit/parameters", data=form).status_code == 403
    assert login(app, "ari").get(f"/dashboard/cost-benefit?{year}").status_code == 403

    root = login(app, "root")
    bad = root.post("/dashboard/cost-benefit/parameters", data={**form, "cost_per_year": "x"})
    assert bad.status_code == 400 and 'id="f-cost_per_year-error"' in bad.text
    ok = root.post("/dashboard/cost-benefit/parameters", data=form)
    assert ok.status_code == 303
    again = browser.get(f"/dashboard/cost-benefit?model=national&{year}").text
    assert "6,0 × 600,00 € + 0,0 × 900,00 € = 3 600,00 €" in again.replace("\u00a0", " ")
    browser.get("/lang/sv")  # the reader's locale: Swedish words, the same numbers
    swedish = browser.get(f"/dashboard/cost-benefit?model=national&{year}").text
    assert "Kostnader och nytta" in swedish and "Nettonytta" in swedish
    browser.get("/lang/en")
    english = browser.get(f"/dashboard/cost-benefit?model=national&{year}").text
    assert "6.0 × €600.00 + 0.0 × €900.00 = €3,600.00" in english
