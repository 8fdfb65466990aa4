"""The WSGI entry point for gunicorn (or any WSGI server): `gunicorn web.wsgi:app`."""

from __future__ import annotations

from web import create_app

app = create_app()
