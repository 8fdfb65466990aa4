"""Lists are paged (issue 13): `GET /api/v1/tasks` and the worklist pages give a page at a time
(a limit and an opaque cursor, the count of the whole list from the database). A coordinator
with 120 open tasks walks every page, through the API and in the browser, in every order: each
task comes exactly once, in the order asked for, on SQLite and on PostgreSQL."""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select

from engine.clock import FrozenClock
from engine.persistence.tables import AccessLog, Client, HumanTask, User
from engine.services import clients, instances, users
from engine.services.access import Actor
from tests.conftest import PASSWORD, STAFF, fresh_database
from tests.test_api import Api, make_app

REAL_PATHS = 24  # national paths started for real, each with its encounter task open
EXTRA_TASKS = 96  # more open tasks on those paths, with due dates, steps and ties
TOTAL = REAL_PATHS + EXTRA_TASKS
BASE = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
STEPS = {
    "Task_initial_interview": "Alkuhaastattelu ja neuvonta",
    "Task_encounter": "Kohtaaminen ja puheeksiotto",
    "Task_follow_up": "Seurantatapaaminen",
}
ORDERS = ("created", "waiting", "due", "step", "client")
TASK_LINK = re.compile(r'href="/tasks/([0-9a-f-]{36})"')


@dataclass
class World:
    app: Flask
    api: Api
    tasks: dict[str, dict[str, Any]]  # kaisa's open tasks by id: what they are sorted by
    kaisa_id: int
    pathless_client: int  # a client of no path: nothing of theirs is on anyone's worklist


def _database(request: pytest.FixtureRequest, tmp: Path) -> Iterator[str]:
    return fresh_database(request, tmp, "paging")


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp("paging")
    databases = _database(request, tmp)
    app = make_app(next(databases), FrozenClock(BASE + timedelta(days=12)))
    ctx = app.extensions["polku"]
    for username, roles in {**STAFF, "ulla": ["work_ability_coordinator"]}.items():
        users.create_user(
            ctx.uow(), ctx.engine.roles, username=username, display_name=username.title(),
            password=PASSWORD, roles=roles,
            # Ulla coordinates in another county: the same role, none of these tasks
            organisations=["hva-etela-karjala"] if username == "ulla" else None,
        )  # fmt: skip
    with ctx.uow() as uow:
        kaisa = Actor.from_user(uow.session.scalars(select(User).filter_by(username="kaisa")).one())
    paths = []
    for n in range(REAL_PATHS):
        # two clients share a name: the order goes on by the task's creation and id
        name = f"Asiakas {min(n, REAL_PATHS - 2):03d}"
        client_id = clients.create_client(ctx.uow(), ctx.clock, kaisa, full_name=name)
        paths.append(
            instances.start_instance(
                ctx.uow(), ctx.engine, ctx.clock, kaisa, client_id, "national", "hva-pohjois-savo"
            )
        )
    pathless = clients.create_client(ctx.uow(), ctx.clock, kaisa, full_name="Asiakas ilman polkua")
    with ctx.uow() as uow:
        encounters = {
            t.instance_id: t
            for t in uow.session.scalars(select(HumanTask).where(HumanTask.state == "open"))
        }
        for n in range(EXTRA_TASKS + 5):
            like = encounters[paths[n % REAL_PATHS]]
            bpmn_id = list(STEPS)[n % 3]
            uow.session.add(
                HumanTask(
                    id=str(uuid.UUID(int=n + 1)), instance_id=like.instance_id,
                    model_version_id=like.model_version_id, bpmn_id=bpmn_id, name=STEPS[bpmn_id],
                    phase=like.phase, role="physician" if n >= EXTRA_TASKS else like.role,
                    lane_role=like.lane_role, organisation_id=like.organisation_id,
                    owner_organisation_id=like.owner_organisation_id, client_id=like.client_id,
                    # every tenth assigned to Kaisa by name; the rest offered to her role
                    assignee_id=kaisa.user_id if n % 10 == 0 and n < EXTRA_TASKS else None,
                    state="open",
                    # many ties: the task's id decides among them
                    created_at=BASE + timedelta(hours=n % 9),
                    due_at=None if n % 4 == 0 else BASE + timedelta(days=10 + n % 5),
                )
            )  # fmt: skip
        uow.commit()
        rows = uow.session.execute(
            select(HumanTask, Client)
            .join(HumanTask.instance)
            .join(Client)
            .where(HumanTask.state == "open", HumanTask.role != "physician")
        ).all()
        tasks = {
            t.id: {"created_at": t.created_at, "due_at": t.due_at, "name": t.name,
                   "client": c.full_name, "client_id": c.id, "assigned": t.assignee_id is not None,
                   "bpmn_id": t.bpmn_id}
            for t, c in rows
        }  # fmt: skip
    assert len(tasks) == TOTAL
    yield World(app, Api(app.test_client()), tasks, kaisa.user_id, pathless)
    ctx.db.dispose()
    next(databases, None)


