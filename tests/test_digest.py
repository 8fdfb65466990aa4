"""The daily e-mail digest (issue 14 §4) against a real SMTP server (aiosmtpd on a free port):
received, in the person's language, with pseudonyms and links and never a client's name or
identity code; the off switch; once a day; an SMTP server that is down is tried again next
round and the timer worker keeps going."""

from __future__ import annotations

import logging
import re
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner
from sqlalchemy import select, update

from engine.persistence.tables import AccessLog, Client, HumanTask, User
from engine.services import clients, instances, timer_worker
from engine.services.demo import TO_PLAN
from engine.services.digest import DigestSettings, send_digests
from engine.services.notification_jobs import NotificationRounds
from tests.conftest import PASSWORD, Services

NAME, CODE = "Ulla Uniikki", "131052-308T"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def settings(port: int, **more: Any) -> DigestSettings:
    values: dict[str, Any] = {
        "smtp_host": "127.0.0.1", "smtp_port": port, "mail_from": "polku@example.fi",
        "base_url": "https://polku.example.fi", "digest_hour": 0, "timeout": 5.0,
    }  # fmt: skip
    return DigestSettings(**{**values, **more})


def _email(services: Services, username: str, address: str | None, **more: Any) -> None:
    with services.uow() as uow:
        uow.session.execute(
            update(User).where(User.username == username).values(email=address, **more)
        )
        uow.commit()


def _path_with_named_client(services: Services) -> int:
    client = clients.create_client(
        services.uow(), services.clock, services.actors["kaisa"], full_name=NAME,
        identity_code=CODE,
    )  # fmt: skip
    path = instances.start_instance(
        services.uow(), services.engine, services.clock, services.actors["kaisa"], client,
        "national", "hva-pohjois-savo",
    )  # fmt: skip
    services.walk(path, *TO_PLAN)
    return path


