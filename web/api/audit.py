"""Access reports and unusual access over the API: `GET /api/v1/clients/<id>/access-report`
(`?from=YYYY-MM-DD&to=YYYY-MM-DD`, default the last two years) for an auditor of an owning
organisation or a professional with a basis for the client; supervisors list unusual access
(`GET /api/v1/access-review?kind=&reviewed=&days=`) and mark a finding reviewed
(`POST /api/v1/access-review/<finding>/review`)."""

from __future__ import annotations

from datetime import date

from flask import Response, jsonify, request
from marshmallow import Schema, ValidationError, fields, validate

from engine.services import access_report, access_review
from web.api import blueprint
from web.api.auth import actor, token_required
from web.api.views import _body
from web.context import polku

TRUE = ("1", "true", "yes")


class AccessReportRowSchema(Schema):
    id = fields.Integer(metadata={"description": "the access-log row"})
    occurred_at = fields.DateTime()
    username = fields.String()
    display_name = fields.String()
    organisation_codes = fields.List(fields.String())
    organisations = fields.List(fields.String(), metadata={"description": "their names"})
    roles = fields.List(fields.String())
    action = fields.String(metadata={"description": "read, create, update, disclose, ..."})
    resource = fields.String()
    detail = fields.String(allow_none=True)
    basis = fields.String()
    success = fields.Boolean()
    outcome = fields.String(metadata={"description": "allowed or refused"})
    instance_id = fields.Integer(allow_none=True)


class AccessReportSchema(Schema):
    client_id = fields.Integer()
    client_pseudonym = fields.String(metadata={"description": "never the client's name"})
    period_from = fields.Date(data_key="from")
    period_to = fields.Date(data_key="to", metadata={"description": "inclusive"})
    made_by = fields.String()
    made_at = fields.DateTime()
    basis = fields.String(metadata={"description": "the basis the report was made on"})
    rows = fields.List(
        fields.Nested(AccessReportRowSchema), metadata={"description": "oldest first"}
    )


class FindingSchema(Schema):
    kind = fields.String(metadata={"description": "emergency, burst, night or closed"})
    key = fields.String(metadata={"description": "URL-safe: POST .../<key>/review"})
    username = fields.String()
    display_name = fields.String()
    occurred_at = fields.DateTime()
    last_at = fields.DateTime()
    client_pseudonyms = fields.List(fields.String(), metadata={"description": "never names"})
    instance_id = fields.Integer(allow_none=True)
    organisation = fields.String(allow_none=True)
    description = fields.String()
    reads = fields.Integer()
    reason = fields.String(allow_none=True, metadata={"description": "an emergency's reason"})
    closed_at = fields.DateTime(allow_none=True)
    reviewed = fields.Boolean()
    reviewed_by = fields.String(allow_none=True)
    reviewed_at = fields.DateTime(allow_none=True)
    review_note = fields.String(allow_none=True)


class UnusualAccessSchema(Schema):
    since = fields.DateTime()
    until = fields.DateTime()
    truncated = fields.Boolean(metadata={"description": "not everything was examined or shown"})
    findings = fields.List(fields.Nested(FindingSchema), metadata={"description": "newest first"})


class FindingReviewSchema(Schema):
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=500))


def _day(name: str) -> date | None:
    text = (request.args.get(name) or "").strip()
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        raise ValidationError({name: ["Give a date as YYYY-MM-DD."]}) from None


def _days() -> int:
    text = (request.args.get("days") or "").strip()
    if not text:
        return access_review.DEFAULT_DAYS
    if not text.isdigit():
        raise ValidationError({"days": [access_review.DAYS_MESSAGE]})
    return int(text)


@blueprint.get("/clients/<int:client_id>/access-report")
@token_required
def get_access_report(client_id: int) -> Response:
    since, until = _day("from"), _day("to")
    ctx = polku()
    made = access_report.access_report(ctx.uow(), ctx.clock, actor(), client_id, since, until)
    return jsonify(AccessReportSchema().dump(made))


@blueprint.get("/access-review")
@token_required
def list_unusual_access() -> Response:
    include = request.args.get("reviewed", "").lower() in TRUE
    kind = (request.args.get("kind") or "").strip() or None
    ctx = polku()
    found = access_review.unusual_access(ctx.uow(), ctx.clock, actor(), _days(), include, kind=kind)
    return jsonify(UnusualAccessSchema().dump(found))


@blueprint.post("/access-review/<finding>/review")
@token_required
def review_unusual_access(finding: str) -> Response:
    body = FindingReviewSchema().load(_body())
    ctx = polku()
    done = access_review.mark_reviewed(
        ctx.uow(), ctx.clock, actor(), finding, body["note"], since_days=_days()
    )
    return jsonify(FindingSchema().dump(done))
