"""The pages' wording of every code the engine gives its errors, field messages and validation
findings (engine.errors.Text): code -> lazy gettext template with %(param)s placeholders.

tests/test_error_codes.py checks that every code the engine can give has an entry here and that
every entry has Finnish and Swedish translations."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

# A class's generic code: the error page's own explanation says it all (no detail is shown).
GENERIC = {
    "error",
    "not_found",
    "conflict",
    "forbidden",
    "invalid_input",
    "unauthenticated",
    "model_error",
    "access_refused",
    "expression_error",
    "workflow_refused",
    "xml_invalid",
    "import_line_invalid",
}

TEMPLATES: dict[str, LazyString] = {
    # the classes' generic codes
    "error": _l("Something went wrong."),
    "not_found": _l("The page or the item you looked for does not exist."),
    "conflict": _l("This could not be done in the current state of the client's path."),
    "forbidden": _l("Your roles do not give you access to this."),
    "invalid_input": _l("The information given has errors."),
    "unauthenticated": _l("Sign in first."),
    "model_error": _l("The process model has an error. Tell the model's maintainer."),
    "access_refused": _l("Your roles do not give you access to this."),
    "expression_error": _l("The condition is not valid."),
    "workflow_refused": _l("The process model could not go on. Tell the model's maintainer."),
    "xml_invalid": _l("The file is not a valid BPMN file."),
    "import_line_invalid": _l("A line of the file is not valid."),
    # things that do not exist
    "task_not_found": _l("The task does not exist."),
    "client_not_found": _l("The client does not exist."),
    "instance_not_found": _l("The path does not exist."),
    "model_not_found": _l("The process model '%(key)s' does not exist."),
    "model_version_not_found": _l("The process model '%(key)s' has no version %(number)s."),
    "dataset_not_found": _l("The imported data set does not exist."),
    "import_job_not_found": _l("The import does not exist."),
    "user_not_found": _l("No user '%(user)s' exists."),
    "finding_not_found": _l("The finding does not exist."),
    "finding_not_in_period": _l("The finding is not in the period."),
    "emergency_access_not_found": _l("The emergency opening does not exist."),
    "pseudonym_not_found": _l("No client has this pseudonym."),
    "sla_target_not_found": _l("The target does not exist."),
    "token_not_found": _l("You have no such token."),
    # refusals
    "designer_refused": _l("Only process designers may change process models."),
    "no_client_relationship": _l("You have no client relationship or task role for this client."),
    "start_path_refused": _l(
        "Only the owning organisation's intake coordinators may start a client's path."
    ),
    "register_clients_refused": _l("Only coordination roles may register clients."),
    "decision_no_consent": _l(
        "No consent to multi-organisation handling is in force: another organisation's "
        "decision cannot be recorded."
    ),
    "decision_no_basis": _l("You have no basis to record an external decision for this client."),
    "case_manager_change_refused": _l(
        "Only the team coordinator or the case manager may change the case manager."
    ),
    "task_not_for_roles": _l("The task “%(name)s” is not for your roles."),
    "task_not_yours": _l("You may not hand over the task “%(name)s”."),
    "team_view_refused": _l("The team view is for the team coordinator."),
    "caseload_refused": _l("Only the team coordinator sees another case manager’s caseload."),
    "consent_refused": _l("Only the client’s case manager and team record consent."),
    "dashboards_refused": _l("The dashboards are for managers, auditors and team coordinators."),
    "people_refused": _l("Only administrators manage people."),
    "policy_settings_refused": _l("Only administrators change the access policy’s settings."),
    "sla_refused": _l("Only administrators set service-level targets."),
    "retention_refused": _l("Retention is administrators’ work."),
    "access_report_refused": _l("You have no basis to make the client’s access report."),
    "access_review_refused": _l("Only supervisors review unusual access."),
    "finding_own": _l("A finding is reviewed by another supervisor than the one it is about."),
    "finding_not_theirs": _l("The finding is not about a path of your organisation."),
    "export_refused": _l("You have no basis to export the client’s data."),
    "emergency_nothing_to_open": _l("There is nothing you may open in an emergency."),
    "emergency_no_consent": _l(
        "No consent to multi-organisation handling: emergency access does not cross "
        "organisation lines."
    ),
    "emergency_not_owner": _l(
        "Emergency access is for care professionals of the path’s owning organisation."
    ),
    "emergency_review_refused": _l("Only supervisors review emergency access."),
    "emergency_review_not_owner": _l(
        "Only the supervisor of the path’s owning organisation reviews its emergency access."
    ),
    "emergency_review_own": _l(
        "An emergency opening is reviewed by another supervisor than the one who made it."
    ),
    "sign_in_failed": _l("Wrong username or password."),
    "sign_in_closed": _l("This account has been closed."),
    "sign_in_no_role": _l("None of your groups gives a role in Polku."),
    "sign_in_role_map_roles": _l("The role map names roles Polku does not have: %(roles)s"),
    "sign_in_role_map_organisations": _l("The role map names organisations Polku does not have."),
    "token_unknown": _l("The token is unknown or has expired."),
    "token_user_inactive": _l("The token’s user is no longer active."),
    # the state of the path and its tasks
    "task_already_done": _l("The task “%(name)s” is already %(state)s."),
    "task_claimed_by": _l("The task “%(name)s” is claimed by %(holder)s."),
    "task_not_claimed": _l("The task “%(name)s” is not claimed."),
    "task_claimed_already": _l("You have already claimed the task “%(name)s”."),
    "task_already_theirs": _l("The task “%(name)s” is already %(holder)s’s."),
    "task_is_awaited_decision": _l(
        "“%(name)s” is an awaited decision: record it with the decision’s form."
    ),
    "path_changed_meanwhile": _l("Someone else changed the client's path meanwhile. Try again."),
    "path_not_running": _l("The path is %(status)s."),
    "model_stuck": _l("The process model could not go on. Tell the model's maintainer."),
    "consent_none": _l("The client has no consent in force."),
    "consent_exists": _l("The client already has a consent in force."),
    "hold_exists": _l("The client is already on hold."),
    "hold_missing": _l("The client is not on hold."),
    "finding_reviewed": _l("The finding is already reviewed."),
    "emergency_access_reviewed": _l("The emergency opening is already reviewed."),
    "emergency_has_basis": _l("You already have a basis to read this path."),
    "workflow_task_unknown": _l("The task is not part of this path."),
    "workflow_task_not_ready": _l("The task is not ready."),
    "workflow_timer_not_waiting": _l("The waiting time is not running."),
    "workflow_no_message_wait": _l("Nothing in this path waits for the message “%(name)s”."),
    # input that has errors (the error's own message)
    "form_has_errors": _l("The form of the task “%(name)s” has errors."),
    "message_unknown": _l("The process has no message '%(name)s'."),
    "reason_required": _l("Give a reason."),
    "draft_not_object": _l("A draft holds the form's fields."),
    "consent_scope_required": _l("Say what the consent covers."),
    "client_invalid": _l("The client's details have errors."),
    "client_exists": _l("A client with this code is registered."),
    "user_invalid": _l("The user's details have errors."),
    "username_taken": _l("This username is taken."),
    "name_missing": _l("Give the person's name."),
    "role_unknown": _l("Unknown role: %(roles)s"),
    "password_too_short": _l("At least %(min)s characters."),
    "own_account": _l(
        "You cannot close your own account or remove your own administrator right: ask "
        "another administrator."
    ),
    "organisation_unknown": _l("No such organisation."),
    "organisation_missing": _l("Choose the organisation that owns the path."),
    "days_after_closing_invalid": _l("Give a whole number of days from %(low)s to %(high)s."),
    "period_invalid": _l("The period is not valid."),
    "period_too_long": _l("The period may be at most ten years."),
    "period_too_many_rows": _l("The period holds too many rows: choose a shorter one."),
    "review_note_invalid": _l("The note may have at most 500 characters."),
    "finding_kind_unknown": _l("Choose a kind from the list."),
    "emergency_reason_invalid": _l("Give a reason of 10 to 500 characters."),
    "hold_reason_invalid": _l("The reason for the hold is not valid."),
    "quiet_days_invalid": _l("Give a whole number of working days from 1 to 250."),
    "export_format_invalid": _l("Choose CSV or XES."),
    "dataset_name_missing": _l("Give the data set a name."),
    "import_model_unknown": _l("Choose a process model."),
    "import_file_too_large": _l("The file is larger than %(max_mb)s MB."),
    "import_not_utf8": _l("The file is not UTF-8 text."),
    "import_failed": _l("The event log was not imported."),
    "model_key_invalid": _l("Use lower-case letters, digits, '-' or '_'."),
    "file_name_invalid": _l("Rename the file: letters, digits, '-', '_' and '.bpmn'."),
    "file_not_bpmn": _l("Upload a .bpmn file."),
    "model_rejected": _l("The model '%(key)s' has errors: nothing was saved."),
    "versions_same": _l("Choose another version."),
    "sla_target_invalid": _l("The target is not valid."),
    "cursor_invalid": _l("The list has changed: start again from the first page."),
    "limit_invalid": _l("Give a whole number from 1 to %(max)s."),
    # correcting an entry, and one's own settings
    "correction_reason_missing": _l("Give the reason for the correction."),
    "correction_reason_too_long": _l("The reason is longer than 500 characters."),
    "correction_nothing_changed": _l("The correction changes nothing: change a value or cancel."),
    "correction_field_not_yours": _l(
        "Your work does not need this field: it cannot be corrected here."
    ),
    "email_one_address": _l("Give one e-mail address, e.g. name@example.fi."),
    "sort_unknown": _l("Choose an order from the list."),
    # field messages (InvalidInput.errors)
    "field_required": _l("This field is required."),
    "value_not_allowed": _l("Choose one of the allowed values."),
    "value_wrong_type": _l("The value is of the wrong type."),
    "value_too_small": _l("The value is too small."),
    "value_too_large": _l("The value is too large."),
    "text_too_short": _l("The text is too short."),
    "text_too_long": _l("The text is too long."),
    "items_too_few": _l("Choose more items."),
    "items_too_many": _l("Choose fewer items."),
    "value_format": _l("The value is not in the right format."),
    "field_unknown": _l("The form has a field it does not know."),
    "value_invalid": _l("The value is not valid."),
    "identity_code_invalid": _l("Not a valid Finnish personal identity code."),
    "client_registered": _l("A client with this code is registered."),
    "reason_give": _l("Give a reason."),
    "user_no_such": _l("No such user."),
    "user_named_missing": _l("No user '%(name)s' exists."),
    "message_no_such": _l("Unknown message '%(name)s'."),
    "colleague_lacks_role": _l("This colleague does not hold the task's role."),
    "consent_scope": _l("Say what the consent covers."),
    "username_characters": _l("Use 1-80 letters, digits, dots or underscores."),
    "password_length": _l("At least %(num)s characters."),
    "roles_unknown": _l("Unknown role: %(codes)s"),
    "feedback_period_unknown": _l("Choose the period: a quarter, a month or a year."),
    "role_client_not_for_staff": _l(
        "The client role belongs to clients only: it cannot be given to staff."
    ),
    "organisations_unknown": _l("Unknown organisation: %(codes)s"),
    "organisation_no_such": _l("No such organisation."),
    "organisation_choose": _l("Choose the organisation that owns the path."),
    "name_give": _l("Give the person's name."),
    "ask_another_admin": _l(
        "You cannot close your own account or remove your own administrator right: ask "
        "another administrator."
    ),
    "days_after_closing_range": _l("Give a whole number of days from %(low)s to %(high)s."),
    "period_reversed": _l("The start of the period is after its end."),
    "period_over_ten_years": _l("The period may be at most ten years."),
    "period_rows": _l("The period holds too many rows: choose a shorter one."),
    "note_too_long": _l("The note may have at most 500 characters."),  # MAX_NOTE
    "days_out_of_range": _l("Give 1 to 366 days."),  # access_review.MAX_DAYS
    "kind_unknown": _l("Choose a kind from the list."),
    "hold_reason_length": _l("Give a reason of %(min)s to %(max)s characters."),
    "emergency_reason_length": _l("Give a reason of 10 to 500 characters."),
    "quiet_days_range": _l("Give a whole number of working days from 1 to 250."),
    "format_csv_or_xes": _l("Choose CSV or XES."),
    "file_too_large": _l("The file is larger than %(mb)s MB."),
    "not_utf8": _l("The file is not UTF-8 text."),
    "dataset_name": _l("Give the data set a name."),
    "model_choose": _l("Choose a process model."),
    "key_characters": _l("Use lower-case letters, digits, '-' or '_'."),
    "file_rename": _l("Rename the file: letters, digits, '-', '_' and '.bpmn'."),
    "file_upload_bpmn": _l("Upload a .bpmn file."),
    "version_choose_other": _l("Choose another version."),
    "sla_step_or_phase": _l("Choose a step or a phase."),
    "phase_one_of": _l("One of %(phases)s."),
    "sla_days_range": _l("Give a whole number of working days from 0 to %(max)s."),
    # a save's lane organisations (engine.services.lane_organisations)
    "lane_organisations_invalid": _l("The lanes' organisations are not valid."),
    "lane_organisations_too_many": _l("Too many lanes."),
    "lane_organisations_strings": _l("Give each lane role an organisation code."),
    "lane_organisations_role": _l(
        "'%(role)s' is not a known role of client work (processes/roles.json)."
    ),
    "lane_organisations_code": _l(
        "'%(code)s' is not a known organisation (processes/organisations.json)."
    ),
    "cursor_start_again": _l("The list has changed: start again from the first page."),
    "limit_range": _l("Give a whole number from 1 to %(max)s."),
    "sort_one_of": _l("Choose an order from the list."),
    # the web layer's own
    "not_a_number": _l("Enter a number."),
    "body_not_object": _l("The request body must be a JSON object."),
    "csv_missing": _l("Send the CSV file."),
    "bpmn_missing": _l("No BPMN file was sent."),
    "token_missing": _l("Sign in first."),
    "passwords_off": _l("Passwords are turned off here: sign in through single sign-on."),
    "decision_missing": _l("Choose the decision."),
    "export_choices_invalid": _l("The export choices are not valid."),
    "account_action_unknown": _l("Choose one of the allowed values."),
    "account_not_closed": _l("Only a closed account's work is handed over here."),
    "request_body_invalid": _l("The request body has errors."),
    # the event-log import's problems: "line N: problem"
    "import_line": _l("Line %(line)s: %(problem)s"),
    "import_empty": _l("the file is empty"),
    "import_no_events": _l("the file has no events"),
    "import_header": _l("the header must be %(columns)s%(missing)s%(unknown)s"),
    "import_field_count": _l("expected %(want)s fields, found %(got)s"),
    "import_field_empty": _l("%(name)s is empty"),
    "import_field_too_long": _l("%(name)s is longer than %(max)s characters"),
    "import_timestamp": _l("timestamp '%(value)s' is not an ISO 8601 time"),
    "import_timestamp_zone": _l("timestamp '%(value)s' has no time zone"),
    "import_lifecycle": _l("lifecycle '%(value)s' is not one of %(allowed)s"),
    "import_line_too_long": _l("the line is longer than %(max)s bytes"),
    "import_field_nul": _l("%(name)s contains a NUL character"),
    "import_not_csv": _l("the line is not CSV (%(why)s)"),
    "import_too_many_rows": _l("more than %(max)s rows"),
    # the import wizard's line problems and choices (issue 16 §3)
    "import_not_xlsx": _l("the file is not an XLSX workbook"),
    "import_xml_doctype": _l("the XML declares a document type"),
    "import_not_xml": _l("the file is not well-formed XML (%(why)s)"),
    "import_time": _l(
        "%(column)s: '%(value)s' is not a time (d.m.yyyy, d.m.yyyy HH:MM or ISO 8601)"
    ),
    "import_column_choose": _l("Choose the column."),
    "import_column_unknown": _l("The file has no column '%(column)s'."),
    "import_attributes_many": _l("At most %(max)s attributes."),
    "import_column_twice": _l("A column can be chosen for one use only."),
    "import_target_unknown": _l(
        "'%(target)s' is not a step of the model nor an event kind of Polku."
    ),
    "import_mapping_invalid": _l("The import's choices are not valid."),
    "import_upload_not_found": _l("The uploaded file does not exist (it is kept for a day)."),
    # why a running path cannot move to another version (engine.workflow.migration)
    "migration_current_missing": _l(
        "The current step “%(step)s” (%(element)s) does not exist in the new version."
    ),
    "migration_passed_missing": _l(
        "The step “%(step)s” (%(element)s) that the path has passed is not in the new version."
    ),
    "migration_map_refused": _l(
        "The current step “%(step)s” (%(element)s) cannot be mapped to %(target_step)s: only a"
        " ready user task of the main diagram can be mapped, to a user task."
    ),
    "migration_map_not_in_place": _l(
        "The current step “%(step)s” (%(element)s) cannot be mapped to %(target_step)s: in the"
        " new version that step does not follow “%(previous)s” as the current one does."
    ),
    "migration_map_invalid": _l(
        "Map a step of the old version to a user task of the new one (%(step)s → %(target_step)s)."
    ),
    "migration_count_changed": _l(
        "The paths have changed since the dry run: %(count)s would move now, not %(expected)s."
        " Nothing was moved; check the dry run again."
    ),
    "migration_nothing_to_undo": _l("The model has no migration to undo."),
    "migration_undo_changed": _l(
        "Another migration is the model's last one now: nothing was undone."
    ),
    "migration_undo_progressed": _l(
        "The path has moved on since the migration (a step done, closed or moved again): it"
        " stays on version %(version)s."
    ),
    # the validator's findings on a process model
    "model_no_bpmn": _l("The model has no .bpmn file."),
    "element_id_reserved": _l(
        "The id is reserved by the engine: rename the element (e.g. StartEvent_1)."
    ),
    "unreachable": _l("cannot be reached from a start event"),
    "dead_end": _l("cannot reach an end event"),
    "model_main_process_unknown": _l(
        "Cannot tell the main process: name it as process_id in model.json (executable "
        "processes: %(processes)s)."
    ),
    "model_build_failed": _l("Cannot build the process: %(error)s"),
    "bpmn_invalid": _l("The BPMN file is not valid: %(detail)s"),
    "file_not_utf8": _l("The file is not UTF-8 text."),
    "xml_too_large": _l("The file is %(size)s bytes, larger than %(max)s bytes."),
    "xml_doctype": _l("DOCTYPE and entity declarations are not allowed."),
    "xml_malformed": _l("The file is not well-formed XML: %(error)s"),
    "script_task": _l("Script tasks are not allowed: model the step as a user task or a gateway."),
    "service_task": _l("Service tasks are not supported."),
    # elements Polku does not run (engine/workflow/element_checks.py)
    "script_task_refused": _l(
        "Script task “%(name)s” (%(element)s): script tasks are not allowed: model the step as "
        "a user task or a gateway."
    ),
    "service_task_refused": _l(
        "Service task “%(name)s” (%(element)s): Polku has no connectors to call other systems: "
        "model the step as a user task (someone does it) or wait for the answer with a message "
        "catch event."
    ),
    "send_task_refused": _l(
        "Send task “%(name)s” (%(element)s): Polku sends no messages to other systems: model "
        "the step as a user task (someone sends it) and wait for any answer with a message "
        "catch event."
    ),
    "ad_hoc_subprocess_refused": _l(
        "Ad hoc subprocess “%(name)s” (%(element)s) is not supported: model the steps with a "
        "parallel or inclusive gateway."
    ),
    "transaction_refused": _l(
        "Transaction “%(name)s” (%(element)s) is not supported: use an embedded subprocess."
    ),
    "event_gateway_refused": _l(
        "Event-based gateway “%(name)s” (%(element)s) is not supported: wait for the message "
        "with a receive task and put a timer boundary event on it for the other branch."
    ),
    "complex_gateway_refused": _l(
        "Complex gateway “%(name)s” (%(element)s) is not supported: use an exclusive, "
        "inclusive or parallel gateway."
    ),
    "event_subprocess_refused": _l(
        "Event subprocess “%(name)s” (%(element)s) is not supported: use a timer or message "
        "boundary event on the step it interrupts."
    ),
    "loop_refused": _l(
        "“%(name)s” (%(element)s) is a multi-instance or loop activity: Polku gives a task to "
        "one role's worklist and cannot repeat it per item or person: use one user task (a "
        "repeating group in its form), a parallel gateway with a task per role, or a gateway "
        "that loops back."
    ),
    "event_multiple_triggers": _l(
        "Event “%(name)s” (%(element)s) has several triggers (%(triggers)s): give it one."
    ),
    "start_event_trigger_refused": _l(
        "Start event “%(name)s” (%(element)s): a %(trigger)s start event is not supported: "
        "Polku starts every path itself: use a plain start event, followed by a timer or "
        "message catch event if the path must wait."
    ),
    "catch_event_trigger_refused": _l(
        "Event “%(name)s” (%(element)s): a %(trigger)s catch event is not supported: wait with "
        "a timer or message catch event."
    ),
    "throw_event_trigger_refused": _l(
        "Event “%(name)s” (%(element)s): a %(trigger)s throw event is not supported: Polku "
        "sends nothing to other systems or other paths: remove the event or use a user task."
    ),
    "boundary_event_trigger_refused": _l(
        "Boundary event “%(name)s” (%(element)s): a %(trigger)s boundary event is not "
        "supported: use a timer or message boundary event."
    ),
    "end_event_trigger_refused": _l(
        "End event “%(name)s” (%(element)s): a %(trigger)s end event is not supported: use a "
        "plain (or terminate) end event, with an 'outcome' property if the outcome matters."
    ),
    "bpmn_element_invalid": _l("“%(name)s” (%(element)s): %(detail)s"),
    "task_scripts": _l("Pre- and post-scripts are not allowed."),
    "user_task_no_lane": _l(
        "The user task is in no lane: put it in the lane of the role that does it."
    ),
    "lane_unknown_role": _l(
        "The lane '%(lane)s' does not name a known role (see processes/roles.json)."
    ),
    "client_lane_not_user_task": _l(
        "The client's lane '%(lane)s' holds only user tasks (the client does them in their own "
        "view): move this element to a team role's lane."
    ),
    "client_field_not_shared": _l(
        "The field '%(field)s' of the form '%(form)s' is of the class '%(visibility)s', but the "
        "client sees every field of their own task: make it 'shared' or move it to a team task."
    ),
    "task_no_phase": _l("The task has no phase tag (property 'phase')."),
    "phase_unknown": _l("The phase '%(phase)s' is not one of %(phases)s."),
    "condition_not_allowed": _l("The condition '%(condition)s' is not allowed: %(problem)s"),
    "gateway_no_condition": _l(
        "The exclusive gateway's outgoing flows have neither conditions nor a default."
    ),
    "user_task_no_form": _l("The user task has no form (property '%(property)s')."),
    "form_missing": _l("The form '%(form)s' does not exist in the model."),
    "form_invalid_schema": _l("The form '%(form)s' is not a valid JSON Schema: %(problem)s"),
    "form_not_object": _l("a form must be a JSON object"),
    "form_body_not_object": _l("No form was sent."),
    "form_body_invalid": _l("The form has errors."),
    "form_not_object_type": _l('a form\'s top-level "type" must be "object"'),
    "form_prefill_shape": _l(
        "the field '%(field)s' has %(keyword)s %(value)s: write \"<step id>.<field>\" (an "
        "earlier user task's BPMN id and its form's field) or \"<field>\""
    ),
    "form_visibility_unknown": _l("the form has %(keyword)s %(value)s: use one of %(allowed)s"),
    "field_visibility_unknown": _l(
        "the field '%(field)s' has %(keyword)s %(value)s: use one of %(allowed)s"
    ),
    "field_visibility_nested": _l(
        "the field '%(field)s' has %(keyword)s inside it: only a form and its top-level fields "
        "carry a visibility class"
    ),
    "form_visibility_place": _l("%(keyword)s is allowed only on the form and its top-level fields"),
    "timer_empty": _l("The timer has no expression."),
    "timer_invalid": _l("The timer expression '%(value)s' is not valid ISO 8601 (%(reason)s)."),
    # why a gateway condition is not allowed (nested in condition_not_allowed)
    "expression_empty": _l("the expression is empty"),
    "expression_too_long": _l("the expression is longer than %(max)s characters"),
    "expression_syntax": _l("syntax error: %(error)s"),
    "expression_operator": _l("the operator '%(operator)s' is not allowed"),
    "expression_private_name": _l(
        "the name '%(name)s' is not allowed (names may not start with '_')"
    ),
    "expression_constant": _l("a constant of type %(type)s is not allowed"),
    "expression_call": _l("function calls are not allowed"),
    "expression_attribute": _l("attribute access is not allowed"),
    "expression_subscript": _l("subscripts are not allowed"),
    "expression_lambda": _l("lambda is not allowed"),
    "expression_assignment": _l("assignment expressions are not allowed"),
    "expression_fstring": _l("f-strings are not allowed"),
    "expression_construct": _l("'%(construct)s' is not allowed in a condition"),
    "expression_unknown_name": _l("the name '%(name)s' is not in the form data"),
    "expression_repeat": _l("repeating strings or lists is not allowed"),
    "expression_failed": _l("the condition could not be evaluated (%(error)s: %(detail)s)"),
    # awaited decisions, the follow-up review's date, a second path of the same model
    "decision_not_for_you": _l("The decision “%(name)s” is not for your roles."),
    "task_not_awaited_decision": _l(
        "“%(name)s” is a task, not an awaited decision: complete it on its page."
    ),
    "decision_already_settled": _l("The decision “%(name)s” is already %(state)s."),
    "decision_claimed": _l("%(holder)s has claimed the decision “%(name)s”."),
    "decision_not_awaited": _l("The path no longer waits for the decision “%(name)s”."),
    "review_reschedule_refused": _l("Only the path's case manager may move its follow-up review."),
    "review_date_invalid": _l("Give a date (YYYY-MM-DD)."),
    "review_date_past": _l("The date is in the past: choose today or a later day."),
    "review_date_not_set": _l("The new review date could not be set."),
    "no_review_waiting": _l("The path waits for no follow-up review just now."),
    "duplicate_path": _l(
        "A path “%(model)s” already runs for this client (started %(started)s). A coordinator "
        "may start a second one by giving a reason."
    ),
    "duplicate_path_override_refused": _l(
        "Only a coordinator may start a second running path of the same model."
    ),
    "override_reason_too_long": _l("The reason is too long."),
    "recorded_by_unknown_role": _l(
        "'recordedBy' names no known role: '%(role)s' (processes/roles.json)"
    ),
    "due_from_field_not_timer": _l("'dueFromField' belongs on a timer event"),
    "due_from_field_invalid": _l("'dueFromField' must name a form field, not '%(field)s'"),
    # decision tables (engine.workflow.decision_tables, dmn_cells, decision_checks)
    "dmn_not_dmn": _l("The file is not a DMN 1.1–1.3 document."),
    "dmn_no_decision": _l("The file has no decision."),
    "dmn_decision_no_table": _l(
        "The decision '%(decision)s' must hold exactly one decision table."
    ),
    "dmn_decision_duplicate": _l("The decision id '%(decision)s' is also used in '%(other)s'."),
    "dmn_hit_policy": _l(
        "Decision table '%(table)s': the hit policy '%(policy)s' is not supported "
        "(use %(policies)s)."
    ),
    "dmn_input_invalid": _l(
        "Decision table '%(table)s', input '%(column)s': the expression '%(expression)s' is not "
        "allowed: %(problem)s"
    ),
    "dmn_output_name": _l(
        "Decision table '%(table)s', output '%(column)s': the output needs a name that is a field "
        "name (letters, digits and '_'), not '%(name)s'."
    ),
    "dmn_no_output": _l("Decision table '%(table)s' has no output column."),
    "dmn_no_rules": _l("Decision table '%(table)s' has no rules."),
    "dmn_rules_same": _l(
        "Decision table '%(table)s': rules %(first)s and %(rule)s have the same input entries "
        "(hit policy UNIQUE)."
    ),
    "dmn_rule_cells": _l(
        "Decision table '%(table)s', rule %(rule)s: it has %(inputs)s input and %(outputs)s "
        "output cells, the table has %(input_columns)s inputs and %(output_columns)s outputs."
    ),
    "dmn_cell_invalid": _l(
        "Decision table '%(table)s', rule %(rule)s, input '%(column)s': the cell '%(cell)s' is not "
        "allowed: %(problem)s"
    ),
    "dmn_output_missing": _l(
        "Decision table '%(table)s', rule %(rule)s, output '%(column)s': the cell is empty."
    ),
    "dmn_output_invalid": _l(
        "Decision table '%(table)s', rule %(rule)s, output '%(column)s': the cell '%(cell)s' is "
        "not allowed: %(problem)s"
    ),
    "dmn_task_no_decision": _l(
        "The business rule task names no decision (spiffworkflow:calledDecisionId)."
    ),
    "dmn_decision_unknown": _l(
        "The business rule task calls the decision '%(decision)s', which no .dmn file of the model "
        "has (decisions: %(decisions)s)."
    ),
    "dmn_input_field_unknown": _l(
        "Decision table '%(table)s', input '%(column)s': no form of the model has a field "
        "'%(field)s'."
    ),
    "dmn_field_unknown": _l(
        "Decision table '%(table)s', rule %(rule)s, column '%(column)s': no form of the model has "
        "a field '%(field)s'."
    ),
    "dmn_cell_not_choice": _l(
        "Decision table '%(table)s', rule %(rule)s, input '%(column)s': %(value)s is not one of "
        "the field's choices (%(choices)s)."
    ),
    "dmn_cell_empty_not": _l("not() needs at least one value"),
    "dmn_cell_empty_item": _l("a list item is empty"),
    "dmn_cell_not_value": _l("'%(text)s' is not a value: use a constant, a field or arithmetic"),
    "dmn_cell_quote": _l("a quotation mark is not closed"),
    "dmn_cell_type": _l("cannot compare %(value)s: %(detail)s"),
    "dmn_not_unique": _l(
        "Decision table '%(table)s': the rules %(rules)s all match (hit policy UNIQUE)."
    ),
    "dmn_any_differs": _l(
        "Decision table '%(table)s': the rules %(rules)s match with different outputs (hit "
        "policy ANY)."
    ),
    "decision_table_not_found": _l("The process model '%(key)s' has no decision table '%(name)s'."),
    # the client search, notes between colleagues
    "search_invalid": _l("The search has errors."),
    "note_invalid": _l("The note has errors."),
    "note_class_not_yours": _l("Your work does not see data of this class: choose another."),
    # the client's own pages (issue 17)
    "client_not_known": _l("We did not find your information in Polku."),
    "correction_request_empty": _l("Write what should be corrected."),
    "correction_request_too_long": _l("The text is too long."),
    # employment events on a path, the pilots' client targets (issue 16)
    "employment_invalid": _l("The employment event has errors."),
    "employment_subsidy_only": _l("Wage subsidy is recorded with an employment relationship."),
    "employment_date_invalid": _l("Give a date (YYYY-MM-DD)."),
    "employment_start_future": _l("The start date is in the future."),
    "employment_end_before_start": _l("The end date is before the start date."),
    "pilot_target_refused": _l("Only administrators set the pilots' targets."),
    "pilot_target_invalid": _l("The pilot target has errors."),
    "pilot_target_range": _l("Between 0 and 100000 clients."),
    "pilot_target_max_below_min": _l("At least the lower target and at most 100000 clients."),
    "pilot_target_step_unknown": _l("The model has no such step."),
    "pilot_target_not_found": _l("There is no such pilot target (%(target_id)s)."),
    "cost_benefit_refused": _l("Only administrators set the cost-benefit parameters."),
    "cost_benefit_invalid": _l("The cost-benefit parameters have errors."),
    "cost_benefit_euros": _l("A sum of euros from 0 to %(high)s, to the cent at most."),
    "cost_benefit_scope_invalid": _l("Choose the region and the period (From and To)."),
    "ips_fidelity_refused": _l("A fidelity round is entered for one of your own organisations."),
    "ips_fidelity_scores": _l("Give each of the 25 items 1–5 points."),
    "ips_fidelity_invalid": _l("The fidelity round has errors."),
    # a model's Swedish and English texts (engine.workflow.model_texts, services.model_texts)
    "texts_fi_unused": _l("The models are written in Finnish: fi.json is not used."),
    "texts_key_unknown": _l("“%(text)s” is no text of the model: was it changed?"),
    "texts_language_refused": _l("“%(lang)s” is not a language to translate into: use sv or en."),
    "texts_language_refused_field": _l("Use the languages sv and en."),
    "texts_language_unknown": _l("“%(lang)s” is not a language of Polku: use sv.json or en.json."),
    "texts_none_sent": _l("No translations were sent."),
    "texts_none_sent_field": _l("No translations were sent."),
    "texts_not_json": _l("The file is not valid JSON: %(detail)s"),
    "texts_not_object": _l("The file must be a JSON object mapping Finnish texts to translations."),
    "texts_not_string": _l("The translation of “%(text)s” is not text."),
    "texts_not_strings": _l("The “%(lang)s” translations must map Finnish texts to texts."),
    "texts_not_strings_field": _l("A translation is not text."),
    "texts_source_unknown": _l("“%(text)s” is no text of the model “%(key)s”."),
    "texts_source_unknown_field": _l("A text to translate is not in the model."),
    "texts_too_long": _l("The translation of “%(text)s” is longer than %(limit)s characters."),
    "texts_too_long_field": _l("A translation is too long."),
    # corrections of recorded entries, notifications, personal settings
    "correction_not_object": _l("The corrected data must hold the form's fields."),
    "correction_invalid": _l("The correction has errors."),
    "correction_refused": _l("Only the author of an entry or their supervisor may correct it."),
    "correction_stale": _l("The entry was corrected meanwhile: correct its current revision."),
    "correction_changes_nothing": _l("The correction changes nothing: change a value or cancel."),
    "entry_not_found": _l("The task has no recorded entry."),
    "submission_not_found": _l("The entry does not exist."),
    "notification_not_found": _l("The notification does not exist or is no longer shown."),
    "limit_not_number": _l("Give a whole number."),
    "email_invalid": _l("Give one e-mail address, e.g. name@example.fi."),
    "account_not_found": _l("Your account does not exist."),
    "texts_body_not_object": _l("No translations were sent."),
    # the form editor
    "form_not_found": _l("The model “%(key)s” has no form “%(form)s”."),
    "form_version_stale": _l(
        "The form was read from version %(based_on)s, but the model's latest is version "
        "%(latest)s: open the form again."
    ),
    "form_version_stale_field": _l("Open the form again."),
    "form_field_referenced": _l(
        "The field “%(field)s” is read by %(reference)s: change that first, or keep the field's "
        "name."
    ),
    "form_field_referenced_field": _l(
        "A condition, a prefill or a timer reads this field by its name."
    ),
    "form_fields_too_many": _l("A form has at most %(limit)s fields."),
    "form_fields_too_many_field": _l("The form has too many fields."),
    "form_field_duplicate": _l("The form has two fields named “%(field)s”."),
    "form_field_duplicate_field": _l("Another field has this name."),
    "form_field_original_twice": _l("A field of the form was sent twice."),
    "form_field_original_twice_field": _l("A field was sent twice: reload the form."),
    "form_field_not_in_form": _l("The form has no field “%(field)s” to edit."),
    "form_field_not_in_form_field": _l("Reload the form."),
    "form_field_name_invalid": _l(
        "“%(field)s” is not a field name: use letters, digits and _, starting with a letter "
        "(at most 64)."
    ),
    "form_field_name_invalid_field": _l("Use letters, digits and _, starting with a letter."),
    "form_field_kind_unknown": _l("“%(kind)s” is not a kind of field."),
    "form_field_kind_unknown_field": _l("Choose the kind of the field."),
    "form_field_visibility_unknown": _l(
        "“%(value)s” is not a visibility class: use one of %(allowed)s."
    ),
    "form_field_visibility_unknown_field": _l("Choose a visibility class."),
    "form_field_no_choices": _l("A choice field needs choices."),
    "form_field_no_choices_field": _l("Write the choices, one per line: value = label."),
    "form_field_choices_too_many": _l("A field has at most %(limit)s choices."),
    "form_field_choices_too_many_field": _l("The field has too many choices."),
    "form_choice_value_invalid": _l(
        "The choice value “%(value)s” is not allowed: 1–100 characters, no “=”."
    ),
    "form_choice_value_invalid_field": _l("Write each choice as value = label."),
    "form_choice_value_twice": _l("The choice value “%(value)s” is given twice."),
    "form_choice_value_twice_field": _l("Each value only once."),
    "form_text_too_long": _l("A text is longer than %(limit)s characters."),
    "form_text_too_long_field": _l("The text is too long."),
}
