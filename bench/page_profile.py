"""Time the worklist and a client page through the Flask test client and count their SQL
statements (a diagnostic beside http_load.py, for finding where a page spends its time).

    .venv/bin/python bench/page_profile.py URL [N]     # N: first start N real paths
    SHOW=1 W=200 .venv/bin/python bench/page_profile.py URL   # every statement with its time

Uses the benchmark staff of bench/accounts.py (created by http_load.py or real_paths.py).
"""

from __future__ import annotations

import logging
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from accounts import PASSWORD  # noqa: E402
from real_paths import prepare  # noqa: E402
from sqlalchemy import event, select  # noqa: E402

from engine.persistence.tables import ProcessInstance  # noqa: E402
from web import create_app  # noqa: E402

RUNS = 5


def main() -> None:
    logging.getLogger("spiff").setLevel(logging.WARNING)
    logging.getLogger("polku").setLevel(logging.WARNING)
    url = sys.argv[1]
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False})
    ctx = app.extensions["polku"]
    if len(sys.argv) > 2:
        prepare(ctx.uow, ctx.engine, int(sys.argv[2]), progress=False)
    with ctx.uow() as uow:  # a real path's client (the synthetic paths' state is "{}")
        client_id = uow.session.scalar(
            select(ProcessInstance.client_id)
            .where(ProcessInstance.state != "{}")
            .order_by(ProcessInstance.id.desc())
            .limit(1)
        )
    statements: list[str] = []
    started: dict[str, float] = {}
    width = int(os.environ.get("W", "160"))

    @event.listens_for(ctx.db, "before_cursor_execute")
    def before(*_: Any) -> None:
        started["at"] = time.perf_counter()

    @event.listens_for(ctx.db, "after_cursor_execute")
    def after(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        took = (time.perf_counter() - started["at"]) * 1000
        statements.append(f"{took:7.1f} ms " + " ".join(statement.split())[:width])

    def run(username: str, paths: list[str]) -> None:
        browser = app.test_client()
        browser.post("/login", data={"username": username, "password": PASSWORD})
        for path in paths:
            browser.get(path)  # warm
            statements.clear()
            times = []
            for _ in range(RUNS):
                start = time.perf_counter()
                answer = browser.get(path)
                times.append(time.perf_counter() - start)
            median = statistics.median(times) * 1000
            each = len(statements) // RUNS
            print(f"{username} {path}: {answer.status_code}, {median:.1f} ms, {each} statements")
            if os.environ.get("SHOW"):
                for line in statements[:each]:
                    print("   ", line)

    run("bench_coordinator", ["/", f"/clients/{client_id}"])
    run("bench_physician", ["/"])
    run("bench_case_coordinator", ["/", f"/clients/{client_id}"])


if __name__ == "__main__":
    main()
