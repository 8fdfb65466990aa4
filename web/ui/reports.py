"""What the managers' pages share: the figures as tables that render as HTML and download as
CSV from the same rows, the form that chooses what the figures cover, and bar charts.

A page builds its `Table`s and calls `download_or(tables, render)`: with `?download=<table key>`
in the address the reader gets that table as CSV, otherwise the page."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal, format_percent
from flask import Response, request
from flask_babel import gettext as _
from werkzeug.exceptions import NotFound

from engine.analytics.stalls import Scope
from engine.services.dashboards import ModelChoice
from web.ui import format_day, format_locale

FINLAND = ZoneInfo("Europe/Helsinki")


@dataclass(frozen=True)
class Link:
    """A cell that links somewhere on the page; CSV gets its text."""

    text: str
    href: str


@dataclass
class Column:
    title: str
    kind: str = "text"  # text | int | days | ratio | percent | date

    @property
    def numeric(self) -> bool:
        return self.kind in ("int", "days", "ratio", "percent")


@dataclass
class Table:
    key: str  # the name of its CSV download
    title: str
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)
    note: str = ""
    row_headers: bool = True  # the first cell names the row
    emphasised: set[int] = field(default_factory=set)  # rows that sum others up

    def display(self, column: Column, value: Any) -> str:
        """A cell as the reader's language writes it."""
        if value is None:
            return "–"
        if isinstance(value, Link):
            return value.text
        lang = format_locale()
        if column.kind == "int":
            return format_decimal(value, format="#,##0", locale=lang)
        if column.kind == "days":
            return format_decimal(value, format="#,##0.0#", locale=lang)
        if column.kind == "ratio":
            return format_decimal(value, format="#,##0.##", locale=lang)
        if column.kind == "percent":
            return format_percent(value / 100, format="#,##0.0 %", locale=lang)
        if column.kind == "date":
            return format_day(value)
        return str(value)

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([str(c.title) for c in self.columns])
        for row in self.rows:
            writer.writerow([_csv_cell(v) for v in row])
        return "\ufeff" + out.getvalue()  # the byte-order mark tells spreadsheets it is UTF-8


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Link):
        return value.text
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value)
    # a spreadsheet would run a cell starting with these as a formula
    return "'" + text if text[:1] in ("=", "+", "-", "@") and not _is_number(text) else text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def download_or(tables: Sequence[Table], render: Callable[[], Any]) -> Any:
    """The table named by `?download=` as a CSV file, or else the page."""
    wanted = request.args.get("download")
    if not wanted:
        return render()
    table = next((t for t in tables if t.key == wanted), None)
    if table is None:
        raise NotFound()
    response = Response(table.csv(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="polku-{table.key}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


# ---------------------------------------------------------------- what the figures cover


@dataclass
class ScopeForm:
    """The filter form of a managers' page, read from the address."""

    model: str = ""
    version: str = ""
    since: str = ""
    until: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)
    scope: Scope = field(default_factory=Scope)

    @property
    def valid(self) -> bool:
        return not self.errors

    def query(self, **extra: Any) -> dict[str, Any]:
        """The form's values as address parameters (for download links)."""
        values = {
            "model": self.model,
            "version": self.version,
            "since": self.since,
            "until": self.until,
        }
        values.update(extra)
        return {k: v for k, v in values.items() if v not in ("", None)}


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def read_scope(args: Any, choices: list[ModelChoice]) -> ScopeForm:
    """Model, version and period (days in Finnish time; `until` is inclusive)."""
    form = ScopeForm(
        model=(args.get("model") or "").strip(),
        version=(args.get("version") or "").strip(),
        since=(args.get("since") or "").strip(),
        until=(args.get("until") or "").strip(),
    )
    chosen = next((c for c in choices if c.key == form.model), None)
    if form.model and chosen is None:
        form.errors["model"] = [_("There is no such process model.")]
    number: int | None = None
    if form.version:
        if not form.version.isdigit():
            form.errors["version"] = [_("The version is a whole number.")]
        elif not form.model:
            form.errors["version"] = [_("Choose a process model to choose its version.")]
        elif chosen is not None and int(form.version) not in chosen.versions:
            form.errors["version"] = [_("The model has no such version.")]
        else:
            number = int(form.version)
    since = _day(form.since) if form.since else None
    until = _day(form.until) if form.until else None
    if form.since and since is None:
        form.errors["since"] = [_("Give the date as YYYY-MM-DD.")]
    if form.until and until is None:
        form.errors["until"] = [_("Give the date as YYYY-MM-DD.")]
    if since and until and until < since:
        form.errors["until"] = [_("The end of the period is before its start.")]
    if form.valid:
        form.scope = Scope(
            model_key=form.model or None,
            version=number,
            since=datetime.combine(since, time.min, tzinfo=FINLAND) if since else None,
            until=(
                datetime.combine(until + timedelta(days=1), time.min, tzinfo=FINLAND)
                if until
                else None
            ),
        )
    return form


# ---------------------------------------------------------------- bar charts


@dataclass
class Bar:
    label: str
    value: float
    shown: str  # the value as the reader's language writes it
    y: float
    width: float
    secondary: float | None = None  # a second measure drawn as a thin bar (e.g. a target)
    secondary_width: float = 0.0


@dataclass
class BarChart:
    width: int
    height: int
    label_width: int
    bar_height: int
    bars: list[Bar]
    maximum: float

    @property
    def plot_width(self) -> int:
        return self.width - self.label_width - 70


def bar_chart(
    rows: Sequence[tuple[str, float | None]],
    column: Column,
    table: Table,
    *,
    secondary: Sequence[float | None] | None = None,
    width: int = 720,
    label_width: int = 340,
) -> BarChart | None:
    """Horizontal bars, one per row (a missing value draws no bar); `secondary` draws a thin
    second bar under each (e.g. a target beside the actual)."""
    values = [v for _, v in rows if v is not None] + [v for v in (secondary or []) if v]
    if not rows or not any(values):
        return None  # nothing to draw: the table says so
    maximum = max(values) or 1.0
    bar_height = 22 if secondary is None else 30
    gap = 10
    chart = BarChart(width, 0, label_width, bar_height, [], maximum)
    for i, (label, value) in enumerate(rows):
        y = 10 + i * (bar_height + gap)
        bar = Bar(
            label=label,
            value=value or 0.0,
            shown=table.display(column, value),
            y=y,
            width=chart.plot_width * (value or 0) / maximum,
        )
        if secondary is not None and secondary[i] is not None:
            bar.secondary = secondary[i]
            bar.secondary_width = chart.plot_width * (secondary[i] or 0) / maximum
        chart.bars.append(bar)
    chart.height = 20 + len(rows) * (bar_height + gap)
    return chart
