"""A throwaway PostgreSQL for the benchmarks, from the machine's own server binaries, durable
(fsync and synchronous commit on: the figures should mean what they would in production).

    .venv/bin/python bench/pg.py start /var/tmp/polku-bench-pg   # prints the database URL
    .venv/bin/python bench/pg.py url /var/tmp/polku-bench-pg
    .venv/bin/python bench/pg.py reset /var/tmp/polku-bench-pg   # an empty database again
    .venv/bin/python bench/pg.py stop /var/tmp/polku-bench-pg --remove

The server keeps running between commands (its data and log are in DIR); `stop --remove`
deletes DIR. On a root machine it runs as the `postgres` system user (initdb refuses root).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.postgres import find_bindir, free_port  # noqa: E402

DATABASE = "polku_bench"


def _as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _bindir() -> Path:
    bindir = find_bindir()
    if bindir is None:
        sys.exit("no PostgreSQL server binaries (initdb, pg_ctl) found; set POLKU_PG_BINDIR")
    return bindir


def _run(directory: Path, program: str, *args: str, check: bool = True) -> int:
    done = subprocess.run(
        _as_server_user([str(_bindir() / program), *args]),
        cwd=directory,
        capture_output=True,
        text=True,
    )
    if check and done.returncode != 0:
        sys.exit(f"{program} failed ({done.returncode}): {done.stderr.strip() or done.stdout}")
    return done.returncode


def url(directory: Path) -> str:
    port = (directory / "port").read_text().strip()
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/{DATABASE}"


def running(directory: Path) -> bool:
    return (directory / "data").is_dir() and (
        _run(directory, "pg_ctl", "-D", str(directory / "data"), "status", check=False) == 0
    )


def start(directory: Path, port: int | None, shared_buffers: str) -> str:
    directory = directory.resolve()
    directory.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
        if subprocess.run(
            ["runuser", "-u", "postgres", "--", "test", "-x", str(directory)]
        ).returncode:
            sys.exit(
                f"the postgres user cannot reach {directory}: choose a directory under /var/tmp"
            )
    data = directory / "data"
    if not data.is_dir():
        _run(directory, "initdb", "-D", str(data), "-A", "trust", "-U", "postgres",
             "-E", "UTF8", "--locale=C.UTF-8")  # fmt: skip
    if running(directory):
        return url(directory)
    chosen = port or free_port()
    (directory / "port").write_text(str(chosen))
    options = (
        f"-h 127.0.0.1 -p {chosen} -k {directory} -c shared_buffers={shared_buffers} "
        "-c max_connections=200"
    )
    _run(directory, "pg_ctl", "-D", str(data), "-l", str(directory / "log"), "-w",
         "-o", options, "start")  # fmt: skip
    if not _psql(directory, f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'"):
        _psql(directory, f"CREATE DATABASE {DATABASE}")
    return url(directory)


def _psql(directory: Path, sql: str) -> str:
    port = (directory / "port").read_text().strip()
    return subprocess.run(
        [str(_bindir() / "psql"), "-h", "127.0.0.1", "-p", port, "-U", "postgres", "-d",
         "postgres", "-v", "ON_ERROR_STOP=1", "-tAc", sql],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip


def reset(directory: Path) -> str:
    """Drop the benchmark database and make an empty one (the server keeps running)."""
    directory = directory.resolve()
    _psql(directory, f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
    _psql(directory, f"CREATE DATABASE {DATABASE}")
    return url(directory)


def stop(directory: Path, remove: bool) -> None:
    directory = directory.resolve()
    if (directory / "data").is_dir():
        _run(directory, "pg_ctl", "-D", str(directory / "data"), "-m", "fast", "-w", "stop",
             check=False)  # fmt: skip
    if remove:
        shutil.rmtree(directory, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["start", "stop", "url", "reset"])
    parser.add_argument("directory", type=Path, help="where the server's data and log live")
    parser.add_argument("--port", type=int, default=None, help="default: a free port")
    parser.add_argument("--shared-buffers", default="1GB", help="PostgreSQL shared_buffers")
    parser.add_argument("--remove", action="store_true", help="stop: delete the directory too")
    args = parser.parse_args()
    if args.command == "start":
        print(start(args.directory, args.port, args.shared_buffers))
    elif args.command == "reset":
        print(reset(args.directory))
    elif args.command == "url":
        print(url(args.directory.resolve()))
    else:
        stop(args.directory, args.remove)


if __name__ == "__main__":
    main()
