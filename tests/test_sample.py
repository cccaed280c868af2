"""The committed sample delivery: it loads clean, twice gives identical tables, and its
figures match an independent computation in Python straight from the CSV files."""

from __future__ import annotations

import csv
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from shopetl.config import Settings

from .etl_helpers import query, rejects, run_load
from .test_incremental import snapshot

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample"
NOT_COUNTED = {"cancelled", "returned"}


def _rows(name: str) -> list[dict[str, str]]:
    with open(SAMPLE / f"sample_{name}.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_sample_loads_clean_and_twice_gives_identical_tables(settings: Settings, db_url: str) -> None:
    first = run_load(settings, SAMPLE)
    assert first.status == "ok"
    assert rejects(db_url) == []
    assert first.files["orders"]["rows"] == len(_rows("orders"))
    before = snapshot(db_url)
    assert run_load(settings, SAMPLE).status == "ok"
    assert snapshot(db_url) == before


def test_sample_figures_match_a_computation_from_the_csv(settings: Settings, db_url: str) -> None:
    run_load(settings, SAMPLE)
    orders = {o["order_id"]: o for o in _rows("orders")}
    counted = {k for k, o in orders.items() if o["status"].strip().lower() not in NOT_COUNTED}
    revenue: dict[str, Decimal] = defaultdict(Decimal)
    for item in _rows("order_items"):
        line = Decimal(item["price"]) * int(item["quantity"]) - Decimal(item["discount"] or "0")
        revenue[item["order_id"]] += line
    total = sum((revenue[k] for k in counted), Decimal(0))
    ltv: dict[int, Decimal] = defaultdict(Decimal)
    for k in counted:
        ltv[int(orders[k]["customer_id"])] += revenue[k]

    assert query(db_url, "select sum(revenue) from marts.daily_sales") == [(total,)]
    assert query(db_url, "select sum(revenue) from marts.daily_product_sales") == [(total,)]
    assert query(db_url, "select count(*)::int, sum(lifetime_value) from marts.customer_lifetime where order_count > 0") == [
        (len(ltv), total)
    ]
    top = max(ltv, key=lambda c: (ltv[c], -c))
    assert query(db_url, "select lifetime_value from marts.customer_lifetime where customer_id = %s", top) == [(ltv[top],)]
    roots = query(db_url, "select sum(s.revenue) from marts.daily_category_sales as s"
                          " join core.product_categories as c using (category_id) where c.parent_id is null")
    assert roots == [(total,)]
