"""The organisation doing a lane's tasks, as a model names it in its `model.json`
(`{"lane_organisations": {role: organisation code}}`), set from the modeller's properties panel.

The mapping is not part of the BPMN: a save from the modeller may carry it beside the XML, and
`with_lane_organisations` checks it (known organisation codes of `processes/organisations.json`,
known roles of client work from `processes/roles.json`) and writes it into the candidate
version's `model.json`, which the model validator then checks with the rest of the files.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from engine.errors import InvalidInput, Text
from engine.services import access, organisations
from engine.workflow.engine import WorkflowEngine
from engine.workflow.model import MODEL_FILE, ModelSource

FIELD = organisations.LANE_ORGANISATIONS
MAX_ENTRIES = 100


def check(engine: WorkflowEngine, mapping: Mapping[str, str]) -> dict[str, str]:
    """The mapping as it will be written (empty codes dropped), or InvalidInput naming the
    field `lane_organisations` and what is wrong."""
    known_orgs = organisations.catalogue(engine.processes_dir).organisations
    known_roles = {code for code in engine.roles.labels if code not in access.NO_CLIENT_WORK_ROLES}
    errors: list[str] = []
    result: dict[str, str] = {}
    if len(mapping) > MAX_ENTRIES:
        errors.append(Text("lane_organisations_too_many", "Too many lanes."))
    for role, code in mapping.items():
        if not isinstance(role, str) or not isinstance(code, str):
            errors.append(
                Text("lane_organisations_strings", "Give each lane role an organisation code.")
            )
            continue
        if role not in known_roles:
            errors.append(
                Text(
                    "lane_organisations_role",
                    "'{role}' is not a known role of client work (processes/roles.json).",
                    role=role[:100],
                )
            )
        if code and code not in known_orgs:
            errors.append(
                Text(
                    "lane_organisations_code",
                    "'{code}' is not a known organisation (processes/organisations.json).",
                    code=code[:100],
                )
            )
        if code:
            result[role] = code
    if errors:
        raise InvalidInput(
            "the lanes' organisations are not valid",
            {FIELD: errors},
            code="lane_organisations_invalid",
        )
    return dict(sorted(result.items()))


def with_lane_organisations(source: ModelSource, mapping: dict[str, str]) -> ModelSource:
    """The model with its model.json's lane_organisations replaced by `mapping` (checked by
    `check`); the same source when nothing changes. Other keys of model.json stay as they are."""
    raw = source.files.get(MODEL_FILE)
    try:
        data = json.loads(raw) if raw else {}
    except ValueError:
        return source  # the validator names the broken model.json
    if not isinstance(data, dict):
        return source
    current = data.get(FIELD) or {}
    if current == mapping:
        return source
    if mapping:
        data[FIELD] = mapping
    else:
        data.pop(FIELD, None)
    content = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    return source.replace(MODEL_FILE, content.encode("utf-8"))
