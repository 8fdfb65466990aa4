"""Every page, endpoint and job that touches a client's data writes its access-log row
(issue 12, §1). Every route of the app is classified here: one that reads or changes client
data is called and must leave a row naming the client, the person, a basis and the session;
a route that is not classified fails the test, so a new endpoint cannot forget its row."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine.clock import FrozenClock
from engine.persistence.tables import AccessLog, FormSubmission, HumanTask
from engine.services import instances, users
from engine.services.demo import TO_PLAN, sample
from tests.conftest import PASSWORD, STAFF
from tests.test_api import Api, make_app
from tests.test_authorization_matrix import DOERS

# Routes that touch no client's data: sign-in, models, settings, aggregates, static files.
NO_CLIENT_DATA = {
    "static", "ui.vendor", "ui.set_language", "ui.login", "ui.logout", "ui.sso_start",
    "ui.sso_callback", "operations.healthz", "operations.readyz", "operations.metrics",
    "api.openapi", "api.create_token", "api.list_tokens", "api.revoke_token",
    "api.revoke_current_token", "api.list_processes", "api.list_versions", "api.version_bpmn",
    "api.deploy_version", "api.list_organisations", "api.get_access_settings",
    "api.set_access_settings", "api.list_targets", "api.set_target", "api.list_users",
    "api.add_user", "api.update_user", "api.import_event_log", "api.imported_metrics",
    "api.dashboard", "api.metrics", "ui.dashboard_page", "ui.dashboard_diagram",
    "ui.metrics_page", "ui.sla_targets_page", "ui.sla_targets_set", "ui.event_log_page",
    "ui.event_log_import", "ui.designer_models", "ui.designer_model", "ui.designer_edit",
    "ui.designer_upload", "ui.designer_save", "ui.designer_version_xml", "ui.designer_compare",
    "ui.designer_texts", "ui.designer_texts_save", "api.get_model_texts", "api.put_model_texts",
    "api.list_model_forms", "api.get_model_form", "api.put_model_form",  # a model's forms
    # a model's decision tables: the editor page, its DMN file and its save
    "ui.designer_decision", "ui.designer_decision_save", "ui.designer_decision_xml",
    "ui.designer_version_diff",  # two versions of a model compared: no client data
    # the modeller's properties panel: a model's choices, a condition or timer checked
    "ui.designer_properties", "ui.designer_check_condition", "ui.designer_read_timer",
    "ui.designer_set_target",  # a step's service-level target, as on the targets page
    "ui.designer_forms", "ui.designer_form", "ui.designer_form_post",  # the form editor
    "ui.admin_people", "ui.admin_add_person", "ui.admin_update_person",
    "ui.admin_person_account", "ui.admin_settings", "ui.admin_settings_save",
    "ui.filter_worklist",  # keeps the search words in the session; the worklist reads
    "ui.search_clients",  # keeps the search words in the session; the client list reads
    "ui.emergency_form",  # the reason form only: nothing of the client is shown
    "ui.event_log_job", "ui.event_log_job_progress",  # an import's progress: imported logs only
    # the import wizard: an uploaded log's first rows and its import (imported logs only)
    "ui.event_log_upload", "ui.event_log_wizard", "ui.event_log_wizard_import",
    "api.upload_event_log", "api.event_log_upload_preview", "api.event_log_upload_choices",
    "api.import_event_log_upload",
    # one's own notices marked read, one's own e-mail settings, an address set by an admin
    "ui.notifications_read_all", "ui.settings_page", "ui.settings_save", "ui.admin_person_email",
    "api.list_migrations",  # a model's migrations: versions and path ids, no client data
    # conformance to the national path: aggregates of the reader's scope, and their CSV
    "ui.conformance_page", "ui.conformance_diagram", "api.conformance_report",
    # the client's own sign-in and sign-out (issue 17): their rows are the sign-in's
    "oma.sign_in_page", "oma.sign_in_start", "oma.sign_in_callback", "oma.demo_sign_in",
    "oma.sign_out",
    # the pilots' client targets: aggregate settings, no client data
    "ui.pilot_targets_page", "ui.pilot_targets_set", "ui.pilot_targets_remove",
    "api.list_pilot_targets", "api.set_pilot_target", "api.remove_pilot_target",
    # the team's IPS fidelity self-assessment rounds: a team's own scores, no client data
    "ui.ips_fidelity_page", "ui.ips_fidelity_record", "api.list_fidelity_rounds",
    "api.record_fidelity_round",
    # cost and benefit (issue 16 §6): aggregates of the reader's scope, and their parameters
    "ui.cost_benefit_page", "ui.cost_benefit_parameters_page", "ui.cost_benefit_parameters_set",
    "api.cost_benefit_report", "api.list_cost_benefit_parameters",
    "api.set_cost_benefit_parameters",
}  # fmt: skip
# Routes whose rows are asserted by the tests named (they need a second model version).
MIGRATION_TEST = "tests/test_versions.py::test_migration_moves_what_it_can_and_says_why_not"
UNUSUAL_TEST = (
    "tests/test_access_report.py::test_unusual_access_for_the_owning_organisations_supervisor"
)
NOTICE_TEST = "tests/test_notifications.py::test_opening_a_notice_is_logged"
UNDO_TEST = "tests/test_path_migration.py::test_a_partial_migration_and_its_undo"
CLIENT_PAGES_TEST = (
    "tests/test_client_portal.py::test_each_client_page_logs_its_read_with_the_clients_basis"
)
TESTED_ELSEWHERE = {
    "ui.designer_migrate": MIGRATION_TEST, "api.migrate_instances": MIGRATION_TEST,
    # the migration page lists the paths; the undo moves them back (per path: read or update)
    "ui.designer_migration": UNDO_TEST, "ui.designer_migration_undo": UNDO_TEST,
    "api.undo_migration": UNDO_TEST,
    # findings need a night, a burst or a closed path; their list and review log per client
    "ui.access_review_page": UNUSUAL_TEST, "api.list_unusual_access": UNUSUAL_TEST,
    "ui.review_finding": UNUSUAL_TEST, "api.review_unusual_access": UNUSUAL_TEST,
    # opening one's own notice (its id is the notice's): the shown pseudonym's row asserted
    "ui.open_notification": NOTICE_TEST, "api.read_notification": NOTICE_TEST,
    # the client's own pages (issue 17): signed in through the local OpenID provider
    **{endpoint: CLIENT_PAGES_TEST for endpoint in (
        "oma.home", "oma.plan", "oma.tasks", "oma.task", "oma.consent", "oma.my_data",
        "oma.download", "oma.correction",
    )},
    # an awaited decision recorded from its worklist item (its own path, its row asserted)
    "api.record_decision": "tests/test_waits.py::test_the_api_records_a_decision_and_logs_it",
    # client feedback (issue 17 §4): aggregates; the free texts' reads logged per client
    "ui.feedback_page": "tests/test_client_feedback.py::"
    "test_the_report_over_real_paths_hides_small_groups_and_shows_texts_to_owners",
}  # fmt: skip


@dataclass
class World:
    app: Flask
    api: Api
    clock: FrozenClock
    path: int
    client: int
    task: str  # the open "arrange services" task, the case manager's
    aino: int  # the case manager's user id
    decision: int  # paths waiting for Kela's decision
    decision2: int
    admin_path: int  # a path whose case manager's account an administrator closes
    admin_task: str
    browsers: dict[str, FlaskClient]

    def fill(self, value: Any) -> Any:
        """Put the world's ids in a URL or a value: "{path}", "{client}", "{task}", "{aino}"."""
        if not isinstance(value, str) or "{" not in value:
            return value
        ids = {
            "path": self.path, "client": self.client, "task": self.task, "aino": self.aino,
            "decision": self.decision, "decision2": self.decision2,
            "admin_path": self.admin_path,
            "admin_task": self.admin_task,
        }  # fmt: skip
        if value.strip("{}") in ids and value.startswith("{") and value.endswith("}"):
            return ids[value.strip("{}")]
        return value.format(**ids)

    def browser(self, username: str) -> FlaskClient:
        if username not in self.browsers:
            browser = self.app.test_client()
            signed = browser.post("/login", data={"username": username, "password": PASSWORD})
            assert signed.status_code == 302, username
            self.browsers[username] = browser
        return self.browsers[username]


