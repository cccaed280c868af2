"""Migration 0045: a customer's counted orders (status, revenue, date) are read from the index of
the orders by customer alone, as customer_lifetime_reconcile and stage 47 read them."""

from __future__ import annotations

from pathlib import Path

from shopetl.config import Settings

from .etl_helpers import BASE, plan_by_index, query, run_load, write_delivery

ORDERS = """
    100,1,2024-01-10 10:00:00,Delivered,,,,,,,,,,
    101,1,2024-02-10 10:00:00,Cancelled,,,,,,,,,,
    102,2,2024-02-11 10:00:00,Shipped,,,,,,,,,,
"""
ITEMS = """
    1000,100,10,1,100.00,,
    1001,101,11,1,1000.00,,
    1002,102,10,2,100.00,,
"""


def test_a_customers_counted_orders_are_read_from_the_index_alone(
    settings: Settings, db_url: str, tmp_path: Path
) -> None:
    delivery = {**BASE, "orders": ORDERS, "order_items": ITEMS}
    assert run_load(settings, write_delivery(tmp_path / "first", delivery)).status == "ok"
    figures = (
        "select o.customer_id, sum(o.revenue), count(*), min(o.order_date), max(o.order_date)"
        " from core.orders as o where o.customer_id in (1, 2) and core.counts_in_sales(o.status)"
        " group by o.customer_id order by 1"
    )
    plan = plan_by_index(db_url, "core.orders", figures)
    assert "Index Only Scan using orders_y2024m01_customer_id" in plan, plan
    assert "Index Scan" not in plan.replace("Index Only Scan", ""), plan
    assert [(c, str(r), n) for c, r, n, *_ in query(db_url, figures)] == [(1, "100.00", 1), (2, "200.00", 1)]
