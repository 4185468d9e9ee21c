"""A real, private PostgreSQL (Debian's postgresql-15; scripts/system-deps.sh installs it) for the
shared-state tests: initdb into a temp directory, pg_ctl start on a free loopback port with the
socket in that directory, stopped after the session. ~0.6 s to start (NOTES.md).

PostgreSQL refuses to run as root, and tests may run as root: then the data directory belongs
to the ``postgres`` system user and initdb / pg_ctl run through ``runuser -u postgres --``.
Each test gets its own database (``fresh_database``), so tests never see each other's rows.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

from tests.integration.prometheus_fixture import free_port

SEARCH = "/usr/lib/postgresql/*/bin"  # Debian keeps initdb and pg_ctl off PATH
_names = itertools.count(1)


def pg_bin(name: str) -> str | None:
    """``initdb`` / ``pg_ctl`` on PATH, else the newest Debian install's."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"{SEARCH}/{name}"), key=lambda p: int(Path(p).parts[-3]))
    return candidates[-1] if candidates else None


@dataclass(frozen=True)
class RunningPostgres:
    """A server at 127.0.0.1:``port`` accepting the superuser ``postgres`` without a password."""

    port: int

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def fresh_database(self) -> str:
        """Create an empty database; its URL."""
        name = f"t{os.getpid()}_{next(_names)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _as_owner(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


@contextmanager
def run_postgres() -> Iterator[RunningPostgres]:
    """Start a private server; yield it; stop it (fast shutdown) and remove its files."""
    initdb, pg_ctl = pg_bin("initdb"), pg_bin("pg_ctl")
    if initdb is None or pg_ctl is None:
        import pytest

        pytest.skip("initdb/pg_ctl not found (/usr/lib/postgresql/*/bin); run ./scripts/system-deps.sh")
    root = Path(tempfile.mkdtemp(prefix="pg-"))  # short: the socket path must stay < 108 bytes
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    data, port = root / "data", free_port()
    subprocess.run(
        _as_owner([initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-instructions"]),
        check=True, capture_output=True,
    )
    # Durability is not what these tests check: no fsync keeps a run of many checkpoints fast.
    options = (f"-k {root} -p {port} -c listen_addresses=127.0.0.1 -c max_connections=200 "
               "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
    log = root / "server.log"
    started = subprocess.run(_as_owner([pg_ctl, "-D", str(data), "-l", str(log), "-o", options, "-w", "start"]),
                             capture_output=True, text=True)
    try:
        assert started.returncode == 0, started.stdout + started.stderr + (log.read_text() if log.exists() else "")
        yield RunningPostgres(port)
    finally:
        subprocess.run(_as_owner([pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"]), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
