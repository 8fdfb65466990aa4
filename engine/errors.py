"""Domain errors raised by the engine and its services.

The web layer maps each to an HTTP status; the engine itself knows nothing of HTTP.
"""

from __future__ import annotations

from typing import Any


class PolkuError(Exception):
    """Base class of every error the services raise on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(PolkuError):
    """The thing asked for does not exist (or the caller may not know that it does)."""


class Conflict(PolkuError):
    """The request clashes with the current state (task already done, stale version...)."""


class Forbidden(PolkuError):
    """The actor is known but may not do this."""


class InvalidInput(PolkuError):
    """Input failed validation; `errors` maps a field path to its messages."""

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or {}


class Unauthenticated(PolkuError):
    """No valid credentials."""


class ModelError(PolkuError):
    """A BPMN model or one of its forms is broken. Names the file, element and problem."""

    def __init__(self, file: str, element: str | None, problem: str) -> None:
        where = f"{file}" + (f", element '{element}'" if element else "")
        super().__init__(f"{where}: {problem}")
        self.file = file
        self.element = element
        self.problem = problem


class ModelRejected(InvalidInput):
    """A model failed validation: `problems` lists every finding, `errors` groups them
    by element."""

    def __init__(self, message: str, problems: list[Any]) -> None:
        errors: dict[str, list[str]] = {}
        for problem in problems:
            if problem.severity == "error":
                errors.setdefault(problem.element or "_model", []).append(problem.message)
        super().__init__(message, errors)
        self.problems = problems
