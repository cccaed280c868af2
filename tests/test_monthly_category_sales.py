"""marts.monthly_category_sales is marts.daily_category_sales summed per calendar month (orders
summed per day, as order_lines), after a first load and after every batch (migration 0044,
stage 45); stage 50 refreshes whatever materialized views marts holds besides."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import psycopg

from shopetl.config import Settings

from .etl_helpers import query, run_load, write_delivery
from .test_incremental import BATCH_1, BATCH_2

MONTHLY = "select month_start, category_id, units, order_lines, revenue from marts.monthly_category_sales order by 1, 2"
DAILY_BY_MONTH = """
select date_trunc('month', sales_date)::date, category_id, sum(units)::bigint, sum(orders)::bigint, sum(revenue)
from marts.daily_category_sales group by 1, 2 order by 1, 2
"""


def test_monthly_category_mart_follows_the_daily_mart_through_batches(
    settings: Settings, db_url: str, tmp_path: Path
) -> None:
    assert run_load(settings, write_delivery(tmp_path / "b1", BATCH_1)).status == "ok"  # a first load (bulk)
    assert query(db_url, MONTHLY) == query(db_url, DAILY_BY_MONTH) != []
    # 101 Returned, 102 moved from February to March, product 10 moved from Phones (2) to
    # Laptops (3) with its history: February leaves the mart, Phones loses its months
    assert run_load(settings, write_delivery(tmp_path / "b2", BATCH_2)).status == "ok"
    assert query(db_url, MONTHLY) == query(db_url, DAILY_BY_MONTH)
    assert [(m.isoformat(), c) for m, c, *_ in query(db_url, MONTHLY)] == [
        ("2024-01-01", 1), ("2024-01-01", 3), ("2024-03-01", 1), ("2024-03-01", 3),
    ]
    # a batch changing a status back (101 Delivered again): January gains its laptop back
    again = {"orders": "101,1,2024-01-15 10:00:00,Delivered,,,,,,,,,,"}
    assert run_load(settings, write_delivery(tmp_path / "b3", again)).status == "ok"
    assert query(db_url, MONTHLY) == query(db_url, DAILY_BY_MONTH)
    assert (dt.date(2024, 1, 1), 3, 3, 2, 1150) in [
        (m, c, u, o, int(r)) for m, c, u, o, r in query(db_url, MONTHLY)
    ]


def test_a_materialized_view_a_dba_adds_to_marts_is_refreshed_after_each_load(
    settings: Settings, db_url: str, tmp_path: Path
) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("create materialized view marts.sales_per_month as"
                     " select month_start, sum(revenue) as revenue from marts.monthly_category_sales"
                     " group by month_start with no data")
        # without a unique index: refreshed plainly
        conn.execute("create materialized view marts.last_day_sold as select max(sales_date)::text as day"
                     " from marts.daily_sales with no data")
        conn.execute("create unique index on marts.sales_per_month (month_start)")
    assert run_load(settings, write_delivery(tmp_path / "b1", BATCH_1)).status == "ok"
    assert query(db_url, "select count(*)::int from marts.sales_per_month") == [(2,)]  # January, February
    assert query(db_url, "select day from marts.last_day_sold") == [("2024-02-01",)]
    assert run_load(settings, write_delivery(tmp_path / "b2", BATCH_2)).status == "ok"
    assert [m.isoformat() for (m,) in query(db_url, "select month_start from marts.sales_per_month order by 1")] == [
        "2024-01-01", "2024-03-01",
    ]
    assert query(db_url, "select day from marts.last_day_sold") == [("2024-03-06",)]
