"""Finding clients (issue 14 §5): by name (any case, parts of it), by pseudonym, by an exact
identity code (never a part of one); a page at a time; only clients the reader may see in a
list; every search logged without its text; the text never in an address."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select

from engine.clock import FrozenClock
from engine.errors import InvalidInput
from engine.persistence.tables import AccessLog, Client
from engine.services import clients, users
from engine.services.client_search import kind_of, search_clients
from tests.conftest import PASSWORD, STAFF, Services
from tests.test_api import Api, make_app

CODE = "131052-308T"


def _log(services: Services, action: str) -> list[AccessLog]:
    with services.uow() as uow:
        rows = list(
            uow.session.scalars(
                select(AccessLog).where(AccessLog.action == action).order_by(AccessLog.id)
            )
        )
        uow.session.expunge_all()
        return rows


def test_the_text_decides_the_kind_of_search() -> None:
    assert kind_of("Virtanen") == "name"
    assert kind_of("ville virt") == "name"
    assert kind_of("a-3f2c") == "pseudonym"
    assert kind_of(CODE) == "identity_code"
    assert kind_of("131052-308t") == "identity_code"
    assert kind_of("131052") == "name"  # a part of a code is no code, and matches no name


def test_search_by_name_pseudonym_and_exact_identity_code(services: Services) -> None:
    kaisa = services.actors["kaisa"]
    ville = clients.create_client(services.uow(), services.clock, kaisa,
                                  full_name="Ville Virtanen", identity_code=CODE)  # fmt: skip
    liisa = services.new_client("Liisa Laine")
    services.new_client("Matti Virtala")

    def found(text: str) -> list[int]:
        return [c["id"] for c in search_clients(services.uow(), services.clock, kaisa, text).items]

    assert found("virtanen") == [ville]
    assert found("VILLE virt") == [ville]  # every word, any case, parts of the name
    assert len(found("virt")) == 2
    assert found("laine liisa") == [liisa]
    assert found("ville laine") == []
    with services.uow() as uow:
        pseudonym = uow.session.scalar(select(Client.pseudonym).where(Client.id == ville))
    assert pseudonym is not None
    assert found(pseudonym) == [ville]
    assert found(pseudonym.upper()) == [ville]
    assert found(CODE) == [ville]
    assert found(CODE.lower()) == [ville]
    # never a part of an identity code
    assert found("131052") == []
    assert found("131052-308") == []
    assert found("%") == [] and found("_") == []  # wildcards are plain characters


def test_each_search_is_logged_without_its_text(services: Services) -> None:
    kaisa = services.actors["kaisa"]
    clients.create_client(services.uow(), services.clock, kaisa,
                          full_name="Ville Virtanen", identity_code=CODE)  # fmt: skip
    search_clients(services.uow(), services.clock, kaisa, "Virtanen")
    search_clients(services.uow(), services.clock, kaisa, CODE)
    search_clients(services.uow(), services.clock, kaisa, "Nobody")
    search_clients(services.uow(), services.clock, kaisa, "")  # the list: no search
    rows = _log(services, "search")
    assert [r.detail for r in rows] == [
        "client search by name: 1 found",
        "client search by identity code: 1 found",
        "client search by name: 0 found",
    ]
    for row in rows:
        assert row.username == "kaisa" and row.basis and row.client_id is None
        assert "Virtanen" not in (row.detail or "") and CODE not in (row.detail or "")
    listed = [r for r in _log(services, "read") if r.resource == "client_list"]
    assert listed and all(r.client_id is not None for r in listed)


def test_paging_fifty_at_a_time(services: Services) -> None:
    kaisa = services.actors["kaisa"]
    made = []
    for n in range(57):
        made.append(services.new_client(f"Asiakas Numero{n:02d}"))
        services.clock.advance(minutes=1)
    first = search_clients(services.uow(), services.clock, kaisa, "asiakas")
    assert (first.total, len(first.items), first.prev_cursor) == (57, 50, None)
    assert first.items[0]["id"] == made[-1]  # newest first
    second = search_clients(services.uow(), services.clock, kaisa, "asiakas",
                            cursor=first.next_cursor)  # fmt: skip
    assert len(second.items) == 7 and second.next_cursor is None
    assert second.prev_cursor == "o0"
    seen = [c["id"] for c in first.items + second.items]
    assert sorted(seen) == sorted(made)
    with pytest.raises(InvalidInput):
        search_clients(services.uow(), services.clock, kaisa, "x", cursor="Ville")
    with pytest.raises(InvalidInput):
        search_clients(services.uow(), services.clock, kaisa, "x" * 101)


def test_clients_the_reader_may_not_list_are_not_found(services: Services) -> None:
    kaisa = services.actors["kaisa"]
    clients.create_client(services.uow(), services.clock, kaisa,
                          full_name="Ville Virtanen", identity_code=CODE)  # fmt: skip
    services.start()  # "Testi Asiakas" on a path the physician has no part in yet
    for who in ("lauri", "ari"):
        reader = services.actors[who]
        for text in ("Virtanen", CODE, "Testi"):
            page = search_clients(services.uow(), services.clock, reader, text)
            assert page.items == [] and page.total == 0, (who, text)
    # each search is still logged (the reader looked), as finding nobody, without its text;
    # and no client was disclosed to them in a list
    kinds = ("name", "identity code", "name")
    assert [(r.username, r.detail) for r in _log(services, "search")] == [
        (who, f"client search by {kind}: 0 found") for who in ("lauri", "ari") for kind in kinds
    ]
    assert not [r for r in _log(services, "read") if r.username in ("lauri", "ari") and r.client_id]


# ---------------------------------------------------------------- through the web


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:
    """On SQLite and on a real PostgreSQL (`-m postgres`): the matching is the database's."""
    app = make_app(database_url, FrozenClock())
    ctx = app.extensions["polku"]
    for username, roles in STAFF.items():
        users.create_user(
            ctx.uow(), ctx.engine.roles, username=username, display_name=username.title(),
            password=PASSWORD, roles=roles,
        )  # fmt: skip
    yield app
    ctx.db.dispose()


