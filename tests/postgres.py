"""A throwaway PostgreSQL server, started from the machine's own binaries: for the tests, and
for `make run-postgres` (`python -m tests.postgres --serve`), which serves the demo on one.

`initdb` refuses to run as root, so on a root machine the server runs as the `postgres`
system user. Tests skip (with the reason) only where no PostgreSQL server binaries exist.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def find_bindir() -> Path | None:
    candidates = [os.environ.get("POLKU_PG_BINDIR", "")]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    if shutil.which("initdb"):
        candidates.append(str(Path(shutil.which("initdb") or "").resolve().parent))
    for candidate in candidates:
        if (
            candidate
            and (Path(candidate) / "initdb").exists()
            and (Path(candidate) / "pg_ctl").exists()
        ):
            return Path(candidate)
    return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


class PostgresServer:
    """One server in a temporary directory; `stop()` and `start()` it again (the tests take
    the database away this way); `remove()` stops it and deletes everything."""

    def __init__(self, durable: bool = False) -> None:
        bindir = find_bindir()
        if bindir is None:
            raise FileNotFoundError("no PostgreSQL server binaries (initdb, pg_ctl) found")
        self.bindir = bindir
        self.directory = Path(tempfile.mkdtemp(prefix="polku-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.directory, "postgres", "postgres")
        self.port = free_port()
        self.data = self.directory / "data"
        # tests trade durability for speed; a trial server (`--serve`) keeps it
        fast = "" if durable else " -F -c fsync=off -c synchronous_commit=off"
        self.options = f"-h 127.0.0.1 -p {self.port} -k {self.directory}{fast}"
        self._run(
            "initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync",
            "-E", "UTF8", "--locale=C.UTF-8",
        )  # fmt: skip
        self.start()

    @property
    def url(self) -> str:
        """The base URL, without a database name."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}"

    def _run(self, program: str, *args: str, check: bool = True) -> None:
        subprocess.run(
            _as_server_user([str(self.bindir / program), *args]),
            cwd=self.directory,
            check=check,
            capture_output=True,
        )

    def start(self) -> None:
        log = str(self.directory / "log")
        self._run("pg_ctl", "-D", str(self.data), "-l", log, "-w", "-o", self.options, "start")

    def stop(self, mode: str = "immediate") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def create_database(self, name: str) -> str:
        subprocess.run(
            [str(self.bindir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
             "-U", "postgres", name],
            check=True, capture_output=True,
        )  # fmt: skip
        return f"{self.url}/{name}"

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a server; yield a base URL without a database name; stop and remove it."""
    server = PostgresServer()
    try:
        yield server.url
    finally:
        server.remove()


def serve_demo() -> int:
    """`make run-postgres`: a throwaway PostgreSQL with the demo on it, served by `polku serve`
    until Ctrl-C; then the server and its data are removed."""
    import signal

    server = PostgresServer(durable=True)
    env = {**os.environ, "POLKU_DATABASE_URL": server.create_database("polku"), "POLKU_DEMO": "1"}
    polku = [sys.executable, "-m", "web.cli"]
    print(f"PostgreSQL (throwaway) at {server.url}/polku; data in {server.data}", flush=True)
    try:
        subprocess.run([*polku, "db", "upgrade"], env=env, check=True)
        subprocess.run([*polku, "seed-demo"], env=env, check=True)
        serving = subprocess.Popen([*polku, "serve"], env=env, start_new_session=True)
        try:
            return serving.wait()
        except KeyboardInterrupt:
            serving.send_signal(signal.SIGINT)
            return serving.wait()
    except KeyboardInterrupt:
        return 130
    except subprocess.CalledProcessError as exc:
        return exc.returncode
    finally:
        server.remove()
        print("the throwaway PostgreSQL and its data were removed", flush=True)


if __name__ == "__main__" and sys.argv[1:] == ["--serve"]:
    sys.exit(serve_demo())
