"""The daily e-mail digest (issue 14 §4): once a day per person, their new work since the last
digest, what is due tomorrow and what is overdue, sent over SMTP in the person's language.

Only pseudonyms, step names, due dates and links go into an e-mail: never a client's name or
identity code. Each client named in a sent digest is logged as a disclosure (resource
`digest`) in the same transaction that marks the digest sent, so a failed send leaves
neither and is tried again next round. Nothing to report: no e-mail. No SMTP host: no
e-mails at all (the in-app notices still work)."""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from typing import Protocol

from sqlalchemy import ColumnElement, and_, func, or_, select, update

from engine.analytics import workdays
from engine.analytics.workdays import FINLAND
from engine.clock import Clock
from engine.persistence.daily_work import Notification
from engine.persistence.tables import Client, HumanTask, ProcessInstance, User
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import access
from engine.services import notifications as n
from engine.services.model_texts import Translator
from engine.workflow.model_texts import TRANSLATED

log = logging.getLogger("polku.digest")
LINES = 20  # lines per section; the rest are counted and linked
RESOURCE = "digest"
BASIS = "daily digest of own work, by e-mail"
SECURITY = ("none", "starttls", "ssl")


@dataclass(frozen=True)
class DigestSettings:
    """The operator's settings (web/config.py reads them from POLKU_SMTP_* and the rest)."""

    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_security: str = "none"  # none | starttls | ssl
    mail_from: str = "polku@localhost"
    base_url: str = "http://localhost:5000"
    digest_hour: int = 7  # Finnish time
    quiet_days: int = 10  # working days without events before a caseload notice
    timeout: float = 10.0

    @property
    def sends_mail(self) -> bool:
        return bool(self.smtp_host)


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None: ...


class SmtpMailer:
    """One SMTP connection per e-mail (a digest a day per person: no pool needed)."""

    def __init__(self, settings: DigestSettings) -> None:
        self.settings = settings

    def send(self, message: EmailMessage) -> None:
        s = self.settings
        assert s.smtp_host
        smtp: smtplib.SMTP
        if s.smtp_security == "ssl":
            smtp = smtplib.SMTP_SSL(
                s.smtp_host, s.smtp_port, timeout=s.timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.timeout)
        with smtp:
            if s.smtp_security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if s.smtp_username:
                smtp.login(s.smtp_username, s.smtp_password or "")
            smtp.send_message(message)


@dataclass
class DigestLine:
    task_id: str
    step: str
    pseudonym: str
    due_at: datetime | None
    client_id: int
    instance_id: int


@dataclass
class Digest:
    user_id: int
    email: str
    language: str
    new: list[DigestLine] = field(default_factory=list)
    due_soon: list[DigestLine] = field(default_factory=list)
    overdue: list[DigestLine] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    notice_ids: list[int] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any(self.counts.values())


TEXTS: dict[str, dict[str, str]] = {
    "fi": {
        "subject": "Polku – päivän kooste: {new} uutta, {due} erääntyy huomenna, {overdue} "
        "myöhässä",
        "hello": "Hei,\n\ntässä työsi Polussa.",
        "new": "Uusi työ ({count})",
        "due": "Erääntyy huomenna ({count})",
        "overdue": "Myöhässä ({count})",
        "line": "{step} – asiakas {pseudonym}",
        "line_due": "{step} – asiakas {pseudonym} – eräpäivä {due}",
        "more": "… ja {count} muuta: {url}",
        "footer": "Tämä on Polun päivittäinen kooste. Sen voi lopettaa asetuksista: {url}",
    },
    "sv": {
        "subject": "Polku – dagens sammandrag: {new} nya, {due} förfaller i morgon, {overdue} "
        "försenade",
        "hello": "Hej,\n\nhär är ditt arbete i Polku.",
        "new": "Nytt arbete ({count})",
        "due": "Förfaller i morgon ({count})",
        "overdue": "Försenat ({count})",
        "line": "{step} – klient {pseudonym}",
        "line_due": "{step} – klient {pseudonym} – förfaller {due}",
        "more": "… och {count} till: {url}",
        "footer": "Det här är Polkus dagliga sammandrag. Du kan stänga av det i "
        "inställningarna: {url}",
    },
    "en": {
        "subject": "Polku – your daily digest: {new} new, {due} due tomorrow, {overdue} overdue",
        "hello": "Hello,\n\nhere is your work in Polku.",
        "new": "New work ({count})",
        "due": "Due tomorrow ({count})",
        "overdue": "Overdue ({count})",
        "line": "{step} – client {pseudonym}",
        "line_due": "{step} – client {pseudonym} – due {due}",
        "more": "… and {count} more: {url}",
        "footer": "This is Polku's daily digest. You can turn it off in your settings: {url}",
    },
}


