"""The cells of a DMN decision table in Polku's expression language (never `eval`).

An *input entry* (a unary test, FEEL-like) is one of:

* `-` or an empty cell: any value matches;
* a value: `"social"`, `3`, `2.5`, `true`, `false`, `null` — the input equals it;
* a comparison: `< 3`, `<= 3`, `> 3`, `>= 3`, `= 3`, `!= "social"`;
* a range: `[1..5]` (both ends included), `(1..5)` or `]1..5[` (both excluded), `[1..5)`...;
* a list of those, any of which matches: `"health", "social"` or `< 3, > 10`;
* `not(...)` around a list: none of them matches, e.g. `not("social")`.

A value (also a range's end or a comparison's right-hand side) is a Polku expression without
comparisons or `and`/`or`/`not`: a constant, a form field's name or arithmetic on them. An
*input expression* and an *output entry* are plain Polku expressions (`service_need`,
`"social" in assessments_needed`, `"social_services"`). Every cell is parsed and checked by
`engine.workflow.expressions` and interpreted by it.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.errors import Text
from engine.workflow import expressions

ANY = "-"
_COMPARISONS = ("<=", ">=", "!=", "<", ">", "=")
_RANGE = re.compile(r"^([\[\]\(])\s*(.+?)\s*\.\.\s*(.+?)\s*([\[\]\)])$", re.DOTALL)
_NOT = re.compile(r"^not\s*\((.*)\)$", re.DOTALL)
_VALUE_NODES = (
    ast.Expression, ast.Constant, ast.Name, ast.Load, ast.UnaryOp, ast.USub, ast.UAdd,
    ast.BinOp, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod,
)  # fmt: skip


class CellError(expressions.ExpressionError):
    """A cell is not in the supported syntax."""

    default_code = "dmn_cell_invalid"


@dataclass(frozen=True)
class Value:
    tree: ast.Expression

    def names(self) -> set[str]:
        return _names(self.tree)

    def __call__(self, data: Mapping[str, Any]) -> Any:
        return expressions.evaluate(self.tree, data)


@dataclass(frozen=True)
class Test:
    """One alternative of an input entry: `op` is `==`, `!=`, `<`... or `range`."""

    op: str
    value: Value
    high: Value | None = None
    low_closed: bool = True
    high_closed: bool = True

    def matches(self, given: Any, data: Mapping[str, Any]) -> bool:
        if self.op == "range":
            assert self.high is not None
            low, high = self.value(data), self.high(data)
            if given is None or low is None or high is None:
                return False
            above = given >= low if self.low_closed else given > low
            below = given <= high if self.high_closed else given < high
            return bool(above and below)
        right = self.value(data)
        if self.op == "==":
            return bool(given == right)
        if self.op == "!=":
            return bool(given != right)
        if given is None or right is None:
            return False  # nothing is less or more than null
        return bool(
            {"<": given < right, "<=": given <= right, ">": given > right, ">=": given >= right}[
                self.op
            ]
        )


@dataclass(frozen=True)
class InputEntry:
    """A parsed input entry: any of `tests` matches (none when `negated`); no tests: any."""

    text: str
    tests: tuple[Test, ...] = ()
    negated: bool = False

    @property
    def is_any(self) -> bool:
        return not self.tests

    def names(self) -> set[str]:
        found: set[str] = set()
        for test in self.tests:
            found |= test.value.names() | (test.high.names() if test.high else set())
        return found

    def literals(self) -> list[Any]:
        """The constant values the cell compares the input with for equality."""
        return [
            t.value.tree.body.value
            for t in self.tests
            if t.op in ("==", "!=") and isinstance(t.value.tree.body, ast.Constant)
        ]

    def matches(self, given: Any, data: Mapping[str, Any]) -> bool:
        if self.is_any:
            return True
        try:
            hit = any(test.matches(given, data) for test in self.tests)
        except TypeError as exc:  # e.g. a text compared with a number
            raise expressions.ExpressionError(
                Text("dmn_cell_type", "cannot compare {value!r}: {detail}", value=str(given),
                     detail=str(exc))
            ) from None  # fmt: skip
        return hit != self.negated


def parse_input_entry(text: str | None) -> InputEntry:
    """Parse an input entry; raise CellError (or ExpressionError) naming the problem."""
    source = (text or "").strip()
    if source in ("", ANY):
        return InputEntry(source)
    negated = False
    found = _NOT.match(source)
    if found:
        negated, source = True, found.group(1).strip()
        if not source:
            raise CellError(Text("dmn_cell_empty_not", "not() needs at least one value"))
    tests = tuple(_parse_test(part) for part in _split(source))
    return InputEntry((text or "").strip(), tests, negated)


def parse_expression(text: str | None) -> ast.Expression:
    """An input expression or an output entry: a checked Polku expression."""
    return expressions.parse_condition(text or "")


def names_in(tree: ast.Expression) -> set[str]:
    return _names(tree)


def _parse_test(part: str) -> Test:
    if not part:
        raise CellError(Text("dmn_cell_empty_item", "a list item is empty"))
    found = _RANGE.match(part)
    if found:
        opening, low, high, closing = found.groups()
        return Test(
            "range",
            _value(low),
            _value(high),
            low_closed=opening == "[",
            high_closed=closing == "]",
        )
    for op in _COMPARISONS:
        if part.startswith(op):
            return Test("==" if op == "=" else op, _value(part[len(op) :]))
    return Test("==", _value(part))


def _value(text: str) -> Value:
    source = text.strip()
    if source == "null":
        source = "None"
    tree = expressions.parse_condition(source)
    for node in ast.walk(tree):
        if not isinstance(node, _VALUE_NODES):
            raise CellError(
                Text(
                    "dmn_cell_not_value",
                    "'{text}' is not a value: use a constant, a field or arithmetic",
                    text=text.strip(),
                )
            )
    return Value(tree)


def _split(text: str) -> list[str]:
    """Split on the commas outside quotes."""
    parts, current, quote = [], [], ""
    for ch in text:
        if quote:
            current.append(ch)
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
            current.append(ch)
        elif ch == ",":
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    if quote:
        raise CellError(Text("dmn_cell_quote", "a quotation mark is not closed"))
    parts.append("".join(current).strip())
    return parts


def _names(tree: ast.Expression) -> set[str]:
    constants = {"True", "False", "None", "true", "false"}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id not in constants}
