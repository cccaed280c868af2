"""Configuration, read once at the edge (environment variables and CLI flags).

Nothing else in the package reads the environment: functions receive a ``Settings``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

#: The repository root (``sql/`` lives there). Overridable for installed copies.
PROJECT_ROOT = Path(os.environ.get("SHOPETL_HOME", Path(__file__).resolve().parent.parent))


@dataclass(frozen=True)
class Settings:
    """Everything the orchestrator needs to know about its surroundings."""

    #: libpq connection string of an external server; None = embedded PostgreSQL.
    database_url: str | None = None
    #: Folder of the embedded server's data directory (created on first use).
    data_dir: Path = field(default_factory=lambda: PROJECT_ROOT / ".shopetl" / "pgdata")
    #: Database name used on the embedded server.
    database_name: str = "shopetl"
    #: Root of the SQL tree (ddl/, transforms/, checks/).
    sql_dir: Path = field(default_factory=lambda: PROJECT_ROOT / "sql")
    #: Share of a file's rows that may be rejected before a batch is refused.
    reject_threshold: float = 0.05
    #: Number of files staged in parallel (one connection each).
    parallel_files: int = 2
    #: Parts of a big file's validation run at once (one connection each; stages 21, 23 and 24,
    #: see split_table in sql/transforms/_macros.sql). 1 = one statement, as for small files.
    parallel_parts: int = 2
    #: Staged rows from which a file's validation is split into ``parallel_parts`` parts.
    parallel_parts_min_rows: int = 100_000
    #: Log format: "text" or "json".
    log_format: str = "text"
    #: Testing aid (SHOPETL_FAILPOINT): the process kills itself with SIGKILL right after this
    #: stage's SQL ran, before its transaction commits ("copy": after the first chunk of a file).
    failpoint: str | None = None

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


def from_env(environ: dict[str, str] | None = None) -> Settings:
    """Build settings from ``SHOPETL_*`` variables and ``DATABASE_URL``."""
    env = dict(os.environ if environ is None else environ)
    s = Settings(database_url=env.get("DATABASE_URL") or None)
    if env.get("SHOPETL_DATA_DIR"):
        s = s.with_(data_dir=Path(env["SHOPETL_DATA_DIR"]).expanduser().resolve())
    if env.get("SHOPETL_DB_NAME"):
        s = s.with_(database_name=env["SHOPETL_DB_NAME"])
    if env.get("SHOPETL_REJECT_THRESHOLD"):
        s = s.with_(reject_threshold=float(env["SHOPETL_REJECT_THRESHOLD"]))
    if env.get("SHOPETL_PARALLEL_FILES"):
        s = s.with_(parallel_files=max(1, int(env["SHOPETL_PARALLEL_FILES"])))
    if env.get("SHOPETL_PARALLEL_PARTS"):
        s = s.with_(parallel_parts=max(1, int(env["SHOPETL_PARALLEL_PARTS"])))
    if env.get("SHOPETL_PARALLEL_PARTS_MIN_ROWS"):
        s = s.with_(parallel_parts_min_rows=max(0, int(env["SHOPETL_PARALLEL_PARTS_MIN_ROWS"])))
    if env.get("SHOPETL_FAILPOINT"):
        s = s.with_(failpoint=env["SHOPETL_FAILPOINT"])
    if env.get("SHOPETL_LOG_FORMAT"):
        s = s.with_(log_format=env["SHOPETL_LOG_FORMAT"])
    return s