def expected(
    world: World, order: str, keep: Callable[[dict[str, Any]], bool] = lambda t: True
) -> list[str]:
    """Kaisa's tasks in the order asked for, sorted here in Python: the oldest first; the
    soonest due first, no due date last; by the step's or the client's name; ties by id."""
    far = datetime.max.replace(tzinfo=UTC)
    keys: dict[str, Callable[[str, dict[str, Any]], tuple[Any, ...]]] = {
        "created": lambda i, t: (t["created_at"], i),
        "waiting": lambda i, t: (t["created_at"], i),
        "due": lambda i, t: (t["due_at"] is None, t["due_at"] or far, t["created_at"], i),
        "step": lambda i, t: (t["name"], t["created_at"], i),
        "client": lambda i, t: (t["client"], t["created_at"], i),
    }
    chosen = [(i, t) for i, t in world.tasks.items() if keep(t)]
    return [i for i, t in sorted(chosen, key=lambda it: keys[order](*it))]


def walk_api(world: World, **query: Any) -> list[dict[str, Any]]:
    """Every page from the first, following next_cursor; the answers, in order."""
    pages, cursor = [], None
    while True:
        args = {**query, **({"cursor": cursor} if cursor else {})}
        answer = world.api.get("/tasks", "kaisa", query_string=args)
        assert answer.status_code == 200, answer.json
        pages.append(answer.json)
        cursor = answer.json["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) <= TOTAL, "the pages never end"


# ---------------------------------------------------------------- the API


@pytest.mark.parametrize("order", ORDERS)
def test_the_api_walks_every_task_once_in_the_order_asked_for(world: World, order: str) -> None:
    pages = walk_api(world, sort=order, limit=25)
    assert [len(p["items"]) for p in pages] == [25, 25, 25, 25, 20]
    assert {p["total"] for p in pages} == {TOTAL}
    assert [p["offset"] for p in pages] == [0, 25, 50, 75, 100]
    walked = [t["id"] for p in pages for t in p["items"]]
    assert walked == expected(world, order)
    assert pages[0]["prev_cursor"] is None and all(p["prev_cursor"] for p in pages[1:])

    # and back from the last page to the first, by prev_cursor
    back, page = [], pages[-1]
    while page["prev_cursor"]:
        page = world.api.get(
            "/tasks",
            "kaisa",
            query_string={"sort": order, "limit": 25, "cursor": page["prev_cursor"]},
        ).json
        back.append([t["id"] for t in page["items"]])
    assert back == [[t["id"] for t in p["items"]] for p in reversed(pages[:-1])]
    assert page["offset"] == 0 and page["next_cursor"] == pages[0]["next_cursor"]


def test_the_default_page_is_fifty_and_the_filters_still_narrow_the_list(world: World) -> None:
    first = world.api.get("/tasks", "kaisa").json
    assert set(first) == {"items", "total", "offset", "limit", "next_cursor", "prev_cursor"}
    assert (len(first["items"]), first["total"], first["limit"]) == (50, TOTAL, 50)
    assert [t["id"] for t in first["items"]] == expected(world, "created")[:50]
    everything = world.api.get("/tasks", "kaisa", query_string={"limit": 200}).json
    assert len(everything["items"]) == TOTAL and everything["next_cursor"] is None

    kaisa = walk_api(world, assignee="kaisa", sort="due", limit=4)
    mine = expected(world, "due", lambda t: t["assigned"])
    assert [t["id"] for p in kaisa for t in p["items"]] == mine
    assert {p["total"] for p in kaisa} == {len(mine)} and len(mine) == 10
    instance = world.api.get("/tasks", "kaisa", query_string={"limit": 1}).json["items"][0]
    narrowed = walk_api(world, instance=instance["instance_id"], limit=2)
    assert {t["instance_id"] for p in narrowed for t in p["items"]} == {instance["instance_id"]}
    assert narrowed[0]["total"] == sum(len(p["items"]) for p in narrowed) == TOTAL // REAL_PATHS
    done = world.api.get("/tasks", "kaisa", query_string={"state": "completed"}).json
    assert (done["items"], done["total"], done["next_cursor"]) == ([], 0, None)


def _cursor(*parts: Any) -> str:
    raw = json.dumps(list(parts)).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def test_a_bad_cursor_or_limit_is_400_naming_the_field(world: World) -> None:
    def refused(field: str, **query: Any) -> None:
        answer = world.api.get("/tasks", "kaisa", query_string=query)
        assert answer.status_code == 400, (query, answer.json)
        assert answer.content_type == "application/problem+json"
        assert list(answer.json["errors"]) == [field], answer.json

    for limit in ("0", "201", "-3", "ten", "2.5", ""):
        refused("limit", limit=limit)
    a_task = next(iter(world.tasks))
    due_cursor = world.api.get("/tasks", "kaisa", query_string={"sort": "due"}).json["next_cursor"]
    for cursor in (
        "not a cursor!",
        "x" * 1001,
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        _cursor("n", "created"),  # no key
        _cursor("forwards", "created", BASE.isoformat(), a_task),
        _cursor("n", "created", "yesterday", a_task),
        _cursor("n", "created", "2026-03-02T08:00:00", a_task),  # no time zone
        _cursor("n", "created", BASE.isoformat(), 5),
        _cursor("n", "created", "0001-01-01T00:00:00+14:00", a_task),  # before the years
        _cursor("n", ["created"], BASE.isoformat(), a_task),
        _cursor("n", "client", True, BASE.isoformat(), a_task),
        _cursor("n", "client", world.pathless_client, BASE.isoformat(), a_task),
        _cursor("n", "client", 10**9, BASE.isoformat(), a_task),
        base64.urlsafe_b64encode(b'{"n": 1}').decode(),
    ):
        refused(
            "cursor", cursor=cursor, sort="client" if '"client"' in _decoded(cursor) else "created"
        )
    refused("cursor", cursor=due_cursor, sort="created")  # another order's cursor
    refused("sort", sort="name")

    # a well-formed cursor made up by hand only moves where the page starts
    later = BASE + timedelta(hours=7)
    made_up = _cursor("n", "created", later.isoformat(), "ffffffff-ffff-ffff-ffff-ffffffffffff")
    page = world.api.get("/tasks", "kaisa", query_string={"cursor": made_up, "limit": 200}).json
    after = [i for i in expected(world, "created") if world.tasks[i]["created_at"] > later]
    assert [t["id"] for t in page["items"]] == after and page["total"] == TOTAL
    # past the end (the last tasks were done meanwhile) is the last page; before the start,
    # the first
    beyond = _cursor("n", "created", "2100-01-01T00:00:00+00:00", a_task)
    last = world.api.get("/tasks", "kaisa", query_string={"cursor": beyond, "limit": 25}).json
    assert [t["id"] for t in last["items"]] == expected(world, "created")[-25:]
    assert (last["offset"], last["next_cursor"]) == (TOTAL - 25, None) and last["prev_cursor"]
    before = _cursor("p", "created", "2000-01-01T00:00:00+00:00", a_task)
    first = world.api.get("/tasks", "kaisa", query_string={"cursor": before, "limit": 25}).json
    assert [t["id"] for t in first["items"]] == expected(world, "created")[:25]
    assert (first["offset"], first["prev_cursor"]) == (0, None) and first["next_cursor"]


def _decoded(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return ""


def test_someone_without_access_sees_none_of_the_tasks(world: World) -> None:
    for user in ("ulla", "ari"):  # the same role in another county; another role
        page = world.api.get("/tasks", user).json
        assert (page["items"], page["total"], page["next_cursor"]) == ([], 0, None)
        # nor does a cursor of Kaisa's list show them anything
        kaisas = world.api.get("/tasks", "kaisa", query_string={"sort": "client"}).json
        theirs = world.api.get(
            "/tasks", user, query_string={"sort": "client", "cursor": kaisas["next_cursor"]}
        )
        assert theirs.status_code == 400 and list(theirs.json["errors"]) == ["cursor"]
    ulla = _browser(world.app, "ulla").get("/")
    assert TASK_LINK.findall(ulla.text) == [] and "0 tehtävää" in ulla.text


def test_only_the_pages_rows_are_read_and_the_count_is_counted_in_the_database(
    world: World,
) -> None:
    ctx = world.app.extensions["polku"]

    def logged() -> int:
        with ctx.uow() as uow:
            return int(
                uow.session.scalar(
                    select(func.count(AccessLog.id)).where(AccessLog.resource == "worklist")
                )
                or 0
            )

    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(" ".join(statement.split()))

    before = logged()
    event.listen(ctx.db, "before_cursor_execute", seen)
    try:
        page = world.api.get("/tasks", "kaisa", query_string={"limit": 10, "sort": "due"}).json
    finally:
        event.remove(ctx.db, "before_cursor_execute", seen)
    shown = {(t["client_id"], t["instance_id"]) for t in page["items"]}
    assert logged() - before == len(shown) and page["total"] == TOTAL
    reads = [s for s in statements if s.startswith("SELECT") and "FROM human_task" in s]
    counts = [s for s in reads if s.startswith("SELECT count(")]
    assert counts, reads
    # every other read of the worklist stops at the page (LIMIT) or names its rows by id
    rest = [s for s in reads if s not in counts]
    assert rest and all(" LIMIT " in s or "human_task.id IN (" in s for s in rest), rest


# ---------------------------------------------------------------- the browser


def _browser(app: Flask, username: str) -> FlaskClient:
    browser = app.test_client()
    signed_in = browser.post("/login", data={"username": username, "password": PASSWORD})
    assert signed_in.status_code == 302, signed_in.text
    return browser


def _link(html: str, text_of_link: str) -> str | None:
    found = re.search(rf'<a href="([^"]+)"[^>]*>{re.escape(text_of_link)}</a>', html)
    return found.group(1).replace("&amp;", "&") if found else None


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def walk_pages(browser: FlaskClient, address: str) -> list[tuple[str, list[str]]]:
    """Every worklist page from `address` on by its "next page" link: (address, task ids)."""
    pages = []
    while address:
        page = browser.get(address)
        assert page.status_code == 200, page.text
        pages.append((address, TASK_LINK.findall(page.text)))
        address = _link(page.text, "Seuraava sivu") or ""
        assert len(pages) <= TOTAL, "the pages never end"
    return pages


def test_the_worklist_shows_fifty_at_a_time_and_walks_every_task_once(world: World) -> None:
    kaisa = _browser(world.app, "kaisa")
    first = kaisa.get("/")
    assert "Näytetään tehtävät 1–50, kaikkiaan 120" in _text(first.text)
    assert "Kaikki tehtäväni (120)" in _text(first.text)  # the tab's count, as before
    assert "Edellinen sivu" not in first.text and "Ensimmäinen sivu" not in first.text
    pages = walk_pages(kaisa, "/")
    assert [len(ids) for _, ids in pages] == [50, 50, 20]
    assert [i for _, ids in pages for i in ids] == expected(world, "due")  # the page's order
    last = kaisa.get(pages[-1][0])
    assert "Näytetään tehtävät 101–120, kaikkiaan 120" in _text(last.text)
    assert "Seuraava sivu" not in last.text
    assert _link(last.text, "Ensimmäinen sivu") == "/"
    previous = _link(last.text, "Edellinen sivu") or ""
    back = kaisa.get(previous)
    assert TASK_LINK.findall(back.text) == pages[1][1]
    assert _link(back.text, "Edellinen sivu") == "/"  # the first page has its own address
    # claiming a task on a later page comes back to that page
    task_id = pages[1][1][0]
    claimed = kaisa.post(f"/tasks/{task_id}/claim", data={"next": previous})
    assert claimed.status_code == 302 and claimed.headers["Location"] == previous
    assert kaisa.post(f"/tasks/{task_id}/release", data={"next": "/"}).status_code == 302


def test_paging_keeps_the_view_filters_and_order(world: World) -> None:
    kaisa = _browser(world.app, "kaisa")
    pages = walk_pages(kaisa, "/?view=role&sort=client")
    offered = expected(world, "client", lambda t: not t["assigned"])
    assert [i for _, ids in pages for i in ids] == offered and len(offered) == 110
    assert all("view=role" in a and "sort=client" in a for a, _ in pages[1:])
    assert "Näytetään tehtävät 51–100, kaikkiaan 110" in _text(kaisa.get(pages[1][0]).text)

    steps = walk_pages(kaisa, "/?step=Task_follow_up&sort=created")
    follow_ups = expected(world, "created", lambda t: t["bpmn_id"] == "Task_follow_up")
    assert [i for _, ids in steps for i in ids] == follow_ups and len(steps) == 1
    assert "32 tehtävää (suodatettu)" in _text(kaisa.get(steps[0][0]).text)

    # the client search stays in the session, and the pages keep it
    kaisa.post("/worklist/filter", data={"client": "Asiakas 00", "sort": "step"})
    searched = walk_pages(kaisa, "/?sort=step")
    tenth = expected(world, "step", lambda t: t["client"].startswith("Asiakas 00"))
    assert [i for _, ids in searched for i in ids] == tenth and len(searched) == 1
    kaisa.get("/?clear=1")


def test_the_worklist_speaks_swedish_and_english_and_refuses_a_broken_page(world: World) -> None:
    kaisa = _browser(world.app, "kaisa")
    kaisa.get("/lang/sv")
    swedish = _text(kaisa.get("/").text)
    assert "Visar uppgifterna 1–50 av 120" in swedish and "Nästa sida" in swedish
    kaisa.get("/lang/en")
    english = kaisa.get("/")
    assert "Showing 1–50 of 120 tasks" in _text(english.text)
    second = kaisa.get(_link(english.text, "Next page") or "")
    assert "Showing 51–100 of 120 tasks" in _text(second.text)
    assert "Previous page" in second.text
    kaisa.get("/lang/fi")
    broken = kaisa.get("/?cursor=not-a-cursor")
    assert broken.status_code == 400
    assert "aloita uudelleen ensimmäiseltä sivulta" in broken.text


def test_large_counts_are_grouped_as_the_reader_reads_numbers(world: World) -> None:
    from engine.services.worklist import TaskPage
    from web.ui.worklist import Listing, Pager

    page = TaskPage(tasks=[None] * 50, total=1234, offset=1150, limit=50)  # type: ignore[list-item]
    page.prev_cursor = "p"
    with world.app.test_request_context("/"):
        pager = Pager.of(page, Listing("all", "due", None, "", None))
    assert pager.showing == "Näytetään tehtävät 1\xa0151–1\xa0200, kaikkiaan 1\xa0234"
    assert pager.first == "/" and pager.previous == "/?cursor=p" and pager.next is None
