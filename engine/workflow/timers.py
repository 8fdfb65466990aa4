"""Timer expressions as BPMN modellers write them.

bpmn.io and Camunda Modeler write plain ISO 8601 — `P14D`, `2026-12-01T09:00:00+02:00`,
`R6/P1D` — while SpiffWorkflow would evaluate the text as Python and so wants it quoted.
Polku accepts the plain form (and, for compatibility, a quoted one) and never runs it as code.
"""

from __future__ import annotations

import re

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)

from engine.errors import Coded, Text

_QUOTED = re.compile(r"""^\s*(['"])(.*)\1\s*$""", re.S)


class TimerExpressionError(Coded, ValueError):
    default_code = "timer_invalid"


def normalize(text: str | None) -> str:
    """Strip surrounding quotes and white space: `"P14D"` and `P14D` both give `P14D`."""
    if text is None or not text.strip():
        raise TimerExpressionError(Text("timer_empty", "the timer has no expression"))
    match = _QUOTED.match(text)
    value = match.group(2) if match else text
    return value.strip()


def check(definition: TimerEventDefinition) -> str:
    """Check a timer definition's text parses as the kind of timer it is; return the text."""
    value = normalize(definition.expression)
    try:
        if isinstance(definition, CycleTimerEventDefinition):
            if not value.upper().startswith("R"):
                raise ValueError("a cycle must start with R, e.g. R6/P1D")
            TimerEventDefinition.parse_iso_recurring_interval(value)
        elif isinstance(definition, DurationTimerEventDefinition):
            if not value.upper().startswith("P"):
                raise ValueError("a duration must start with P, e.g. P14D")
            TimerEventDefinition.parse_iso_duration(value)
        elif isinstance(definition, TimeDateEventDefinition):
            TimerEventDefinition.parse_time_or_duration(value)
    except Exception as exc:  # the library raises bare Exception / ValueError / AttributeError
        raise TimerExpressionError(
            Text(
                "timer_invalid",
                "timer expression '{value}' is not valid ISO 8601 ({reason})",
                value=value,
                reason=str(exc or type(exc).__name__),
            )
        ) from None
    return value
