"""Gateway conditions run through a restricted interpreter, never Python's eval."""

from __future__ import annotations

import pytest

from engine.workflow import timers
from engine.workflow.expressions import ExpressionError, evaluate, names_used, parse_condition

DATA = {"urgent": True, "team_decision": "team_now", "score": 4, "types": ["physical"]}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("urgent == True", True),
        ("urgent", True),
        ('team_decision == "further_investigations"', False),
        ('team_decision in ["team_now", "x"]', True),
        ('"physical" in types', True),
        ("score >= 3 and not urgent", False),
        ("score * 2 + 1 > 8", True),
        ("1 < score < 5", True),
        ("score is not None", True),
        ("urgent or undefined_name", True),  # short-circuit: the right side is never read
    ],
)
def test_allowed_expressions(text: str, expected: bool) -> None:
    assert evaluate(text, DATA) is expected


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("__import__('os').system('id')", "function calls"),
        ("().__class__.__bases__", "attribute"),
        ("types[0]", "subscripts"),
        ("(lambda: 1)()", "function calls"),
        ("[x for x in types]", "ListComp"),
        ("__builtins__", "may not start with '_'"),
        ("f'{urgent}'", "f-strings"),
        ("(y := 1)", "assignment"),
        ("urgent ==", "syntax error"),
        ("", "empty"),
    ],
)
def test_code_is_refused_with_a_clear_reason(text: str, complaint: str) -> None:
    with pytest.raises(ExpressionError, match=complaint):
        parse_condition(text)


def test_an_unknown_name_is_an_error_not_false() -> None:
    with pytest.raises(ExpressionError, match="'missing' is not defined"):
        evaluate("missing == 1", DATA)


def test_repeating_strings_is_refused() -> None:
    with pytest.raises(ExpressionError):
        evaluate('"x" * 100000000', {})


def test_names_used() -> None:
    assert names_used('urgent == True and team_decision in ["a"]') == {"urgent", "team_decision"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("P14D", "P14D"),
        ('"P14D"', "P14D"),
        (" 'R6/P1D' ", "R6/P1D"),
        ("2026-12-01T09:00:00+02:00", "2026-12-01T09:00:00+02:00"),
    ],
)
def test_timer_text_as_modellers_write_it(text: str, expected: str) -> None:
    assert timers.normalize(text) == expected
