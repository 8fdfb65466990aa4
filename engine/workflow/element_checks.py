"""Every BPMN element is either run by Polku or refused here, naming it (issue 15 §4).

The checks read the XML, before SpiffWorkflow builds anything, so every refused element of a
file is reported at once. `prepare` then makes the tree something the library can build, so
that Polku's own checks (lanes, forms, conditions) still run on the rest of the model: a refused
element becomes a plain task (or loses its trigger), and the data objects and stores, which are
documentation only in Polku, are taken out. docs/bpmn-conventions.md lists what runs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from lxml import etree

from engine.errors import Text
from engine.workflow.graph import BPMN_NS

# Element tag -> its refusal (from the params name and element), saying what to use instead.
REFUSED_ELEMENTS: dict[str, Callable[[dict[str, Any]], Text]] = {
    "scriptTask": lambda p: Text(
        "script_task_refused",
        "script task '{name}' ({element}): script tasks are not allowed: model the step as a "
        "user task or a gateway",
        **p,
    ),
    "serviceTask": lambda p: Text(
        "service_task_refused",
        "service task '{name}' ({element}): Polku has no connectors to call other systems: "
        "model the step as a user task (someone does it) or wait for the answer with a message "
        "catch event",
        **p,
    ),
    "sendTask": lambda p: Text(
        "send_task_refused",
        "send task '{name}' ({element}): Polku sends no messages to other systems: model the "
        "step as a user task (someone sends it) and wait for any answer with a message catch "
        "event",
        **p,
    ),
    "adHocSubProcess": lambda p: Text(
        "ad_hoc_subprocess_refused",
        "ad hoc subprocess '{name}' ({element}): not supported: model the steps with a parallel "
        "or inclusive gateway",
        **p,
    ),
    "transaction": lambda p: Text(
        "transaction_refused",
        "transaction '{name}' ({element}): not supported: use an embedded subprocess",
        **p,
    ),
    "eventBasedGateway": lambda p: Text(
        "event_gateway_refused",
        "event-based gateway '{name}' ({element}): not supported (SpiffWorkflow keeps the "
        "events of the gateway's branches in the gateway, where Polku's worklist and timer "
        "worker do not see them): wait for the message with a receive task and put a timer "
        "boundary event on it for the other branch",
        **p,
    ),
    "complexGateway": lambda p: Text(
        "complex_gateway_refused",
        "complex gateway '{name}' ({element}): not supported: use an exclusive, inclusive or "
        "parallel gateway",
        **p,
    ),
}
TASK_TAGS = {
    "task",
    "userTask",
    "manualTask",
    "receiveTask",
    "callActivity",
    "subProcess",
    "businessRuleTask",  # runs a decision table (engine.workflow.decision_tables)
    *REFUSED_ELEMENTS,
}
DATA_TAGS = {
    "dataObject",
    "dataObjectReference",
    "dataStore",
    "dataStoreReference",
    "dataInputAssociation",
    "dataOutputAssociation",
    "ioSpecification",
    "ioBinding",
}
LOOP_TAGS = {"multiInstanceLoopCharacteristics", "standardLoopCharacteristics"}
EVENT_TAGS = {
    "startEvent",
    "endEvent",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
    "boundaryEvent",
}
# The triggers (event definitions, without "EventDefinition") each kind of event may carry;
# "none" is an event without one.
ALLOWED_TRIGGERS: dict[str, set[str]] = {
    "startEvent": {"none"},
    "intermediateCatchEvent": {"timer", "message"},
    "intermediateThrowEvent": {"none"},
    "boundaryEvent": {"timer", "message"},
    "endEvent": {"none", "terminate"},
}
# Event tag -> the refusal of a trigger it may not carry (params name, element, trigger).
TRIGGER_REFUSALS: dict[str, Callable[[dict[str, Any]], Text]] = {
    "startEvent": lambda p: Text(
        "start_event_trigger_refused",
        "start event '{name}' ({element}): a {trigger} start event is not supported: Polku "
        "starts every path itself: use a plain start event, followed by a timer or message "
        "catch event if the path must wait",
        **p,
    ),
    "intermediateCatchEvent": lambda p: Text(
        "catch_event_trigger_refused",
        "event '{name}' ({element}): a {trigger} catch event is not supported: wait with a "
        "timer or message catch event",
        **p,
    ),
    "intermediateThrowEvent": lambda p: Text(
        "throw_event_trigger_refused",
        "event '{name}' ({element}): a {trigger} throw event is not supported: Polku sends "
        "nothing to other systems or other paths: remove the event or use a user task",
        **p,
    ),
    "boundaryEvent": lambda p: Text(
        "boundary_event_trigger_refused",
        "boundary event '{name}' ({element}): a {trigger} boundary event is not supported: use "
        "a timer or message boundary event",
        **p,
    ),
    "endEvent": lambda p: Text(
        "end_event_trigger_refused",
        "end event '{name}' ({element}): a {trigger} end event is not supported: use a plain "
        "(or terminate) end event, with an 'outcome' property if the outcome matters",
        **p,
    ),
}
# SpiffWorkflow names its own helper tasks "Start" and "End": a BPMN element with such an id
# silently replaces them and the process runs nothing.
RESERVED_IDS = ("Start", "End")
RESERVED_MESSAGE = Text(
    "element_id_reserved",
    "the id is reserved by the engine: rename the element (e.g. StartEvent_1)",
)
_REPR = re.compile(r"<Element \{[^}]*\}(\w+) at 0x[0-9a-fA-F]+>")
_SPACE = re.compile(r"\s+")
MAX_DETAIL = 300


def local(element: Any) -> str:
    tag = element.tag
    return tag.split("}", 1)[1] if isinstance(tag, str) and "}" in tag else str(tag)


def label(element: Any) -> str:
    """An element's name for a message: its name on one line, else its id."""
    return clean(element.get("name") or "") or str(element.get("id") or "")


