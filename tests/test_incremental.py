"""Deliveries one after another: later batches win, nothing is counted twice, and the result
is the same as loading the merged data at once."""

from __future__ import annotations

import textwrap
from pathlib import Path

from shopetl.config import Settings

from .conftest import SQL_DIR
from .etl_helpers import BASE, query, run_load, write_delivery

TABLES = {
    "core.product_categories": "category_id",
    "core.products": "product_id",
    "core.customers": "customer_id",
    "core.order_keys": "order_id",
    "core.order_item_keys": "order_item_id",
    "core.orders": "order_id",
    "core.order_items": "order_item_id",
    "marts.daily_sales": "sales_date",
    "marts.daily_product_sales": "sales_date, product_id",
    "marts.monthly_product_sales": "month_start, product_id",
    "marts.daily_category_sales": "sales_date, category_id",
    "marts.customer_lifetime": "customer_id",
    "marts.category_closure": "ancestor_id, descendant_id",
    "marts.dim_date": "date_day",
    "marts.product_sales_totals": "product_id",
    "marts.monthly_category_sales": "month_start, category_id",
}


def snapshot(url: str) -> dict[str, list[tuple[object, ...]]]:
    """Every table's rows, without the batch that wrote them (run ids differ between runs)."""
    out = {}
    for table, key in TABLES.items():
        cols = [
            c for (c,) in query(
                url,
                "select attname from pg_attribute where attrelid = %s::regclass and attnum > 0"
                " and not attisdropped and attname <> 'batch_id' order by attnum",
                table,
            )
        ]
        out[table] = query(url, f"select {', '.join(cols)} from {table} order by {key}")
    return out


BATCH_1 = {
    **BASE,
    "orders": """
        100,1,2024-01-01 10:00:00,Delivered,,,,,,,,,,
        101,1,2024-01-15 10:00:00,Shipped,,,,,,,,,,
        102,2,2024-02-01 10:00:00,Pending,,,,,,,,,,
    """,
    "order_items": """
        1000,100,10,2,100.00,,200.00
        1001,101,11,1,1000.00,50.00,950.00
        1002,102,10,1,100.00,,
        1003,102,11,1,1000.00,,
    """,
}

BATCH_2 = {
    "products": "10,Phone,,120.00,60.00,3,SKU-10,5,0.2,2023-01-01 00:00:00,True",
    "orders": """
        101,1,2024-01-15 10:00:00,Returned,,,,,,,,,,
        102,2,2024-03-05 09:00:00,Delivered,,,,,,,,,,
        103,2,2024-03-06 10:00:00,Delivered,,,,,,,,,,
    """,
    "order_items": """
        1003,103,10,3,120.00,,
        1004,103,11,1,1000.00,,
    """,
}


