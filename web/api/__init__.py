"""The JSON API under /api/v1."""

from flask import Blueprint

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")

# handlers and routes
from web.api import analytics, emergency, errors, people, views  # noqa: E402,F401

from web.api import client_data  # noqa: E402,F401  # isort: skip
from web.api import audit  # noqa: E402,F401  # isort: skip  (access reports)
from web.api import model_texts  # noqa: E402,F401  # isort: skip  (Swedish, English)
from web.api import client_search  # noqa: E402,F401  # isort: skip  (search, path notes)
from web.api import notifications  # noqa: E402,F401  # isort: skip  (notifications)
from web.api import waits  # noqa: E402,F401  # isort: skip  (awaited decisions, reviews)
from web.api import entries  # noqa: E402,F401  # isort: skip  (entries, corrections)
from web.api import path_migrations  # noqa: E402,F401  # isort: skip  (version migration)
from web.api import forms  # noqa: E402,F401  # isort: skip  (the designer's form editor)
from web.api import employment  # noqa: E402,F401  # isort: skip  (employment events, pilot targets)
from web.api import cost_benefit  # noqa: E402,F401  # isort: skip  (cost and benefit)
