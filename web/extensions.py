"""Flask extensions: Babel (Finnish by default) and CSRF protection for the pages."""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, g, request, session
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect

babel = Babel()
csrf = CSRFProtect()
TRANSLATIONS = Path(__file__).parent / "translations"
# The language a reader chooses -> the locale its dates and numbers are written in: Finnish and
# Swedish as in Finland (1.12.2026), English as in Britain (1 Dec 2026, 01/12/2026), never US.
REGIONAL_LOCALES = {"fi": "fi_FI", "sv": "sv_FI", "en": "en_GB"}


def regional(language: str) -> str:
    return REGIONAL_LOCALES.get(language, language)


def select_locale() -> str:
    from flask import current_app

    languages = current_app.config["LANGUAGES"]
    chosen = session.get("lang") or getattr(g, "user_language", None)
    if chosen in languages:
        return regional(str(chosen))
    if request.path.startswith("/api/"):
        return regional(request.accept_languages.best_match(languages) or "fi")
    return regional(str(current_app.config["BABEL_DEFAULT_LOCALE"]))


def compile_catalogs() -> None:
    """Compile each .po into its .mo when the .mo is missing or older (no build step needed)."""
    for po_path in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file)
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalog)


def init_app(app: Flask) -> None:
    compile_catalogs()
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Europe/Helsinki")
    babel.init_app(
        app, locale_selector=select_locale, default_translation_directories=str(TRANSLATIONS)
    )
    csrf.init_app(app)
