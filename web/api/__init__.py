"""The JSON API under /api/v1."""

from flask import Blueprint

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")

# handlers and routes
from web.api import analytics, emergency, errors, people, views  # noqa: E402,F401

from web.api import client_data  # noqa: E402,F401  # isort: skip
from web.api import audit  # noqa: E402,F401  (access reports, unusual access)
