"""Timers due on a date the path's data names (`dueFromField`), and moving a waiting timer.

The follow-up timer carries `<spiffworkflow:property name="dueFromField"
value="next_review_date" />`: when it starts and the path's data holds that field as a date
after Polku's now, the timer is due that day at 09:00 Finnish time; otherwise the model's
duration applies. A waiting duration or date timer can also be moved to another time (the case
manager brings a review forward or postpones it)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

DUE_FROM_FIELD = "dueFromField"
HELSINKI = ZoneInfo("Europe/Helsinki")
REVIEW_TIME = time(9, 0)  # a review date means 09:00 Finnish time that day


class TimerNotMovable(ValueError):
    """The task is not a waiting timer that can be moved (a cycle, or not waiting)."""


def due_on(day: date) -> datetime:
    """09:00 Europe/Helsinki on `day`, in UTC."""
    return datetime.combine(day, REVIEW_TIME, tzinfo=HELSINKI).astimezone(UTC)


def parse_day(value: Any) -> date | None:
    """A form's date value (`YYYY-MM-DD`) as a date, or None if it is not one."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def due_field(task: Task) -> str | None:
    """The data field a timer task is due from, if its model names one."""
    properties = (getattr(task.task_spec, "extensions", None) or {}).get("properties", {})
    name = properties.get(DUE_FROM_FIELD)
    return str(name).strip() if name else None


def is_movable(task: Task) -> bool:
    definition = getattr(task.task_spec, "event_definition", None)
    return (
        task.state == TaskState.WAITING
        and isinstance(definition, TimerEventDefinition)
        and not isinstance(definition, CycleTimerEventDefinition)
        and isinstance(task._get_internal_data("event_value"), str)
    )


def schedule_from_field(task: Task, now: datetime) -> bool:
    """A newly started timer with `dueFromField`: due on the field's date (09:00 Finnish time)
    when the path's data holds a date after `now`. True if it was scheduled so."""
    name = due_field(task)
    if name is None or not is_movable(task):
        return False
    day = parse_day(task.data.get(name))
    if day is None:
        return False
    due = due_on(day)
    if due <= now:
        return False
    task._set_internal_data(event_value=due.isoformat())
    return True


def move(task: Task, due: datetime) -> datetime:
    """Make a waiting (non-cycle) timer due at `due`; returns the time it was due before."""
    if not is_movable(task):
        raise TimerNotMovable(f"timer {task.id} cannot be moved")
    before = TimerEventDefinition.get_datetime(task._get_internal_data("event_value"))
    task._set_internal_data(event_value=due.astimezone(UTC).isoformat())
    return before.astimezone(UTC)
