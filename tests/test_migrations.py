"""Migrations: numbered, forward-only, recorded with a checksum."""

from __future__ import annotations

import shutil
from pathlib import Path

import psycopg
import pytest

from shopetl.migrate import MigrationError, discover, migrate

from .conftest import SQL_DIR


def test_apply_twice_is_a_no_op(bare_db_url: str) -> None:
    with psycopg.connect(bare_db_url, autocommit=True) as conn:
        first = migrate(conn, SQL_DIR / "ddl")
        second = migrate(conn, SQL_DIR / "ddl")
        recorded = conn.execute("select count(*) from etl.schema_migrations").fetchone()
    assert first == [m.path.name for m in discover(SQL_DIR / "ddl")]
    assert second == []
    assert recorded == (len(first),)


def test_changed_applied_file_is_refused(bare_db_url: str, tmp_path: Path) -> None:
    ddl = tmp_path / "ddl"
    shutil.copytree(SQL_DIR / "ddl", ddl)
    with psycopg.connect(bare_db_url, autocommit=True) as conn:
        migrate(conn, ddl)
        first = sorted(ddl.glob("*.sql"))[0]
        first.write_text(first.read_text() + "\n-- edited afterwards\n")
        with pytest.raises(MigrationError, match="changed after it was applied"):
            migrate(conn, ddl)


def test_failed_migration_is_rolled_back_and_not_recorded(bare_db_url: str, tmp_path: Path) -> None:
    ddl = tmp_path / "ddl"
    shutil.copytree(SQL_DIR / "ddl", ddl)
    (ddl / "9999_broken.sql").write_text("create table etl.half_done (x int);\nselect 1/0;\n")
    with psycopg.connect(bare_db_url, autocommit=True) as conn:
        with pytest.raises(MigrationError, match="9999_broken.sql failed"):
            migrate(conn, ddl)
        assert conn.execute("select to_regclass('etl.half_done')").fetchone() == (None,)
        assert conn.execute("select count(*) from etl.schema_migrations where version = 9999").fetchone() == (0,)


def test_badly_named_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "01-init.sql").write_text("select 1;")
    with pytest.raises(MigrationError, match="not named NNNN_lower_snake.sql"):
        discover(tmp_path)


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        ("2024-01-15 10:00:00+00", "2024-01-20 00:00:00+00", ["2024m01"]),
        ("2023-11-30 23:00:00+00", "2024-02-01 00:00:00+00", ["2023m11", "2023m12", "2024m01", "2024m02"]),
        # 2024-03-31 23:30 at -02:00 is 2024-04-01 01:30 UTC: April, not March
        ("2024-03-31 23:30:00-02", "2024-03-31 23:30:00-02", ["2024m04"]),
        ("2000-01-01 00:00:00+00", "2000-01-01 00:00:00+00", ["2000m01"]),
    ],
)
def test_partitions_are_created_for_any_range(db_url: str, start: str, end: str, months: list[str]) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        created = conn.execute("select core.ensure_order_partitions(%s, %s)", (start, end)).fetchone()
        again = conn.execute("select core.ensure_order_partitions(%s, %s)", (start, end)).fetchone()
        names = [
            r[0]
            for r in conn.execute(
                "select partition_name from core.order_partitions "
                "where partition_name not like '%%default' order by 1"
            )
        ]
    assert created == (2 * len(months),)
    assert again == (0,)
    assert names == sorted([f"order_items_y{m}" for m in months] + [f"orders_y{m}" for m in months])


def test_a_row_without_its_month_partition_is_an_error_not_a_silent_default(db_url: str) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("insert into core.customers (customer_id, email, batch_id) values (1, 'a@b.c', 0)")
        with pytest.raises(psycopg.errors.CheckViolation, match="orders_default_must_stay_empty"):
            conn.execute(
                "insert into core.orders (order_id, customer_id, order_date, status, batch_id) "
                "values (1, 1, '2024-05-05', 'Pending', 0)"
            )
        conn.execute("select core.ensure_order_partitions('2024-05-05', '2024-05-05')")
        conn.execute(
            "insert into core.orders (order_id, customer_id, order_date, status, batch_id) "
            "values (1, 1, '2024-05-05', 'Pending', 0)"
        )
        assert conn.execute("select tableoid::regclass::text from core.orders").fetchone() == (
            "core.orders_y2024m05",
        )