def clean(text: str) -> str:
    """One line, no object reprs, not too long: fit for a finding."""
    text = _REPR.sub(lambda m: m.group(1), text)
    text = _SPACE.sub(" ", text).strip().rstrip(".").strip()
    return text if len(text) <= MAX_DETAIL else text[: MAX_DETAIL - 1] + "…"


def _bpmn(tag: str) -> str:
    return f"{{{BPMN_NS}}}{tag}"


def _in_processes(tree: Any) -> list[Any]:
    found: list[Any] = []
    for process in tree.getroot().iter(_bpmn("process")):
        found.extend(e for e in process.iter() if isinstance(e.tag, str))
    return found


def triggers(event: Any) -> list[str]:
    """The event's triggers: 'timer', 'message', ... ([] for a plain event)."""
    names = []
    for child in event:
        name = local(child)
        if name.endswith("EventDefinition"):
            names.append(name[: -len("EventDefinition")])
    names.extend("ref" for _ in event.iter(_bpmn("eventDefinitionRef")))
    return names


def reserved_ids(tree: Any) -> list[str]:
    return [i for i in RESERVED_IDS if tree.xpath("//*[local-name()='process']//*[@id=$i]", i=i)]


def check(tree: Any) -> list[tuple[str, Text]]:
    """(element id, finding) for every element of the file's processes Polku does not run."""
    problems: list[tuple[str, Text]] = []
    for element in _in_processes(tree):
        if any(_is_event_subprocess(a) for a in element.iterancestors()):
            continue  # refused as a whole
        tag, element_id = local(element), str(element.get("id") or "")
        params = {"name": label(element), "element": element_id}
        if tag in REFUSED_ELEMENTS:
            problems.append((element_id, REFUSED_ELEMENTS[tag](params)))
        elif _is_event_subprocess(element):
            problems.append((element_id, _event_subprocess(params)))
        elif tag in EVENT_TAGS:
            problem = _event_problem(element, tag, params)
            if problem is not None:
                problems.append((element_id, problem))
        if tag in TASK_TAGS and any(local(c) in LOOP_TAGS for c in element):
            problems.append((element_id, _loop(params)))
    return problems


def _is_event_subprocess(element: Any) -> bool:
    return local(element) == "subProcess" and element.get("triggeredByEvent") == "true"


def _event_subprocess(params: dict[str, Any]) -> Text:
    return Text(
        "event_subprocess_refused",
        "event subprocess '{name}' ({element}): not supported: use a timer or message "
        "boundary event on the step it interrupts",
        **params,
    )


def _loop(params: dict[str, Any]) -> Text:
    return Text(
        "loop_refused",
        "'{name}' ({element}) is a multi-instance or loop activity: Polku gives a task to one "
        "role's worklist and cannot repeat it per item or person: use one user task (a "
        "repeating group in its form), a parallel gateway with a task per role, or a gateway "
        "that loops back",
        **params,
    )


def _event_problem(event: Any, tag: str, params: dict[str, Any]) -> Text | None:
    found = triggers(event)
    if len(found) > 1:
        return Text(
            "event_multiple_triggers",
            "event '{name}' ({element}) has several triggers ({triggers}): give it one",
            triggers=", ".join(found),
            **params,
        )
    trigger = found[0] if found else "none"
    if trigger in ALLOWED_TRIGGERS[tag]:
        return None
    return TRIGGER_REFUSALS[tag]({"trigger": trigger, **params})


def prepare(tree: Any) -> set[str]:
    """Make the tree buildable: data elements out, refused elements neutralised (in place).

    Returns the ids of the elements changed, whose own checks the loader then skips."""
    changed: set[str] = set()
    for element in _in_processes(tree) + list(tree.getroot()):
        if local(element) in DATA_TAGS and element.getparent() is not None:
            element.getparent().remove(element)
    refused = {element_id for element_id, _ in check(tree)}
    for element in _in_processes(tree):
        element_id = element.get("id")
        if element_id not in refused or element.getparent() is None:
            continue
        changed.add(element_id)
        neutralise(element)
    return changed


def neutralise(element: Any) -> None:
    """Turn one element into something the library builds and runs harmlessly."""
    tag = local(element)
    if tag == "boundaryEvent" or (tag == "subProcess" and element.get("triggeredByEvent")):
        element.getparent().remove(element)
        return
    for child in list(element):
        name = local(child)
        if name.endswith("EventDefinition") or name == "eventDefinitionRef" or name in LOOP_TAGS:
            element.remove(child)
    if tag in EVENT_TAGS:
        return
    if tag.endswith("Gateway"):
        replacement = etree.Element(_bpmn("parallelGateway"))
    else:
        replacement = etree.Element(_bpmn("task"))
    for key in ("id", "name"):
        if element.get(key) is not None:
            replacement.set(key, element.get(key))
    for child in element:
        if local(child) in ("incoming", "outgoing"):
            replacement.append(child.__copy__())
    element.getparent().replace(element, replacement)


def element_by_id(tree: Any, element_id: str) -> Any | None:
    for element in _in_processes(tree):
        if element.get("id") == element_id:
            return element
    return None


def library_finding(detail: str, element: Any | None) -> Text:
    """A SpiffWorkflow finding (English, uncoded) as a coded one naming the element."""
    text = clean(detail) or "the library refused the model"
    if element is None:
        return Text("bpmn_invalid", "{detail}", detail=text)
    return Text(
        "bpmn_element_invalid",
        "'{name}' ({element}): {detail}",
        name=label(element),
        element=str(element.get("id") or ""),
        detail=text,
    )
