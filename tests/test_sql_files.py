"""Every SQL file parses with PostgreSQL's own parser (pglast), and every stage renders."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pglast
import pytest

from shopetl.config import Settings
from shopetl.render import Renderer

from .conftest import SQL_DIR
from .etl_helpers import BASE, run_load, write_delivery

sys.path.insert(0, str(SQL_DIR.parent / ".ci"))
import sqlfluff_lib as sample  # noqa: E402  (the sample context the linter uses)

DDL = sorted((SQL_DIR / "ddl").glob("*.sql"))
STAGES = [s.name for s in Renderer(SQL_DIR / "transforms").stages()]


def _context() -> dict[str, object]:
    import datetime as dt

    return {
        "run_id": 1,
        "started_at": dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
        "threshold": 0.05,
        "files": sample.files,
        "key": "orders",
        "file_name": "orders.csv",
        "header": sample.header,
        "columns": sample.columns,
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


def test_render_gives_a_first_load_its_bulk_sql_and_a_batch_its_own(
    settings: Settings, db_url: str, tmp_path: Path
) -> None:
    # stage 60 counts the monthly mart's changes in the table its run wrote them to
    first = {**BASE, "orders": "100,1,2024-01-10 10:00:00,Delivered,,,,,,,,,,", "order_items": "1000,100,10,1,100.00,,"}
    assert run_load(settings, write_delivery(tmp_path / "first", first)).status == "ok"
    batch = {"orders": "200,2,2024-01-20 10:00:00,Delivered,,,,,,,,,,", "order_items": "2000,200,11,1,900.00,,"}
    assert run_load(settings, write_delivery(tmp_path / "batch", batch)).status == "ok"

    def render(*run: str) -> str:
        return subprocess.run(
            [sys.executable, "-m", "shopetl", "render", "analyze", *run],
            capture_output=True, text=True, env={"DATABASE_URL": db_url, "PATH": "/usr/bin:/bin"}, check=True,
        ).stdout

    bulk, later = render("--run", "1"), render("--run", "2")
    after, delta = "from staging.touched_product_months_after)", "from staging.touched_product_months_delta)"
    assert after in bulk and delta not in bulk
    assert delta in later and after not in later
    assert render() == later  # the latest run by default
