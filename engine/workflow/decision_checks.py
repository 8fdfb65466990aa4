"""The checks of a model's decision tables that need the whole model: every business rule task
names a decision that exists, and the tables read only fields the model's forms (or another
table) give, with values among a field's choices."""

from __future__ import annotations

import ast
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent

from engine.errors import Text
from engine.workflow import dmn_cells
from engine.workflow.decision_tables import DecisionEngine, DecisionTable
from engine.workflow.model import ParsedModel, Problem


def check(
    decisions: dict[str, DecisionTable], model: ParsedModel, spec_files: dict[str, str]
) -> list[Problem]:
    problems: list[Problem] = []
    for process_spec in [model.spec, *model.subprocess_specs.values()]:
        file = spec_files.get(process_spec.name, process_spec.file or model.key)
        for task_spec in process_spec.task_specs.values():
            engine = getattr(task_spec, "dmnEngine", None)
            if not isinstance(engine, DecisionEngine) or engine.decision_table is not None:
                continue
            if not engine.decision_ref:
                message = Text(
                    "dmn_task_no_decision",
                    "the business rule task names no decision (spiffworkflow:calledDecisionId)",
                )
            else:
                message = Text(
                    "dmn_decision_unknown",
                    "the business rule task calls decision '{decision}', which no .dmn file of "
                    "the model has (decisions: {decisions})",
                    decision=engine.decision_ref,
                    decisions=", ".join(sorted(decisions)) or "none",
                )
            problems.append(Problem(file, task_spec.bpmn_id, message))
    fields = known_fields(model, decisions.values())
    for table in decisions.values():
        problems.extend(_check_fields(table, fields))
    return problems


def known_fields(model: ParsedModel, tables: Any) -> dict[str, dict[str, Any]]:
    """Every field a path of the model can hold, with its form schema (empty if none)."""
    fields: dict[str, dict[str, Any]] = {}
    forms = [info.form for info in model.user_tasks.values()]
    forms += [info.form for info in model.waits.values()]
    for form in forms:
        for name, schema in ((form or {}).get("properties") or {}).items():
            fields.setdefault(name, schema if isinstance(schema, dict) else {})
    for process_spec in [model.spec, *model.subprocess_specs.values()]:
        for task_spec in process_spec.task_specs.values():
            definition = getattr(task_spec, "event_definition", None)
            variable = getattr(definition, "message_var", None)
            if isinstance(task_spec, CatchingEvent) and variable:
                fields.setdefault(str(variable), {})
    for table in tables:
        for column in table.outputs:
            fields.setdefault(column.name, {})
    return fields


def _check_fields(table: DecisionTable, fields: dict[str, dict[str, Any]]) -> list[Problem]:
    problems = []

    def unknown(names: set[str], rule: int | None, column: str) -> None:
        for name in sorted(names - set(fields)):
            if rule is None:
                message = Text(
                    "dmn_input_field_unknown",
                    "decision table '{table}', input '{column}': no form of the model has a "
                    "field '{field}'",
                    table=table.label, column=column, field=name,
                )  # fmt: skip
            else:
                message = Text(
                    "dmn_field_unknown",
                    "decision table '{table}', rule {rule}, column '{column}': no form of the "
                    "model has a field '{field}'",
                    table=table.label, rule=rule, column=column, field=name,
                )  # fmt: skip
            problems.append(Problem(table.file, table.decision_id, message))

    for column in table.inputs:
        if column.tree is not None:
            unknown(dmn_cells.names_in(column.tree), None, column.label)
    for rule in table.rules:
        for column, cell in zip(table.inputs, rule.inputs, strict=False):
            unknown(cell.names(), rule.number, column.label)
            choices = _choices(column, fields)
            for value in cell.literals():
                if choices is not None and value not in choices:
                    problems.append(
                        Problem(
                            table.file,
                            table.decision_id,
                            Text(
                                "dmn_cell_not_choice",
                                "decision table '{table}', rule {rule}, input '{column}': "
                                "{value} is not one of the field's choices ({choices})",
                                table=table.label,
                                rule=rule.number,
                                column=column.label,
                                value=repr(value),
                                choices=", ".join(map(str, choices)),
                            ),
                        )
                    )
        for output, tree in zip(table.outputs, rule.outputs, strict=False):
            if tree is not None:
                unknown(dmn_cells.names_in(tree), rule.number, output.label)
    return problems


def _choices(column: Any, fields: dict[str, dict[str, Any]]) -> list[Any] | None:
    """A bare field's `enum`, when the input expression is one."""
    if column.tree is None or not isinstance(column.tree.body, ast.Name):
        return None
    schema = fields.get(column.tree.body.id) or {}
    enum = schema.get("enum")
    return list(enum) if isinstance(enum, list) else None