def merged(*batches: dict[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for batch in batches:
        for key, rows in batch.items():
            out[key] = out.get(key, "") + textwrap.dedent(rows).strip("\n") + "\n"
    return out


def test_two_batches_equal_one_load_of_the_merged_data(
    settings: Settings, db_url: str, second_db_url: str, tmp_path: Path
) -> None:
    assert run_load(settings, write_delivery(tmp_path / "b1", BATCH_1)).status == "ok"
    assert run_load(settings, write_delivery(tmp_path / "b2", BATCH_2)).status == "ok"
    other = Settings(database_url=second_db_url, sql_dir=SQL_DIR)
    assert run_load(other, write_delivery(tmp_path / "all", merged(BATCH_1, BATCH_2))).status == "ok"
    assert snapshot(db_url) == snapshot(second_db_url)
    # and the figures are the ones the contract gives
    assert query(db_url, "select sales_date::text, orders, units, revenue::text from marts.daily_sales order by 1") == [
        ("2024-01-01", 1, 2, "200.00"),  # 101 Returned: no longer counted on Jan 15
        ("2024-03-05", 1, 1, "100.00"),  # 102 moved to March with its remaining line 1002 (line price 100)
        ("2024-03-06", 1, 4, "1360.00"),  # 103 with 1003 (moved from 102) and 1004
    ]
    assert query(db_url, "select category_id, sum(revenue)::text from marts.daily_category_sales group by 1 order by 1") == [
        (1, "1660.00"), (3, "1660.00"),  # product 10 moved from Phones (2) to Laptops (3), history included
    ]


BATCH_3 = {"orders": "103,2,2024-03-06 10:00:00,Cancelled,,,,,,,,,,"}


def test_all_time_product_totals_follow_the_batches(
    settings: Settings, db_url: str, second_db_url: str, tmp_path: Path
) -> None:
    """marts.product_sales_totals moves with each batch like the daily mart: a product that no
    longer sells leaves it, and a first or last day of sale the batch took away is found again."""
    totals = "select product_id, units, revenue::text, first_sale_date::text, last_sale_date::text" \
        " from marts.product_sales_totals order by 1"
    assert run_load(settings, write_delivery(tmp_path / "b1", BATCH_1)).status == "ok"
    assert query(db_url, totals) == [
        (10, 3, "300.00", "2024-01-01", "2024-02-01"),
        (11, 2, "1950.00", "2024-01-15", "2024-02-01"),
    ]
    assert run_load(settings, write_delivery(tmp_path / "b2", BATCH_2)).status == "ok"
    assert query(db_url, totals) == [
        (10, 6, "660.00", "2024-01-01", "2024-03-06"),  # 1002 moved to March 5; 1003 of 103 is product 10 now
        (11, 1, "1000.00", "2024-03-06", "2024-03-06"),  # 101 Returned: Jan 15 is no longer a day of sale
    ]
    # 103 cancelled: product 11 sells nothing any more, product 10 last sold on March 5
    assert run_load(settings, write_delivery(tmp_path / "b3", BATCH_3)).status == "ok"
    assert query(db_url, totals) == [(10, 3, "300.00", "2024-01-01", "2024-03-05")]
    other = Settings(database_url=second_db_url, sql_dir=SQL_DIR)
    assert run_load(other, write_delivery(tmp_path / "all", merged(BATCH_1, BATCH_2, BATCH_3))).status == "ok"
    assert snapshot(db_url) == snapshot(second_db_url)


STATUS_BATCH = {
    "orders": """
        100,2,2024-01-01 10:00:00,Delivered,,,,,,,,,,
        101,1,2024-01-15 10:00:00,Delivered,,,,,,,,,,
        102,2,2024-02-01 10:00:00,Cancelled,,,,,,,,,,
        104,1,2024-02-02 10:00:00,Delivered,,,,,,,,,,
    """,
    "order_items": "1005,104,10,1,100.00,,",
}
LINE_BATCH = {
    "orders": "101,1,2024-01-15 10:00:00,In Transit,,,,,,,,,,",
    "order_items": "1001,101,11,2,1000.00,50.00,",
}


def test_only_orders_whose_sales_can_move_are_summed_again(
    settings: Settings, db_url: str, second_db_url: str, tmp_path: Path
) -> None:
    """A new status that counts in sales as the old one did (Shipped -> Delivered, the commonest
    change in a delivery) moves no figure: the batch leaves that order out of the sums it takes
    before and after (staging.touched_orders.moves_sales), not out of the touched orders. A new
    customer, a status that stops counting, a new order or a changed line move figures."""
    moves = "select order_id, moves_sales from staging.touched_orders order by 1"
    assert run_load(settings, write_delivery(tmp_path / "b1", BATCH_1)).status == "ok"
    assert run_load(settings, write_delivery(tmp_path / "status", STATUS_BATCH)).status == "ok"
    # 100 changes customer, 101 Shipped -> Delivered, 102 Pending -> Cancelled, 104 is new
    assert query(db_url, moves) == [(100, True), (101, False), (102, True), (104, True)]
    assert run_load(settings, write_delivery(tmp_path / "line", LINE_BATCH)).status == "ok"
    assert query(db_url, moves) == [(101, True)]  # Delivered -> In Transit, but a line changed
    assert query(db_url, "select customer_id, order_count, lifetime_value::text from marts.customer_lifetime"
                         " order by 1") == [(1, 2, "2050.00"), (2, 1, "200.00")]
    other = Settings(database_url=second_db_url, sql_dir=SQL_DIR)
    delivery = merged(BATCH_1, STATUS_BATCH, LINE_BATCH)
    assert run_load(other, write_delivery(tmp_path / "all", delivery)).status == "ok"
    assert snapshot(db_url) == snapshot(second_db_url)


def test_the_touched_customers_are_those_of_the_touched_orders_before_and_after(
    settings: Settings, db_url: str, tmp_path: Path
) -> None:
    """staging.touched_customers (the customers whose lifetime figures stage 47 may move and
    customer_lifetime_reconcile reads) holds the customer of every touched order before the
    batch and after it, and every delivered customer; no one else."""
    first = {
        **BASE,
        "customers": textwrap.dedent(BASE["customers"]) + "\n".join(
            f"{c},c{c}@example.com,C,{c},,,,,,,2023-01-01 00:00:00," for c in (3, 4, 5)
        ),
        "orders": """
            200,1,2024-01-01 10:00:00,Delivered,,,,,,,,,,
            201,3,2024-01-02 10:00:00,Delivered,,,,,,,,,,
            202,4,2024-01-03 10:00:00,Delivered,,,,,,,,,,
        """,
        "order_items": """
            2000,200,10,1,100.00,,
            2001,201,10,1,100.00,,
            2002,202,10,1,100.00,,
        """,
    }
    assert run_load(settings, write_delivery(tmp_path / "first", first)).status == "ok"
    batch = {
        "orders": """
            200,2,2024-01-01 10:00:00,Delivered,,,,,,,,,,
            203,5,2024-01-04 10:00:00,Delivered,,,,,,,,,,
        """,
        # 201 is not delivered again: it only gains a line
        "order_items": """
            2003,201,11,1,1000.00,,
            2004,203,10,1,100.00,,
        """,
    }
    assert run_load(settings, write_delivery(tmp_path / "batch", batch)).status == "ok"
    # 200 moves from customer 1 to 2, 201 (customer 3) gains a line, 203 is customer 5's new order;
    # customer 4's order is untouched
    assert query(db_url, "select customer_id from staging.touched_customers order by 1") == [(1,), (2,), (3,), (5,)]
    customer = {
        "customers": "4,c4@example.com,C,Four,,,,,,,2023-01-01 00:00:00,",
        "orders": "203,5,2024-01-04 10:00:00,Shipped,,,,,,,,,,",
    }
    assert run_load(settings, write_delivery(tmp_path / "customer", customer)).status == "ok"
    assert query(db_url, "select customer_id from staging.touched_customers order by 1") == [(4,), (5,)]


def test_redelivering_a_batch_changes_nothing(settings: Settings, db_url: str, tmp_path: Path) -> None:
    run_load(settings, write_delivery(tmp_path / "b1", BATCH_1))
    run_load(settings, write_delivery(tmp_path / "b2", BATCH_2))
    before = snapshot(db_url)
    result = run_load(settings, write_delivery(tmp_path / "b2-again", BATCH_2))
    assert result.status == "ok"
    assert snapshot(db_url) == before


def test_a_batch_over_the_threshold_changes_nothing(settings: Settings, db_url: str, tmp_path: Path) -> None:
    run_load(settings, write_delivery(tmp_path / "b1", BATCH_1))
    before = snapshot(db_url)
    bad = {"orders": "104,1,2024-04-01 10:00:00,Delivered,,,,,,,,,,\n105,1,not a date,Delivered,,,,,,,,,,"}
    result = run_load(settings, write_delivery(tmp_path / "bad", {**BATCH_2, **bad}), threshold=0.05)
    assert result.status == "failed"
    assert snapshot(db_url) == before


BOUNDS_FIRST = {
    **BASE,
    "orders": """
        200,1,2024-01-10 10:00:00,Delivered,,,,,,,,,,
        201,1,2024-03-10 10:00:00,Delivered,,,,,,,,,,
        202,1,2024-05-10 10:00:00,Delivered,,,,,,,,,,
        203,1,2024-07-10 10:00:00,Delivered,,,,,,,,,,
        210,2,2024-02-10 10:00:00,Delivered,,,,,,,,,,
    """,
    "order_items": """
        2000,200,10,1,100.00,,
        2010,201,10,2,100.00,,
        2020,202,11,1,1000.00,,
        2030,203,11,1,1000.00,,
        2100,210,10,1,100.00,,
    """,
}
BOUNDS_TAKEN = {
    "orders": """
        200,1,2024-01-10 10:00:00,Cancelled,,,,,,,,,,
        203,1,2024-07-10 10:00:00,Returned,,,,,,,,,,
        210,2,2024-02-10 10:00:00,Cancelled,,,,,,,,,,
    """,
}


def test_a_first_or_last_order_taken_away_is_found_again_months_away(
    settings: Settings, db_url: str, second_db_url: str, tmp_path: Path
) -> None:
    """A customer whose first or last counted order the batch takes away is recounted from
    their orders of other months (stage 47's lost bounds), and a customer left without a
    counted order has no first or last one."""
    lifetime = "select customer_id, order_count, lifetime_value::text, first_order_at::date::text," \
        " last_order_at::date::text from marts.customer_lifetime order by 1"
    assert run_load(settings, write_delivery(tmp_path / "b1", BOUNDS_FIRST)).status == "ok"
    assert query(db_url, lifetime) == [
        (1, 4, "2300.00", "2024-01-10", "2024-07-10"), (2, 1, "100.00", "2024-02-10", "2024-02-10"),
    ]
    assert run_load(settings, write_delivery(tmp_path / "b2", BOUNDS_TAKEN)).status == "ok"
    assert query(db_url, lifetime) == [
        (1, 2, "1200.00", "2024-03-10", "2024-05-10"), (2, 0, "0.00", None, None),
    ]
    other = Settings(database_url=second_db_url, sql_dir=SQL_DIR)
    assert run_load(other, write_delivery(tmp_path / "all", merged(BOUNDS_FIRST, BOUNDS_TAKEN))).status == "ok"
    assert snapshot(db_url) == snapshot(second_db_url)


BOUNDS_NEAR_FIRST = {
    **BASE,
    "orders": """
        300,1,2024-01-05 10:00:00,Delivered,,,,,,,,,,
        301,1,2024-01-20 10:00:00,Delivered,,,,,,,,,,
        302,1,2024-06-01 10:00:00,Delivered,,,,,,,,,,
        310,2,2024-03-01 10:00:00,Delivered,,,,,,,,,,
        311,2,2024-04-01 10:00:00,Delivered,,,,,,,,,,
        312,2,2024-05-01 10:00:00,Delivered,,,,,,,,,,
    """,
    "order_items": """
        3000,300,10,1,100.00,,
        3010,301,10,1,100.00,,
        3020,302,10,1,100.00,,
        3100,310,10,1,100.00,,
        3110,311,10,1,100.00,,
        3120,312,10,1,100.00,,
    """,
}
BOUNDS_NEAR_TAKEN = {
    "orders": """
        300,1,2024-01-05 10:00:00,Cancelled,,,,,,,,,,
        302,1,2024-06-01 10:00:00,Returned,,,,,,,,,,
        303,1,2024-08-01 10:00:00,Delivered,,,,,,,,,,
        310,2,2023-11-01 10:00:00,Delivered,,,,,,,,,,
        312,2,2024-05-01 10:00:00,Returned,,,,,,,,,,
    """,
    "order_items": "3030,303,10,1,100.00,,",
}


def test_a_lost_first_or_last_order_gives_way_to_the_nearest_one_or_to_the_batchs_own(
    settings: Settings, db_url: str, second_db_url: str, tmp_path: Path
) -> None:
    """Stage 47 looks for a lost bound month by month from its own month: the next counted order
    may be in that very month; and the batch's own counted orders can be the new bound even
    outside the months between the old ones (an order moved earlier, a new later order)."""
    lifetime = "select customer_id, order_count, lifetime_value::text, first_order_at::date::text," \
        " last_order_at::date::text from marts.customer_lifetime order by 1"
    assert run_load(settings, write_delivery(tmp_path / "b1", BOUNDS_NEAR_FIRST)).status == "ok"
    assert run_load(settings, write_delivery(tmp_path / "b2", BOUNDS_NEAR_TAKEN)).status == "ok"
    assert query(db_url, lifetime) == [
        (1, 2, "200.00", "2024-01-20", "2024-08-01"),  # 301 in the lost first's month; 303 is new
        (2, 2, "200.00", "2023-11-01", "2024-04-01"),  # 310 moved before the old first; 311 a month back
    ]
    other = Settings(database_url=second_db_url, sql_dir=SQL_DIR)
    assert run_load(other, write_delivery(tmp_path / "all", merged(BOUNDS_NEAR_FIRST, BOUNDS_NEAR_TAKEN))).status == "ok"
    assert snapshot(db_url) == snapshot(second_db_url)
