"""The OpenAPI 3.1 document, built from the marshmallow schemas with apispec."""

from __future__ import annotations

from functools import cache
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from engine.services import worklist
from engine.services.worklist_cursor import MAX_LENGTH as CURSOR_MAX_LENGTH
from web.api import schemas as s

_PROBLEM = {
    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
}


def _op(
    summary: str,
    ok: int,
    out: str | None = None,
    body: str | None = None,
    errors: tuple[int, ...] = (401,),
    many: bool = False,
    params: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "responses": {}}
    if out:
        schema: dict[str, Any] = {"$ref": f"#/components/schemas/{out}"}
        if many:
            schema = {"type": "array", "items": schema}
        op["responses"][str(ok)] = {
            "description": "OK",
            "content": {"application/json": {"schema": schema}},
        }
    else:
        op["responses"][str(ok)] = {"description": "OK"}
    for code in errors:
        op["responses"][str(code)] = {"description": "Problem", **_PROBLEM}
    if body:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{body}"}}},
        }
    if params:
        op["parameters"] = params
    if "401" in [str(e) for e in errors]:
        op["security"] = [{"bearer": []}]
    return op


def _path_param(name: str, kind: str = "string") -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": kind}}


@cache
def build_spec() -> dict[str, Any]:
    spec = APISpec(
        title="Polku API",
        version="1",
        openapi_version="3.1.0",
        plugins=[MarshmallowPlugin()],
        info={"description": "Work-ability service paths: clients, paths, tasks."},
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema(
        "Problem",
        {
            "type": "object",
            "properties": {
                "type": {"type": "string"},
                "title": {"type": "string"},
                "status": {"type": "integer"},
                "detail": {"type": "string"},
                "code": {
                    "type": "string",
                    "description": "A stable lower_snake code of the problem (translate by it)",
                },
                "params": {
                    "type": "object",
                    "description": "The values the detail was made from, by name",
                },
                "errors": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
                "error_codes": {
                    "type": "object",
                    "description": "The code and params of each of `errors`' messages",
                    "additionalProperties": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "code": {"type": ["string", "null"]},
                                "params": {"type": "object"},
                            },
                        },
                    },
                },
            },
        },
    )
    for name in (
        "TokenRequest",
        "Token",
        "Process",
        "ClientCreate",
        "Created",
        "InstanceCreate",
        "Task",
        "TaskPage",
        "TaskDetail",
        "TaskComplete",
        "Message",
        "CaseManager",
        "Instance",
        "Version",
        "DeployResult",
        "MigrationRequest",
        "MigrationCandidate",
        "Diagram",
        "TokenInfo",
    ):
        spec.components.schema(name, schema=getattr(s, f"{name}Schema"))
    from web.api import path_migrations

    for name in ("MigrationRecord", "UndoRequest", "UndoResult"):
        spec.components.schema(name, schema=getattr(path_migrations, f"{name}Schema"))
    from web.api import people

    for name in ("Person", "PersonCreate", "PersonUpdate", "Organisation", "AccessSettings"):
        spec.components.schema(name, schema=getattr(people, f"{name}Schema"))
    user_id = [_path_param("user_id", "integer")]
    spec.path(
        "/api/v1/users",
        operations={
            "get": _op("Everyone's account (administrators)", 200, "Person", errors=(401, 403),
                       many=True),
            "post": _op("Add a person (administrators)", 201, "Person", "PersonCreate",
                        (400, 401, 403)),
        },
    )  # fmt: skip
    spec.path(
        "/api/v1/users/{user_id}",
        operations={
            "get": _op("One account, with the open work they hold", 200, "Person",
                       errors=(401, 403, 404), params=user_id),
            "patch": _op("Change name, roles, organisations, password, language, e-mail; "
                         "close or reopen", 200, "Person", "PersonUpdate", (400, 401, 403, 404),
                         params=user_id),
        },
    )  # fmt: skip
    spec.path(
        "/api/v1/organisations",
        operations={"get": _op("The organisations people belong to", 200, "Organisation",
                               many=True)},
    )  # fmt: skip
    spec.path(
        "/api/v1/settings/access",
        operations={
            "get": _op("The access policy's settings (administrators)", 200, "AccessSettings",
                       errors=(401, 403)),
            "put": _op("Change how many days a closed path stays readable for its former team "
                       "(administrators)", 200, "AccessSettings", "AccessSettings",
                       (400, 401, 403)),
        },
    )  # fmt: skip
    _emergency_paths(spec)
    _client_data_paths(spec)
    _search_and_notes_paths(spec)
    _audit_paths(spec)
    from web.api import waits  # awaited decisions, the follow-up review's date

    waits.openapi_paths(spec)
    from web.api import notifications as notices

    notices.add_paths(spec, _op, _path_param)
    from web.api import entries

    entries.add_paths(spec, _op, _path_param)
    task_id = [_path_param("task_id")]
    inst_id = [_path_param("instance_id", "integer")]
    spec.path(
        "/api/v1/tokens",
        operations={
            "post": _op(
                "Log in: username and password give a bearer token",
                201,
                "Token",
                "TokenRequest",
                errors=(400, 401, 403, 429),
            ),
            "get": _op("Your own tokens (never their values)", 200, "TokenInfo", many=True),
        },
    )
    spec.path(
        "/api/v1/tokens/current",
        operations={"delete": _op("Sign out the token this request uses", 204)},
    )
    spec.path(
        "/api/v1/tokens/{token_id}",
        operations={
            "delete": _op(
                "Revoke one of your own tokens",
                204,
                errors=(401, 404),
                params=[_path_param("token_id", "integer")],
            )  # fmt: skip
        },
    )
    spec.path(
        "/api/v1/processes",
        operations={"get": _op("Deployed process models", 200, "Process", many=True)},
    )
    spec.path(
        "/api/v1/clients",
        operations={
            "post": _op("Register a client", 201, "Created", "ClientCreate", (400, 401, 403))
        },
    )
    spec.path(
        "/api/v1/instances",
        operations={
            "post": _op(
                "Start a client's path", 201, "Created", "InstanceCreate", (400, 401, 403, 404)
            )
        },
    )
    spec.path(
        "/api/v1/instances/{instance_id}",
        operations={
            "get": _op(
                "A path: status, open tasks, history",
                200,
                "Instance",
                errors=(401, 403, 404),
                params=inst_id,
            )
        },
    )
    spec.path(
        "/api/v1/instances/{instance_id}/messages",
        operations={
            "post": _op(
                "Deliver an external message (e.g. Kela's decision)",
                200,
                "Instance",
                "Message",
                (400, 401, 403, 404, 409),
                params=inst_id,
            )
        },
    )
    spec.path(
        "/api/v1/instances/{instance_id}/case-manager",
        operations={
            "post": _op(
                "Change the client's case manager",
                200,
                "Instance",
                "CaseManager",
                (400, 401, 403, 404, 409),
                params=inst_id,
            )
        },
    )
    spec.path(
        "/api/v1/tasks",
        operations={
            "get": _op(
                "Tasks I may work on, a page at a time: pass next_cursor back as cursor for "
                "the next page; total counts the whole filtered list",
                200,
                "TaskPage",
                errors=(400, 401),
                params=_task_query(),
            )
        },
    )
    spec.path(
        "/api/v1/tasks/{task_id}",
        operations={
            "get": _op(
                "A task with its form's JSON Schema",
                200,
                "TaskDetail",
                errors=(401, 403, 404),
                params=task_id,
            )
        },
    )
    spec.path(
        "/api/v1/tasks/{task_id}/claim",
        operations={
            "post": _op(
                "Claim a task", 200, "TaskDetail", errors=(401, 403, 404, 409), params=task_id
            )
        },
    )
    spec.path(
        "/api/v1/tasks/{task_id}/release",
        operations={
            "post": _op(
                "Release a claimed task",
                200,
                "TaskDetail",
                errors=(401, 403, 404, 409),
                params=task_id,
            )
        },
    )
    spec.path(
        "/api/v1/tasks/{task_id}/complete",
        operations={
            "post": _op(
                "Complete a task with form data (`Prefer: return=minimal`: 204 with Location)",
                200,
                "Instance",
                "TaskComplete",
                (400, 401, 403, 404, 409),
                params=task_id,
            )
        },
    )
    key = [_path_param("key")]
    spec.path(
        "/api/v1/processes/{key}/versions",
        operations={
            "get": _op(
                "A model's versions and their deployment records",
                200,
                "Version",
                many=True,
                errors=(401, 404),
                params=key,
            ),
            "post": {
                **_op(
                    "Deploy a changed BPMN file as the model's next version (multipart "
                    "'file' or an application/xml body); refused with the validator's "
                    "problems, nothing stored",
                    201,
                    "DeployResult",
                    errors=(400, 401, 403, 413),
                    params=key,
                )
            },
        },
    )
    spec.path(
        "/api/v1/processes/{key}/versions/{number}/bpmn",
        operations={
            "get": _op(
                "A version's BPMN XML",
                200,
                errors=(401, 404),
                params=key + [_path_param("number", "integer")],
            )
        },
    )
    spec.path(
        "/api/v1/processes/{key}/texts",
        operations={
            "get": _op(
                "Every text of the model's latest version a reader sees, where it occurs, and "
                "its Swedish and English (null: missing; `?missing=1`: only those)",
                200,
                errors=(401, 403, 404),
                params=key,
            ),
            "put": _op(
                'Change translations ({"sv": {"Finnish text": "translation"}, "en": {…}}; an '
                "empty one removes it): the model's next version, validated as every version",
                201,
                errors=(400, 401, 403, 404),
                params=key,
            ),
        },
    )
    spec.path(
        "/api/v1/processes/{key}/migrations",
        operations={
            "post": _op(
                "Move the chosen running paths to another version, mapping steps (dry_run shows "
                "what would move and why not; header Polku-Paths-Will-Move: the count)",
                200,
                "MigrationCandidate",
                "MigrationRequest",
                (400, 401, 403, 404, 409),
                many=True,
                params=key,
            ),
            "get": _op(
                "The model's migrations, newest first (who, when, versions, which paths)",
                200,
                "MigrationRecord",
                errors=(401, 403),
                many=True,
                params=key,
            ),
        },
    )
    spec.path(
        "/api/v1/processes/{key}/migrations/undo",
        operations={
            "post": _op(
                "Undo the model's last migration for the paths that have not progressed since "
                "(dry_run, the default, shows which)",
                200,
                "UndoResult",
                "UndoRequest",
                (400, 401, 403, 404, 409),
                params=key,
            )
        },
    )
    spec.path(
        "/api/v1/instances/{instance_id}/diagram",
        operations={
            "get": _op(
                "The path's diagram, where the client is and what is passed",
                200,
                "Diagram",
                errors=(401, 403, 404),
                params=inst_id,
            )
        },
    )
    return spec.to_dict()


