"""marts.monthly_product_sales is marts.daily_product_sales summed per month, after a first
load and after incremental batches; productSales and topProductsByCategory, which read it for
whole months and the daily mart for the rest, give exactly the daily mart's sums."""

from __future__ import annotations

import datetime as dt
import json
import random
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from shopetl.config import Settings

from .conftest import conninfo
from .etl_helpers import query, run_load, write_delivery
from .test_api_support import DATA_SQL
from .test_incremental import BATCH_1, BATCH_2

MONTHLY = "select month_start, product_id, units, orders, revenue from marts.monthly_product_sales order by 1, 2"
DAILY_BY_MONTH = """
select date_trunc('month', sales_date)::date, product_id, sum(units), sum(orders)::integer, sum(revenue)
from marts.daily_product_sales group by 1, 2 order by 1, 2
"""


def test_monthly_mart_follows_the_daily_mart_through_batches(settings: Settings, db_url: str, tmp_path: Path) -> None:
    assert run_load(settings, write_delivery(tmp_path / "b1", BATCH_1)).status == "ok"  # a first load (bulk)
    assert query(db_url, MONTHLY) == query(db_url, DAILY_BY_MONTH) != []
    # order 101 Returned, 102 moved from February to March, a new order: months lose and gain rows
    assert run_load(settings, write_delivery(tmp_path / "b2", BATCH_2)).status == "ok"
    assert query(db_url, MONTHLY) == query(db_url, DAILY_BY_MONTH)
    assert [(m.isoformat(), p) for m, p, *_ in query(db_url, MONTHLY)] == [
        ("2024-01-01", 10), ("2024-03-01", 10), ("2024-03-01", 11),
    ]
    # a batch changing only statuses back (101 Delivered again): January gains product 11 back
    again = {"orders": "101,1,2024-01-15 10:00:00,Delivered,,,,,,,,,,"}
    assert run_load(settings, write_delivery(tmp_path / "b3", again)).status == "ok"
    assert query(db_url, MONTHLY) == query(db_url, DAILY_BY_MONTH)
    assert (dt.date(2024, 1, 1), 11) in [(m, p) for m, p, *_ in query(db_url, MONTHLY)]


@pytest.fixture(scope="module")
def periods() -> list[tuple[str | None, str | None]]:
    """Periods around month boundaries: inside one month (short, long, whole), across two,
    across many with short and long partial ends, unbounded on either side, outside the data."""
    d = dt.date.fromisoformat
    fixed = [
        ("2023-11-20", "2023-11-22"), ("2023-12-02", "2023-12-30"), ("2023-12-01", "2023-12-31"),
        ("2023-12-31", "2024-01-01"), ("2023-11-20", "2024-04-05"), ("2023-11-03", "2024-04-28"),
        ("2023-12-01", "2024-02-29"), ("2024-02-28", "2024-03-01"), ("2024-01-15", "2024-01-15"),
        ("2023-01-01", "2023-06-30"), ("2024-06-01", "2024-12-31"), ("2023-01-01", "2025-01-01"),
        (None, "2024-01-10"), ("2024-02-20", None), (None, None),
    ]
    rng = random.Random(3)
    start = d("2023-11-01")
    rand = []
    for _ in range(40):
        a = start + dt.timedelta(days=rng.randint(0, 170))
        b = a + dt.timedelta(days=rng.randint(0, 120))
        rand.append((a.isoformat(), b.isoformat()))
    return fixed + rand


@pytest.fixture
def marts_db(postgresql: psycopg.Connection) -> str:
    """The API tests' hand-made data plus random daily product rows over five months, with the
    monthly mart derived as migration 0031 does."""
    postgresql.execute(DATA_SQL)
    rng = random.Random(11)
    rows = []
    day = dt.date(2023, 11, 10)
    while day <= dt.date(2024, 4, 12):
        for product in range(100, 107):
            if rng.random() < 0.6 and not (day.month == 1 and product == 105):  # 105: no sale in January
                rows.append((day, product, rng.randint(1, 5), rng.randint(1, 3),
                             f"{rng.randint(1, 99999)}.{rng.randint(0, 99):02d}"))
        day += dt.timedelta(days=1)
    postgresql.execute("delete from marts.daily_product_sales")
    postgresql.execute("delete from marts.monthly_product_sales")
    with postgresql.cursor() as cur:
        cur.executemany(
            "insert into marts.daily_product_sales (sales_date, product_id, units, orders, revenue)"
            " values (%s, %s, %s, %s, %s)", rows)
    postgresql.execute(
        "insert into marts.monthly_product_sales (month_start, product_id, units, orders, revenue)"
        " select date_trunc('month', sales_date)::date, product_id, sum(units), sum(orders), sum(revenue)"
        " from marts.daily_product_sales group by 1, 2")
    postgresql.commit()
    return conninfo(postgresql)


