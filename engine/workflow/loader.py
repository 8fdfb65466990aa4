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
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.end_event import EndEvent
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.exclusive_gateway import ExclusiveGateway
from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptTask
from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from engine.workflow import expressions, forms, graph, timers
from engine.workflow.model import ModelSource, ParsedModel, Problem, UserTaskInfo
from engine.workflow.roles import RoleCatalog
from engine.workflow.xml import UnsafeXmlError, parse_bpmn_bytes

PHASES = ("encounter", "referral", "assessment", "services", "follow_up")
FORM_PROPERTY = "formJsonSchemaFilename"
PHASE_PROPERTY = "phase"
OUTCOME_PROPERTY = "outcome"

# SpiffWorkflow names its own helper tasks "Start" and "End": a BPMN element with such an id
# silently replaces them and the process runs nothing.
RESERVED_IDS = ("Start", "End")
RESERVED_MESSAGE = "the id is reserved by the engine: rename the element (e.g. StartEvent_1)"

_validator: BpmnValidator | None = None


def _reserved_ids(tree: Any) -> list[str]:
    return [i for i in RESERVED_IDS if tree.xpath("//*[local-name()='process']//*[@id=$i]", i=i)]


def _bpmn_validator() -> BpmnValidator:
    global _validator
    if _validator is None:  # loading the XSDs takes a while: do it once
        _validator = BpmnValidator()
    return _validator


def load_model(source: ModelSource, roles: RoleCatalog) -> tuple[ParsedModel | None, list[Problem]]:
    """Parse and validate; the model is None when there is any error-severity problem."""
    problems: list[Problem] = []
    parser = SpiffBpmnParser(validator=_bpmn_validator())
    spec_files: dict[str, str] = {}
    if not source.bpmn_files:
        return None, [Problem(source.key, None, "the model has no .bpmn file")]
    for name in source.bpmn_files:
        try:
            tree = parse_bpmn_bytes(source.files[name], name)
            reserved = _reserved_ids(tree)
            if reserved:
                problems.extend(Problem(name, i, RESERVED_MESSAGE) for i in reserved)
                continue
            problems.extend(Problem(name, i, m) for i, m in graph.unreachable(tree))
            parser.add_bpmn_xml(tree, filename=name)
        except UnsafeXmlError as exc:
            problems.append(Problem(name, None, str(exc).removeprefix(f"{name}: ")))
        except ValidationException as exc:
            problems.append(Problem(name, exc.id or None, _spiff_message(exc)))
        for pid in _process_ids_in(parser, name):
            spec_files[pid] = name
    if problems:
        return None, problems

    process_id = source.metadata.get("process_id")
    own = set(source.own_bpmn_files)
    executable = [pid for pid in parser.get_process_ids() if spec_files.get(pid) in own]
    if process_id is None:
        if len(executable) != 1:
            return None, [
                Problem(
                    source.key,
                    None,
                    "cannot tell the main process: name it as process_id in model.json "
                    f"(executable processes: {', '.join(executable) or 'none'})",
                )
            ]
        process_id = executable[0]
    try:
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except ValidationException as exc:
        return None, [Problem(exc.file_name or source.key, exc.id or None, _spiff_message(exc))]
    except Exception as exc:  # e.g. a process id that does not exist
        return None, [Problem(source.key, process_id, f"cannot build the process: {exc}")]

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
            problems.extend(_check_task_spec(task_spec, file, source, roles, model))
    _map_call_activities(model)
    model.warnings = [p for p in problems if p.severity == "warning"]
    if any(p.severity == "error" for p in problems):
        return None, problems
    return model, problems


def _process_ids_in(parser: SpiffBpmnParser, filename: str) -> list[str]:
    return [pid for pid, pp in parser.process_parsers.items() if pp.filename == filename]


def _spiff_message(exc: ValidationException) -> str:
    text = str(exc).split("\n")[0]
    return text or type(exc).__name__


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
    if isinstance(task_spec, ScriptTask):
        error("script tasks are not allowed: model the step as a user task or a gateway")
    if isinstance(task_spec, ServiceTask):
        error("service tasks are not supported")
    if getattr(task_spec, "prescript", None) or getattr(task_spec, "postscript", None):
        error("pre- and post-scripts are not allowed")

    if isinstance(task_spec, UserTask):
        role = roles.role_for_lane(task_spec.lane)
        if task_spec.lane is None:
            error("the user task is in no lane: put it in the lane of the role that does it")
        elif role is None:
            error(f"lane '{task_spec.lane}' does not name a known role (see processes/roles.json)")
        phase = properties.get(PHASE_PROPERTY)
        if phase is None:
            warning("the task has no phase tag (property 'phase')")
        elif phase not in PHASES:
            error(f"phase '{phase}' is not one of {', '.join(PHASES)}")
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

    if isinstance(task_spec, ExclusiveGateway):
        for operator, _target in task_spec.cond_task_specs:
            if operator is None:
                continue
            condition = operator.args[0] if getattr(operator, "args", None) else str(operator)
            try:
                expressions.parse_condition(condition)
            except expressions.ExpressionError as exc:
                error(f"condition '{condition}' is not allowed: {exc}")
        has_condition = any(c is not None for c, _ in task_spec.cond_task_specs)
        if len(task_spec.outputs) > 1 and not has_condition and task_spec.default_task_spec is None:
            error("the exclusive gateway's outgoing flows have neither conditions nor a default")

    definition = getattr(task_spec, "event_definition", None)
    if isinstance(definition, TimerEventDefinition):
        try:
            timers.check(definition)
        except timers.TimerExpressionError as exc:
            error(str(exc))
    if isinstance(task_spec, CatchingEvent) and isinstance(definition, MessageEventDefinition):
        model.message_names.add(definition.name)
    if isinstance(task_spec, EndEvent) and OUTCOME_PROPERTY in properties:
        model.end_outcomes[element] = properties[OUTCOME_PROPERTY]
    return problems


def _load_form(
    reference: str | None, bpmn_file: str, source: ModelSource, error: Any
) -> tuple[str | None, dict[str, Any] | None]:
    if not reference:
        error(f"the user task has no form (property '{FORM_PROPERTY}')")
        return None, None
    path = posixpath.normpath(posixpath.join(posixpath.dirname(bpmn_file), reference))
    if path.startswith("..") or path not in source.files:
        error(f"form '{reference}' does not exist in the model")
        return path, None
    try:
        form = json.loads(source.files[path])
        forms.check_schema(form)
    except (ValueError, SchemaError) as exc:
        message = exc.message if isinstance(exc, SchemaError) else str(exc)
        error(f"form '{reference}' is not a valid JSON Schema: {message}")
        return path, None
    return path, form


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
        if isinstance(task_spec, UserTask) and task_spec.bpmn_id not in order:
            order.append(task_spec.bpmn_id)
        called = getattr(task_spec, "spec", None)
        if isinstance(called, str) and called in model.subprocess_specs:
            inner = model.subprocess_specs[called]
            for inner_spec in _walk(inner.start):
                if isinstance(inner_spec, UserTask) and inner_spec.bpmn_id not in order:
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
