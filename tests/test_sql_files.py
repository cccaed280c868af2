"""Every SQL file parses with PostgreSQL's own parser (pglast), and every stage renders."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pglast
import pytest

from shopetl.render import Renderer

from .conftest import SQL_DIR

sys.path.insert(0, str(SQL_DIR.parent / ".ci"))
import sqlfluff_lib as sample  # noqa: E402  (the sample context the linter uses)

DDL = sorted((SQL_DIR / "ddl").glob("*.sql"))
STAGES = [s.name for s in Renderer(SQL_DIR / "transforms").stages()]


def _context() -> dict[str, object]:
    import datetime as dt

    return {
        "run_id": 1,
        "started_at": dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc),
        "threshold": 0.05,
        "files": sample.files,
        "key": "orders",
        "file_name": "orders.csv",
        "header": sample.header,
        "columns": sample.columns,
        "first_refresh": False,
        "bulk": False,
    }


@pytest.mark.parametrize("path", DDL, ids=lambda p: p.name)
def test_migration_parses(path: Path) -> None:
    assert pglast.parse_sql(path.read_text())


@pytest.mark.parametrize("stage", STAGES)
def test_stage_renders_to_sql_postgres_parses(stage: str) -> None:
    sql = Renderer(SQL_DIR / "transforms").render(stage, **_context())
    assert pglast.parse_sql(sql)


def test_render_command_prints_what_runs(db_url: str) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "shopetl", "render", "validate_orders"],
        capture_output=True, text=True, env={"DATABASE_URL": db_url, "PATH": "/usr/bin:/bin"}, check=True,
    ).stdout
    assert out.startswith("-- shopetl stage 23_validate_orders.sql")
    assert "staging.is_timestamp" in out and "{{" not in out
    assert pglast.parse_sql(out)


def test_render_command_names_the_stages_and_points_to_checks_for_an_unknown_name(db_url: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "shopetl", "render", "daily_sales_reconcile"],
        capture_output=True, text=True, env={"DATABASE_URL": db_url, "PATH": "/usr/bin:/bin"}, check=False,
    )
    assert done.returncode == 1  # a user's error, not an internal one
    assert "no stage named 'daily_sales_reconcile'" in done.stderr and "validate_orders" in done.stderr
    assert "shopetl check --show --check NAME" in done.stderr and "internal error" not in done.stderr