def _body(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def _readable(message: EmailMessage) -> str:
    """All a reader of the e-mail sees: its headers and every text part, decoded.
    (`as_string()` gives a non-ASCII body base64-encoded: no name would ever be found in it.)"""
    shown = [f"{name}: {value}" for name, value in message.items()]
    shown += [str(p.get_content()) for p in message.walk() if p.get_content_maintype() == "text"]
    return "\n".join(shown)


def test_the_digest_arrives_with_pseudonyms_and_links_and_no_names(
    services: Services, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    path = _path_with_named_client(services)
    task = services.open_task(path, "Task_arrange_services")
    with services.uow() as uow:  # due tomorrow
        uow.session.execute(
            update(HumanTask)
            .where(HumanTask.id == task.id)
            .values(due_at=services.clock() + timedelta(days=1))
        )
        uow.commit()
    _email(services, "aino", "aino@example.fi")
    assert send_digests(services.uow, services.clock, settings(port)) == 1
    [message] = inbox.messages
    body = _body(message)
    assert message["To"] == "aino@example.fi" and message["From"] == "polku@example.fi"
    assert message["Subject"].startswith("Polku – päivän kooste: 1 uutta")
    assert "Uusi työ (1)" in body and task.name in body
    assert f"https://polku.example.fi/tasks/{task.id}" in body
    with services.uow() as uow:
        rows = list(uow.session.scalars(select(AccessLog).where(AccessLog.resource == "digest")))
        pseudonym = uow.session.scalar(select(Client.pseudonym).where(Client.id == task.client_id))
    # one disclosure logged for the one client the e-mail names, saying what it showed
    assert [(r.action, r.username, r.client_id, r.instance_id, r.detail) for r in rows] == [
        ("disclose", "aino", task.client_id, path, "pseudonym and step in the digest")
    ]
    # the client by pseudonym only: not in the body, a header or a link
    whole = _readable(message)
    assert NAME not in whole and "Uniikki" not in whole and CODE not in whole
    assert f"asiakas {pseudonym}" in body
    links = set(re.findall(r"https://\S+", body))  # the task and the settings, no client page
    base = "https://polku.example.fi"
    assert links == {f"{base}/tasks/{task.id}", f"{base}/settings"}, links
    # once a day: a second round sends nothing more
    assert send_digests(services.uow, services.clock, settings(port)) == 0
    assert len(inbox.messages) == 1


def test_the_digest_is_in_the_persons_language_and_can_be_turned_off(
    services: Services, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    _path_with_named_client(services)
    # off: nothing is sent, though aino has new work to report
    _email(services, "aino", "aino@example.fi", language="sv", email_digest=False)
    assert send_digests(services.uow, services.clock, settings(port)) == 0
    assert inbox.messages == []
    _email(services, "aino", "aino@example.fi", email_digest=True)
    assert send_digests(services.uow, services.clock, settings(port)) == 1
    [message] = inbox.messages
    assert message["To"] == "aino@example.fi"
    assert message["Subject"].startswith("Polku – dagens sammandrag")
    assert "Nytt arbete" in _body(message)
    assert "Ordnande av tjänster" in _body(message)  # the step in Swedish too


def test_nothing_to_report_sends_nothing_and_the_hour_is_waited_for(
    services: Services, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    _email(services, "ari", "ari@example.fi")  # no work at all
    assert send_digests(services.uow, services.clock, settings(port)) == 0
    assert inbox.messages == []
    _path_with_named_client(services)
    _email(services, "aino", "aino@example.fi")
    services.clock.now = datetime(2026, 12, 3, 4, 0, tzinfo=UTC)  # 06:00 in Finland
    assert send_digests(services.uow, services.clock, settings(port, digest_hour=7)) == 0
    forced = send_digests(services.uow, services.clock, settings(port, digest_hour=7), force=True)
    assert forced == 1
    assert len(inbox.messages) == 1


def test_no_smtp_host_no_email(services: Services) -> None:
    _path_with_named_client(services)
    _email(services, "aino", "aino@example.fi")
    assert send_digests(services.uow, services.clock, DigestSettings()) == 0
    with services.uow() as uow:
        sent = uow.session.scalar(select(User.digest_sent_at).where(User.username == "aino"))
    assert sent is None


def test_smtp_down_is_retried_and_the_worker_keeps_going(
    services: Services, smtp: tuple[Inbox, int], caplog: pytest.LogCaptureFixture
) -> None:
    inbox, port = smtp
    _path_with_named_client(services)
    _email(services, "aino", "aino@example.fi")
    down = settings(free_port())
    caplog.set_level(logging.WARNING)
    assert send_digests(services.uow, services.clock, down) == 0
    assert "was not sent" in caplog.text and NAME not in caplog.text and CODE not in caplog.text
    with services.uow() as uow:
        sent = uow.session.scalar(select(User.digest_sent_at).where(User.username == "aino"))
    assert sent is None  # nothing kept: tried again next round
    # the worker runs its rounds with the server down and stays alive
    stop = threading.Event()
    rounds = NotificationRounds(services.uow, services.clock, down)
    worker = threading.Thread(
        target=timer_worker.run,
        args=(services.uow, services.engine, services.clock, stop, 0.05),
        kwargs={"name": "test-worker", "after_round": rounds},
    )
    worker.start()
    time.sleep(0.5)
    assert worker.is_alive()
    stop.set()
    worker.join(timeout=10)
    assert rounds.timed_at is not None and rounds.digests_at is not None  # it did run
    # the server is back: the next round sends it
    assert send_digests(services.uow, services.clock, settings(port)) == 1
    assert len(inbox.messages) == 1


def test_the_command_sends_now(tmp_path: Path, smtp: tuple[Inbox, int]) -> None:
    from engine.clock import FrozenClock
    from engine.services import users
    from tests.test_api import Api, make_app
    from web.cli import main

    inbox, port = smtp
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    app = make_app(url, FrozenClock())
    ctx = app.extensions["polku"]
    for username, roles in {"kaisa": ["work_ability_coordinator"], "lauri": ["physician"]}.items():
        users.create_user(
            ctx.uow(), ctx.engine.roles, username=username, display_name=username.title(),
            password=PASSWORD, roles=roles,
        )  # fmt: skip
    api = Api(app.test_client())
    path = api.start_path()
    for step in ("Task_encounter", "Task_initial_interview"):
        api.complete("kaisa", path, step)
    with ctx.uow() as uow:
        uow.session.execute(
            update(User).where(User.username == "lauri").values(email="lauri@example.fi")
        )
        uow.commit()
    ctx.db.dispose()
    env = {
        "POLKU_DATABASE_URL": url, "POLKU_SECRET_KEY": "x" * 32, "POLKU_SMTP_HOST": "127.0.0.1",
        "POLKU_SMTP_PORT": str(port), "POLKU_MAIL_FROM": "polku@example.fi",
        "POLKU_BASE_URL": "https://polku.example.fi",
    }  # fmt: skip
    result = CliRunner().invoke(main, ["notifications", "send-digests"], env=env)
    assert result.exit_code == 0, result.output
    assert "1 digest(s) sent" in result.output
    [message] = inbox.messages
    assert "Mehiläinen" not in _readable(message) and CODE not in _readable(message)
    assert "https://polku.example.fi/tasks/" in _body(message)


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({"POLKU_SMTP_SECURITY": "tls"}, "POLKU_SMTP_SECURITY"),
        ({"POLKU_DIGEST_HOUR": "24"}, "POLKU_DIGEST_HOUR"),
        ({"POLKU_SMTP_HOST": "mail.example.fi"}, "POLKU_MAIL_FROM"),
        ({"POLKU_SMTP_USERNAME": "polku"}, "POLKU_SMTP_PASSWORD"),
        ({"POLKU_QUIET_DAYS": "0"}, "POLKU_QUIET_DAYS"),
    ],
)
def test_wrong_settings_stop_the_start(env: dict[str, str], problem: str) -> None:
    from web.config import ConfigError, flask_settings

    with pytest.raises(ConfigError, match=problem):
        flask_settings(env)


def test_settings_defaults() -> None:
    from web.cli_notifications import digest_settings
    from web.config import flask_settings

    made = digest_settings(flask_settings({"POLKU_SMTP_SECURITY": "starttls"}))
    assert (made.smtp_host, made.smtp_port, made.digest_hour, made.quiet_days) == (
        None, 587, 7, 10,
    )  # fmt: skip
    assert not made.sends_mail


def test_the_jobs_and_the_digest_on_each_database(
    database_url: str, smtp: tuple[Inbox, int]
) -> None:
    """The timed notices' INSERT … SELECT, the claim and the digest on SQLite and PostgreSQL."""
    from engine.clock import FrozenClock
    from engine.services import notification_jobs, notifications, users
    from engine.services.access import Actor
    from tests.conftest import STAFF
    from tests.test_api import Api, make_app

    inbox, port = smtp
    clock = FrozenClock()
    app = make_app(database_url, clock)
    ctx = app.extensions["polku"]
    try:
        for username, roles in STAFF.items():
            users.create_user(
                ctx.uow(), ctx.engine.roles, username=username, display_name=username.title(),
                password=PASSWORD, roles=roles,
            )  # fmt: skip
        api = Api(app.test_client())
        path = api.start_path()
        for step in TO_PLAN:
            api.complete(
                {"Task_physician_assessment": "lauri", "Task_functional_assessment": "fanni",
                 "Task_social_assessment": "sanna", "Task_support_plan": "timo"}.get(step, "kaisa"),
                path, step,
            )  # fmt: skip
        with ctx.uow() as uow:
            uow.session.execute(
                update(HumanTask)
                .where(HumanTask.instance_id == path, HumanTask.state == "open")
                .values(due_at=clock() - timedelta(hours=1))
            )
            uow.session.execute(
                update(User).where(User.username == "aino").values(email="aino@example.fi")
            )
            uow.commit()
        for _ in range(2):  # again: nothing new, nothing fails
            notification_jobs.timed_notices(ctx.uow(), ctx.clock, 10)
        aino = next(u for u in users.list_users(ctx.uow()) if u.username == "aino")
        kinds = [n.kind for n in notifications.list_notices(ctx.uow(), clock,
                                                            Actor.from_user(aino))]  # fmt: skip
        assert sorted(kinds) == ["task_assigned", "task_overdue"]
        assert send_digests(ctx.uow, clock, settings(port)) == 1
        assert send_digests(ctx.uow, clock, settings(port)) == 0
        [message] = inbox.messages
        assert "Myöhässä (1)" in _body(message) and "Mehiläinen" not in _readable(message)
    finally:
        ctx.db.dispose()
