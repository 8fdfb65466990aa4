"""Build a model's process specs with SpiffWorkflow, collecting every finding of the library.

The library stops at the first element it cannot build. Here each such element is reported (as
a coded finding naming it), neutralised in the tree (`element_checks.neutralise`) and the build
is tried again, so that the rest of the model is still checked and all problems show at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnValidator
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

from engine.errors import Text
from engine.workflow import element_checks
from engine.workflow.graph import BPMN_NS, FLOW_NODES
from engine.workflow.model import ModelSource, Problem
from engine.workflow.xml import parse_bpmn_bytes

MAX_ATTEMPTS = 60


@dataclass
class Built:
    spec: Any = None
    subprocess_specs: dict[str, Any] = field(default_factory=dict)
    process_id: str | None = None
    spec_files: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # elements neutralised after a library finding: the loader skips their own checks
    changed: set[str] = field(default_factory=set)


def build(
    trees: dict[str, Any],
    source: ModelSource,
    validator: BpmnValidator,
    make_parser: Callable[..., SpiffBpmnParser] = SpiffBpmnParser,
) -> Built:
    """`make_parser(validator=...)` makes the parser (the loader's knows the decision tables)."""
    built = Built()
    for attempt in range(MAX_ATTEMPTS):
        parser = make_parser(validator=validator)
        built.spec_files = {}
        failed = False
        for name, tree in list(trees.items()):
            try:
                # a retry builds fresh copies: schema validation remembers a document's ids, so
                # a neutralised element's id would otherwise count twice
                parser.add_bpmn_xml(_copy(tree, name) if attempt else tree, filename=name)
            except ValidationException as exc:
                if not _absorb(exc, name, trees, built):
                    return built  # the file cannot be built: its finding is the last
                failed = True
                break
            for pid, process_parser in parser.process_parsers.items():
                if process_parser.filename == name:
                    built.spec_files[pid] = name
        if failed:
            continue
        if not _build_specs(parser, trees, source, built):
            return built
    return built


def _build_specs(
    parser: SpiffBpmnParser, trees: dict[str, Any], source: ModelSource, built: Built
) -> bool:
    """Build the main process; True when an element was neutralised and a retry is due."""
    process_id = source.metadata.get("process_id")
    own = set(source.own_bpmn_files)
    if process_id is None:
        executable = [p for p in parser.get_process_ids() if built.spec_files.get(p) in own]
        if len(executable) != 1:
            built.problems.append(
                Problem(
                    source.key,
                    None,
                    Text(
                        "model_main_process_unknown",
                        "cannot tell the main process: name it as process_id in model.json "
                        "(executable processes: {processes})",
                        processes=", ".join(executable) or "none",
                    ),
                )
            )
            return False
        process_id = executable[0]
    try:
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except ValidationException as exc:
        return _absorb(exc, exc.file_name or "", trees, built)
    except Exception as exc:  # e.g. a process id that does not exist
        problem = Text(
            "model_build_failed",
            "cannot build the process: {error}",
            error=element_checks.clean(str(exc)) or type(exc).__name__,
        )
        built.problems.append(Problem(source.key, process_id, problem))
        return False
    built.spec, built.subprocess_specs, built.process_id = spec, subprocess_specs, process_id
    return False


def _absorb(exc: ValidationException, file: str, trees: dict[str, Any], built: Built) -> bool:
    """Report the library's finding; neutralise its element if it names one that can be."""
    detail = str(exc.args[0]) if exc.args else type(exc).__name__
    element_id = getattr(exc, "id", "") or "" or _caller_of_missing(detail, trees)
    file, element = _find(file, element_id, trees)
    built.problems.append(
        Problem(file or "", element_id or None, element_checks.library_finding(detail, element))
    )
    if element is None:
        return False
    if element_checks.local(element) == "sequenceFlow":
        file, element = _find(file, str(element.get("sourceRef") or ""), trees)
    if element is None or element_checks.local(element) not in FLOW_NODES:
        return False
    target = str(element.get("id"))
    if target in built.changed:
        return False
    built.changed.add(target)
    element_checks.neutralise(element)
    return True


def _copy(tree: Any, name: str) -> Any:
    return parse_bpmn_bytes(etree.tostring(tree), name)


def _caller_of_missing(detail: str, trees: dict[str, Any]) -> str:
    """The call activity behind "The process 'x' was not found" (the library names no
    element), or ''."""
    for called in re.findall(r"'([^']+)'", detail):
        for tree in trees.values():
            for element in tree.getroot().iter(f"{{{BPMN_NS}}}callActivity"):
                if element.get("calledElement") == called and element.get("id"):
                    return str(element.get("id"))
    return ""


def _find(file: str, element_id: str, trees: dict[str, Any]) -> tuple[str, Any | None]:
    if not element_id:
        return file, None
    ordered = [file, *trees] if file in trees else list(trees)
    for name in ordered:
        found = _element(trees[name], element_id)
        if found is not None:
            return name, found
    return file, None


def _element(tree: Any, element_id: str) -> Any | None:
    for element in tree.getroot().iter():
        if isinstance(element.tag, str) and element.get("id") == element_id:
            return element
    return None
