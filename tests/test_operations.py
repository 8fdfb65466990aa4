"""What an operator relies on: configuration checked at start, demo accounts only in demo mode,
/healthz, /readyz, Prometheus /metrics, and log lines with a request id and no names."""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families

from engine.clock import FrozenClock
from engine.persistence import schema
from engine.services import instances, timer_worker
from engine.services.access import Actor
from engine.services.demo import TO_PLAN, sample
from web import ConfigError, create_app, logs
from web.cli import main
from web.config import flask_settings, server_settings


@pytest.fixture
def site(
    tmp_path: Path, clock: FrozenClock, template_database: tuple[Path, dict[str, Actor]]
) -> Iterator[Flask]:
    path = tmp_path / "ops.db"
    shutil.copyfile(template_database[0], path)
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_AUTO_UPGRADE": True,
            "DATABASE_URL": f"sqlite:///{path}",
            "CLOCK": clock,
            "SECRET_KEY": "ops",
            "WTF_CSRF_ENABLED": False,
        }
    )
    yield app
    app.extensions["polku"].db.dispose()


def metric_values(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    values = {}
    for family in text_string_to_metric_families(text):
        for sample_ in family.samples:
            values[(sample_.name, tuple(sorted(sample_.labels.items())))] = sample_.value
    return values


def value_of(text: str, name: str, **labels: str) -> float:
    values = metric_values(text)
    return values[(name, tuple(sorted(labels.items())))]


def test_health_and_readiness(site: Flask) -> None:
    client = site.test_client()
    assert client.get("/healthz").json == {"status": "alive"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json["checks"] == {"database": "ok", "schema": "ok", "models": "ok"}

    # a schema behind the code (someone downgraded under a running server): not ready
    assert schema.downgrade(site.extensions["polku"].db, schema.BASELINE) == schema.BASELINE
    behind = client.get("/readyz")
    assert behind.status_code == 503
    assert behind.headers["Retry-After"].isdigit()
    assert behind.content_type == "application/problem+json"
    assert f"needs {schema.head_revision()}" in behind.json["detail"]
    assert client.get("/healthz").status_code == 200


def test_metrics_report_requests_commands_work_and_timers(
    site: Flask, clock: FrozenClock, template_database: tuple[Path, dict[str, Actor]]
) -> None:
    ctx = site.extensions["polku"]
    actors = template_database[1]
    client = site.test_client()
    client.get("/healthz")
    from engine.services import clients

    client_id = clients.create_client(ctx.uow(), clock, actors["kaisa"], full_name="Testi")
    instance = instances.start_instance(
        ctx.uow(), ctx.engine, clock, actors["kaisa"], client_id, "national", "hva-pohjois-savo"
    )
    before = client.get("/metrics").text
    completed_before = metric_values(before).get(
        ("polku_command_seconds_count", (("kind", "complete_task"), ("outcome", "ok"))), 0.0
    )
    from sqlalchemy import select

    from engine.persistence.tables import HumanTask

    with ctx.uow() as uow:
        task = uow.session.scalar(
            select(HumanTask).where(HumanTask.instance_id == instance, HumanTask.state == "open")
        )
    assert task is not None
    instances.complete_task(
        ctx.uow(), ctx.engine, clock, actors["kaisa"], task.id, sample(task.bpmn_id)
    )
    page = client.get("/metrics")
    assert page.status_code == 200 and page.content_type.startswith("text/plain")
    text = page.text
    assert (
        value_of(text, "polku_command_seconds_count", kind="complete_task", outcome="ok")
        == completed_before + 1
    )
    assert (
        value_of(
            text,
            "polku_http_request_seconds_count",
            endpoint="operations.healthz",
            method="GET",
            status="200",
        )
        >= 1
    )
    with ctx.uow() as uow:
        open_now = len(
            list(uow.session.scalars(select(HumanTask).where(HumanTask.state == "open")))
        )
    assert value_of(text, "polku_open_tasks") == open_now
    assert value_of(text, "polku_database_up") == 1
    assert value_of(text, "polku_timer_lag_seconds") == 0

    # walk the path to the 30-day follow-up timer, then let Polku's clock pass its due time
    from tests.conftest import Services

    services = Services(ctx.engine, clock, ctx.session_factory, actors)
    services.walk(
        instance,
        "Task_initial_interview",
        "Task_physician_assessment",
        "Task_functional_assessment",
        "Task_social_assessment",
        "Task_support_plan",
        "Task_arrange_services",
    )
    clock.advance(days=31)
    lagging = client.get("/metrics").text
    assert value_of(lagging, "polku_due_timers") == 1
    assert value_of(lagging, "polku_timer_lag_seconds") == pytest.approx(
        timedelta(days=1).total_seconds(), abs=3600
    )
    assert value_of(lagging, "polku_overdue_tasks") >= 0

    # one worker round fires it, leaves a heartbeat, and the lag is gone
    stop = _StopAfterOneRound()
    timer_worker.run(ctx.uow, ctx.engine, clock, stop, 0.01, name="test-worker")  # type: ignore[arg-type]
    after = client.get("/metrics").text
    assert value_of(after, "polku_timer_lag_seconds") == 0
    assert value_of(after, "polku_due_timers") == 0
    # the worker signed off when it stopped cleanly: no heartbeat left to go stale
    assert ("polku_worker_heartbeat_age_seconds", (("worker", "test-worker"),)) not in (
        metric_values(after)
    )


class _StopAfterOneRound:
    """A stop event that lets the worker run one round and records its heartbeat."""

    def __init__(self) -> None:
        self.rounds = 0

    def is_set(self) -> bool:
        return self.rounds >= 1

    def wait(self, _seconds: float) -> bool:
        self.rounds += 1
        return True


def test_metrics_can_require_a_token(site: Flask) -> None:
    site.config["METRICS_TOKEN"] = "s3cret"
    client = site.test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer s3cret"}).status_code == 200


def test_log_lines_carry_a_request_id_and_no_names(
    site: Flask, capsys: pytest.CaptureFixture[str]
) -> None:
    root = logging.getLogger("polku")
    saved = list(root.handlers), getattr(root, "_polku_configured", False)
    root.handlers.clear()
    root._polku_configured = False  # type: ignore[attr-defined]
    try:
        logs.configure({"LOG_FORMAT": "json", "LOG_LEVEL": "INFO"})
        client = site.test_client()
        answer = client.get(
            "/healthz?client=Matti+Meik%C3%A4l%C3%A4inen&hetu=010101-123N",
            headers={"X-Request-ID": "trace-12345678"},
        )
        assert answer.headers["X-Request-ID"] == "trace-12345678"
        fresh = client.get("/healthz")
        assert len(fresh.headers["X-Request-ID"]) == 32
    finally:
        root.handlers[:] = saved[0]
        root._polku_configured = saved[1]  # type: ignore[attr-defined]
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    first = next(line for line in lines if line.get("request_id") == "trace-12345678")
    assert first["path"] == "/healthz" and first["status"] == 200
    assert first["endpoint"] == "operations.healthz" and "duration_ms" in first
    text = json.dumps(lines, ensure_ascii=False)
    assert "Meikäläinen" not in text and "Meik" not in text and "010101" not in text


# ---------------------------------------------------------------- configuration


def test_the_environment_is_checked_and_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="POLKU_DEMO must be 1 or 0"):
        flask_settings({"POLKU_DEMO": "maybe"})
    with pytest.raises(ConfigError, match="POLKU_WEB_WORKERS must be a whole number"):
        server_settings({"POLKU_WEB_WORKERS": "many"})
    with pytest.raises(ConfigError, match="POLKU_LOG_LEVEL must be one of"):
        flask_settings({"POLKU_LOG_LEVEL": "loud"})
    with pytest.raises(ConfigError, match="POLKU_BASE_URL must start with https://"):
        flask_settings({"POLKU_BASE_URL": "polku.example.fi"})
    with pytest.raises(ConfigError, match="POLKU_OIDC_CLIENT_ID"):
        flask_settings({"POLKU_OIDC_ISSUER": "https://login.example.fi"})
    https = flask_settings({"POLKU_BASE_URL": "https://polku.example.fi/"})
    assert https["SESSION_COOKIE_SECURE"] is True and https["PREFERRED_URL_SCHEME"] == "https"
    assert https["PUBLIC_BASE_URL"] == "https://polku.example.fi"

    config_file = tmp_path / "polku.env"
    config_file.write_text("# Polku\nPOLKU_WEB_WORKERS=3\nPOLKU_TIMER_WORKERS = 2\n")
    settings = server_settings({"POLKU_CONFIG_FILE": str(config_file), "POLKU_TIMER_WORKERS": "4"})
    assert settings["web_workers"] == 3 and settings["timer_workers"] == 4  # the environment wins
    config_file.write_text("WORKERS=3\n")
    with pytest.raises(ConfigError, match="line 1: expected POLKU_NAME=value"):
        server_settings({"POLKU_CONFIG_FILE": str(config_file)})


def test_a_secret_key_is_required_outside_demo_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("POLKU_SECRET_KEY", raising=False)
    monkeypatch.delenv("POLKU_DEMO", raising=False)
    url = f"sqlite:///{tmp_path / 'p.db'}"
    with pytest.raises(ConfigError, match="POLKU_SECRET_KEY is required outside demo mode"):
        create_app({"DATABASE_URL": url, "DATABASE_AUTO_UPGRADE": True})


def test_demo_accounts_exist_only_in_demo_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    monkeypatch.setenv("POLKU_DATABASE_URL", url)
    monkeypatch.setenv("POLKU_SECRET_KEY", "production-secret")
    monkeypatch.delenv("POLKU_DEMO", raising=False)
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    refused = runner.invoke(main, ["seed-demo"])
    assert refused.exit_code != 0 and "only in demo mode (POLKU_DEMO=1)" in refused.output

    monkeypatch.setenv("POLKU_DEMO", "1")
    assert runner.invoke(main, ["seed-demo"]).exit_code == 0
    monkeypatch.delenv("POLKU_DEMO")
    with pytest.raises(ConfigError, match=r"active demo account.*polku demo close-accounts"):
        create_app()

    closed = runner.invoke(main, ["demo", "close-accounts"])
    assert closed.exit_code == 0 and "koordinaattori" in closed.output
    app = create_app()  # starts now; the closed accounts cannot sign in
    answer = app.test_client().post(
        "/api/v1/tokens", json={"username": "koordinaattori", "password": "polku-demo"}
    )
    assert answer.status_code == 401
    app.extensions["polku"].db.dispose()


def test_serve_refuses_a_database_behind_the_code_before_starting_anything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLKU_DATABASE_URL", f"sqlite:///{tmp_path / 'old.db'}")
    monkeypatch.setenv("POLKU_DEMO", "1")
    result = CliRunner().invoke(main, ["serve", "--port", "1"])
    assert result.exit_code == 1
    assert "run `polku db upgrade` first" in result.output


def test_empty_settings_mean_the_default_and_comments_are_not_values(tmp_path: Path) -> None:
    settings = flask_settings({"POLKU_SECURE_COOKIES": "", "POLKU_DEMO": ""})
    assert settings["SESSION_COOKIE_SECURE"] is True  # not demo mode: Secure by default
    assert flask_settings({"POLKU_DEMO": "1"})["SESSION_COOKIE_SECURE"] is False
    config_file = tmp_path / "polku.env"
    config_file.write_text("POLKU_DATABASE_URL=postgresql+psycopg://polku@db/polku  # primary\n")
    with pytest.raises(ConfigError, match="line 1: a comment must be on a line of its own"):
        flask_settings({"POLKU_CONFIG_FILE": str(config_file)})
    config_file.write_text('POLKU_SECRET_KEY=\'ab#"c\'\nPOLKU_BASE_URL="https://p.fi"\n')
    quoted = flask_settings({"POLKU_CONFIG_FILE": str(config_file)})
    assert quoted["SECRET_KEY"] == 'ab#"c' and quoted["PUBLIC_BASE_URL"] == "https://p.fi"


def test_made_up_methods_do_not_add_metric_series(site: Flask) -> None:
    client = site.test_client()
    for method in ("ZZZA", "ZZZB", "ZZZC"):
        client.open("/healthz", method=method)
    text = client.get("/metrics").text
    assert "ZZZ" not in text
    assert 'method="other"' in text


def test_database_errors_never_carry_the_values_into_logs(tmp_path: Path) -> None:
    from sqlalchemy import text as sql

    from engine.persistence.database import make_engine

    database = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with database.begin() as connection:
        connection.execute(sql("CREATE TABLE t (code TEXT UNIQUE)"))
        connection.execute(sql("INSERT INTO t VALUES (:c)"), {"c": "131052-308T"})
    with pytest.raises(Exception) as raised, database.begin() as connection:
        connection.execute(sql("INSERT INTO t VALUES (:c)"), {"c": "131052-308T"})
    assert "131052-308T" not in str(raised.value)
    database.dispose()


TO_FOLLOW_UP = (*TO_PLAN, "Task_arrange_services")


def test_one_broken_timer_does_not_hold_up_the_others(
    site: Flask, clock: FrozenClock, template_database: tuple[Path, dict[str, Actor]]
) -> None:
    from sqlalchemy import func, select, update

    from engine.persistence.tables import Event, ProcessInstance
    from tests.conftest import Services

    ctx = site.extensions["polku"]
    services = Services(ctx.engine, clock, ctx.session_factory, template_database[1])
    paths = [services.start() for _ in range(2)]
    for path in paths:
        services.walk(path, *TO_FOLLOW_UP)
    with ctx.uow() as uow:  # the first path's stored state is damaged
        uow.session.execute(
            update(ProcessInstance).where(ProcessInstance.id == paths[0]).values(state="{")
        )
        uow.commit()
    clock.advance(days=31)
    assert instances.fire_due_timers(ctx.uow, ctx.engine, clock) == 1
    with ctx.uow() as uow:
        fired = dict(
            uow.session.execute(
                select(Event.instance_id, func.count(Event.id))
                .where(Event.kind == "timer_fired")
                .group_by(Event.instance_id)
            ).all()
        )
    assert fired == {paths[1]: 1}  # the second fired although the first is older and broken