def test_the_search_text_never_goes_into_an_address(app: Flask) -> None:
    api = Api(app.test_client())
    for n in range(55):
        api.post("/clients", "kaisa", json={"full_name": f"Ville Virtanen{n:02d}"})
    api.post("/clients", "kaisa", json={"full_name": "Liisa Laine", "identity_code": CODE})
    browser = app.test_client()
    assert (
        browser.post("/login", data={"username": "kaisa", "password": PASSWORD}).status_code == 302
    )
    sent = browser.post("/clients/search", data={"q": "Virtanen"})
    assert sent.status_code == 303 and sent.headers["Location"] == "/clients"
    page = browser.get("/clients")
    html = page.get_data(as_text=True)
    assert "55 asiakasta löytyi nimellä." in html and "Näytetään 1–50." in html
    assert 'value="Virtanen"' in html  # the box keeps the text (from the session)
    assert "Liisa Laine" not in html
    assert 'href="/clients?cursor=o50"' in html
    # every link and form target of the page is free of the text
    for target in re.findall(r'(?:href|action)="([^"]*)"', html):
        assert "virtanen" not in target.lower()
    second = browser.get("/clients?cursor=o50").get_data(as_text=True)
    assert "Ville Virtanen00" in second and "Ville Virtanen54" not in second
    # an identity code: exactly
    browser.post("/clients/search", data={"q": CODE})
    html = browser.get("/clients").get_data(as_text=True)
    assert "Liisa Laine" in html and "Ville Virtanen" not in html
    targets = re.findall(r'(?:href|action)="([^"]*)"', html)
    assert targets and not [t for t in targets if CODE.lower() in t.lower() or "131052" in t]
    browser.post("/clients/search", data={"q": CODE[:6]})
    assert "Liisa Laine" not in browser.get("/clients").get_data(as_text=True)
    # clearing
    browser.post("/clients/search", data={"q": "x", "clear": "1"})
    assert "Liisa Laine" in browser.get("/clients").get_data(as_text=True)
    assert browser.get("/clients?cursor=bad").status_code == 400


def test_the_api_search(app: Flask) -> None:
    api = Api(app.test_client())
    made = api.post("/clients", "kaisa", json={"full_name": "Liisa Laine", "identity_code": CODE})
    found = api.post("/clients/search", "kaisa", json={"q": CODE})
    assert found.status_code == 200, found.json
    assert [c["id"] for c in found.json["items"]] == [made.json["id"]]
    assert found.json["kind"] == "identity_code" and found.json["total"] == 1
    assert api.post("/clients/search", "kaisa", json={"q": "131052"}).json["items"] == []
    bad = api.post("/clients/search", "kaisa", json={"q": "x", "limit": 0})
    assert bad.status_code == 400 and "limit" in bad.json["errors"]
    bad = api.post("/clients/search", "kaisa", json={"q": "x", "cursor": "zzz"})
    assert bad.status_code == 400
    assert api.post("/clients/search", "lauri", json={"q": CODE}).json["items"] == []


def test_the_client_list_and_the_worklist_keep_their_own_searches(app: Flask) -> None:
    api = Api(app.test_client())
    path = api.start_path()
    tasks = api.get("/tasks", "kaisa", query_string={"instance": path}).json["items"]
    assert tasks
    task = tasks[0]["id"]
    browser = app.test_client()
    assert (
        browser.post("/login", data={"username": "kaisa", "password": PASSWORD}).status_code == 302
    )
    assert f'href="/tasks/{task}' in browser.get("/").get_data(as_text=True)
    browser.post("/clients/search", data={"q": "Ei-ketaan"})
    assert 'value="Ei-ketaan"' in browser.get("/clients").get_data(as_text=True)
    worklist = browser.get("/").get_data(as_text=True)
    assert 'value="Ei-ketaan"' not in worklist and f'href="/tasks/{task}' in worklist  # unfiltered
    # and the other way round: the worklist's filter leaves the client list's search alone
    filtered = browser.post("/worklist/filter", data={"client": "Virtanen"})
    assert "Virtanen" not in filtered.headers["Location"]
    assert 'value="Virtanen"' in browser.get("/").get_data(as_text=True)
    clients_page = browser.get("/clients").get_data(as_text=True)
    assert 'value="Ei-ketaan"' in clients_page and "Virtanen" not in clients_page
