"""Running Polku's processes: gunicorn and the timer workers under one supervisor (production),
or Flask's development server with the timer worker as a thread (`--dev`)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

from flask import Flask

GUNICORN_CONF = os.path.join(os.path.dirname(__file__), "gunicorn_conf.py")


def run_development(app: Flask, settings: dict[str, Any]) -> None:
    from engine.services import timer_worker
    from web.cli_notifications import notification_rounds

    ctx = app.extensions["polku"]
    stop = threading.Event()
    thread = threading.Thread(
        target=timer_worker.run,
        args=(ctx.uow, ctx.engine, ctx.clock, stop, settings["timer_interval"]),
        kwargs={"after_round": notification_rounds(app)},
        daemon=True,
    )
    thread.start()
    host, _, port = settings["bind"].rpartition(":")
    print(f"Polku (development server) on http://{host}:{port}/", flush=True)
    try:
        app.run(host=host, port=int(port), debug=False, use_reloader=False)
    finally:
        stop.set()
        thread.join(timeout=5)


def run_production(settings: dict[str, Any]) -> int:
    """Start gunicorn and the timer workers; stop them all on SIGINT/SIGTERM or when one of
    them dies. Returns the exit status."""
    metrics_dir = tempfile.mkdtemp(prefix="polku-metrics-")
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": os.environ.get("PROMETHEUS_MULTIPROC_DIR") or metrics_dir,
        "POLKU_BIND": settings["bind"],
        "POLKU_WEB_WORKERS": str(settings["web_workers"]),
    }
    python = sys.executable
    commands = [[python, "-m", "gunicorn", "-c", GUNICORN_CONF, "web.wsgi:app"]]
    commands += [[python, "-m", "web.cli", "worker"]] * settings["timer_workers"]
    stopping = threading.Event()

    def request_stop(signum: int, _frame: Any) -> None:
        stopping.set()

    # a closed terminal (SIGHUP) stops everything too, rather than leaving orphans behind
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, request_stop)
    children: list[subprocess.Popen[bytes]] = []
    status = 0
    try:
        # children ignore the terminal's Ctrl-C: the supervisor stops them in order
        for command in commands:
            children.append(subprocess.Popen(command, env=env, start_new_session=True))
        print(
            f"Polku on http://{settings['bind']}/ ({settings['web_workers']} web worker(s), "
            f"{settings['timer_workers']} timer worker(s)); Ctrl-C stops",
            flush=True,
        )
        while not stopping.is_set():
            dead = [child for child in children if child.poll() is not None]
            if dead:
                status = dead[0].returncode or 1
                print(f"a Polku process exited ({status}): stopping the others", flush=True)
                break
            stopping.wait(0.5)
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 30
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        shutil.rmtree(metrics_dir, ignore_errors=True)
    print("Polku stopped", flush=True)
    return status
