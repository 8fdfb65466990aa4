"""The form editor through the API: list a model's forms, read one as the editor edits it,
save an edited one as the next version (checked as the page's save is)."""

from __future__ import annotations

from typing import Any

from flask import Flask

from engine.services import users
from tests.conftest import PASSWORD
from tests.test_api import Api, app  # noqa: F401  (the app fixture)

FORM = "forms/encounter.schema.json"


def _api(app: Flask) -> Api:  # noqa: F811
    ctx = app.extensions["polku"]
    users.create_user(
        ctx.uow(), ctx.engine.roles, username="dora", display_name="Dora",
        password=PASSWORD, roles=["process_designer"],
    )  # fmt: skip
    return Api(app.test_client())


def _put(api: Api, body: Any, **kw: Any) -> Any:
    return api.call("PUT", f"/processes/national/forms/{FORM}", "dora", json=body, **kw)


def test_a_designer_reads_and_saves_a_form_over_the_api(app: Flask) -> None:  # noqa: F811
    api = _api(app)
    listed = api.get("/processes/national/forms", "dora")
    assert listed.status_code == 200
    encounter = next(f for f in listed.json["forms"] if f["path"] == FORM)
    assert [t["bpmn_id"] for t in encounter["tasks"]] == ["Task_encounter"]
    read = api.get(f"/processes/national/forms/{FORM}", "dora")
    assert read.status_code == 200
    draft = read.json
    names = [f["name"] for f in draft["fields"]]
    assert "urgent" in names and draft["based_on"] == draft["version"] == 1
    # unchanged: no new version
    unchanged = _put(api, {k: draft[k] for k in ("based_on", "title", "title_translations",
                                                 "fields")})  # fmt: skip
    assert unchanged.status_code == 200 and unchanged.json["created"] is False
    added = {"name": "transport_needed", "title": "Tarvitaanko kuljetus?", "kind": "boolean",
             "translations": {"en": {"title": "Is transport needed?"}}}  # fmt: skip
    body = {"based_on": 1, "title": draft["title"], "fields": [*draft["fields"], added]}
    checked = _put(api, body, query_string={"dry_run": "1"})
    assert checked.status_code == 200 and checked.json["created"] is False
    assert api.get("/processes/national/versions", "dora").json[-1]["number"] == 1
    saved = _put(api, body)
    assert saved.status_code == 201 and saved.json["version"] == 2
    again = api.get(f"/processes/national/forms/{FORM}", "dora").json
    new = next(f for f in again["fields"] if f["name"] == "transport_needed")
    assert new["title"] == "Tarvitaanko kuljetus?"
    assert new["translations"]["en"]["title"] == "Is transport needed?"
    assert again["schema"]["properties"]["transport_needed"]["type"] == "boolean"


def test_bad_form_edits_answer_400_and_save_nothing(app: Flask) -> None:  # noqa: F811
    api = _api(app)
    draft = api.get(f"/processes/national/forms/{FORM}", "dora").json
    fields = draft["fields"]
    for body, field in [
        ("not a form", "fields"),
        ({"based_on": "1", "fields": fields}, "based_on"),  # not an integer
        ({"based_on": 1, "fields": [{"title": "Ei nimeä"}]}, "fields.0.name"),
        ({"based_on": 1, "fields": [*fields, {"name": "bad name!"}]}, None),
        ({"based_on": 1, "fields": [*fields, {"name": "x", "kind": "essay"}]},
         f"fields.{len(fields)}.kind"),
        ({"based_on": 7, "fields": fields}, "based_on"),  # an older draft than the latest
    ]:
        refused = _put(api, body)
        assert refused.status_code == 400, (body, refused.json)
        if field is not None:
            assert field in refused.json["errors"], (field, refused.json)
    removed = [f for f in fields if f["name"] != "urgent"]  # a condition reads it
    refused = _put(api, {"based_on": 1, "fields": removed})
    assert refused.status_code == 400 and "urgent" in str(refused.json)
    assert [v["number"] for v in api.get("/processes/national/versions", "dora").json] == [1]


def test_only_designers_use_the_forms_api(app: Flask) -> None:  # noqa: F811
    api = _api(app)
    for who in ("kaisa", "aino"):
        assert api.get("/processes/national/forms", who).status_code == 403
        assert api.get(f"/processes/national/forms/{FORM}", who).status_code == 403
        assert _put_as(api, who).status_code == 403
    assert api.get("/processes/national/forms/forms/nothing.json", "dora").status_code == 404


def _put_as(api: Api, who: str) -> Any:
    return api.call("PUT", f"/processes/national/forms/{FORM}", who,
                    json={"based_on": 1, "fields": []})  # fmt: skip