def _expected(conn: psycopg.Connection, p_from: str | None, p_to: str | None) -> list[tuple[int, int, int, str]]:
    return conn.execute(
        "select product_id, sum(units)::bigint, sum(orders)::bigint, sum(revenue)::text"
        " from marts.daily_product_sales"
        " where sales_date between coalesce(%s::date, '-infinity') and coalesce(%s::date, 'infinity')"
        " group by 1 order by 1", (p_from, p_to)).fetchall()


def test_product_sales_over_any_period_is_the_daily_sum(
    marts_db: str, periods: list[tuple[str | None, str | None]]
) -> None:
    with psycopg.connect(marts_db, autocommit=True) as conn:
        for p_from, p_to in periods:
            if p_from is None or p_to is None:
                continue
            answer = conn.execute(
                "select api.product_sales(%s, %s, p_order_by => '{PRODUCT_ID_ASC}', p_first => 1000)",
                (p_from, p_to)).fetchone()[0]  # type: ignore[index]
            got = [(n["product"]["productId"], n["units"], n["orders"], n["revenue"]) for n in answer["nodes"]]
            assert got == _expected(conn, p_from, p_to), (p_from, p_to)
            assert answer["totalCount"] == len(got)


def test_top_products_over_any_period_is_the_daily_sum(
    marts_db: str, periods: list[tuple[str | None, str | None]]
) -> None:
    with psycopg.connect(marts_db, autocommit=True) as conn:
        for p_from, p_to in periods:
            if p_from is None and p_to is None:
                continue  # all time: the materialized view
            for category in (None, 1, 2, 11):
                answer = conn.execute(
                    "select api.top_products_by_category(%s, %s, %s, 1000)", (category, p_from, p_to)
                ).fetchone()[0]  # type: ignore[index]
                roots = [1, 10] if category is None else [category]
                members = {
                    root: {p for (p,) in conn.execute(
                        "select p.product_id from core.products p join marts.category_closure c"
                        " on c.descendant_id = p.category_id where c.ancestor_id = %s", (root,))}
                    for root in roots
                }
                sums = {p: (u, r) for p, u, _, r in _expected(conn, p_from, p_to)}
                expected = []
                for root in roots:
                    ranked = sorted(((p, *sums[p]) for p in members[root] if p in sums),
                                    key=lambda t: (-Decimal(t[2]), t[0]))
                    expected += [(root, p, u, r) for p, u, r in ranked]
                got = [(x["categoryId"], x["product"]["productId"], x["units"], x["revenue"]) for x in answer]
                assert got == expected, json.dumps([category, p_from, p_to])


def test_product_sales_of_one_category_over_any_period_is_the_daily_sum(
    marts_db: str, periods: list[tuple[str | None, str | None]]
) -> None:
    """A categoryId filter is pushed into the sums (migration 0046): the same rows as summing
    every product and keeping the category's."""
    with psycopg.connect(marts_db, autocommit=True) as conn:
        for category in (1, 2, 11):
            members = {p for (p,) in conn.execute(
                "select p.product_id from core.products p join marts.category_closure c"
                " on c.descendant_id = p.category_id where c.ancestor_id = %s", (category,))}
            for p_from, p_to in periods:
                if p_from is None or p_to is None:
                    continue
                answer = conn.execute(
                    "select api.product_sales(%s, %s, p_filter => %s, p_order_by => '{PRODUCT_ID_ASC}',"
                    " p_first => 1000)",
                    (p_from, p_to, json.dumps({"categoryId": {"equalTo": category}}))).fetchone()[0]  # type: ignore[index]
                got = [(n["product"]["productId"], n["units"], n["orders"], n["revenue"]) for n in answer["nodes"]]
                assert got == [e for e in _expected(conn, p_from, p_to) if e[0] in members], (category, p_from, p_to)


def test_only_a_category_of_at_most_20000_products_is_listed_into_the_sums(marts_db: str) -> None:
    with psycopg.connect(marts_db, autocommit=True) as conn:
        sales = "select 1 as product_id"
        keep = conn.execute("select api_internal.sales_of_category(%s, 2)", (sales,)).fetchone()[0]  # type: ignore[index]
        assert keep.startswith("select r.* from (select 1 as product_id) as r where r.product_id = any(")
        assert conn.execute("select api_internal.sales_of_category(%s, null)", (sales,)).fetchone()[0] == sales  # type: ignore[index]
        conn.execute(
            "insert into core.products (product_id, name, price, cost, category_id, sku, batch_id)"
            " select 100000 + g, 'bulk', 1, 1, 11, 'SKU-B' || g, 0 from generate_series(1, 20000) as g")
        assert conn.execute("select api_internal.sales_of_category(%s, 11)", (sales,)).fetchone()[0] == sales  # type: ignore[index]
