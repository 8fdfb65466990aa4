"""Parse and validate a process model's files into an executable `ParsedModel`.

One validator for start-up, the CLI check and (later) uploads: it returns every problem it
finds, each naming the file, the element and what is wrong.
"""

from __future__ import annotations

import json
import posixpath
from typing import Any

from jsonschema.exceptions import SchemaError
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.exclusive_gateway import ExclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.inclusive_gateway import InclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.manual_task import ManualTask
from SpiffWorkflow.bpmn.specs.mixins.none_task import NoneTask
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask

from engine.errors import Text, nested
from engine.workflow import (
    building,
    client_lane,
    decision_checks,
    decision_tables,
    element_checks,
    expressions,
    forms,
    graph,
    model_texts,
    timers,
)
from engine.workflow.model import ModelSource, ParsedModel, Problem, UserTaskInfo, WaitInfo
from engine.workflow.roles import RoleCatalog
from engine.workflow.xml import UnsafeXmlError, parse_bpmn_bytes

PHASES = ("encounter", "referral", "assessment", "services", "follow_up")
FORM_PROPERTY = "formJsonSchemaFilename"
PHASE_PROPERTY = "phase"
OUTCOME_PROPERTY = "outcome"
# on a message catch event: the role that records the awaited decision (else its lane's role)
RECORDED_BY_PROPERTY = "recordedBy"
# on a timer event: a date field of the path's data the timer is due on, when it holds one
DUE_FROM_FIELD_PROPERTY = "dueFromField"

# What a worklist item can be. A plain task and a manual task are *manual* in SpiffWorkflow
# (they wait for someone to complete them, like user tasks): Polku gives them to their lane's
# role as items with a form if they name one, else with an empty form (the doer marks it done).
WORK_TASKS = (UserTask, ManualTask, NoneTask)
EMPTY_FORM: dict[str, Any] = {"type": "object", "properties": {}}

_validator: BpmnValidator | None = None


def _bpmn_validator() -> BpmnValidator:
    global _validator
    if _validator is None:  # loading the XSDs takes a while: do it once
        _validator = BpmnValidator()
    return _validator


def load_model(source: ModelSource, roles: RoleCatalog) -> tuple[ParsedModel | None, list[Problem]]:
    """Parse and validate; the model is None when there is any error-severity problem.

    Every file is checked on its XML first (reachability, the elements Polku does not run), and
    the library then builds what it can, so that all of a model's problems show at once."""
    problems: list[Problem] = []
    if not source.bpmn_files:
        missing = Text("model_no_bpmn", "the model has no .bpmn file")
        return None, [Problem(source.key, None, missing)]
    trees: dict[str, Any] = {}
    changed: set[str] = set()
    for name in source.bpmn_files:
        try:
            tree = parse_bpmn_bytes(source.files[name], name)
        except UnsafeXmlError as exc:
            problems.append(Problem(name, None, exc.text()))
            continue
        reserved = element_checks.reserved_ids(tree)
        if reserved:
            problems.extend(Problem(name, i, element_checks.RESERVED_MESSAGE) for i in reserved)
            continue
        problems.extend(Problem(name, i, m) for i, m in graph.unreachable(tree))
        problems.extend(Problem(name, i, m) for i, m in element_checks.check(tree))
        changed |= element_checks.prepare(tree)
        trees[name] = tree
    if len(trees) < len(source.bpmn_files):
        return None, problems
    decisions, found = decision_tables.read_all(source.files)  # for business rule tasks
    problems.extend(found)
    built = building.build(trees, source, _bpmn_validator(), decision_tables.parser_for(decisions))
    problems.extend(built.problems)
    changed |= built.changed
    if built.spec is None or built.process_id is None:
        return None, problems
    spec, subprocess_specs, process_id = built.spec, built.subprocess_specs, built.process_id
    spec_files = built.spec_files

    model = ParsedModel(
        key=source.key,
        process_id=process_id,
        name=source.metadata.get("name") or spec.description or process_id,
        main_file=spec_files.get(process_id, ""),
        spec=spec,
        subprocess_specs=subprocess_specs,
        lane_organisations={
            str(k): str(v) for k, v in (source.metadata.get("lane_organisations") or {}).items()
        },
    )
    for process_spec in [spec, *subprocess_specs.values()]:
        file = spec_files.get(process_spec.name, process_spec.file or source.key)
        for task_spec in process_spec.task_specs.values():
            if getattr(task_spec, "bpmn_id", None) is None:
                continue  # the library's own start/end helpers
            model.elements[task_spec.bpmn_id] = task_spec.bpmn_name or task_spec.bpmn_id
            if task_spec.bpmn_id in changed:
                continue  # refused above: its own checks would only repeat that
            problems.extend(_check_task_spec(task_spec, file, source, roles, model))
            client_task = model.user_tasks.get(task_spec.bpmn_id)
            in_lane = client_lane.findings(task_spec, roles, client_task)
            problems.extend(Problem(file, task_spec.bpmn_id, m) for m in in_lane)
    _map_call_activities(model)
    problems.extend(_check_prefills(model))
    problems.extend(decision_checks.check(decisions, model, spec_files))
    problems.extend(model_texts.check(source.files))
    model.warnings = [p for p in problems if p.severity == "warning"]
    if any(p.severity == "error" for p in problems):
        return None, problems
    return model, problems