def _task_query() -> list[dict[str, Any]]:
    """The query parameters of GET /api/v1/tasks, as `TaskQuerySchema` checks them."""
    fields = s.TaskQuerySchema().fields
    described = {
        "role": ({"type": "string"}, "tasks open to this role"),
        "assignee": ({"type": "string"}, "tasks assigned to this username"),
        "instance": ({"type": "integer", "minimum": 1}, "tasks of this path"),
        "state": ({"type": "string", "enum": ["open", "completed", "cancelled"],
                   "default": "open"}, "the tasks' state"),
        "sort": ({"type": "string", "enum": list(worklist.SORTS), "default": "created"},
                 "created and waiting: the oldest first; due: the soonest due first, no due "
                 "date last; step: by the step's name; client: by the client's name"),
        "limit": ({"type": "integer", "minimum": 1, "maximum": worklist.MAX_LIMIT,
                   "default": worklist.DEFAULT_LIMIT}, "tasks on a page"),
        "cursor": ({"type": "string", "minLength": 1, "maxLength": CURSOR_MAX_LENGTH},
                   "a page's next_cursor or prev_cursor, as it was given (opaque); one that "
                   "is not is 400 naming cursor"),
    }  # fmt: skip
    assert set(described) == set(fields), "every query parameter is described"
    return [
        {"name": name, "in": "query", "required": False, "schema": schema,
         "description": description}
        for name, (schema, description) in described.items()
    ]  # fmt: skip