def _short_date(value: datetime) -> str:
    local = value.astimezone(FINLAND)
    return f"{local.day}.{local.month}."


def _task_lines(
    uow: UnitOfWork, actor: access.Actor, *where: ColumnElement[bool]
) -> tuple[list[DigestLine], int]:
    """The actor's open worklist tasks `where` names (the policy's condition): the first
    LINES, soonest due first, and how many there are."""
    condition = and_(HumanTask.state == "open", access.task_list_condition(actor), *where)
    total = int(uow.session.scalar(select(func.count()).where(condition)) or 0)
    rows = uow.session.execute(
        select(HumanTask.id, HumanTask.name, Client.pseudonym, HumanTask.due_at, Client.id,
               HumanTask.instance_id)
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .join(Client, Client.id == ProcessInstance.client_id)
        .where(condition)
        .order_by(HumanTask.due_at, HumanTask.id)
        .limit(LINES)
    ).all()  # fmt: skip
    return [DigestLine(*row) for row in rows], total


def build(uow: UnitOfWork, actor: access.Actor, user: User, now: datetime) -> Digest:
    """What the person's digest says now (reads; writes nothing)."""
    assert user.email
    digest = Digest(user.id, user.email, user.language or "fi")
    new = n.notices_where(
        uow, actor, now, Notification.kind.in_(n.NEW_WORK), Notification.emailed_at.is_(None),
        limit=n.MAX_LIMIT,
    )  # fmt: skip
    digest.notice_ids = [x.id for x in new]
    digest.new = [
        DigestLine(x.task_id, x.task_name or "", x.client_pseudonym or "", x.due_at,
                   x.client_id, x.instance_id)
        for x in new[:LINES]
        if x.task_id and x.client_id is not None and x.instance_id is not None
    ]  # fmt: skip
    tomorrow, after = workdays.tomorrow(now)
    digest.due_soon, due = _task_lines(
        uow, actor, HumanTask.due_at >= tomorrow, HumanTask.due_at < after
    )
    digest.overdue, overdue = _task_lines(uow, actor, HumanTask.due_at < now)
    digest.counts = {"new": len(new), "due": due, "overdue": overdue}
    _translate_steps(uow, digest)
    return digest


def _translate_steps(uow: UnitOfWork, digest: Digest) -> None:
    """The steps' names in the person's language (the stored names are the models' Finnish)."""
    lines = [*digest.new, *digest.due_soon, *digest.overdue]
    if not lines or digest.language not in TRANSLATED:
        return
    rows = uow.session.execute(
        select(ProcessInstance.id, ProcessInstance.model_version_id).where(
            ProcessInstance.id.in_({line.instance_id for line in lines})
        )
    )
    versions: dict[int, int] = {row[0]: row[1] for row in rows}
    translator = Translator(uow)
    for line in lines:
        line.step = translator.text(versions.get(line.instance_id), line.step, digest.language)


