"""Reachability over a BPMN file's sequence flows: every element must be reachable from a start
event and must be able to reach an end event (a path may loop, but not dead-end)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from engine.errors import Text

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
FLOW_NODES = {
    "startEvent",
    "endEvent",
    "task",
    "userTask",
    "manualTask",
    "scriptTask",
    "serviceTask",
    "sendTask",
    "receiveTask",
    "businessRuleTask",
    "callActivity",
    "subProcess",
    "adHocSubProcess",
    "transaction",
    "exclusiveGateway",
    "parallelGateway",
    "inclusiveGateway",
    "eventBasedGateway",
    "complexGateway",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
    "boundaryEvent",
}


def _local(element: Any) -> str:
    tag = element.tag
    return tag.split("}", 1)[1] if isinstance(tag, str) and "}" in tag else str(tag)


def unreachable(tree: Any) -> list[tuple[str, Text]]:
    """(element id, problem) for every element of every process and embedded subprocess."""
    problems: list[tuple[str, Text]] = []
    for process in tree.getroot().iter(f"{{{BPMN_NS}}}process"):
        problems.extend(_check_scope(process))
    return problems


def _check_scope(scope: Any) -> list[tuple[str, Text]]:
    nodes: dict[str, Any] = {}
    edges: dict[str, set[str]] = defaultdict(set)
    reverse: dict[str, set[str]] = defaultdict(set)
    problems: list[tuple[str, Text]] = []
    for child in scope:
        name = _local(child)
        if name in FLOW_NODES and child.get("id"):
            nodes[child.get("id")] = child
            if name in ("subProcess", "transaction") and child.get("triggeredByEvent") != "true":
                problems.extend(_check_scope(child))
    for child in scope:
        if _local(child) == "sequenceFlow":
            source, target = child.get("sourceRef"), child.get("targetRef")
            if source in nodes and target in nodes:
                edges[source].add(target)
                reverse[target].add(source)
    for node_id, node in nodes.items():
        if _local(node) == "boundaryEvent" and node.get("attachedToRef") in nodes:
            edges[node.get("attachedToRef")].add(node_id)
            reverse[node_id].add(node.get("attachedToRef"))
    event_subprocesses = {
        i
        for i, n in nodes.items()
        if _local(n) == "subProcess" and n.get("triggeredByEvent") == "true"
    }
    starts = {i for i, n in nodes.items() if _local(n) == "startEvent"} | event_subprocesses
    ends = {i for i, n in nodes.items() if _local(n) == "endEvent"} | event_subprocesses
    if not starts:
        return problems
    reached = _closure(starts, edges)
    finishing = _closure(ends, reverse)
    for node_id in nodes:
        if node_id not in reached:
            problems.append((node_id, Text("unreachable", "cannot be reached from a start event")))
        elif node_id not in finishing:
            problems.append((node_id, Text("dead_end", "cannot reach an end event")))
    return problems


def _closure(seeds: set[str], edges: dict[str, set[str]]) -> set[str]:
    seen, todo = set(seeds), list(seeds)
    while todo:
        for nxt in edges.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen
