"""The JSON API under /api/v1."""

from flask import Blueprint

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")

from web.api import analytics, errors, people, views  # noqa: E402,F401  (handlers and routes)
