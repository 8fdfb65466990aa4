"""Employment events on a client's path (issue 16 §2): recorded one by one during coaching and
follow-up, checked, access-logged, told in the history, listed on the client page and in the
API; the pilots' metrics count them (tests/test_pilot_metrics.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask_babel import force_locale
from sqlalchemy import select

from engine.errors import Conflict, Forbidden, InvalidInput
from engine.persistence.tables import AccessLog, Event, ProcessInstance
from engine.services import employment_events
from tests.conftest import Services
from tests.test_api import Api, app  # noqa: F401  (the app fixture)
from tests.test_ui import login
from web.ui.employment_words import sentence


def _record(services: Services, iid: int, user: str = "kaisa", **values: object) -> int:
    values.setdefault("started_on", "2026-01-05")
    return employment_events.record_employment(
        services.uow(),
        services.clock,
        services.actors[user],
        iid,
        **values,  # type: ignore[arg-type]
    )


def test_recorded_events_are_listed_logged_and_in_the_history(services: Services) -> None:
    iid = services.start()
    services.walk(iid, "Task_encounter")
    first = _record(services, iid, kind="employment", sector="third_sector", wage_subsidy=True,
                    ended_on="2026-06-30")  # fmt: skip
    _record(services, iid, kind="study", started_on="2026-01-02")
    found = employment_events.list_employment(
        services.uow(), services.clock, services.actors["kaisa"], iid
    )
    assert [(e.kind, e.category, e.started_on) for e in found] == [
        ("study", "study", date(2026, 1, 2)),
        ("employment", "employment_third_sector_wage_subsidy", date(2026, 1, 5)),
    ]
    assert found[1].id == first and found[1].ended_on == date(2026, 6, 30)
    with services.uow() as uow:
        events = list(uow.session.scalars(
            select(Event).where(Event.instance_id == iid, Event.kind == "employment_recorded")
        ))  # fmt: skip
        logged = list(uow.session.scalars(
            select(AccessLog).where(AccessLog.instance_id == iid,
                                    AccessLog.resource == "employment_event")
        ))  # fmt: skip
    assert [e.data["kind"] for e in events] == ["employment", "study"]
    assert [(r.action, r.username) for r in logged] == [
        ("create", "kaisa"), ("create", "kaisa"), ("read", "kaisa"),
    ]  # fmt: skip
    assert all(r.basis for r in logged)


@pytest.mark.parametrize(
    ("values", "fields"),
    [
        ({"kind": "employment"}, {"sector"}),  # an employment needs its sector
        ({"kind": "holiday"}, {"kind"}),
        ({"kind": "study", "wage_subsidy": True}, {"wage_subsidy"}),
        ({"kind": "study", "sector": "city"}, {"sector"}),  # a study place has no employer
        ({"kind": "work_trial", "started_on": "2026-02-30"}, {"started_on"}),
        ({"kind": "work_trial", "started_on": "2999-01-01"}, {"started_on"}),
        ({"kind": "work_trial", "ended_on": "2025-12-31"}, {"ended_on"}),
    ],
)
def test_wrong_values_are_refused_by_field(
    services: Services, values: dict[str, Any], fields: set[str]
) -> None:
    iid = services.start()
    with pytest.raises(InvalidInput) as info:
        _record(services, iid, "kaisa", **values)
    assert set(info.value.errors) == fields and info.value.code == "employment_invalid"


def test_no_basis_no_record_and_a_closed_path_takes_none(services: Services) -> None:
    iid = services.start()
    with pytest.raises(Forbidden):  # a job coach not on the path
        _record(services, iid, user="ari", kind="study")
    with services.uow() as uow:
        path = uow.session.get(ProcessInstance, iid)
        assert path is not None
        path.status = "completed"
        uow.commit()
    with pytest.raises(Conflict):
        _record(services, iid, kind="study")


def test_the_history_says_it_in_finnish_and_swedish(app: Flask) -> None:  # noqa: F811
    data = {"kind": "employment", "sector": "company", "wage_subsidy": True,
            "started_on": "2026-03-01", "ended_on": None}  # fmt: skip
    with app.test_request_context():
        with force_locale("fi"):
            fi = sentence("Aino", data)
        with force_locale("sv"):
            sv = sentence("Aino", data)
    assert "Aino" in fi and "palkkatuella" in fi and "2026" in fi
    assert "lönesubvention" in sv


def test_the_api_and_the_client_page_record_and_list(app: Flask) -> None:  # noqa: F811
    api = Api(app.test_client())
    path = api.start_path()
    api.complete("kaisa", path, "Task_encounter")
    apprenticeship = {"kind": "apprenticeship", "sector": "city", "started_on": "2026-01-07"}
    made = api.post(f"/instances/{path}/employment", "kaisa", json=apprenticeship)
    assert made.status_code == 201, made.json
    no_sector = {"kind": "employment", "started_on": "2026-01-07"}
    wrong = api.post(f"/instances/{path}/employment", "kaisa", json=no_sector)
    assert wrong.status_code == 400 and "sector" in wrong.json["errors"]
    listed = api.get(f"/instances/{path}/employment", "kaisa")
    assert [(e["kind"], e["category"]) for e in listed.json] == [
        ("apprenticeship", "apprenticeship")
    ]
    client = api.get(f"/instances/{path}", "kaisa").json["client_id"]
    browser = login(app, "kaisa")
    posted = browser.post(f"/clients/{client}/paths/{path}/employment",
                          data={"kind": "work_trial", "sector": "company",
                                "started_on": "2026-01-08"})  # fmt: skip
    assert posted.status_code == 303
    page = browser.get(f"/clients/{client}").get_data(as_text=True)
    assert "Oppisopimus" in page and "Työkokeilu" in page  # listed, and told in the history
    refused = browser.post(f"/clients/{client}/paths/{path}/employment",
                           data={"kind": "employment", "started_on": "2026-01-08"})  # fmt: skip
    assert refused.status_code == 400


def test_the_metrics_targets_and_fidelity_pages_open(app: Flask) -> None:  # noqa: F811
    browser = login(app, "kaisa")  # a coordinator sees the dashboards
    metrics = browser.get("/dashboard/metrics")
    assert metrics.status_code == 200
    assert "Keitä lasketaan" in metrics.text  # each figure's cohort rule, in Finnish
    assert "Ensikontakti ajanjaksolla" in metrics.text
    assert browser.get("/dashboard/pilot-targets").status_code == 200
    target = {"model_key": "eksote", "label": "P4", "bpmn_id": "Task_encounter",
              "group_field": "track", "group_value": "p4", "target_min": "40",
              "target_max": "40"}  # fmt: skip
    refused = browser.post("/dashboard/pilot-targets", data=target)
    assert refused.status_code == 403  # administrators only
    fidelity = browser.get("/dashboard/ips-fidelity")
    assert fidelity.status_code == 200 and "Kohta 25" in fidelity.text
