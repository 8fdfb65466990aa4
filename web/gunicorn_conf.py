"""gunicorn's settings for Polku, from the same environment as the app (docs/deployment.md).

`polku serve` uses it; an operator may also run `gunicorn -c web/gunicorn_conf.py web.wsgi:app`.
"""

from __future__ import annotations

from typing import Any

from web.config import server_settings

_settings = server_settings()

bind = _settings["bind"]
workers = _settings["web_workers"]
threads = _settings["web_threads"]
worker_class = "gthread"
timeout = _settings["request_timeout"]
graceful_timeout = 20
# The app (parsed models included) is made once and shared by the forked workers.
preload_app = True
# Requests are logged by the app itself (web/logs.py): with a request id and without the query
# string, which may hold a client's name.
accesslog = None
errorlog = "-"
loglevel = _settings["log_level"].lower()
forwarded_allow_ips = _settings["forwarded_allow_ips"]


def post_fork(server: Any, worker: Any) -> None:
    """Each worker opens its own database connections (none are shared across a fork)."""
    from web.wsgi import app

    app.extensions["polku"].db.dispose(close=False)


def child_exit(server: Any, worker: Any) -> None:
    """A worker that is gone stops counting in the shared Prometheus figures."""
    import os

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
