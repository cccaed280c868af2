"""Killing a real `shopetl load` (SIGKILL) at any point leaves the database consistent, and the
next load of the same folder finishes the work with the same result as an uninterrupted run.
A second load against the same database at the same time is refused."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from shopetl.generate import generate

from .etl_helpers import query
from .test_incremental import snapshot


@pytest.fixture(scope="module")
def delivery(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("delivery")
    generate(folder, scale=0.002, seed=7, dirty=0.01)
    return folder


def shopetl(url: str, *args: str, failpoint: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url}
    env.pop("SHOPETL_FAILPOINT", None)
    if failpoint:
        env["SHOPETL_FAILPOINT"] = failpoint
    return subprocess.run([sys.executable, "-m", "shopetl", *args], capture_output=True, text=True, env=env,
                          timeout=300)


@pytest.fixture(scope="module")
def reference(delivery: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple[object, ...]]]:
    """The tables after one uninterrupted load, in a database of their own."""
    from .conftest import PG_HOST, PG_PORT

    name = f"shopetl_crash_ref_{os.getpid()}"
    admin = psycopg.conninfo.make_conninfo(host=PG_HOST, port=PG_PORT, user="postgres", dbname="postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}"')
        conn.execute(f'create database "{name}"')
    url = psycopg.conninfo.make_conninfo(admin, dbname=name)
    assert shopetl(url, "migrate").returncode == 0
    done = shopetl(url, "load", str(delivery), "--threshold", "0.5")
    assert done.returncode == 0, done.stderr
    snap = snapshot(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'drop database "{name}" with (force)')
    return snap


@pytest.mark.parametrize(
    "failpoint",
    [
        "copy",                  # during COPY into staging
        "validate_orders",       # during validation (before its commit)
        "publish_order_items",   # during the core upsert (inside the publish transaction)
        "daily_category_sales",  # during the aggregates (inside the publish transaction)
        "refresh_views",         # after the batch was published, before the run finished
    ],
)
def test_killed_load_is_finished_by_the_next_one(
    db_url: str, delivery: Path, reference: dict[str, list[tuple[object, ...]]], failpoint: str
) -> None:
    killed = shopetl(db_url, "load", str(delivery), "--threshold", "0.5", failpoint=failpoint)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    assert f"failpoint {failpoint}" in killed.stderr
    (stage,) = query(db_url, "select stage from etl.runs order by run_id desc limit 1")[0]
    assert stage == failpoint
    if failpoint != "refresh_views":  # the batch was not published: the core tables are as before
        assert query(db_url, "select count(*) from core.orders") == [(0,)]

    again = shopetl(db_url, "load", str(delivery), "--threshold", "0.5")
    assert again.returncode == 0, again.stderr[-2000:]
    assert "was interrupted during stage " + failpoint in again.stderr
    assert snapshot(db_url) == reference
    statuses = query(db_url, "select status from etl.runs order by run_id")
    assert statuses == [("failed",), ("ok",)]


def test_a_concurrent_load_is_refused_with_a_clear_message(db_url: str, delivery: Path) -> None:
    with psycopg.connect(db_url, autocommit=True) as holder:
        holder.execute("select pg_advisory_lock(hashtext('shopetl.load'))")
        refused = shopetl(db_url, "load", str(delivery))
    assert refused.returncode == 5
    assert "another shopetl load is running on this database" in refused.stderr
    assert query(db_url, "select count(*) from etl.runs") == [(0,)]
