"""A real PostgreSQL server for tests, started from the test set-up (no docker).

Uses Debian's ``postgresql`` package (``.ci/run`` installs it). ``initdb`` and ``pg_ctl`` refuse
to run as root, so as root they run as the ``postgres`` user (``runuser``) with the data folder
owned by it. The server listens on a free loopback port with its socket in its own folder, so
several test sessions on one machine do not collide.

Use from a conftest.py::

    from tests.pg_server import pg_server, postgres_url  # noqa: F401  (fixtures)

``pg_server`` (session scope) starts one server; ``postgres_url`` (function scope) yields the URL
of a fresh, empty database on it. Tests that use them should carry the ``postgres`` marker, so
``-m "not postgres"`` deselects them on a machine without PostgreSQL.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

BIN_SETTING = "HOTWASH_PG_BIN"
"""Folder holding initdb and pg_ctl, when they are neither on PATH nor in Debian's place."""


def find_bin_dir() -> Path | None:
    configured = os.environ.get(BIN_SETTING)
    if configured:
        return Path(configured)
    on_path = shutil.which("pg_ctl")
    if on_path:
        return Path(on_path).parent
    # Debian installs versioned binaries outside PATH; take the newest.
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """One throw-away server: ``start()``, ``create_database()``, ``stop()``."""

    def __init__(self, bin_dir: Path | None = None, *, max_connections: int = 300) -> None:
        found = bin_dir or find_bin_dir()
        if found is None or not (found / "initdb").exists():
            raise FileNotFoundError(
                f"PostgreSQL's initdb was not found (install Debian's postgresql, or set {BIN_SETTING})"
            )
        self.bin_dir = found
        self.max_connections = max_connections
        self.port = 0
        self.root = Path(tempfile.mkdtemp(prefix="hotwash-pg-"))
        self.data = self.root / "data"
        self.socket_dir = self.root / "socket"
        self._as_root = os.geteuid() == 0
        self._names = itertools.count(1)

    def _run(self, *args: str) -> None:
        command = [str(self.bin_dir / args[0]), *args[1:]]
        if self._as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")

    def start(self) -> PostgresServer:
        self.socket_dir.mkdir()
        if self._as_root:
            shutil.chown(self.root, "postgres", "postgres")
            shutil.chown(self.socket_dir, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale")
        for attempt in range(5):
            self.port = _free_port()
            options = (
                f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.socket_dir} "
                f"-c max_connections={self.max_connections}"
            )
            try:
                self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "server.log"), "-w", "start")
                return self
            except RuntimeError:
                if attempt == 4:  # the port was taken between choosing and binding: choose again
                    raise
                time.sleep(0.2)
        return self

    def pause(self) -> None:
        """Stop the server, keeping its data and port, to ``resume()`` it later (a server going down)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def resume(self) -> None:
        """Start a ``pause()``d server again on the same port, with the same data."""
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.socket_dir} "
                   f"-c max_connections={self.max_connections}")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "server.log"), "-w", "start")

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, prefix: str = "test") -> str:
        """A fresh empty database; returns its URL."""
        import psycopg

        name = f"{prefix}_{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    try:
        server = PostgresServer()
    except FileNotFoundError as exc:
        pytest.fail(f"{exc}; deselect these tests with -m 'not postgres'")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(pg_server: PostgresServer) -> str:
    """The URL of a fresh, empty database on the session's PostgreSQL server."""
    return pg_server.create_database()
