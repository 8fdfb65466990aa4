"""Thin views: parse with a schema, call one service, dump with a schema."""

from __future__ import annotations

from typing import Any

from flask import Response, g, jsonify, request, url_for

from engine.errors import Forbidden, InvalidInput, Unauthenticated
from engine.services import clients, designer, instances, queries, records, users, worklist
from engine.services.access import Actor
from web import sso, throttle
from web.api import blueprint
from web.api import schemas as s
from web.api.auth import actor, token_required
from web.context import polku
from web.security import SANDBOX_POLICY, safe_file_stem


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput(
            "the request body must be a JSON object (Content-Type: application/json)",
            code="body_not_object",
        )
    return body


def _created(schema_id: int, location: str) -> Response:
    response = jsonify(s.CreatedSchema().dump({"id": schema_id}))
    response.status_code = 201
    response.headers["Location"] = location
    return response


@blueprint.post("/tokens")
@throttle.per_address()
@throttle.per_account()
def create_token() -> Response:
    body = s.TokenRequestSchema().load(_body())
    if not sso.password_login_allowed():
        raise Forbidden(
            "passwords are turned off here: staff sign in through single sign-on",
            code="passwords_off",
        )
    ctx = polku()
    try:
        user = users.authenticate(ctx.uow(), body["username"], body["password"])
    except Unauthenticated:
        users.record_sign_in(ctx.uow(), ctx.clock, body["username"],
                             "wrong username or password", success=False)  # fmt: skip
        raise
    users.record_sign_in(ctx.uow(), ctx.clock, body["username"], "signed in", success=True)
    token, row = users.issue_token(ctx.uow(), ctx.clock, user.id)
    response = jsonify(s.TokenSchema().dump({"token": token, "expires_at": row.expires_at}))
    response.status_code = 201
    return response


@blueprint.get("/tokens")
@token_required
def list_tokens() -> Response:
    """The caller's own tokens (never their values): when made, when they expire, which is
    the one this request used."""
    ctx = polku()
    current = users.token_id(ctx.uow(), g.api_token)
    rows = users.list_tokens(ctx.uow(), ctx.clock, actor().user_id)
    return jsonify(
        [
            {
                "id": r.id,
                "created_at": r.created_at.isoformat(),
                "expires_at": r.expires_at.isoformat(),
                "current": r.id == current,
            }
            for r in rows
        ]  # fmt: skip
    )


@blueprint.delete("/tokens/current")
@token_required
def revoke_current_token() -> tuple[str, int]:
    """Sign this token out: it stops working at once."""
    ctx = polku()
    current = users.token_id(ctx.uow(), g.api_token)
    if current is not None:
        users.revoke_token(ctx.uow(), ctx.clock, actor().user_id, current)
    return "", 204


@blueprint.delete("/tokens/<int:token_id>")
@token_required
def revoke_token(token_id: int) -> tuple[str, int]:
    users.revoke_token(polku().uow(), polku().clock, actor().user_id, token_id)
    return "", 204


@blueprint.get("/processes")
@token_required
def list_processes() -> Response:
    return jsonify(s.ProcessSchema(many=True).dump(queries.list_processes(polku().uow())))


@blueprint.post("/clients")
@token_required
def create_client() -> Response:
    body = s.ClientCreateSchema().load(_body())
    ctx = polku()
    client_id = clients.create_client(ctx.uow(), ctx.clock, actor(), **body)
    return _created(client_id, url_for("ui.client_page", client_id=client_id))


@blueprint.post("/instances")
@token_required
def start_instance() -> Response:
    body = s.InstanceCreateSchema().load(_body())
    ctx = polku()
    instance_id = instances.start_instance(
        ctx.uow(), ctx.engine, ctx.clock, actor(), body["client"], body["process"],
        body.get("organisation"), override_reason=body.get("override_reason"),
    )  # fmt: skip
    return _created(instance_id, url_for("api.get_instance", instance_id=instance_id))


@blueprint.get("/instances/<int:instance_id>")
@token_required
def get_instance(instance_id: int) -> Response:
    ctx = polku()
    view = queries.get_instance(ctx.uow(), ctx.clock, actor(), instance_id)
    return jsonify(s.InstanceSchema().dump(view))


@blueprint.get("/instances/<int:instance_id>/submissions")
@token_required
def list_submissions(instance_id: int) -> Response:
    """The path's form submissions, each cut to the fields the caller's work needs."""
    ctx = polku()
    found = records.submissions(ctx.uow(), ctx.engine, ctx.clock, actor(), instance_id)
    return jsonify(s.SubmissionSchema(many=True).dump(found))


@blueprint.get("/instances/<int:instance_id>/plan")
@token_required
def list_plan_revisions(instance_id: int) -> Response:
    """The support plan's revisions, oldest first, cut to the fields the caller's work needs."""
    ctx = polku()
    found = records.support_plan_revisions(ctx.uow(), ctx.engine, ctx.clock, actor(), instance_id)
    return jsonify(s.SubmissionSchema(many=True).dump(found))


