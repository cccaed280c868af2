"""Stage 60: planner statistics after a load. A first load analyzes every table; a later batch
analyzes the monthly partitions it touched, and a whole table only when it changed a tenth of
its rows or more (smaller changes are left to autovacuum, which applies the same rule)."""

from __future__ import annotations

import time
from pathlib import Path

from shopetl.config import Settings

from .etl_helpers import BASE, query, run_load, write_delivery

CUSTOMERS = "\n".join(f"{i},c{i}@example.com,C,{i},,,,,,,2023-01-01 00:00:00," for i in range(1, 41))
ORDERS = "\n".join(f"{100 + i},{i},2024-01-{1 + i % 28:02d} 10:00:00,Delivered,,,,,,,,,," for i in range(1, 41))
ITEMS = "\n".join(f"{1000 + i},{100 + i},10,1,100.00,," for i in range(1, 41))


def analyze_counts(url: str, tables: list[str]) -> dict[str, int]:
    rows = query(
        url,
        "select schemaname || '.' || relname, analyze_count from pg_stat_user_tables"
        " where schemaname || '.' || relname = any(%s)",
        tables,
    )
    return {name: count for name, count in rows}


def wait_for_stats(url: str, table: str, above: int) -> dict[str, int]:
    """The load's connection reports its counters when it ends: poll until they arrived."""
    deadline = time.monotonic() + 20
    while True:
        counts = analyze_counts(url, [table, "core.customers", "core.order_keys", "marts.customer_lifetime"])
        if counts.get(table, 0) > above or time.monotonic() > deadline:
            return counts
        time.sleep(0.2)


def test_a_first_load_gives_every_table_statistics(settings: Settings, db_url: str, tmp_path: Path) -> None:
    delivery = {**BASE, "customers": CUSTOMERS, "orders": ORDERS, "order_items": ITEMS}
    assert run_load(settings, write_delivery(tmp_path / "first", delivery)).status == "ok"
    never = query(
        db_url,
        "select c.oid::regclass::text from pg_class as c join pg_namespace as n on c.relnamespace = n.oid"
        " where n.nspname in ('core', 'marts') and c.relkind = 'r' and c.reltuples < 0"
        " and c.relname not like '%%default'",
    )
    # months without a row and empty marts were analyzed too: reltuples 0, not -1 (never)
    assert never == []


def test_a_small_batch_analyzes_its_months_not_the_unchanged_whole_tables(
    settings: Settings, db_url: str, tmp_path: Path
) -> None:
    delivery = {**BASE, "customers": CUSTOMERS, "orders": ORDERS, "order_items": ITEMS}
    assert run_load(settings, write_delivery(tmp_path / "first", delivery)).status == "ok"
    month = "core.orders_y2024m01"
    before = wait_for_stats(db_url, month, 0)
    assert before[month] >= 1

    # one new order of 41 (2 %): its month is analyzed, the customers (unchanged) and the
    # order keys (1 new of 41) are not
    batch = {"orders": "200,1,2024-01-20 10:00:00,Delivered,,,,,,,,,,", "order_items": "2000,200,10,1,100.00,,"}
    assert run_load(settings, write_delivery(tmp_path / "small", batch)).status == "ok"
    after = wait_for_stats(db_url, month, before[month])
    assert after[month] == before[month] + 1
    assert after["core.customers"] == before["core.customers"]
    assert after["core.order_keys"] == before["core.order_keys"]
    assert after["marts.customer_lifetime"] == before["marts.customer_lifetime"]


def test_a_batch_changing_a_tenth_of_a_table_analyzes_it(settings: Settings, db_url: str, tmp_path: Path) -> None:
    delivery = {**BASE, "customers": CUSTOMERS, "orders": ORDERS, "order_items": ITEMS}
    assert run_load(settings, write_delivery(tmp_path / "first", delivery)).status == "ok"
    month = "core.orders_y2024m01"
    before = wait_for_stats(db_url, month, 0)

    # 5 new orders on top of 40 (a tenth or more of core.order_keys), customers still unchanged
    orders = "\n".join(f"{300 + i},{i},2024-01-21 10:00:00,Delivered,,,,,,,,,," for i in range(1, 6))
    items = "\n".join(f"{3000 + i},{300 + i},10,1,100.00,," for i in range(1, 6))
    assert run_load(settings, write_delivery(tmp_path / "big", {"orders": orders, "order_items": items})).status == "ok"
    after = wait_for_stats(db_url, month, before[month])
    assert after["core.order_keys"] == before["core.order_keys"] + 1
    assert after["core.customers"] == before["core.customers"]


def test_a_small_batch_leaves_the_monthly_product_mart_to_autovacuum(
    settings: Settings, db_url: str, tmp_path: Path
) -> None:
    # 40 orders over 10 months and 2 products: 20 rows in marts.monthly_product_sales
    orders = "\n".join(f"{100 + i},{i},2024-{1 + i % 10:02d}-05 10:00:00,Delivered,,,,,,,,,," for i in range(1, 41))
    items = "\n".join(f"{1000 + i},{100 + i},{10 + i // 20},1,100.00,," for i in range(1, 41))
    delivery = {**BASE, "customers": CUSTOMERS, "orders": orders, "order_items": items}
    assert run_load(settings, write_delivery(tmp_path / "first", delivery)).status == "ok"
    assert query(db_url, "select count(*)::int from marts.monthly_product_sales") == [(20,)]
    month = "core.orders_y2024m03"
    before = wait_for_stats(db_url, month, 0)
    mart = "marts.monthly_product_sales"
    before_mart = analyze_counts(db_url, [mart])[mart]

    # one new order moves one month of one product (1 row of 20): the mart is not analyzed again
    batch = {"orders": "200,1,2024-03-20 10:00:00,Delivered,,,,,,,,,,", "order_items": "2000,200,10,1,100.00,,"}
    assert run_load(settings, write_delivery(tmp_path / "small", batch)).status == "ok"
    wait_for_stats(db_url, month, before[month])
    assert analyze_counts(db_url, [mart])[mart] == before_mart