def _check_task_spec(
    task_spec: Any, file: str, source: ModelSource, roles: RoleCatalog, model: ParsedModel
) -> list[Problem]:
    problems: list[Problem] = []
    element = task_spec.bpmn_id

    def error(message: str) -> None:
        problems.append(Problem(file, element, message))

    def warning(message: str) -> None:
        problems.append(Problem(file, element, message, "warning"))

    properties = (getattr(task_spec, "extensions", None) or {}).get("properties", {})
    if getattr(task_spec, "prescript", None) or getattr(task_spec, "postscript", None):
        error(Text("task_scripts", "pre- and post-scripts are not allowed"))

    if isinstance(task_spec, WORK_TASKS):
        role = roles.role_for_lane(task_spec.lane)
        if task_spec.lane is None:
            error(
                Text(
                    "user_task_no_lane",
                    "the user task is in no lane: put it in the lane of the role that does it",
                )
            )
        elif role is None:
            error(
                Text(
                    "lane_unknown_role",
                    "lane '{lane}' does not name a known role (see processes/roles.json)",
                    lane=task_spec.lane,
                )
            )
        phase = properties.get(PHASE_PROPERTY)
        if phase is None:
            warning(Text("task_no_phase", "the task has no phase tag (property 'phase')"))
        elif phase not in PHASES:
            error(_unknown_phase(phase))
        form_path: str | None = None
        form: dict[str, Any] | None = dict(EMPTY_FORM)
        if isinstance(task_spec, UserTask) or properties.get(FORM_PROPERTY):
            form_path, form = _load_form(properties.get(FORM_PROPERTY), file, source, error)
        model.user_tasks[element] = UserTaskInfo(
            bpmn_id=element,
            name=task_spec.bpmn_name or element,
            lane=task_spec.lane,
            role=role,
            phase=phase,
            form_path=form_path,
            form=form,
        )

    if isinstance(task_spec, (ExclusiveGateway, InclusiveGateway)):
        for operator, _target in task_spec.cond_task_specs:
            if operator is None:
                continue
            condition = operator.args[0] if getattr(operator, "args", None) else str(operator)
            try:
                expressions.parse_condition(condition)
            except expressions.ExpressionError as exc:
                error(
                    Text(
                        "condition_not_allowed",
                        "condition '{condition}' is not allowed: {problem}",
                        condition=str(condition),
                        **nested("problem", exc.text()),
                    )
                )
        has_condition = any(c is not None for c, _ in task_spec.cond_task_specs)
        exclusive = isinstance(task_spec, ExclusiveGateway)
        if (
            exclusive
            and len(task_spec.outputs) > 1
            and not has_condition
            and not task_spec.default_task_spec
        ):
            error(
                Text(
                    "gateway_no_condition",
                    "the exclusive gateway's outgoing flows have neither conditions nor a default",
                )
            )

    definition = getattr(task_spec, "event_definition", None)
    if isinstance(definition, TimerEventDefinition):
        try:
            timers.check(definition)
        except timers.TimerExpressionError as exc:
            error(exc.text())
    if isinstance(task_spec, CatchingEvent) and isinstance(definition, MessageEventDefinition):
        model.message_names.add(definition.name)
        _check_wait(task_spec, definition.name, properties, file, source, roles, model, error)
    if DUE_FROM_FIELD_PROPERTY in properties:
        field_name = str(properties[DUE_FROM_FIELD_PROPERTY]).strip()
        if not isinstance(definition, TimerEventDefinition):
            error(Text("due_from_field_not_timer", "'dueFromField' belongs on a timer event"))
        elif not field_name.isidentifier():
            error(
                Text(
                    "due_from_field_invalid",
                    "'dueFromField' must name a form field, not '{field}'",
                    field=field_name,
                )
            )
        else:
            model.due_from_fields[element] = field_name
    if isinstance(task_spec, EndEvent) and OUTCOME_PROPERTY in properties:
        model.end_outcomes[element] = properties[OUTCOME_PROPERTY]
    return problems


def _unknown_phase(phase: object) -> Text:
    return Text(
        "phase_unknown",
        "phase '{phase}' is not one of {phases}",
        phase=str(phase),
        phases=", ".join(PHASES),
    )


