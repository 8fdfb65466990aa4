"""Team roles, read from `processes/roles.json`; lanes name them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

CASE_MANAGER = "case_manager"
# The client's own lane: its tasks are done by the client in their own view. No staff member
# can hold the role (the user admin refuses it), so no staff worklist offers its tasks.
CLIENT = "client"


@dataclass(frozen=True)
class RoleCatalog:
    labels: dict[str, dict[str, str]]  # code -> {language: label}

    @classmethod
    def load(cls, path: Path) -> RoleCatalog:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(labels={code: dict(names) for code, names in data["roles"].items()})

    def role_for_lane(self, lane_name: str | None) -> str | None:
        """The role code a lane stands for: its name equals the code or one of its labels."""
        if not lane_name:
            return None
        wanted = lane_name.strip().casefold()
        for code, names in self.labels.items():
            if wanted == code.casefold() or any(wanted == n.casefold() for n in names.values()):
                return code
        return None

    def label(self, code: str | None, language: str = "fi") -> str:
        if code is None:
            return ""
        names = self.labels.get(code, {})
        return names.get(language) or names.get("en") or code

    @property
    def codes(self) -> list[str]:
        """The roles a staff member can hold: every role but the client's."""
        return [code for code in self.labels if code != CLIENT]
