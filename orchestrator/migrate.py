"""Forward-only, numbered schema migrations from ``sql/ddl``.

Each file ``NNNN_name.sql`` is applied once, in its own transaction, and recorded in
``etl.schema_migrations`` with its sha256. Editing a file that was already applied is an
error: write a new migration instead.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import psycopg

log = logging.getLogger(__name__)

_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")

BOOTSTRAP = """
create schema if not exists etl;
create table if not exists etl.schema_migrations (
    version integer primary key,
    filename text not null,
    checksum text not null,
    applied_at timestamptz not null default now()
);
"""


class MigrationError(RuntimeError):
    """A migration file is missing, renamed, edited after being applied, or failed."""


@dataclass(frozen=True)
class Migration:
    version: int
    path: Path

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def discover(ddl_dir: Path) -> list[Migration]:
    """The migration files in version order; refuses badly named or duplicate versions."""
    found: dict[int, Migration] = {}
    for path in sorted(ddl_dir.glob("*.sql")):
        m = _NAME.match(path.name)
        if not m:
            raise MigrationError(f"refused: {path} is not named NNNN_lower_snake.sql")
        version = int(m.group(1))
        if version in found:
            raise MigrationError(f"refused: {path.name} and {found[version].path.name} share version {version}")
        found[version] = Migration(version, path)
    return [found[v] for v in sorted(found)]


def applied(conn: psycopg.Connection) -> dict[int, tuple[str, str]]:
    rows = conn.execute("select version, filename, checksum from etl.schema_migrations").fetchall()
    return {v: (f, c) for v, f, c in rows}


def migrate(conn: psycopg.Connection, ddl_dir: Path) -> list[str]:
    """Apply the pending migrations; return the names of those applied."""
    with conn.transaction():
        # Serialise concurrent `shopetl migrate` runs on the same database.
        conn.execute("select pg_advisory_xact_lock(hashtext('shopetl.migrate'))")
        conn.execute(BOOTSTRAP)
    done = applied(conn)
    migrations = discover(ddl_dir)
    by_version = {m.version: m for m in migrations}
    for version, (filename, checksum) in sorted(done.items()):
        mig = by_version.get(version)
        if mig is None:
            raise MigrationError(
                f"refused: migration {filename} is recorded as applied but is missing from {ddl_dir}"
            )
        if mig.checksum != checksum:
            raise MigrationError(
                f"refused: {mig.path.name} was changed after it was applied (checksum {checksum[:12]} -> "
                f"{mig.checksum[:12]}); migrations are forward-only: restore the file and add a new one"
            )
    ran: list[str] = []
    for mig in migrations:
        if mig.version in done:
            continue
        log.info("applying migration %s", mig.path.name)
        try:
            with conn.transaction():
                conn.execute("select pg_advisory_xact_lock(hashtext('shopetl.migrate'))")
                if conn.execute(
                    "select 1 from etl.schema_migrations where version = %s", (mig.version,)
                ).fetchone():
                    continue  # applied meanwhile by a concurrent run
                conn.execute(mig.sql)  # type: ignore[arg-type]
                conn.execute(
                    "insert into etl.schema_migrations (version, filename, checksum) values (%s, %s, %s)",
                    (mig.version, mig.path.name, mig.checksum),
                )
        except psycopg.Error as exc:
            raise MigrationError(f"migration {mig.path.name} failed and was rolled back: {exc}") from exc
        ran.append(mig.path.name)
    return ran
