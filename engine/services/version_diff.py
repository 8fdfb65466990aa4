"""What changed between two versions of one model: the elements of the main BPMN file added,
removed and changed, compared by id.

Both files are read with the engine's safe XML parser (no entities, no network). The drawing
(BPMN DI) is left out: an element moved on the canvas is not a change here (the browser's
diff, bpmn-js-differ, marks layout changes on the diagrams). Each element is reduced to its
facets - type, name, attributes, documentation, condition, event definitions, extension
properties (form, phase, ...), other content and the lane it is in - and the facets are compared.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from lxml import etree

from engine.errors import Forbidden, NotFound
from engine.persistence.unit_of_work import UnitOfWork
from engine.services import access
from engine.services.deployment import get_version
from engine.workflow.xml import parse_bpmn_bytes

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
KINDS = ("added", "removed", "changed")

# BPMN attributes with a name of their own on the page; any other is "attribute:<name>"
ATTRIBUTE_FACETS = {
    "sourceRef": "source",
    "targetRef": "target",
    "default": "default_flow",
    "attachedToRef": "attached_to",
    "calledElement": "called_element",
    "messageRef": "message",
    "processRef": "process",
}
# extension properties (spiffworkflow:property name=…) with a name of their own
PROPERTY_FACETS = {"formJsonSchemaFilename": "form", "phase": "phase"}
# BPMN children that are not facets of their parent: flow wiring (the flows say it), the lane
# membership (the "lane" facet says it) and the parts handled one by one below
_NOT_CONTENT = {
    "incoming",
    "outgoing",
    "flowNodeRef",
    "childLaneSet",
    "documentation",
    "extensionElements",
    "conditionExpression",
}
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class FacetChange:
    facet: str  # name, type, condition, form, phase, lane, documentation, source, property:x, …
    old: str | None
    new: str | None


@dataclass
class ElementChange:
    element_id: str
    kind: str  # added | removed | changed
    type: str  # the BPMN element's local name (userTask, sequenceFlow, …); the newer one
    name: str | None  # the newer name (a removed element's last name)
    old_name: str | None = None
    changes: list[FacetChange] = field(default_factory=list)

    @property
    def facets(self) -> list[str]:
        return [c.facet for c in self.changes]


@dataclass(frozen=True)
class VersionRef:
    number: int
    version_id: int  # ProcessModelVersion.id (whose translations the names are read from)
    main_file: str


@dataclass
class VersionDiff:
    key: str
    model_name: str
    old: VersionRef
    new: VersionRef
    changes: list[ElementChange] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[ElementChange]:
        return [c for c in self.changes if c.kind == kind]

    @property
    def counts(self) -> dict[str, int]:
        return {kind: len(self.of_kind(kind)) for kind in KINDS}


@dataclass
class _Element:
    type: str
    facets: dict[str, str]

    @property
    def name(self) -> str | None:
        return self.facets.get("name")


def diff_versions(
    uow: UnitOfWork, actor: access.Actor, key: str, old_number: int, new_number: int
) -> VersionDiff:
    """The changes from version `old_number` to `new_number` of the model `key`."""
    if not access.may_design(actor):  # the designer pages' check (engine.services.designer)
        raise Forbidden("only process designers may manage process models", code="designer_refused")
    with uow:
        found = []
        for number in (old_number, new_number):
            version = get_version(uow, key, number)
            if version is None:
                raise NotFound(
                    f"process model '{key}' has no version {number}",
                    code="model_version_not_found",
                    params={"key": key, "number": number},
                )
            found.append(version)
        old, new = found
        result = VersionDiff(
            key,
            new.model.name,
            VersionRef(old.number, old.id, old.main_file),
            VersionRef(new.number, new.id, new.main_file),
        )
        old_xml, new_xml = old.files[old.main_file], new.files[new.main_file]
    result.changes = diff_bpmn(_bytes(old_xml), _bytes(new_xml))
    return result


def _bytes(content: str | bytes) -> bytes:
    return content.encode("utf-8") if isinstance(content, str) else content


def diff_bpmn(old_xml: bytes, new_xml: bytes) -> list[ElementChange]:
    """The elements added, removed and changed from one BPMN file to another, by id: the added
    ones and the changed ones in the newer file's order, then the removed ones in the older's."""
    old = elements(old_xml, "old.bpmn")
    new = elements(new_xml, "new.bpmn")
    changes: list[ElementChange] = []
    for element_id, element in new.items():
        before = old.get(element_id)
        if before is None:
            changes.append(ElementChange(element_id, "added", element.type, element.name))
            continue
        differences = _compare(before, element)
        if differences:
            changes.append(
                ElementChange(
                    element_id, "changed", element.type, element.name, before.name, differences
                )
            )
    for element_id, element in old.items():
        if element_id not in new:
            changes.append(
                ElementChange(element_id, "removed", element.type, element.name, element.name)
            )
    order = {kind: i for i, kind in enumerate(KINDS)}
    return sorted(changes, key=lambda c: order[c.kind])  # stable: document order within a kind


def _compare(old: _Element, new: _Element) -> list[FacetChange]:
    found = []
    if old.type != new.type:
        found.append(FacetChange("type", old.type, new.type))
    for facet in sorted(old.facets.keys() | new.facets.keys(), key=_facet_order):
        before, after = old.facets.get(facet), new.facets.get(facet)
        if before != after:
            found.append(FacetChange(facet, before, after))
    return found


_FIRST = ("name", "lane", "form", "phase", "condition", "documentation")


def _facet_order(facet: str) -> tuple[int, str]:
    return (_FIRST.index(facet) if facet in _FIRST else len(_FIRST), facet)


def elements(content: bytes, filename: str = "model.bpmn") -> dict[str, _Element]:
    """The BPMN elements with an id, in document order, each with its facets. Event definitions
    are facets of their event, not elements of their own; the drawing (DI) is left out."""
    root = parse_bpmn_bytes(content, filename).getroot()
    lanes = _lanes(root)
    found: dict[str, _Element] = {}
    for node in root.iter(f"{{{BPMN_NS}}}*"):
        element_id = node.get("id")
        local = etree.QName(node).localname
        if not element_id or node is root or local.endswith("EventDefinition"):
            continue
        if _inside_extension(node):
            continue
        facets = _facets(node)
        if element_id in lanes:
            facets["lane"] = lanes[element_id]
        found.setdefault(element_id, _Element(local, facets))
    return found


def _inside_extension(node: etree._Element) -> bool:
    parent = node.getparent()
    while parent is not None:
        if parent.tag == f"{{{BPMN_NS}}}extensionElements":
            return True
        parent = parent.getparent()
    return False


def _lanes(root: etree._Element) -> dict[str, str]:
    """Flow node id -> the name (or id) of the innermost lane it is in."""
    found: dict[str, str] = {}
    for lane in root.iter(f"{{{BPMN_NS}}}lane"):  # outer lanes come first: inner ones win
        label = _clean(lane.get("name")) or lane.get("id") or ""
        for ref in lane.findall(f"{{{BPMN_NS}}}flowNodeRef"):
            if ref.text and ref.text.strip():
                found[ref.text.strip()] = label
    return found


def _clean(text: str | None) -> str | None:
    """Whitespace collapsed (re-flowing a text is not a change); empty is None."""
    if text is None:
        return None
    cleaned = _SPACES.sub(" ", text).strip()
    return cleaned or None


def _facets(node: etree._Element) -> dict[str, str]:
    facets: dict[str, str] = {}

    def put(facet: str, value: str | None) -> None:
        cleaned = _clean(value)
        if cleaned is not None:
            facets[facet] = cleaned

    put("name", node.get("name"))
    for attribute, value in node.attrib.items():
        qname = etree.QName(attribute)
        if qname.namespace is None and qname.localname in ("id", "name"):
            continue
        local = qname.localname if qname.namespace is None else _prefixed(node, qname)
        put(ATTRIBUTE_FACETS.get(local, f"attribute:{local}"), value)
    documentation = [_text(d) for d in node.findall(f"{{{BPMN_NS}}}documentation")]
    put("documentation", " ".join(d for d in documentation if d))
    condition = node.find(f"{{{BPMN_NS}}}conditionExpression")
    if condition is not None:
        put("condition", _text(condition))
    definitions = []
    for child in node:
        if not isinstance(child.tag, str):
            continue  # a comment
        qname = etree.QName(child)
        if qname.namespace != BPMN_NS or qname.localname in _NOT_CONTENT:
            continue
        if qname.localname.endswith("EventDefinition"):
            definitions.append(_describe(child))
        elif child.get("id") is None:
            put(f"content:{qname.localname}", _describe(child))
    put("event_definition", "; ".join(definitions))
    extensions = node.find(f"{{{BPMN_NS}}}extensionElements")
    if extensions is not None:
        _extension_facets(node, extensions, put)
    return facets


def _extension_facets(
    owner: etree._Element, extensions: etree._Element, put: Callable[[str, str | None], None]
) -> None:
    for child in extensions.iter():
        if child is extensions or not isinstance(child.tag, str):
            continue
        local = etree.QName(child).localname
        if local == "property" and child.get("name"):
            name = child.get("name") or ""
            put(PROPERTY_FACETS.get(name, f"property:{name}"), child.get("value") or _text(child))
        elif len(child) == 0:
            parent = child.getparent()
            if parent is not None and etree.QName(parent).localname == "property":
                continue  # a property's own content is its value
            put(f"extension:{_prefixed(owner, etree.QName(child))}", _describe(child))


def _prefixed(node: etree._Element, qname: etree.QName) -> str:
    prefix = next((p for p, ns in node.nsmap.items() if ns == qname.namespace and p), None)
    return f"{prefix}:{qname.localname}" if prefix else qname.localname


def _text(node: etree._Element) -> str:
    return "".join(node.itertext())


def _describe(node: etree._Element) -> str:
    """An element's content as one line, e.g. `timerEventDefinition(timeDuration=P30D)`."""
    inner = _inner(node)
    local = etree.QName(node).localname
    return f"{local}({inner})" if inner else local


_XSI = "http://www.w3.org/2001/XMLSchema-instance"


def _inner(node: etree._Element) -> str:
    parts = [
        f"{etree.QName(k).localname}={v}"
        for k, v in sorted(node.attrib.items())
        if k != "id" and etree.QName(k).namespace != _XSI
    ]
    text = _clean(node.text)
    if text:
        parts.append(text)
    for child in node:
        if not isinstance(child.tag, str):
            continue
        local, inner = etree.QName(child).localname, _inner(child)
        simple = len(child) == 0 and all(
            k == "id" or etree.QName(k).namespace == _XSI for k in child.attrib
        )
        parts.append(f"{local}={inner}" if simple else f"{local}({inner})")
    return " ".join(parts)