@pytest.fixture
def world(tmp_path: Any) -> Iterator[World]:
    clock = FrozenClock()
    app = make_app(f"sqlite:///{tmp_path / 'coverage.db'}", clock)
    ctx = app.extensions["polku"]
    extra = {"maija": ["manager"], "dora": ["process_designer"], "esa": ["physician"]}
    for username, roles in {**STAFF, **extra}.items():
        users.create_user(
            ctx.uow(), ctx.engine.roles, username=username, display_name=username.title(),
            password=PASSWORD, roles=roles,
        )  # fmt: skip
    users.create_user(ctx.uow(), ctx.engine.roles, username="admin", display_name="Admin",
                      password=PASSWORD, roles=[], is_admin=True)  # fmt: skip
    api = Api(app.test_client())

    def to_plan() -> tuple[int, str]:
        made = api.post("/clients", "kaisa", json={"full_name": f"Asiakas {len(api.tokens)}"})
        started = api.post("/instances", "kaisa",
                           json={"client": made.json["id"], "process": "national"})  # fmt: skip
        path = int(started.json["id"])
        for step in TO_PLAN:
            api.complete(DOERS[step], path, step)
        with ctx.uow() as uow:
            task = uow.session.scalar(
                select(HumanTask.id).where(HumanTask.instance_id == path, HumanTask.state == "open")
            )
        assert task is not None
        return path, task

    path, task = to_plan()
    decision, _ = to_plan()
    api.complete("aino", decision, "Task_arrange_services", awaits_external_decision=True)
    decision2, _ = to_plan()
    api.complete("aino", decision2, "Task_arrange_services", awaits_external_decision=True)
    admin_path, admin_task = to_plan()
    client = api.get(f"/instances/{path}", "kaisa").json["client_id"]
    aino = next(u.id for u in users.list_users(ctx.uow()) if u.username == "aino")
    clock.advance(days=40)  # the paths have stalled; people sign in afresh
    api.tokens.clear()
    yield World(
        app, api, clock, path, client, task, aino, decision, decision2, admin_path, admin_task,
        {},
    )  # fmt: skip
    ctx.db.dispose()


Call = Callable[[World], Any]


def ui(user: str, method: str, url: str, **data: Any) -> Call:
    def call(w: World) -> Any:
        form = {k: str(w.fill(v)) for k, v in data.items()}
        return w.browser(user).open(w.fill(url), method=method, data=form or None)

    return call


def api(user: str, method: str, url: str, **body: Any) -> Call:
    def call(w: World) -> Any:
        payload = {k: w.fill(v) for k, v in body.items()}
        return w.api.call(method, w.fill(url), user, json=payload if body else None)

    return call


def entry(user: str, method: str, suffix: str = "", **data: Any) -> Call:
    """A page of the first path's first entry (its encounter, kaisa's): `/tasks/<its task>`."""

    def call(w: World) -> Any:
        with w.app.extensions["polku"].uow() as uow:
            task = uow.session.scalar(select(FormSubmission.task_id).where(FormSubmission.id == 1))
        return w.browser(user).open(f"/tasks/{task}{suffix}", method=method, data=data or None)

    return call


# endpoint -> who does what; each must leave a row about the client
CLIENT_DATA: dict[str, Call] = {
    "ui.worklist": ui("aino", "GET", "/"),
    "ui.notifications_page": ui("aino", "GET", "/notifications"),
    "api.list_notifications": api("aino", "GET", "/notifications"),
    "ui.caseload_page": ui("aino", "GET", "/caseload"),
    "ui.team_page": ui("timo", "GET", "/team"),
    "ui.clients_page": ui("kaisa", "GET", "/clients"),
    "ui.client_page": ui("kaisa", "GET", "/clients/{client}"),
    "ui.plan_page": ui("aino", "GET", "/paths/{path}/plan"),
    "ui.path_diagram": ui("aino", "GET", "/paths/{path}/diagram.json"),
    "ui.task_page": ui("aino", "GET", "/tasks/{task}"),
    "ui.claim_task": ui("aino", "POST", "/tasks/{task}/claim"),
    "ui.release_task": ui("aino", "POST", "/tasks/{task}/release"),
    "ui.give_consent": ui("kaisa", "POST", "/clients/{client}/consent",
                          consent_scope="Hyvinvointialue ja Kela"),
    "ui.withdraw_consent": ui("kaisa", "POST", "/clients/{client}/consent/withdraw",
                              reason="Asiakas perui"),
    "ui.deliver_message": ui("kaisa", "POST", "/clients/{client}/paths/{decision}/messages",
                             message_name="kela_decision", decision="approved"),
    "ui.create_client": ui("kaisa", "POST", "/clients", full_name="Uusi Asiakas"),
    "ui.start_path": ui("kaisa", "POST", "/paths", client_id="{client}", process="national",
                        override_reason="Toinen polku toiselle alueelle"),
    "ui.open_emergency": ui("esa", "POST", "/paths/{path}/emergency",
                            reason="Asiakas soitti päivystykseen"),
    "ui.emergency_reviews": ui("maija", "GET", "/emergency-access"),
    "ui.review_emergency": ui("maija", "POST", "/emergency-access/1/review", note="Ok"),
    "ui.stalled_page": ui("maija", "GET", "/dashboard/stalled"),
    "ui.event_log_download": ui("maija", "GET", "/dashboard/event-log/download"),
    "ui.admin_person": ui("admin", "GET", "/admin/people/{aino}"),
    "ui.admin_hand_over": ui("admin", "POST",
                             "/admin/people/{aino}/tasks/{admin_task}/hand-over",
                             to_username="ari", reason="Suljettu"),
    "ui.admin_case_manager": ui("admin", "POST",
                                "/admin/people/{aino}/paths/{admin_path}/case-manager",
                                username="ari", reason="Suljettu"),
    "api.create_client": api("kaisa", "POST", "/clients", full_name="Toinen Asiakas"),
    "api.start_instance": api("kaisa", "POST", "/instances", client="{client}",
                              process="national", override_reason="Toinen polku"),
    "api.get_instance": api("aino", "GET", "/instances/{path}"),
    "api.search_clients": api("kaisa", "POST", "/clients/search", q="asiakas"),
    "ui.add_note": ui("aino", "POST", "/clients/{client}/paths/{path}/notes",
                      text="Soita iltapäivällä"),
    "api.add_note": api("aino", "POST", "/instances/{path}/notes", text="Soita iltapäivällä"),
    "api.list_notes": api("lauri", "GET", "/instances/{path}/notes"),
    # employment events on a path (issue 16 §2)
    "ui.record_employment": ui("aino", "POST", "/clients/{client}/paths/{path}/employment",
                               kind="study", started_on="2026-01-02"),
    "api.record_employment": api("aino", "POST", "/instances/{path}/employment",
                                 kind="work_trial", sector="city", started_on="2026-01-02"),
    "api.list_employment": api("lauri", "GET", "/instances/{path}/employment"),
    "api.list_submissions": api("aino", "GET", "/instances/{path}/submissions"),
    "api.list_plan_revisions": api("aino", "GET", "/instances/{path}/plan"),
    "api.instance_diagram": api("aino", "GET", "/instances/{path}/diagram"),
    "api.list_tasks": api("aino", "GET", "/tasks"),
    "api.get_task": api("aino", "GET", "/tasks/{task}"),
    "api.claim_task": api("aino", "POST", "/tasks/{task}/claim"),
    "api.release_task": api("aino", "POST", "/tasks/{task}/release"),
    "api.deliver_message": api("kaisa", "POST", "/instances/{decision2}/messages",
                               name="kela_decision", data={"decision": "approved"}),
    "api.open_emergency_access": api("esa", "POST", "/instances/{path}/emergency-access",
                                     reason="Asiakas soitti päivystykseen"),
    "api.list_emergency_access": api("maija", "GET", "/emergency-access"),
    "api.review_emergency_access": api("maija", "POST", "/emergency-access/2/review",
                                       note="Ok"),
    "api.stalled": api("maija", "GET", "/dashboard/stalled"),
    "api.event_log": api("maija", "GET", "/event-log"),
    "ui.access_report_page": ui("aino", "GET", "/clients/{client}/access-report"),
    "ui.access_report_csv": ui("aino", "GET", "/clients/{client}/access-report.csv"),
    "api.get_access_report": api("aino", "GET", "/clients/{client}/access-report"),
    "ui.client_export_page": ui("aino", "GET", "/clients/{client}/export"),
    "ui.client_export_json": ui("aino", "GET", "/clients/{client}/export.json"),
    "api.export_client": api("aino", "GET", "/clients/{client}/export"),
    "api.place_retention_hold": api("admin", "POST", "/clients/{client}/retention-hold",
                                    reason="Oikeudenkäynti kesken"),
    "api.lift_retention_hold": api("admin", "DELETE", "/clients/{client}/retention-hold"),
    # these move the main path's work last
    "ui.hand_over": ui("timo", "POST", "/tasks/{task}/hand-over", to_username="ari",
                       reason="Lomalla"),
    "ui.change_case_manager": ui("timo", "POST", "/clients/{client}/paths/{path}/case-manager",
                                 username="ari", reason="Vaihto"),
    "api.change_case_manager": api("timo", "POST", "/instances/{path}/case-manager",
                                   username="aino", reason="Takaisin"),
    "api.complete_task": api("ari", "POST", "/tasks/{task}/complete",
                             data=sample("Task_arrange_services")),
    # the decision paths now wait for their follow-up review; their case manager moves it
    "ui.reschedule_review": ui("aino", "POST", "/clients/{client}/paths/{decision}/review-date",
                               due="2030-06-03", reason="Asiakkaan toive"),
    "api.reschedule_review": api("aino", "POST", "/instances/{decision2}/review-date",
                                 due="2030-06-10", reason="Työkokeilu alkaa"),
    # reading the path, corrections (issue 14 §1-2): the first path's encounter
    "ui.correct_entry": entry("kaisa", "GET", "/correct"),
    "api.get_submission": api("aino", "GET", "/submissions/1"),
    "api.correct_submission": api("kaisa", "POST", "/submissions/1/corrections",
                                  data=sample("Task_encounter", notes="Korjattu"),
                                  reason="Kirjoitusvirhe"),
    "api.get_user": api("admin", "GET", "/users/{aino}"),
}  # fmt: skip


