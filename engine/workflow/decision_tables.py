"""DMN decision tables for business rule tasks, in Polku's expression language.

A model's `.dmn` files (usually `decisions/<name>.dmn`) are part of its version like its forms.
Each file holds one or more `decision`s, each with one `decisionTable`. A
`bpmn:businessRuleTask` names a decision with `spiffworkflow:calledDecisionId`; when the path
reaches it, the table is evaluated over the path's data and its outputs join the data, so that
a following gateway routes on them. Cells are parsed by `dmn_cells` (never Python `eval`).

Hit policies: UNIQUE (at most one rule may match), FIRST (the first matching rule in order) and
ANY (every matching rule gives the same outputs). When no rule matches, every output is `null`.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.task_spec import SpiffBpmnTaskConverter

from engine.errors import Text, nested
from engine.workflow import dmn_cells, expressions
from engine.workflow.model import DMN_SUFFIX, Problem
from engine.workflow.xml import UnsafeXmlError, parse_bpmn_bytes

DECISIONS_DIR = "decisions"
HIT_POLICIES = ("UNIQUE", "FIRST", "ANY")
DMN_NAMESPACES = (
    "https://www.omg.org/spec/DMN/20191111/MODEL/",
    "http://www.omg.org/spec/DMN/20180521/MODEL/",
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
)


@dataclass(frozen=True)
class InputColumn:
    id: str
    label: str
    expression: str
    tree: ast.Expression | None


@dataclass(frozen=True)
class OutputColumn:
    id: str
    label: str
    name: str


@dataclass(frozen=True)
class Rule:
    id: str
    number: int
    inputs: tuple[dmn_cells.InputEntry, ...]
    outputs: tuple[ast.Expression | None, ...]


@dataclass
class DecisionTable:
    file: str
    decision_id: str
    name: str
    hit_policy: str
    inputs: list[InputColumn] = field(default_factory=list)
    outputs: list[OutputColumn] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.name or self.decision_id

    def evaluate(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """The outputs for the path's data; raise ExpressionError when the table cannot say."""
        values = []
        for column in self.inputs:
            assert column.tree is not None  # a table with a bad input does not pass validation
            known = {name: None for name in dmn_cells.names_in(column.tree)}  # unfilled: null
            values.append(expressions.evaluate(column.tree, {**known, **data}))
        matched = [
            rule
            for rule in self.rules
            if all(cell.matches(v, data) for cell, v in zip(rule.inputs, values, strict=True))
        ]
        if not matched:
            return {column.name: None for column in self.outputs}
        if self.hit_policy == "UNIQUE" and len(matched) > 1:
            raise expressions.ExpressionError(
                Text(
                    "dmn_not_unique",
                    "decision table '{table}': rules {rules} all match (hit policy UNIQUE)",
                    table=self.label,
                    rules=", ".join(str(r.number) for r in matched),
                )
            )
        results = [self._outputs(rule, data) for rule in matched]
        if self.hit_policy == "ANY" and any(r != results[0] for r in results[1:]):
            raise expressions.ExpressionError(
                Text(
                    "dmn_any_differs",
                    "decision table '{table}': rules {rules} match with different outputs "
                    "(hit policy ANY)",
                    table=self.label,
                    rules=", ".join(str(r.number) for r in matched),
                )
            )
        return results[0]

    def _outputs(self, rule: Rule, data: Mapping[str, Any]) -> dict[str, Any]:
        result = {}
        for column, tree in zip(self.outputs, rule.outputs, strict=True):
            assert tree is not None
            result[column.name] = expressions.evaluate(tree, data)
        return result


class DecisionEngine:
    """What SpiffWorkflow's BusinessRuleTask calls (`result(task)`), for one decision."""

    def __init__(self, decision_ref: str | None, table: DecisionTable | None) -> None:
        self.decision_ref = decision_ref
        self.decision_table = table

    def result(self, task: Any) -> dict[str, Any]:
        if self.decision_table is None:
            raise WorkflowTaskException(f"no decision '{self.decision_ref}'", task=task)
        try:
            return self.decision_table.evaluate(task.data)
        except expressions.ExpressionError as exc:
            raise WorkflowTaskException(
                f"decision table '{self.decision_table.label}': {exc}", task=task, exception=exc
            ) from None


