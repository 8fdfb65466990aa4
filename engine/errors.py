"""Domain errors raised by the engine and its services.

The web layer maps each to an HTTP status; the engine itself knows nothing of HTTP.

Every error carries a stable `code` (lower_snake) and the `params` its message was made from,
so that a page translates it by looking the code up instead of reading the English sentence.
The English `message` stays for API clients and logs. Field messages (`InvalidInput.errors`)
and validation findings are `Text`s: English strings that carry their code and params too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Param = str | int | float | bool | None
Params = dict[str, Param]


class Text(str):
    """An English message made from a template, carrying its code and parameters.

    It is a `str` (equal to its English text, JSON-serialisable as one), so code that only
    knows strings keeps working: `Text("field_required", "This field is required.")`,
    `Text("task_not_found", "task {task_id} does not exist", task_id=3)`."""

    code: str
    params: Params

    def __new__(cls, code: str, template: str, /, **params: Param) -> Text:
        return cls.made(template.format(**params) if params else template, code, params)

    @classmethod
    def made(cls, text: str, code: str, params: Mapping[str, Param] | None = None) -> Text:
        """A Text from its finished English wording (e.g. read back from storage)."""
        obj = str.__new__(cls, text)
        obj.code = code
        obj.params = dict(params or {})
        return obj

    def __reduce__(self) -> tuple[Any, ...]:
        return (Text.made, (str(self), self.code, self.params))


def code_of(text: str) -> str | None:
    """The code of a message, or None for a plain string."""
    return text.code if isinstance(text, Text) else None


def params_of(text: str) -> Params:
    return dict(text.params) if isinstance(text, Text) else {}


class Coded(Exception):
    """A code and params for an exception that is not a PolkuError (expression, timer, XML and
    import problems): `ExpressionError(Text("expression_empty", "the expression is empty"))`."""

    default_code = "error"

    def __init__(
        self, message: str, *, code: str | None = None, params: Mapping[str, Param] | None = None
    ) -> None:
        super().__init__(str(message))
        if code is None and isinstance(message, Text):
            code, params = message.code, message.params
        self.code: str = code or self.default_code
        self.params: Params = dict(params or {})

    def text(self) -> Text:
        """The message as a `Text` (to be nested in another one's params)."""
        return Text.made(str(self), self.code, self.params)


def nested(name: str, inner: str) -> Params:
    """The params that nest one message in another: `{name}` holds its English text,
    `{name}_code` its code and the inner params follow (the pages translate it in turn)."""
    return {
        name: str(inner),
        f"{name}_code": code_of(inner) or getattr(inner, "code", None),
        **(params_of(inner) or dict(getattr(inner, "params", {}) or {})),
    }


class PolkuError(Exception):
    """Base class of every error the services raise on purpose."""

    default_code = "error"

    def __init__(
        self, message: str, *, code: str | None = None, params: Mapping[str, Param] | None = None
    ) -> None:
        super().__init__(str(message))
        if code is None and isinstance(message, Text):
            code, params = message.code, message.params
        self.code: str = code or self.default_code
        self.params: Params = dict(params or {})
        # the English message, carrying the code and params (a page translates it by them)
        self.message: Text = Text.made(str(message), self.code, self.params)


class NotFound(PolkuError):
    """The thing asked for does not exist (or the caller may not know that it does)."""

    default_code = "not_found"


class Conflict(PolkuError):
    """The request clashes with the current state (task already done, stale version...)."""

    default_code = "conflict"


class Forbidden(PolkuError):
    """The actor is known but may not do this."""

    default_code = "forbidden"


class InvalidInput(PolkuError):
    """Input failed validation; `errors` maps a field path to its messages (`Text`s where the
    raise site gave them a code; `field_codes` lists the codes and params field by field)."""

    default_code = "invalid_input"

    def __init__(
        self,
        message: str,
        errors: Mapping[str, list[str]] | None = None,
        *,
        code: str | None = None,
        params: Mapping[str, Param] | None = None,
    ) -> None:
        super().__init__(message, code=code, params=params)
        self.errors: dict[str, list[str]] = {k: list(v) for k, v in (errors or {}).items()}

    @property
    def field_codes(self) -> dict[str, list[dict[str, Any]]]:
        return {
            key: [{"code": code_of(m), "params": params_of(m)} for m in msgs]
            for key, msgs in self.errors.items()
        }


class Unauthenticated(PolkuError):
    """No valid credentials."""

    default_code = "unauthenticated"


class ModelError(PolkuError):
    """A BPMN model or one of its forms is broken. Names the file, element and problem."""

    default_code = "model_error"

    def __init__(
        self,
        file: str,
        element: str | None,
        problem: str,
        *,
        code: str | None = None,
        params: Mapping[str, Param] | None = None,
    ) -> None:
        where = f"{file}" + (f", element '{element}'" if element else "")
        if code is None and isinstance(problem, Text):
            code, params = problem.code, problem.params
        super().__init__(
            f"{where}: {problem}",
            code=code,
            params={"file": file, "element": element, **(params or {})},
        )
        self.file = file
        self.element = element
        self.problem = problem


class ModelRejected(InvalidInput):
    """A model failed validation: `problems` lists every finding, `errors` groups them
    by element."""

    default_code = "model_rejected"

    def __init__(
        self,
        message: str,
        problems: list[Any],
        *,
        code: str | None = None,
        params: Mapping[str, Param] | None = None,
    ) -> None:
        errors: dict[str, list[str]] = {}
        for problem in problems:
            if problem.severity == "error":
                errors.setdefault(problem.element or "_model", []).append(problem.message)
        super().__init__(message, errors, code=code, params=params)
        self.problems = problems
