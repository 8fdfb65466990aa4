"""Recorded entries over the API: `GET /api/v1/submissions/<id>` (an entry, its current
revision and every revision, cut to the caller's field classes) and
`POST /api/v1/submissions/<id>/corrections` (the author or their supervisor corrects it with a
reason; the path is not re-routed, see engine/services/corrections.py)."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, url_for
from marshmallow import Schema, fields

from engine.services import corrections, entries
from engine.services.entries import Entry
from engine.services.records import Submission
from web.api import blueprint
from web.api.auth import actor, token_required
from web.api.schemas import SubmissionSchema
from web.api.views import _body
from web.context import polku


class EntryRevisionSchema(Schema):
    number = fields.Integer(metadata={"description": "1 = the original"})
    id = fields.Integer(metadata={"description": "the revision's submission id"})
    recorded_by = fields.String()
    recorded_at = fields.DateTime()
    reason = fields.String(allow_none=True, metadata={"description": "a correction's reason"})
    changed = fields.List(
        fields.String(), metadata={"description": "fields changed from the revision before"}
    )
    decided_fields = fields.List(
        fields.String(),
        metadata={"description": "changed fields a gateway the path had passed decided on"},
    )
    data = fields.Dict(metadata={"description": "the fields the reader may see"})
    hidden = fields.List(fields.String())


class EntrySchema(SubmissionSchema):
    id = fields.Integer(metadata={"description": "the current revision's submission id"})
    original_id = fields.Integer(metadata={"description": "the original entry's id"})
    instance_id = fields.Integer()
    phase = fields.String(allow_none=True)
    corrected_by = fields.String(allow_none=True)
    corrected_at = fields.DateTime(allow_none=True)
    correction_reason = fields.String(allow_none=True)
    decided_fields = fields.List(fields.String())
    may_correct = fields.Boolean(metadata={"description": "the caller may correct it"})
    revisions = fields.List(fields.Nested(EntryRevisionSchema), metadata={"description":
                            "the original first, then each correction"})  # fmt: skip


class CorrectionSchema(Schema):
    data = fields.Dict(
        required=True,
        metadata={
            "description": "the whole corrected form (fields the caller's work does not need "
            "are kept as they are and may not be sent)"
        },
    )
    reason = fields.String(required=True, metadata={"description": "why: 1 to 500 characters"})


def _dump(entry: Entry) -> dict[str, Any]:
    current: Submission = entry.current
    result: dict[str, Any] = {
        name: getattr(current, name) for name in SubmissionSchema().fields if hasattr(current, name)
    }
    result.update(
        {
            "instance_id": entry.instance_id,
            "correction_reason": current.correction_reason,
            "decided_fields": current.decided_fields,
            "may_correct": entry.may_correct,
            "revisions": [
                {
                    "number": r.number,
                    "id": r.entry.id,
                    "recorded_by": r.recorded_by,
                    "recorded_at": r.recorded_at,
                    "reason": r.reason,
                    "changed": r.changed,
                    "decided_fields": r.decided_fields,
                    "data": r.entry.data,
                    "hidden": r.entry.hidden,
                }
                for r in entry.revisions
            ],
        }
    )
    return EntrySchema().dump(result)


@blueprint.get("/submissions/<int:submission_id>")
@token_required
def get_submission(submission_id: int) -> Response:
    """An entry by the id of any of its revisions, with all its revisions."""
    ctx = polku()
    entry = entries.read_entry(
        ctx.uow(), ctx.engine, ctx.clock, actor(), submission_id=submission_id
    )
    return jsonify(_dump(entry))


@blueprint.post("/submissions/<int:submission_id>/corrections")
@token_required
def correct_submission(submission_id: int) -> Response:
    """Correct the entry whose current revision is `submission_id`: 201 with the new
    revision's id; 409 when it is no longer the current revision."""
    body = CorrectionSchema().load(_body())
    ctx = polku()
    new_id = corrections.correct_entry(
        ctx.uow(), ctx.engine, ctx.clock, actor(), submission_id, body["data"], body["reason"]
    )
    response = jsonify({"id": new_id})
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_submission", submission_id=new_id)
    return response


def add_paths(spec: Any, op: Any, path_param: Any) -> None:
    """The OpenAPI document's part for the entries (called by web/api/openapi.py)."""
    for name in ("EntryRevision", "Entry", "Correction"):
        spec.components.schema(name, schema=globals()[f"{name}Schema"])
    spec.components.schema("CorrectionCreated", {
        "type": "object", "properties": {"id": {"type": "integer"}},
    })  # fmt: skip
    submission_id = [path_param("submission_id", "integer")]
    spec.path(
        "/api/v1/submissions/{submission_id}",
        operations={
            "get": op("A recorded entry (a completed task's form) by the id of any of its "
                      "revisions: its current revision and every revision (the original "
                      "first), cut to the fields the caller's work needs", 200, "Entry",
                      errors=(401, 403, 404), params=submission_id),
        },
    )  # fmt: skip
    spec.path(
        "/api/v1/submissions/{submission_id}/corrections",
        operations={
            "post": op("Correct an entry (its author or their supervisor), with a reason: a "
                       "new revision; the original stays. submission_id must be the current "
                       "revision (409 otherwise). The path is not re-routed: a changed field "
                       "a passed gateway decided on is flagged", 201, "CorrectionCreated",
                       "Correction", (400, 401, 403, 404, 409), params=submission_id),
        },
    )  # fmt: skip
