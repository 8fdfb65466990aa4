"""Workflow state as JSON, without the process spec.

SpiffWorkflow's default serialization embeds the whole parsed spec in every instance (about two
thirds of the JSON, and half the time of a round trip). Polku stores only the task tree and data;
the spec comes from the parsed-model cache of the instance's model version.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.specs.defaults import BusinessRuleTask

from engine.workflow.decision_tables import DecisionTaskConverter
from engine.workflow.model import ParsedModel
from engine.workflow.script_engine import RestrictedScriptEngine


class _SpeclessWorkflowConverter(BpmnWorkflowConverter):
    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct = super().to_dict(workflow)
        dct.pop("spec")
        dct.pop("subprocess_specs")
        return dct

    def from_dict(self, dct: dict[str, Any], model: ParsedModel | None = None) -> BpmnWorkflow:
        if model is None:
            raise ValueError("restoring a workflow needs its parsed model")
        workflow = self.target_class(model.spec, model.subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _registry() -> Any:
    config = dict(SPIFF_CONFIG)
    config[BpmnWorkflow] = _SpeclessWorkflowConverter
    config[BusinessRuleTask] = DecisionTaskConverter  # Polku's decision tables
    registry = BpmnWorkflowSerializer.configure(config)
    registry.register(
        datetime, lambda v: {"value": v.isoformat()}, lambda d: datetime.fromisoformat(d["value"])
    )
    registry.register(
        date, lambda v: {"value": v.isoformat()}, lambda d: date.fromisoformat(d["value"])
    )
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda d: Decimal(d["value"]))
    return registry


class WorkflowSerializer:
    """Serialize workflows to JSON text and back, attaching the restricted script engine."""

    def __init__(self) -> None:
        self._inner = BpmnWorkflowSerializer(_registry())
        self.script_engine = RestrictedScriptEngine()

    @property
    def version(self) -> str:
        return str(self._inner.VERSION)

    def dumps(self, workflow: BpmnWorkflow) -> str:
        return str(self._inner.serialize_json(workflow))

    def loads(self, text: str, model: ParsedModel) -> BpmnWorkflow:
        dct = json.loads(text)
        if dct.get(self._inner.VERSION_KEY) != self._inner.VERSION:
            raise ValueError(
                f"workflow state was saved by serializer {dct.get(self._inner.VERSION_KEY)}, "
                f"this engine reads {self._inner.VERSION}"
            )
        dct.pop(self._inner.VERSION_KEY)
        workflow = self._inner.from_dict(dct, model=model)
        workflow.script_engine = self.script_engine
        return workflow

    def new_workflow(self, model: ParsedModel) -> BpmnWorkflow:
        return BpmnWorkflow(model.spec, model.subprocess_specs, script_engine=self.script_engine)
