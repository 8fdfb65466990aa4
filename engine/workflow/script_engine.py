"""The script engine Polku hands to SpiffWorkflow: no `eval`, no `exec`.

* Gateway conditions (and any other expression) go through the restricted interpreter in
  `expressions`.
* Timer texts are returned as ISO 8601 strings, so modellers' plain `P14D` works.
* Script tasks are refused: a model that contains one does not pass validation, and if one
  were ever reached it raises instead of running.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine.workflow import expressions, timers


class RestrictedScriptEngine(PythonScriptEngine):
    def validate(self, expression: str) -> None:
        expressions.parse_condition(expression)

    def evaluate(self, task: Any, expression: str, external_context: Any = None) -> Any:
        definition = getattr(task.task_spec, "event_definition", None)
        if isinstance(definition, TimerEventDefinition) and definition.expression == expression:
            return timers.normalize(expression)
        data = dict(external_context or {})
        data.update(task.data)
        try:
            return expressions.evaluate(expression, data)
        except expressions.ExpressionError as exc:
            raise WorkflowTaskException(
                f"cannot evaluate '{expression}': {exc}", task=task, exception=exc
            ) from None

    def execute(self, task: Any, script: str, external_context: Any = None) -> bool:
        raise WorkflowTaskException("script tasks are not allowed in Polku models", task=task)
