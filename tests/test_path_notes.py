"""Notes on a path between colleagues (issue 14 §5): written with a visibility class the
author sees, read by those who may see that class on the path, shown in the history; the
history event holds no text; every write and read is logged."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select

from engine.clock import FrozenClock
from engine.errors import Forbidden, InvalidInput, NotFound
from engine.persistence.daily_work import PathNote
from engine.persistence.tables import AccessLog, Event
from engine.services import path_notes, queries, users
from engine.services.demo import TO_PLAN
from tests.conftest import PASSWORD, STAFF, Services
from tests.test_api import Api, make_app
from tests.test_authorization_matrix import DOERS
from tests.test_ui import login


@pytest.fixture
def path(services: Services) -> int:
    """A national path at "arrange services": Aino its case manager, Lauri (physician) and
    Sanna (social worker) did steps on it."""
    instance_id = services.start()
    services.walk(instance_id, *TO_PLAN)
    return instance_id


def test_a_note_is_written_and_read_by_class(services: Services, path: int) -> None:
    aino, lauri, sanna = (services.actors[n] for n in ("aino", "lauri", "sanna"))
    shared = path_notes.add_note(services.uow(), services.clock, aino, path,
                                 "  Soita iltapäivisin.  ")  # fmt: skip
    services.clock.advance(minutes=5)
    health = path_notes.add_note(services.uow(), services.clock, aino, path,
                                 "Lääkitys muuttui.", "health")  # fmt: skip

    seen_by_lauri = path_notes.list_notes(services.uow(), services.clock, lauri, path)
    assert [(n.id, n.visibility, n.text) for n in seen_by_lauri] == [
        (shared, "shared", "Soita iltapäivisin."),
        (health, "health", "Lääkitys muuttui."),
    ]
    assert seen_by_lauri[0].author == "aino" and seen_by_lauri[0].author_name == "Aino"
    # the social worker's work does not need health data
    assert [n.id for n in path_notes.list_notes(services.uow(), services.clock, sanna, path)] == [
        shared
    ]
    # the history has the notes in their place, with no text
    view = queries.get_instance(services.uow(), services.clock, sanna, path)
    added = [e for e in view.history if e["kind"] == "note_added"]
    assert [e["data"] for e in added] == [
        {"note_id": shared, "visibility": "shared"},
        {"note_id": health, "visibility": "health"},
    ]
    assert all(e["actor"] == "aino" for e in added)
    with services.uow() as uow:
        rows = list(uow.session.scalars(select(AccessLog).where(AccessLog.resource == "path_note")))
        events = list(uow.session.scalars(select(Event).where(Event.kind == "note_added")))
    assert [(r.action, r.username) for r in rows] == [
        ("create", "aino"), ("create", "aino"), ("read", "lauri"), ("read", "sanna"),
    ]  # fmt: skip
    assert all(r.basis and r.client_id and r.instance_id == path for r in rows)
    assert all("Lääkitys" not in str(e.data) for e in events)


def _stored_notes(services: Services) -> list[tuple[str, str]]:
    """Every note kept, as (visibility, text); each has its history event."""
    with services.uow() as uow:
        rows = uow.session.execute(
            select(PathNote.text, PathNote.visibility).order_by(PathNote.id)
        ).all()
        events = uow.session.scalars(select(Event.id).where(Event.kind == "note_added")).all()
    assert len(events) == len(rows)  # one history event per note kept, none for a refused one
    return [(str(r.visibility), str(r.text)) for r in rows]


def test_notes_are_checked(services: Services, path: int) -> None:
    aino, sanna, ari = (services.actors[n] for n in ("aino", "sanna", "ari"))

    def add(who: str, text: str, visibility: str = "shared") -> int:
        return path_notes.add_note(
            services.uow(), services.clock, services.actors[who], path, text, visibility
        )

    for text, visibility, field in (
        ("", "shared", "text"),
        ("   ", "shared", "text"),
        ("x" * 4001, "shared", "text"),
        ("Ok", "secret", "visibility"),
    ):
        with pytest.raises(InvalidInput) as caught:
            add("aino", text, visibility)
        assert field in caught.value.errors
    assert _stored_notes(services) == []  # none of the refused ones kept
    add("aino", "x" * 4000)
    assert _stored_notes(services) == [("shared", "x" * 4000)]
    # a class the author does not see themselves
    with pytest.raises(InvalidInput) as caught:
        add("sanna", "Terveystieto", "health")
    assert "visibility" in caught.value.errors
    assert len(_stored_notes(services)) == 1
    add("sanna", "Sosiaalitieto", "social")
    assert _stored_notes(services)[1:] == [("social", "Sosiaalitieto")]
    # no basis on the path: refused, and the refusal logged
    with pytest.raises(Forbidden):
        path_notes.add_note(services.uow(), services.clock, ari, path, "Hei")
    with pytest.raises(Forbidden):
        path_notes.list_notes(services.uow(), services.clock, ari, path)
    with pytest.raises(NotFound):
        path_notes.list_notes(services.uow(), services.clock, aino, 999_999)
    with services.uow() as uow:
        refused = list(
            uow.session.scalars(
                select(AccessLog).where(AccessLog.success.is_(False), AccessLog.username == "ari")
            )
        )
        assert [(r.action, r.resource, r.instance_id) for r in refused] == [
            ("create", "path_note", path), ("read", "path_note", path),
        ]  # fmt: skip
        assert uow.session.scalar(select(PathNote.id).where(PathNote.text == "Hei")) is None
    assert len(_stored_notes(services)) == 2
    # the author sees their own note; the physician sees social data too
    assert [n.text for n in path_notes.list_notes(services.uow(), services.clock, sanna, path)][
        -1
    ] == "Sosiaalitieto"


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:
    """On SQLite and on a real PostgreSQL (`-m postgres`)."""
    app = make_app(database_url, FrozenClock())
    ctx = app.extensions["polku"]
    for username, roles in STAFF.items():
        users.create_user(
            ctx.uow(), ctx.engine.roles, username=username, display_name=username.title(),
            password=PASSWORD, roles=roles,
        )  # fmt: skip
    yield app
    ctx.db.dispose()


def test_notes_over_the_api(app: Flask) -> None:
    api = Api(app.test_client())
    iid = api.start_path()
    for step in TO_PLAN:
        api.complete(DOERS[step], iid, step)
    url = f"/instances/{iid}/notes"
    made = api.post(url, "aino", json={"text": "Lääkitys muuttui.", "visibility": "health"})
    assert made.status_code == 201, made.json
    assert api.post(url, "aino", json={"text": "Soita iltapäivisin."}).status_code == 201
    assert [n["text"] for n in api.get(url, "lauri").json] == [
        "Lääkitys muuttui.", "Soita iltapäivisin.",
    ]  # fmt: skip
    assert [n["visibility"] for n in api.get(url, "sanna").json] == ["shared"]
    denied = api.get(url, "ari")  # no part in the path yet
    assert denied.status_code == 403 and "Lääkitys" not in denied.get_data(as_text=True)
    assert api.post(url, "ari", json={"text": "Hei"}).status_code == 403
    bad = api.post(url, "aino", json={"text": "x", "visibility": "secret"})
    assert bad.status_code == 400 and "visibility" in bad.json["errors"]
    assert api.post(url, "aino", json={"text": ""}).status_code == 400
    assert api.post(url, "aino", json={"text": "x" * 4001}).status_code == 400
    assert api.post(url, "sanna", json={"text": "x", "visibility": "health"}).status_code == 400
    # the refused ones kept nothing: the physician still reads the two notes
    assert len(api.get(url, "lauri").json) == 2
    assert api.get("/instances/999999/notes", "aino").status_code == 404
    # on the client page, the note is in the history for the physician, not its text for
    # the social worker
    client_id = api.get(f"/instances/{iid}", "aino").json["client_id"]
    assert "Lääkitys muuttui." in login(app, "lauri").get(f"/clients/{client_id}").text
    page = login(app, "sanna").get(f"/clients/{client_id}").text
    assert "Lääkitys muuttui." not in page and "jota työsi ei edellytä" in page
    assert "Soita iltapäivisin." in page
    # the page's form: a note is added, its errors are named
    browser = login(app, "aino")
    sent = browser.post(f"/clients/{client_id}/paths/{iid}/notes", data={"text": " "})
    assert sent.status_code == 400 and "Tämä kenttä on pakollinen." in sent.text
    sent = browser.post(f"/clients/{client_id}/paths/{iid}/notes", data={"text": "Uusi"})
    assert sent.status_code == 303 and sent.headers["Location"].endswith(f"#notes-{iid}")
