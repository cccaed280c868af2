"""Migration 0047: the products of a category (and of its descendants) are read from the index
of the products by category alone, as topProductsByCategory and a category filter read them."""

from __future__ import annotations

from pathlib import Path

from shopetl.config import Settings

from .etl_helpers import BASE, plan_by_index, query, run_load, write_delivery


def test_a_categorys_products_are_read_from_the_index_alone(
    settings: Settings, db_url: str, tmp_path: Path
) -> None:
    assert run_load(settings, write_delivery(tmp_path / "first", BASE)).status == "ok"
    # the product list of api_internal.sales_of_category: category 1 and its descendants
    products = (
        "select p.product_id from marts.category_closure as t"
        " inner join core.products as p on t.descendant_id = p.category_id"
        " where t.ancestor_id = 1 order by p.product_id"
    )
    plan = plan_by_index(db_url, "core.products", products)
    assert "Index Only Scan using products_category_idx on products" in plan, plan
    assert [r[0] for r in query(db_url, products)] == [10, 11]