def _check_wait(
    task_spec: Any,
    message_name: str,
    properties: dict[str, Any],
    file: str,
    source: ModelSource,
    roles: RoleCatalog,
    model: ParsedModel,
    error: Any,
) -> None:
    """An awaited decision: who records it (a known role) and its form (if named, it exists)."""
    named = properties.get(RECORDED_BY_PROPERTY)
    role: str | None
    if named is not None:
        role = str(named).strip()
        if role not in roles.labels:
            error(
                Text(
                    "recorded_by_unknown_role",
                    "'recordedBy' names no known role: '{role}' (processes/roles.json)",
                    role=role,
                )
            )
            return
    else:
        role = roles.role_for_lane(getattr(task_spec, "lane", None))
    phase = properties.get(PHASE_PROPERTY)
    if phase is not None and phase not in PHASES:
        error(_unknown_phase(phase))
    form_path, form = None, None
    if properties.get(FORM_PROPERTY):
        form_path, form = _load_form(properties[FORM_PROPERTY], file, source, error)
    model.waits[task_spec.bpmn_id] = WaitInfo(
        bpmn_id=task_spec.bpmn_id,
        name=task_spec.bpmn_name or task_spec.bpmn_id,
        message_name=message_name,
        recorded_by=role,
        phase=phase,
        form_path=form_path,
        form=form,
    )


def _load_form(
    reference: str | None, bpmn_file: str, source: ModelSource, error: Any
) -> tuple[str | None, dict[str, Any] | None]:
    if not reference:
        error(
            Text(
                "user_task_no_form",
                "the user task has no form (property '{property}')",
                property=FORM_PROPERTY,
            )
        )
        return None, None
    path = posixpath.normpath(posixpath.join(posixpath.dirname(bpmn_file), reference))
    if path.startswith("..") or path not in source.files:
        error(Text("form_missing", "form '{form}' does not exist in the model", form=reference))
        return path, None
    try:
        form = json.loads(source.files[path])
        forms.check_schema(form)
    except (ValueError, SchemaError) as exc:
        message = exc.message if isinstance(exc, SchemaError) else str(exc)
        error(
            Text(
                "form_invalid_schema",
                "form '{form}' is not a valid JSON Schema: {problem}",
                form=reference,
                **nested("problem", message),
            )
        )
        return path, None
    return path, form


def _check_prefills(model: ParsedModel) -> list[Problem]:
    """Each `x-prefill` of a form names a user task of the model (not the form's own) whose
    form has the field; or, without a step, a field some other user task's form has."""
    problems = []
    for info in model.user_tasks.values():
        if info.form is None:
            continue
        for name, (step, source) in forms.prefills(info.form).items():
            where = f"the field '{name}' of form '{info.form_path}' prefills from"
            others = [t for t in model.user_tasks.values() if t.bpmn_id != info.bpmn_id]
            if step is not None:
                earlier = model.user_tasks.get(step)
                if earlier is None or step == info.bpmn_id:
                    message = f"{where} step '{step}', which is no other user task of the model"
                elif source not in ((earlier.form or {}).get("properties") or {}):
                    message = f"{where} '{step}.{source}', but that step's form has no '{source}'"
                else:
                    continue
            elif any(source in ((t.form or {}).get("properties") or {}) for t in others):
                continue
            else:
                message = f"{where} '{source}', which no other user task's form has"
            problems.append(Problem(model.main_file, info.bpmn_id, message))
    return problems


def _map_call_activities(model: ParsedModel) -> None:
    """Where each subprocess element sits on the main diagram, and the order of the steps."""
    callers: dict[str, str] = {}
    for task_spec in model.spec.task_specs.values():
        called = getattr(task_spec, "spec", None)
        if isinstance(called, str) and getattr(task_spec, "bpmn_id", None):
            callers.setdefault(called, task_spec.bpmn_id)
    for process_id, sub in model.subprocess_specs.items():
        caller = callers.get(process_id)
        if caller is None:
            continue
        for task_spec in sub.task_specs.values():
            if getattr(task_spec, "bpmn_id", None):
                model.top_level.setdefault(task_spec.bpmn_id, caller)
    model.step_order = _breadth_first_user_tasks(model)


def _breadth_first_user_tasks(model: ParsedModel) -> list[str]:
    order: list[str] = []
    queue, seen = [model.spec.start], {model.spec.start.name}
    while queue:
        task_spec = queue.pop(0)
        if isinstance(task_spec, WORK_TASKS) and task_spec.bpmn_id not in order:
            order.append(task_spec.bpmn_id)
        called = getattr(task_spec, "spec", None)
        if isinstance(called, str) and called in model.subprocess_specs:
            inner = model.subprocess_specs[called]
            for inner_spec in _walk(inner.start):
                if isinstance(inner_spec, WORK_TASKS) and inner_spec.bpmn_id not in order:
                    order.append(inner_spec.bpmn_id)
        for output in task_spec.outputs:
            if output.name not in seen:
                seen.add(output.name)
                queue.append(output)
    return order


def _walk(start: Any) -> list[Any]:
    result, queue, seen = [], [start], {start.name}
    while queue:
        task_spec = queue.pop(0)
        result.append(task_spec)
        for output in task_spec.outputs:
            if output.name not in seen:
                seen.add(output.name)
                queue.append(output)
    return result
