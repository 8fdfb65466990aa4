"""For operators: /healthz, /readyz, Prometheus /metrics, request timing, and 503 (not 500)
while the database is away."""

from __future__ import annotations

import hmac
import os
import time

from flask import Blueprint, Flask, Response, current_app, g, jsonify, render_template, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy.exc import DBAPIError, OperationalError

from engine.persistence import schema
from engine.services import operations
from web.context import PolkuContext, polku

blueprint = Blueprint("operations", __name__)
RETRY_AFTER_SECONDS = 10
METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
REQUEST_SECONDS = Histogram(
    "polku_http_request_seconds",
    "Time to answer an HTTP request, by endpoint, method and status.",
    ["endpoint", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


@blueprint.get("/healthz")
def healthz() -> Response:
    """The process is alive (no database needed)."""
    return jsonify({"status": "alive"})


@blueprint.get("/readyz")
def readyz() -> tuple[Response, int]:
    """Ready to serve: the database answers, its schema is at head, the models are loaded."""
    ctx = polku()
    checks: dict[str, str] = {}
    try:
        found = schema.status(ctx.db)
        checks["database"] = "ok"
        checks["schema"] = "ok" if found.at_head else f"at {found.current}, needs {found.head}"
    except (OperationalError, DBAPIError):
        checks["database"] = "unreachable"
        checks["schema"] = "unknown"
    checks["models"] = "ok" if ctx.models_loaded else "not loaded"
    ready = all(value == "ok" for value in checks.values())
    body = {"status": "ready" if ready else "not ready", "checks": checks}
    if ready:
        return jsonify(body), 200
    response = jsonify(
        {
            "type": "about:blank",
            "title": "Service Unavailable",
            "status": 503,
            "detail": "Polku is not ready: "
            + ", ".join(f"{k} {v}" for k, v in checks.items() if v != "ok"),
            **body,
        }
    )
    response.content_type = "application/problem+json"
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response, 503


class DatabaseFigures:
    """Gauges read from the database at scrape time (the same on every app server)."""

    def __init__(self, ctx: PolkuContext) -> None:
        self.ctx = ctx

    def collect(self):  # type: ignore[no-untyped-def]
        up = GaugeMetricFamily("polku_database_up", "1 if the database answered the scrape.")
        try:
            found = operations.figures(self.ctx.uow(), self.ctx.clock)
        except (OperationalError, DBAPIError):
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield GaugeMetricFamily("polku_open_tasks", "User tasks open now.", value=found.open_tasks)
        yield GaugeMetricFamily(
            "polku_overdue_tasks", "Open user tasks past their due date.", value=found.overdue_tasks
        )
        yield GaugeMetricFamily(
            "polku_due_timers", "Timers due and not yet fired.", value=found.due_timers
        )
        yield GaugeMetricFamily(
            "polku_timer_lag_seconds",
            "Now minus the due time of the oldest due timer not yet fired (0 if none).",
            value=found.timer_lag_seconds,
        )
        age = GaugeMetricFamily(
            "polku_worker_heartbeat_age_seconds",
            "Seconds since each timer worker's last heartbeat.",
            labels=["worker"],
        )
        fired = GaugeMetricFamily(
            "polku_worker_timers_fired",
            "Timers each worker has fired since it started.",
            labels=["worker"],
        )
        for worker in found.workers:
            age.add_metric([worker.name], worker.seconds_since_beat)
            fired.add_metric([worker.name], worker.timers_fired)
        yield age
        yield fired


@blueprint.get("/metrics")
def metrics() -> Response:
    token = current_app.config.get("METRICS_TOKEN")
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if not hmac.compare_digest(given.encode(), token.encode()):
            return Response(
                "a bearer token is needed for /metrics\n",
                401,
                {"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)  # every process of this server
    else:
        registry.register(REGISTRY)  # type: ignore[arg-type]
    registry.register(DatabaseFigures(polku()))  # type: ignore[arg-type]
    return Response(generate_latest(registry), 200, {"Content-Type": CONTENT_TYPE_LATEST})


def _database_unavailable(exc: Exception) -> Response | tuple[str, int, dict[str, str]]:
    """The database went away: 503 with Retry-After. The unit of work rolled back, so nothing
    was half written; the connection pool reconnects by itself when the database is back."""
    if not isinstance(exc, OperationalError) and not (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    ):
        raise exc
    current_app.logger.warning("database unavailable: %s", type(exc.orig).__name__)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if request.path.startswith("/api/") or not request.accept_mimetypes.accept_html:
        response = jsonify(
            {
                "type": "about:blank",
                "title": "Service Unavailable",
                "status": 503,
                "detail": "the database is not reachable at the moment: nothing was changed; "
                f"try again in {RETRY_AFTER_SECONDS} seconds",
            }
        )
        response.status_code = 503
        response.content_type = "application/problem+json"
        response.headers.update(headers)
        return response
    return render_template("unavailable.html", retry=RETRY_AFTER_SECONDS), 503, headers


def init_app(app: Flask) -> None:
    app.register_blueprint(blueprint)
    app.register_error_handler(DBAPIError, _database_unavailable)

    @app.before_request
    def _clock_start() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _observe(response: Response) -> Response:
        started = g.get("metrics_started")
        if started is not None:
            REQUEST_SECONDS.labels(
                endpoint=request.endpoint or "unmatched",
                # a fixed set: any made-up method would otherwise add series without end
                method=request.method if request.method in METHODS else "other",
                status=str(response.status_code),
            ).observe(time.perf_counter() - started)
        return response
