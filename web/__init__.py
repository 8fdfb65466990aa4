"""Polku's web layer: Flask application factory, JSON API, server-rendered pages, CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from web.config import ROOT, ConfigError, flask_settings
from web.context import PolkuContext

__all__ = ["ROOT", "ConfigError", "create_app"]


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """The app, configured from the environment (docs/deployment.md); `test_config` overrides.

    Refuses to start (ConfigError, SchemaError) on a missing secret key outside demo mode, a
    database behind the code, or demo accounts outside demo mode."""
    app = Flask(__name__, instance_path=str(ROOT / "instance"))
    app.config.from_mapping(
        BABEL_DEFAULT_LOCALE="fi",
        LANGUAGES=["fi", "en", "sv"],
        MAX_CONTENT_LENGTH=4 * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.config.update(flask_settings())
    if test_config:
        app.config.update(test_config)
    _require_secret_key(app)
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = f"sqlite:///{Path(app.instance_path) / 'polku.db'}"

    from web import client_sso, extensions, logs, operations, security, sso, throttle

    logs.init_app(app)
    extensions.init_app(app)
    sso.init_app(app)
    client_sso.init_app(app)
    security.init_app(app)  # before the routes: their <int:…> ids are bounded
    throttle.init_app(app)
    app.extensions["polku"] = PolkuContext.create(app.config)
    if not app.config["DEMO_MODE"]:
        _refuse_demo_accounts(app)

    from web.api import blueprint as api_blueprint
    from web.oma import blueprint as oma_blueprint
    from web.ui import blueprint as ui_blueprint

    app.register_blueprint(api_blueprint)
    app.register_blueprint(ui_blueprint)
    app.register_blueprint(oma_blueprint)  # the client's own pages, /oma
    operations.init_app(app)
    extensions.csrf.exempt(api_blueprint)

    from web.cli import register_commands

    register_commands(app)
    return app


def _require_secret_key(app: Flask) -> None:
    if app.config.get("SECRET_KEY"):
        return
    if not (app.config["DEMO_MODE"] or app.config.get("TESTING")):
        raise ConfigError(
            "POLKU_SECRET_KEY is required outside demo mode: set it to a long random value, the "
            "same on every app server (e.g. `python3 -c 'import secrets; "
            "print(secrets.token_hex(32))'`)"
        )
    app.config["SECRET_KEY"] = _instance_secret(app)


def _instance_secret(app: Flask) -> str:
    """A per-installation secret key kept in instance/, made on first start (demo only)."""
    import secrets

    path = Path(app.instance_path) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _refuse_demo_accounts(app: Flask) -> None:
    from engine.services.users import demo_accounts

    found = demo_accounts(app.extensions["polku"].uow())
    if found:
        app.extensions["polku"].db.dispose()
        names = ", ".join(found[:5]) + (" …" if len(found) > 5 else "")
        raise ConfigError(
            f"this database has {len(found)} active demo account(s) with the public demo "
            f"password ({names}) and POLKU_DEMO is off: close them with "
            "`polku demo close-accounts`, or start in demo mode (POLKU_DEMO=1)"
        )