class DecisionParser(SpiffBpmnParser):  # type: ignore[misc]
    """The Spiff parser whose business rule tasks evaluate Polku's decision tables."""

    def __init__(self, *args: Any, decisions: Mapping[str, DecisionTable], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.decisions = dict(decisions)

    def get_engine(self, decision_ref: str | None, node: Any) -> DecisionEngine:
        # an unknown decision is reported by decision_checks with the task's file and id
        return DecisionEngine(decision_ref, self.decisions.get(decision_ref or ""))


class DecisionTaskConverter(SpiffBpmnTaskConverter):  # type: ignore[misc]
    """A business rule task in serialized state: only the decision's id (the table belongs to
    the parsed model version, which Polku never stores in a path's state)."""

    def to_dict(self, spec: Any) -> dict[str, Any]:
        dct: dict[str, Any] = super().to_dict(spec)
        dct["decision_ref"] = getattr(spec.dmnEngine, "decision_ref", None)
        return dct

    def from_dict(self, dct: dict[str, Any]) -> Any:
        raise ValueError("a business rule task comes from its parsed model, not from JSON")


def parser_for(decisions: Mapping[str, DecisionTable]) -> Callable[..., DecisionParser]:
    """A factory of parsers that know the model's decision tables."""
    return functools.partial(DecisionParser, decisions=decisions)


def dmn_files(files: Iterable[str]) -> list[str]:
    return [n for n in sorted(files) if n.endswith(DMN_SUFFIX)]


def read_all(files: Mapping[str, bytes]) -> tuple[dict[str, DecisionTable], list[Problem]]:
    tables: dict[str, DecisionTable] = {}
    problems: list[Problem] = []
    for name in dmn_files(files):
        found, file_problems = read_file(name, files[name])
        problems.extend(file_problems)
        for table in found:
            if table.decision_id in tables:
                problems.append(
                    Problem(
                        name,
                        table.decision_id,
                        Text(
                            "dmn_decision_duplicate",
                            "decision id '{decision}' is also used in '{other}'",
                            decision=table.decision_id,
                            other=tables[table.decision_id].file,
                        ),
                    )
                )
                continue
            tables[table.decision_id] = table
    return tables, problems


def read_file(name: str, content: bytes) -> tuple[list[DecisionTable], list[Problem]]:
    """Parse one DMN file safely (no DTDs or entities) and check every table, rule and cell."""
    try:
        root = parse_bpmn_bytes(content, name).getroot()
    except UnsafeXmlError as exc:
        return [], [Problem(name, None, exc.text())]
    namespace = etree.QName(root).namespace
    if etree.QName(root).localname != "definitions" or namespace not in DMN_NAMESPACES:
        return [], [
            Problem(name, None, Text("dmn_not_dmn", "the file is not a DMN 1.1-1.3 document"))
        ]
    ns = {"dmn": namespace}
    tables, problems = [], []
    decisions = root.findall("dmn:decision", ns)
    if not decisions:
        problems.append(Problem(name, None, Text("dmn_no_decision", "the file has no decision")))
    for decision in decisions:
        decision_id = decision.get("id") or ""
        tables_found = decision.findall("dmn:decisionTable", ns)
        if not decision_id or len(tables_found) != 1:
            problems.append(
                Problem(
                    name,
                    decision_id or None,
                    Text(
                        "dmn_decision_no_table",
                        "decision '{decision}' must hold exactly one decision table",
                        decision=decision.get("name") or decision_id or "?",
                    ),
                )
            )
            continue
        table = DecisionTable(
            name, decision_id, decision.get("name") or "",
            (tables_found[0].get("hitPolicy") or "UNIQUE").upper(),
        )  # fmt: skip
        problems.extend(_read_table(table, tables_found[0], ns))
        tables.append(table)
    return tables, problems


def _read_table(table: DecisionTable, node: Any, ns: dict[str, str]) -> list[Problem]:
    problems: list[Problem] = []

    def error(code: str, template: str, **params: Any) -> None:
        message = Text(code, template, table=table.label, **params)
        problems.append(Problem(table.file, table.decision_id, message))

    if table.hit_policy not in HIT_POLICIES or node.get("aggregation"):
        error(
            "dmn_hit_policy",
            "decision table '{table}': hit policy '{policy}' is not supported (use {policies})",
            policy=table.hit_policy
            + (f" {node.get('aggregation')}" if node.get("aggregation") else ""),
            policies=", ".join(HIT_POLICIES),
        )
    for number, column in enumerate(node.findall("dmn:input", ns), 1):
        label = column.get("label") or f"#{number}"
        text = column.findtext("dmn:inputExpression/dmn:text", default="", namespaces=ns).strip()
        tree = None
        try:
            tree = dmn_cells.parse_expression(text)
        except expressions.ExpressionError as exc:
            error(
                "dmn_input_invalid",
                "decision table '{table}', input '{column}': the expression '{expression}' is "
                "not allowed: {problem}",
                column=label, expression=text, **nested("problem", exc.text()),
            )  # fmt: skip
        table.inputs.append(InputColumn(column.get("id") or "", label, text, tree))
    for number, column in enumerate(node.findall("dmn:output", ns), 1):
        name = (column.get("name") or "").strip()
        label = column.get("label") or name or f"#{number}"
        if not name.isidentifier() or name.startswith("_"):
            error(
                "dmn_output_name",
                "decision table '{table}', output '{column}': the output needs a name that is a "
                "field name (letters, digits and '_'), not '{name}'",
                column=label, name=name,
            )  # fmt: skip
        table.outputs.append(OutputColumn(column.get("id") or "", label, name))
    if not table.outputs:
        error("dmn_no_output", "decision table '{table}' has no output column")
    for number, rule in enumerate(node.findall("dmn:rule", ns), 1):
        table.rules.append(_read_rule(table, rule, number, ns, error))
    if not table.rules:
        error("dmn_no_rules", "decision table '{table}' has no rules")
    if table.hit_policy == "UNIQUE":
        seen: dict[tuple[str, ...], int] = {}
        for rule in table.rules:
            key = tuple(" ".join(c.text.split()) for c in rule.inputs)
            if key in seen:
                error(
                    "dmn_rules_same",
                    "decision table '{table}': rules {first} and {rule} have the same input "
                    "entries (hit policy UNIQUE)",
                    first=seen[key], rule=rule.number,
                )  # fmt: skip
            seen.setdefault(key, rule.number)
    return problems


def _read_rule(
    table: DecisionTable, node: Any, number: int, ns: dict[str, str], error: Any
) -> Rule:
    input_texts = [
        e.findtext("dmn:text", default="", namespaces=ns)
        for e in node.findall("dmn:inputEntry", ns)
    ]
    output_texts = [
        e.findtext("dmn:text", default="", namespaces=ns)
        for e in node.findall("dmn:outputEntry", ns)
    ]
    if len(input_texts) != len(table.inputs) or len(output_texts) != len(table.outputs):
        error(
            "dmn_rule_cells",
            "decision table '{table}', rule {rule}: it has {inputs} input and {outputs} output "
            "cells, the table has {input_columns} inputs and {output_columns} outputs",
            rule=number, inputs=len(input_texts), outputs=len(output_texts),
            input_columns=len(table.inputs), output_columns=len(table.outputs),
        )  # fmt: skip
        return Rule(node.get("id") or "", number, (), ())
    cells = []
    for column, text in zip(table.inputs, input_texts, strict=True):
        try:
            cells.append(dmn_cells.parse_input_entry(text))
        except expressions.ExpressionError as exc:
            error(
                "dmn_cell_invalid",
                "decision table '{table}', rule {rule}, input '{column}': the cell '{cell}' is "
                "not allowed: {problem}",
                rule=number, column=column.label, cell=text.strip(),
                **nested("problem", exc.text()),
            )  # fmt: skip
            cells.append(dmn_cells.InputEntry(text.strip()))
    outputs: list[ast.Expression | None] = []
    for output, text in zip(table.outputs, output_texts, strict=True):
        if not text.strip():
            error(
                "dmn_output_missing",
                "decision table '{table}', rule {rule}, output '{column}': the cell is empty",
                rule=number, column=output.label,
            )  # fmt: skip
            outputs.append(None)
            continue
        try:
            outputs.append(dmn_cells.parse_expression(text))
        except expressions.ExpressionError as exc:
            error(
                "dmn_output_invalid",
                "decision table '{table}', rule {rule}, output '{column}': the cell '{cell}' is "
                "not allowed: {problem}",
                rule=number, column=output.label, cell=text.strip(),
                **nested("problem", exc.text()),
            )  # fmt: skip
            outputs.append(None)
    return Rule(node.get("id") or "", number, tuple(cells), tuple(outputs))
