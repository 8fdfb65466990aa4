"""Dates and numbers in the reader's locale (issue 14, §6): Finnish and Swedish as in Finland,
English day first as in Britain (never US style), times in Finnish time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from flask import Flask, g
from flask_babel import format_decimal, refresh

from engine.clock import FrozenClock
from web import create_app
from web.ui import format_day, format_days, format_locale, format_when
from web.ui.reports import Column, Table

MOMENT = datetime(2026, 12, 1, 6, 5, tzinfo=UTC)  # 8.05 in Helsinki


@pytest.fixture
def app(tmp_path: Path, clock: FrozenClock) -> Iterator[Flask]:
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_AUTO_UPGRADE": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'locale.db'}",
            "CLOCK": clock,
            "SECRET_KEY": "locale-test",
        }
    )
    yield app
    app.extensions["polku"].db.dispose()


def in_language(app: Flask, lang: str) -> object:
    context = app.test_request_context("/")
    context.push()
    g.user_language = lang
    refresh()
    return context


@pytest.mark.parametrize(
    ("lang", "locale", "day", "short", "number"),
    [
        ("fi", "fi_FI", "1.12.2026", "1.12.2026 8.05", "3,5"),
        ("sv", "sv_FI", "1.12.2026", "1.12.2026 8.05", "3,5"),
        ("en", "en_GB", "1 Dec 2026", "01/12/2026, 08:05", "3.5"),
    ],
)
def test_dates_and_numbers_in_the_readers_locale(
    app: Flask, lang: str, locale: str, day: str, short: str, number: str
) -> None:
    context = in_language(app, lang)
    try:
        assert format_locale() == locale
        assert format_day(MOMENT) == day
        assert format_day(date(2026, 12, 1)) == day
        assert format_when(MOMENT).replace("\u202f", " ") == short
        assert number in format_days(3.5)
        assert format_decimal(3.5) == number  # Flask-Babel's own formatting too
        table = Table("t", "t", [Column("x", kind="days")])
        assert table.display(table.columns[0], 3.5) == number
    finally:
        context.pop()  # type: ignore[attr-defined]


def test_english_is_never_us_style(app: Flask) -> None:
    context = in_language(app, "en")
    try:
        shown = format_when(MOMENT)
        assert "12/1/26" not in shown and "AM" not in shown and "PM" not in shown
        assert shown.startswith("01/12/2026")
    finally:
        context.pop()  # type: ignore[attr-defined]


def test_times_are_in_finnish_time_in_summer_too(app: Flask) -> None:
    context = in_language(app, "sv")
    try:
        assert format_when(datetime(2026, 6, 30, 21, 30, tzinfo=UTC)) == "1.7.2026 0.30"
    finally:
        context.pop()  # type: ignore[attr-defined]