@blueprint.get("/tasks")
@token_required
def list_tasks() -> Response:
    """A page of the caller's tasks: `items`, the `total` of the filtered list, and the
    `next_cursor` to pass back for the next page (null on the last)."""
    args = s.TaskQuerySchema().load(request.args.to_dict())
    ctx = polku()
    page = worklist.task_page(
        ctx.uow(),
        ctx.clock,
        actor(),
        role=args["role"],
        assignee=args["assignee"],
        instance_id=args["instance"],
        state=args["state"],
        sort=args["sort"],
        limit=args["limit"],
        cursor=args["cursor"],
    )
    return jsonify(s.TaskPageSchema().dump(page))


@blueprint.get("/tasks/<task_id>")
@token_required
def get_task(task_id: str) -> Response:
    ctx = polku()
    return jsonify(
        s.TaskDetailSchema().dump(
            queries.get_task(ctx.uow(), ctx.engine, ctx.clock, actor(), task_id)
        )
    )


@blueprint.post("/tasks/<task_id>/claim")
@token_required
def claim_task(task_id: str) -> Response:
    ctx = polku()
    instances.claim_task(ctx.uow(), ctx.clock, actor(), task_id)
    return _task_response(ctx, actor(), task_id)


@blueprint.post("/tasks/<task_id>/release")
@token_required
def release_task(task_id: str) -> Response:
    ctx = polku()
    instances.claim_task(ctx.uow(), ctx.clock, actor(), task_id, release=True)
    return _task_response(ctx, actor(), task_id)


@blueprint.post("/tasks/<task_id>/complete")
@token_required
def complete_task(task_id: str) -> Response:
    body = s.TaskCompleteSchema().load(_body())
    ctx = polku()
    instance_id = instances.complete_task(
        ctx.uow(), ctx.engine, ctx.clock, actor(), task_id, body["data"]
    )
    location = url_for("api.get_instance", instance_id=instance_id)
    if _wants_minimal():  # RFC 7240: no path view (and no read of the client's data) back
        applied = {"Location": location, "Preference-Applied": "return=minimal"}
        return Response(status=204, headers=applied)
    view = queries.get_instance(ctx.uow(), ctx.clock, actor(), instance_id)
    return jsonify(s.InstanceSchema().dump(view))


def _wants_minimal() -> bool:
    prefer = request.headers.get("Prefer", "")
    return any(p.strip().lower() == "return=minimal" for p in prefer.split(","))


@blueprint.post("/instances/<int:instance_id>/messages")
@token_required
def deliver_message(instance_id: int) -> Response:
    body = s.MessageSchema().load(_body())
    ctx = polku()
    instances.deliver_message(
        ctx.uow(), ctx.engine, ctx.clock, actor(), instance_id, body["name"], body["data"]
    )
    view = queries.get_instance(ctx.uow(), ctx.clock, actor(), instance_id)
    return jsonify(s.InstanceSchema().dump(view))


@blueprint.post("/instances/<int:instance_id>/case-manager")
@token_required
def change_case_manager(instance_id: int) -> Response:
    body = s.CaseManagerSchema().load(_body())
    ctx = polku()
    instances.change_case_manager(
        ctx.uow(), ctx.clock, actor(), instance_id, body["username"], body["reason"]
    )
    view = queries.get_instance(ctx.uow(), ctx.clock, actor(), instance_id)
    return jsonify(s.InstanceSchema().dump(view))


@blueprint.get("/processes/<key>/versions")
@token_required
def list_versions(key: str) -> Response:
    return jsonify(s.VersionSchema(many=True).dump(designer.model_versions(polku().uow(), key)))


@blueprint.get("/processes/<key>/versions/<int:number>/bpmn")
@token_required
def version_bpmn(key: str, number: int) -> Response:
    filename, xml = designer.version_bpmn(polku().uow(), key, number)
    response = Response(xml, mimetype="application/xml")
    # uploaded by a designer: a browser that opens it must not run what it holds
    response.headers["Content-Security-Policy"] = SANDBOX_POLICY
    stem = safe_file_stem(filename, key)
    response.headers["Content-Disposition"] = f'attachment; filename="{stem}.bpmn"'
    return response


@blueprint.post("/processes/<key>/versions")
@token_required
def deploy_version(key: str) -> Response:
    upload = request.files.get("file")
    if upload is not None:
        filename, content = upload.filename or "", upload.read()
    elif request.mimetype in ("application/xml", "text/xml"):
        filename, content = request.args.get("filename", f"{key}.bpmn"), request.get_data()
    else:
        raise InvalidInput(
            "send the BPMN file as multipart field 'file' or as an application/xml body",
            {"file": ["No BPMN file was sent."]},
            code="bpmn_missing",
        )
    ctx = polku()
    result = designer.deploy_bpmn(ctx.uow(), ctx.engine, ctx.clock, actor(), key, filename, content)
    response = jsonify(s.DeployResultSchema().dump(result))
    response.status_code = 201 if result.created else 200
    return response


@blueprint.get("/instances/<int:instance_id>/diagram")
@token_required
def instance_diagram(instance_id: int) -> Response:
    ctx = polku()
    state = queries.diagram_state(ctx.uow(), ctx.engine, ctx.clock, actor(), instance_id)
    return jsonify(s.DiagramSchema().dump(state))


@blueprint.get("/openapi.json")
def openapi() -> Response:
    from web.api.openapi import build_spec

    return jsonify(build_spec())


def _task_response(ctx: Any, who: Actor, task_id: str) -> Response:
    return jsonify(
        s.TaskDetailSchema().dump(queries.get_task(ctx.uow(), ctx.engine, ctx.clock, who, task_id))
    )