def test_every_route_is_classified(world: World) -> None:
    endpoints = {rule.endpoint for rule in world.app.url_map.iter_rules()}
    unknown = endpoints - NO_CLIENT_DATA - set(CLIENT_DATA) - set(TESTED_ELSEWHERE)
    assert not unknown, f"say whether these touch client data: {sorted(unknown)}"


def _rows_since(world: World, after: int) -> list[AccessLog]:
    with world.app.extensions["polku"].uow() as uow:
        found = list(uow.session.scalars(select(AccessLog).where(AccessLog.id > after)))
        uow.session.expunge_all()
        return found


def _last_id(world: World) -> int:
    with world.app.extensions["polku"].uow() as uow:
        return int(uow.session.scalar(select(func.max(AccessLog.id))) or 0)


def test_each_client_data_route_writes_its_row(world: World) -> None:
    def later(endpoint: str) -> bool:  # an administrator's hand-over of a closed account
        return endpoint.startswith("ui.admin_") or endpoint == "api.get_user"

    missing: list[str] = []
    for endpoint, call in CLIENT_DATA.items():
        if not later(endpoint):
            _check(world, endpoint, call, missing)
    world.api.call("PATCH", f"/users/{world.aino}", "admin", json={"active": False})
    for endpoint, call in CLIENT_DATA.items():
        if later(endpoint):
            _check(world, endpoint, call, missing)
    assert not missing, "\n".join(missing)


def _check(world: World, endpoint: str, call: Call, missing: list[str]) -> None:
    before = _last_id(world)
    response = call(world)
    rows = [r for r in _rows_since(world, before) if r.client_id is not None]
    if response.status_code >= 500:
        missing.append(f"{endpoint}: answered {response.status_code}")
    elif not rows:
        missing.append(f"{endpoint} ({response.status_code}): no row about a client")
    elif any(not r.basis or not r.session_ref for r in rows):
        missing.append(f"{endpoint}: a row without its basis or session")


def test_a_background_job_writes_its_row_too(world: World) -> None:
    world.api.complete("aino", world.path, "Task_arrange_services")
    world.clock.advance(days=31)
    before = _last_id(world)
    ctx = world.app.extensions["polku"]
    assert instances.fire_due_timers(ctx.uow, ctx.engine, world.clock) == 1
    [row] = [r for r in _rows_since(world, before) if r.client_id == world.client]
    assert (row.username, row.action) == ("system", "update")
    assert row.basis.startswith("background job") and row.detail