def _emergency_paths(spec: APISpec) -> None:
    from web.api import emergency

    for name in ("EmergencyAccess", "EmergencyAccessOpen", "EmergencyAccessReview"):
        spec.components.schema(name, schema=getattr(emergency, f"{name}Schema"))
    reviewed = {"name": "reviewed", "in": "query", "required": False,
                "schema": {"type": "boolean"}}  # fmt: skip
    spec.path(
        "/api/v1/instances/{instance_id}/emergency-access",
        operations={
            "post": _op("Open a path in an emergency, giving a reason (logged, reviewed by the "
                        "supervisor)", 201, "EmergencyAccess", "EmergencyAccessOpen",
                        (400, 401, 403, 404, 409),
                        params=[_path_param("instance_id", "integer")]),
        },
    )  # fmt: skip
    spec.path(
        "/api/v1/emergency-access",
        operations={
            "get": _op("Emergency openings of the paths you supervise (supervisors): the "
                       "unreviewed ones, with reviewed=true all", 200, "EmergencyAccess",
                       errors=(401, 403), many=True, params=[reviewed]),
        },
    )  # fmt: skip
    spec.path(
        "/api/v1/emergency-access/{access_id}/review",
        operations={
            "post": _op("Mark an emergency opening reviewed, with a note (supervisors)", 200,
                        "EmergencyAccess", "EmergencyAccessReview", (400, 401, 403, 404, 409),
                        params=[_path_param("access_id", "integer")]),
        },
    )  # fmt: skip


