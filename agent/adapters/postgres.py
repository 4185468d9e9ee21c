"""PostgreSQL connections for the shared state of several agent replicas.

psycopg is imported only here and in the two PostgreSQL adapters (``pg_checkpoint``,
``pg_runstore``). Its errors become :class:`StateUnavailable` (or ConfigError for a URL that
does not parse), naming the server (never the password) and the fix.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import DictRow, dict_row

from agent.errors import ConfigError, StateUnavailable

PgConnection = psycopg.Connection[DictRow]
CONNECT_TIMEOUT_S = 10  # a replica that cannot reach its state store should say so, not hang
SETUP_LOCK = 0x43_41_53_54  # advisory lock id ("CAST") held while tables are created


def where(url: str) -> str:
    """``host:port/dbname`` of ``url``, without user or password (safe to print)."""
    try:
        info = conninfo_to_dict(url)
    except psycopg.Error as e:
        raise ConfigError(
            f"checkpoint.postgres_url: not a PostgreSQL URL ({_first_line(e)}); "
            "use postgresql://USER:PASSWORD@HOST:PORT/DB"
        ) from None
    return f"{info.get('host') or 'localhost'}:{info.get('port') or 5432}/{info.get('dbname') or ''}"


@contextmanager
def connect(url: str) -> Iterator[PgConnection]:
    """One autocommit connection with dict rows (what PostgresSaver needs); closed after."""
    server = where(url)
    try:
        conn = psycopg.Connection.connect(
            url, autocommit=True, prepare_threshold=0, row_factory=dict_row, connect_timeout=CONNECT_TIMEOUT_S
        )
    except psycopg.Error as e:
        raise StateUnavailable(
            f"checkpoint.postgres_url ({server}): cannot connect ({_first_line(e)}); "
            "check the URL and that PostgreSQL is running"
        ) from e
    try:
        yield conn
    finally:
        conn.close()


@contextmanager
def setup_lock(conn: PgConnection) -> Iterator[None]:
    """Serialize table setup: replicas starting at once would race CREATE TABLE IF NOT EXISTS
    (and LangGraph's migration rows) on a fresh database."""
    conn.execute("SELECT pg_advisory_lock(%s)", (SETUP_LOCK,))
    try:
        yield
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (SETUP_LOCK,))


@contextmanager
def translated(server: str, doing: str) -> Iterator[None]:
    """Turn a psycopg error raised while ``doing`` something into StateUnavailable."""
    try:
        yield
    except psycopg.Error as e:
        raise StateUnavailable(f"PostgreSQL at {server}: {doing} failed ({_first_line(e)})") from e


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__