def render(digest: Digest, settings: DigestSettings) -> EmailMessage:
    """The e-mail, in the person's language: counts, lines and links, no client's name."""
    texts = TEXTS.get(digest.language, TEXTS["fi"])
    base = settings.base_url.rstrip("/")
    body = [texts["hello"], ""]
    sections = (("new", digest.new), ("due", digest.due_soon), ("overdue", digest.overdue))
    for key, lines in sections:
        count = digest.counts.get(key, 0)
        if not count:
            continue
        body += [texts[key].format(count=count), ""]
        for line in lines:
            template = texts["line_due"] if line.due_at else texts["line"]
            due = _short_date(line.due_at) if line.due_at else ""
            body.append("- " + template.format(step=line.step, pseudonym=line.pseudonym, due=due))
            body.append(f"  {base}/tasks/{line.task_id}")
        if count > len(lines):
            url = f"{base}/notifications" if key == "new" else f"{base}/"
            body.append(texts["more"].format(count=count - len(lines), url=url))
        body.append("")
    body += ["--", texts["footer"].format(url=f"{base}/settings")]
    message = EmailMessage()
    message["Subject"] = texts["subject"].format(
        new=digest.counts.get("new", 0),
        due=digest.counts.get("due", 0),
        overdue=digest.counts.get("overdue", 0),
    )
    message["From"] = settings.mail_from
    message["To"] = digest.email
    message["Auto-Submitted"] = "auto-generated"
    message.set_content("\n".join(body))
    return message


def _not_sent_today(now: datetime) -> ColumnElement[bool]:
    midnight = workdays.day_start(now.astimezone(FINLAND).date())
    return and_(
        User.active.is_(True),
        User.email.is_not(None),
        User.email_digest.is_(True),
        or_(User.digest_sent_at.is_(None), User.digest_sent_at < midnight),
    )


def due_people(uow: UnitOfWork, now: datetime, settings: DigestSettings, force: bool) -> list[int]:
    """Who gets a digest now: an address, the digest on, none sent today, and the digest hour
    (Finnish time) passed, unless `force`."""
    local = now.astimezone(FINLAND)
    if not force and local.hour < settings.digest_hour:
        return []
    with uow:
        return list(
            uow.session.scalars(select(User.id).where(_not_sent_today(now)).order_by(User.id))
        )


def _send_one(
    uow: UnitOfWork, now: datetime, settings: DigestSettings, mailer: Mailer, user_id: int
) -> bool:
    with uow:
        claimed = uow.session.execute(
            update(User)
            .where(User.id == user_id, _not_sent_today(now))
            .values(digest_sent_at=now)
            .execution_options(synchronize_session=False)
        )
        if not getattr(claimed, "rowcount", 0):
            return False  # sent meanwhile (another worker) or turned off
        user = uow.session.get(User, user_id)
        assert user is not None
        actor = access.Actor.from_user(user)
        digest = build(uow, actor, user, now)
        if digest.empty:
            uow.commit()  # nothing to report today: no e-mail
            return False
        message = render(digest, settings)
        if digest.notice_ids:
            uow.session.execute(
                update(Notification)
                .where(Notification.id.in_(digest.notice_ids))
                .values(emailed_at=now)
            )
        shown = {
            (line.client_id, line.instance_id)
            for line in digest.new + digest.due_soon + digest.overdue
        }
        for client_id, instance_id in sorted(shown):
            access.log(
                uow, now, actor, "disclose", RESOURCE, client_id=client_id,
                instance_id=instance_id, basis=BASIS, detail="pseudonym and step in the digest",
            )  # fmt: skip
        mailer.send(message)  # fails: nothing above is kept, tried again next round
        uow.commit()
        return True


def send_digests(
    uow_factory: Callable[[], UnitOfWork],
    clock: Clock,
    settings: DigestSettings,
    mailer: Mailer | None = None,
    *,
    force: bool = False,
) -> int:
    """Send the digests due now (`force`: everyone's not yet sent today, whatever the hour);
    how many were sent. An SMTP failure is logged without client data and left for the next
    round; a server that cannot be reached ends the round."""
    if mailer is None:
        if not settings.sends_mail:
            return 0
        mailer = SmtpMailer(settings)
    factory = uow_factory
    now = clock()
    sent = 0
    for user_id in due_people(factory(), now, settings, force):
        try:
            if _send_one(factory(), now, settings, mailer, user_id):
                sent += 1
        except (OSError, smtplib.SMTPException) as exc:
            log.warning(
                "digest: the e-mail to person %s was not sent (%s); tried again next round",
                user_id,
                type(exc).__name__,
            )
            if not isinstance(exc, smtplib.SMTPRecipientsRefused):
                break  # the server is away or refuses: the others wait for the next round
    if sent:
        log.info("digest: %d e-mail(s) sent", sent)
    return sent
