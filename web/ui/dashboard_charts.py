"""The lead-time box plots of "where clients wait", drawn as inline SVG from a table's rows
(the same figures are always in the table beside them)."""

from __future__ import annotations

from typing import Any

from web.ui.reports import Table


def box_plot(table: Table) -> dict[str, Any] | None:
    """Box plots of the lead-time distributions: whiskers from the shortest to the 90th
    percentile, the box from the 25th to the 75th, a line at the median."""
    rows = [r for r in table.rows if r[1]]
    if not rows:
        return None
    top = max(r[6] or r[7] or 0 for r in rows) or 1.0
    width, left, plot = 720, 12, 560  # each row's label is written above its box
    items = []
    for i, r in enumerate(rows):

        def x(value: float | None) -> float:
            return left + plot * min(value or 0, top) / top

        items.append(
            {
                "label": r[0],
                "y": 30 + i * 58,
                "low": x(r[2]),
                "q1": x(r[3]),
                "median": x(r[4]),
                "q3": x(r[5]),
                "high": x(r[6]),
                "shown": table.display(table.columns[4], r[4]),
            }
        )
    return {
        "width": width,
        "height": 20 + len(rows) * 58,
        "left": left,
        "plot": plot,
        "top": table.display(table.columns[4], top),
        "items": items,
    }
