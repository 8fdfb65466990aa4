"""The paths a reader's figures may count, as each statement of a figure applies them.

The access policy decides which paths those are (`engine.services.access.report_condition`,
a condition on `ProcessInstance` rows); the services pass it in, since `engine.analytics`
cannot import them. Nothing here decides access."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BooleanClauseList

from engine.persistence.tables import ProcessInstance


class ReportPaths:
    """The paths a reader's figures may count: the access policy's condition on
    `ProcessInstance` rows (`engine.services.access.report_condition`), passed in by the
    services; nothing here decides access.

    The database evaluates the condition inside each statement; no list of ids travels to
    Python and back (bound as one value, 100,000 ids look like a handful of rows to a
    planner, which then looks each one up in turn). A statement over the instances applies
    `condition` itself. One over a table that carries an instance id (worklist, milestones,
    history) checks each row against the admitted paths (`holds`): a path is admitted when
    it meets one of the condition's alternatives (the paths the reader's organisations own,
    the shared ones), and each alternative is a list of ids the database makes once per
    statement, a hash table on PostgreSQL and an index on SQLite. The rows are checked as
    they are read, in the order of the index that finds them, without a join; so figures
    that rank rows (the medians) read them in that order and need not sort them again. Every
    statement sees the policy's answer as of that statement."""

    def __init__(self, condition: ColumnElement[bool]) -> None:
        self.condition = condition
        either = isinstance(condition, BooleanClauseList) and condition.operator is operators.or_
        self.alternatives = list(condition.clauses) if either else [condition]

    def holds(
        self,
        column: Any,
        *,
        by_other_index: bool = False,
        within: Sequence[ColumnElement[bool]] = (),
    ) -> ColumnElement[bool]:
        """The row's path is admitted: `column IN (the paths of one alternative) OR ...`, each
        list a subquery of its own (never correlated to a statement over the instances).
        `by_other_index`: the statement's rows are better found through another index (the
        open steps', the history's kind and step), and each is then checked; otherwise the
        database may also look the rows up by `column`, path by path. `within`: further
        conditions on the paths (a figure's scope), applied in each list."""
        checked = column + 0 if by_other_index else column
        return or_(
            *(
                checked.in_(select(ProcessInstance.id).where(alternative, *within).correlate(None))
                for alternative in self.alternatives
            )
        )
