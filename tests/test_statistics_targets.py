"""Migration 0043: planner statistics of the orders and their lines only for the columns that
queries filter, join, group or sort on, in every month partition, those created later included,
and in the staging tables that hold a load's orders and lines on their way to core."""

from __future__ import annotations

from pathlib import Path

from shopetl.config import Settings

from .etl_helpers import BASE, query, run_load, write_delivery

WITHOUT = {
    "orders": ["payment_method", "shipping_address", "shipping_city", "shipping_state", "shipping_zip",
               "shipping_country", "processing_date", "shipping_date", "delivery_date"],
    "order_items": ["quantity", "price", "discount", "total"],
}


def targets(url: str, table: str, schema: str = "core") -> dict[str, int]:
    """Per-column statistics target of <schema>.<table> (-1: the server's default)."""
    rows = query(
        url,
        "select attname, coalesce(attstattarget, -1)::integer from pg_attribute"
        " where attrelid = to_regclass(%s) and attnum > 0 and not attisdropped",
        f"{schema}.{table}",
    )
    assert rows, f"no table {schema}.{table}"
    return dict(rows)


def columns_with_statistics(url: str, table: str, schema: str) -> set[str]:
    """The columns of <schema>.<table> that ANALYZE gathered statistics for."""
    sql = "select attname from pg_stats where schemaname = %s and tablename = %s"
    return {c for (c,) in query(url, sql, schema, table)}


def order(order_id: int, day: str) -> str:
    return f"{order_id},1,{day} 10:00:00,Delivered,Card,1 Main St,Springfield,IL,62701,US,,,,100.00"


FIRST = {**BASE, "orders": order(100, "2024-01-10"), "order_items": "1000,100,10,1,100.00,,"}


def load_first_then_a_batch_on(settings: Settings, tmp_path: Path, day: str) -> None:
    """FIRST, then a batch of one order (200, with one line) placed on ``day``."""
    assert run_load(settings, write_delivery(tmp_path / "first", FIRST)).status == "ok"
    batch = {"orders": order(200, day), "order_items": "2000,200,10,1,100.00,,"}
    assert run_load(settings, write_delivery(tmp_path / "batch", batch)).status == "ok"


def test_a_month_partition_created_by_a_batch_takes_its_parents_targets(
    settings: Settings, db_url: str, tmp_path: Path
) -> None:
    load_first_then_a_batch_on(settings, tmp_path, "2024-03-10")

    for table, columns in WITHOUT.items():
        for partition in (table, f"{table}_y2024m01", f"{table}_y2024m03"):
            got = targets(db_url, partition)
            assert {c: got[c] for c in columns} == dict.fromkeys(columns, 0), partition
            assert got["order_id"] == -1 and got["order_date"] == -1, partition  # the keys keep theirs
    assert targets(db_url, "orders_y2024m03")["status"] == -1
    assert targets(db_url, "order_items_y2024m03")["product_id"] == -1


def test_analyze_gathers_statistics_of_the_filtered_columns_only(
    settings: Settings, db_url: str, tmp_path: Path
) -> None:
    assert run_load(settings, write_delivery(tmp_path / "first", FIRST)).status == "ok"

    for table in WITHOUT:
        analyzed = columns_with_statistics(db_url, f"{table}_y2024m01", "core")
        assert analyzed, f"{table}_y2024m01 was not analyzed"
        assert {"order_id", "order_date"} <= analyzed
        assert not analyzed & set(WITHOUT[table])
    assert "status" in columns_with_statistics(db_url, "orders_y2024m01", "core")


def test_a_batchs_staging_tables_of_orders_and_lines_take_the_core_tables_targets(
    settings: Settings, db_url: str, tmp_path: Path
) -> None:
    load_first_then_a_batch_on(settings, tmp_path, "2024-01-12")

    for core, staged in (("orders", ("orders_valid", "orders_changed")),
                         ("order_items", ("order_items_valid", "order_items_changed"))):
        for table in staged:
            got = targets(db_url, table, "staging")
            assert {c: got[c] for c in WITHOUT[core]} == dict.fromkeys(WITHOUT[core], 0), table
            assert got["order_id"] == -1, table  # the keys keep theirs
            analyzed = columns_with_statistics(db_url, table, "staging")
            assert "order_id" in analyzed, table
            assert not analyzed & set(WITHOUT[core]), table
    # columns core has not stay as they are
    assert targets(db_url, "order_items_changed", "staging")["old_order_id"] == -1


def test_a_staged_file_is_analyzed_for_its_size_and_its_record_numbers_only(
    settings: Settings, db_url: str, tmp_path: Path
) -> None:
    first = {**BASE, "orders": order(100, "2024-01-10") + "\n" + order(101, "2024-01-11"),
             "order_items": "1000,100,10,1,100.00,,"}
    assert run_load(settings, write_delivery(tmp_path / "first", first)).status == "ok"

    assert columns_with_statistics(db_url, "orders", "staging") == {"rec_no"}
    [(rows,)] = query(db_url, "select reltuples::integer from pg_class where oid = 'staging.orders'::regclass")
    assert rows == 2
