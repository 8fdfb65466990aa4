"""marshmallow schemas: what the API accepts and what it answers."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from engine.services.worklist import DEFAULT_LIMIT, MAX_LIMIT, SORTS
from engine.services.worklist_cursor import MAX_LENGTH as CURSOR_MAX_LENGTH
from web.security import MAX_ID

# ids the database can hold; a larger one is refused as invalid, not looked up
ID_RANGE = validate.Range(min=1, max=MAX_ID)


class TokenRequestSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=80))
    password = fields.String(
        required=True, validate=validate.Length(min=1, max=500), load_only=True
    )


class TokenInfoSchema(Schema):
    id = fields.Integer()
    created_at = fields.DateTime()
    expires_at = fields.DateTime()
    current = fields.Boolean(metadata={"description": "the token this request used"})


class TokenSchema(Schema):
    token = fields.String(required=True)
    token_type = fields.String(dump_default="Bearer")
    expires_at = fields.DateTime()


class ProcessSchema(Schema):
    key = fields.String()
    name = fields.String()
    version = fields.Integer()
    process_id = fields.String()
    deployed_at = fields.DateTime()


class ClientCreateSchema(Schema):
    full_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    identity_code = fields.String(load_default=None, validate=validate.Length(max=20))
    municipality = fields.String(load_default=None, validate=validate.Length(max=100))
    consent_scope = fields.String(load_default=None, validate=validate.Length(max=500))


class CreatedSchema(Schema):
    id = fields.Integer()


class InstanceCreateSchema(Schema):
    client = fields.Integer(required=True, strict=True, validate=ID_RANGE)
    process = fields.String(required=True, validate=validate.Length(min=1, max=100))
    # the organisation (code) that owns the path; by default the model's region's county, the
    # county of the client's municipality, or the starter's only county
    organisation = fields.String(validate=validate.Length(min=1, max=60))
    # a second running path of the same model: a coordinator's reason to start it anyway
    override_reason = fields.String(load_default=None, validate=validate.Length(min=1, max=500))


class TaskSchema(Schema):
    id = fields.String()
    instance_id = fields.Integer()
    client_id = fields.Integer()
    client_pseudonym = fields.String()
    bpmn_id = fields.String()
    name = fields.String()
    phase = fields.String(allow_none=True)
    role = fields.String(allow_none=True)
    assignee = fields.String(allow_none=True)
    claimed_by = fields.String(allow_none=True)
    state = fields.String()
    created_at = fields.DateTime()
    due_at = fields.DateTime(allow_none=True)
    completed_by = fields.String(allow_none=True)
    completed_at = fields.DateTime(allow_none=True)
    kind = fields.String(
        metadata={"description": "task, or wait: an awaited decision (POST .../decision)"}
    )


class TaskDetailSchema(TaskSchema):
    client_name = fields.String()
    form = fields.Dict(allow_none=True, metadata={"description": "the task's JSON Schema form"})


class TaskQuerySchema(Schema):
    role = fields.String(load_default=None)
    assignee = fields.String(load_default=None)
    instance = fields.Integer(load_default=None, validate=ID_RANGE)
    state = fields.String(
        load_default="open", validate=validate.OneOf(["open", "completed", "cancelled"])
    )
    sort = fields.String(
        load_default="created",
        validate=validate.OneOf(list(SORTS)),
        metadata={"description": "the order; the task's id breaks ties"},
    )
    limit = fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=validate.Range(min=1, max=MAX_LIMIT),
        metadata={"description": f"tasks on a page (default {DEFAULT_LIMIT}, at most {MAX_LIMIT})"},
    )
    cursor = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=CURSOR_MAX_LENGTH),
        metadata={"description": "a page's next_cursor or prev_cursor, passed back as it is"},
    )


class TaskPageSchema(Schema):
    items = fields.List(fields.Nested(TaskSchema), attribute="tasks")
    total = fields.Integer(metadata={"description": "tasks in the whole filtered list"})
    offset = fields.Integer(metadata={"description": "tasks of the list before this page"})
    limit = fields.Integer()
    next_cursor = fields.String(
        allow_none=True, metadata={"description": "the next page's cursor; null on the last page"}
    )
    prev_cursor = fields.String(
        allow_none=True,
        metadata={"description": "the previous page's cursor; null on the first page"},
    )


class TaskCompleteSchema(Schema):
    data = fields.Dict(keys=fields.String(), required=True)


class MessageSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    data = fields.Dict(keys=fields.String(), load_default=dict)


class CaseManagerSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=80))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class EventSchema(Schema):
    id = fields.Integer()
    occurred_at = fields.DateTime()
    kind = fields.String()
    bpmn_id = fields.String(allow_none=True)
    element_name = fields.String(allow_none=True)
    task_id = fields.String(allow_none=True)
    actor = fields.String(allow_none=True)
    role = fields.String(allow_none=True)
    data = fields.Dict(
        metadata={"description": "for a completed task, the fields the reader may see"}
    )
    hidden = fields.List(
        fields.String(),
        metadata={"description": "fields left out of data: the reader's work does not need them"},
    )
    hidden_classes = fields.List(
        fields.String(), metadata={"description": "the visibility classes of the hidden fields"}
    )


class SubmissionSchema(Schema):
    id = fields.Integer(
        metadata={"description": "the entry's current revision (GET /api/v1/submissions/<id>)"}
    )
    original_id = fields.Integer(metadata={"description": "the entry as first recorded"})
    corrected = fields.Boolean(metadata={"description": "corrected since it was recorded"})
    corrected_by = fields.String(allow_none=True)
    corrected_at = fields.DateTime(allow_none=True)
    phase = fields.String(allow_none=True)
    task_id = fields.String()
    bpmn_id = fields.String()
    task_name = fields.String()
    form_path = fields.String(allow_none=True)
    data = fields.Dict(metadata={"description": "the fields the reader may see"})
    submitted_by = fields.String()
    submitted_at = fields.DateTime()
    hidden = fields.List(
        fields.String(),
        metadata={"description": "fields left out of data: the reader's work does not need them"},
    )
    hidden_classes = fields.List(
        fields.String(), metadata={"description": "the visibility classes of the hidden fields"}
    )


class WaitingSchema(Schema):
    kind = fields.String()
    name = fields.String()
    bpmn_id = fields.String()
    message_name = fields.String(allow_none=True)
    due_at = fields.DateTime(allow_none=True)


class InstanceSchema(Schema):
    id = fields.Integer()
    client_id = fields.Integer()
    client_pseudonym = fields.String()
    model_key = fields.String()
    model_name = fields.String()
    model_version = fields.Integer()
    status = fields.String()
    outcome = fields.String(allow_none=True)
    case_manager = fields.String(allow_none=True)
    created_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)
    open_tasks = fields.List(fields.Nested(TaskSchema))
    waiting = fields.List(fields.Nested(WaitingSchema))
    history = fields.List(fields.Nested(EventSchema))


class VersionSchema(Schema):
    number = fields.Integer()
    deployed_at = fields.DateTime()
    deployed_by = fields.String()
    content_hash = fields.String()
    source = fields.String()
    validation = fields.List(fields.String())
    running = fields.Integer()
    main_file = fields.String()


class DeployResultSchema(Schema):
    key = fields.String()
    version = fields.Integer()
    created = fields.Boolean()


class MigrationRequestSchema(Schema):
    from_version = fields.Integer(required=True, strict=True, validate=ID_RANGE)
    to_version = fields.Integer(required=True, strict=True, validate=ID_RANGE)
    dry_run = fields.Boolean(load_default=True)
    # which paths move (engine.services.path_migration.Selection): these (default all) ...
    instances = fields.List(
        fields.Integer(strict=True, validate=ID_RANGE),
        load_default=None,
        validate=validate.Length(max=10000),
    )
    # ... at any of these current steps (old version ids; default any)
    steps = fields.List(
        fields.String(validate=validate.Length(min=1, max=200)),
        load_default=None,
        validate=validate.Length(max=500),
    )
    # a current step the new version lacks -> the user task its token moves to
    step_map = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=200)),
        values=fields.String(validate=validate.Length(min=1, max=200)),
        load_default=dict,
        validate=validate.Length(max=200),
    )
    # the count the dry run showed: if another number would move now, nothing moves (409)
    expect = fields.Integer(strict=True, load_default=None, validate=validate.Range(min=0))


class MigrationCandidateSchema(Schema):
    instance_id = fields.Integer()
    client_pseudonym = fields.String()
    current_steps = fields.List(fields.String())
    movable = fields.Boolean()
    reasons = fields.List(fields.String())
    moved = fields.Boolean()
    selected = fields.Boolean(metadata={"description": "chosen by the request's selection"})
    current_step_ids = fields.List(fields.String())
    missing_steps = fields.List(
        fields.String(), metadata={"description": "current steps the new version lacks"}
    )


class DiagramSchema(Schema):
    model_key = fields.String()
    version = fields.Integer()
    xml = fields.String()
    current = fields.List(fields.String())
    done = fields.List(fields.String())