def _client_data_paths(spec: APISpec) -> None:
    from web.api import client_data

    for name in ("ClientExport", "RetentionHold", "RetentionHoldCreate"):
        spec.components.schema(name, schema=getattr(client_data, f"{name}Schema"))
    client_id = [_path_param("client_id", "integer")]
    spec.path(
        "/api/v1/clients/{client_id}/export",
        operations={
            "get": _op("Everything kept of the client, for the client (GDPR art. 15 and 20): "
                       "logged as a disclosure", 200, "ClientExport", errors=(401, 403, 404),
                       params=client_id),
        },
    )  # fmt: skip
    spec.path(
        "/api/v1/clients/{client_id}/retention-hold",
        operations={
            "post": _op("Keep the client's record past its retention period, with a reason "
                        "(administrators)", 201, "RetentionHold", "RetentionHoldCreate",
                        (400, 401, 403, 404, 409), params=client_id),
            "delete": _op("Lift the client's retention hold (administrators)", 200,
                          "RetentionHold", errors=(401, 403, 404, 409), params=client_id),
        },
    )  # fmt: skip


def _audit_paths(spec: APISpec) -> None:
    from web.api import audit

    for name in ("AccessReportRow", "AccessReport", "Finding", "UnusualAccess", "FindingReview"):
        spec.components.schema(name, schema=getattr(audit, f"{name}Schema"))
    period = [
        {
            "name": n,
            "in": "query",
            "required": False,
            "schema": {"type": "string", "format": "date"},
        }
        for n in ("from", "to")
    ]
    filters = [
        {"name": n, "in": "query", "required": False, "schema": {"type": t}}
        for n, t in (("kind", "string"), ("reviewed", "boolean"), ("days", "integer"))
    ]
    spec.path(
        "/api/v1/clients/{client_id}/access-report",
        operations={
            "get": _op("The client's access report: every access and disclosure in the period "
                       "(default the last two years), oldest first; making it is logged", 200,
                       "AccessReport", errors=(400, 401, 403, 404),
                       params=[_path_param("client_id", "integer"), *period]),
        },
    )  # fmt: skip
    spec.path(
        "/api/v1/access-review",
        operations={
            "get": _op("Unusual access to the paths you supervise (supervisors): emergency "
                       "openings, many clients in an hour, reads at night, reads of closed paths",
                       200, "UnusualAccess", errors=(400, 401, 403), params=filters),
        },
    )  # fmt: skip
    spec.path(
        "/api/v1/access-review/{finding}/review",
        operations={
            "post": _op("Mark a finding of unusual access reviewed, with a note (supervisors)",
                        200, "Finding", "FindingReview", (400, 401, 403, 404, 409),
                        params=[_path_param("finding")]),
        },
    )  # fmt: skip


def _search_and_notes_paths(spec: APISpec) -> None:
    from web.api import client_search as cs

    for name in ("ClientSearch", "ClientPage", "NoteCreate", "Note"):
        spec.components.schema(name, schema=getattr(cs, f"{name}Schema"))
    spec.path(
        "/api/v1/clients/search",
        operations={
            "post": _op("Find clients by name, pseudonym or exact identity code, a page at a "
                        "time (POST: the text stays out of addresses); logged", 200,
                        "ClientPage", "ClientSearch", (400, 401)),
        },
    )  # fmt: skip
    spec.path(
        "/api/v1/instances/{instance_id}/notes",
        operations={
            "get": _op("The path's notes between colleagues that you may see, oldest first",
                       200, "Note", errors=(401, 403, 404), many=True,
                       params=[_path_param("instance_id", "integer")]),
            "post": _op("Write a note on a running path (visibility: a field class you see)",
                        201, "Created", "NoteCreate", (400, 401, 403, 404, 409),
                        params=[_path_param("instance_id", "integer")]),
        },
    )  # fmt: skip
