"""Polku's web layer: Flask application factory, JSON API, server-rendered pages, CLI."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from web.context import PolkuContext

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(ROOT / "instance"))
    app.config.from_mapping(
        SECRET_KEY=os.environ.get("POLKU_SECRET_KEY") or _instance_secret(app),
        DATABASE_URL=os.environ.get("POLKU_DATABASE_URL")
        or f"sqlite:///{Path(app.instance_path) / 'polku.db'}",
        PROCESSES_DIR=os.environ.get("POLKU_PROCESSES_DIR") or str(ROOT / "processes"),
        BABEL_DEFAULT_LOCALE="fi",
        LANGUAGES=["fi", "en", "sv"],
        MAX_CONTENT_LENGTH=4 * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,
    )
    if test_config:
        app.config.update(test_config)

    from web import extensions

    extensions.init_app(app)
    app.extensions["polku"] = PolkuContext.create(app.config)

    from web.api import blueprint as api_blueprint
    from web.ui import blueprint as ui_blueprint

    app.register_blueprint(api_blueprint)
    app.register_blueprint(ui_blueprint)
    extensions.csrf.exempt(api_blueprint)

    from web.cli import register_commands

    register_commands(app)
    return app


def _instance_secret(app: Flask) -> str:
    """A per-installation secret key kept in instance/, made on first start."""
    import secrets

    path = Path(app.instance_path) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
