"""updateProduct: validation changes nothing, success is audited, a later load is recorded."""

# ruff: noqa: F811 - pytest fixtures are imported from test_api_support and used as parameters
from __future__ import annotations

import json
from typing import Any

import psycopg
import pytest

from .test_api_support import api_db, client, data, error, gql  # noqa: F401 - fixtures

pytestmark = pytest.mark.asyncio

UPDATE = """
mutation Update($id: Int!, $patch: ProductPatch!) {
  updateProduct(productId: $id, patch: $patch) {
    productId name description price cost isActive inventoryCount category { categoryId name }
  }
}"""

PRODUCT_ROW = "select name, description, price, cost, category_id, is_active, inventory_count from core.products"


def snapshot(url: str) -> tuple[list[tuple[Any, ...]], int]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(PRODUCT_ROW + " order by product_id").fetchall()
        (changes,) = conn.execute("select count(*) from etl.product_changes").fetchone()  # type: ignore[misc]
    return rows, changes


async def test_update_product_writes_and_audits(client: Any, api_db: str) -> None:
    patch = {"price": "1100.50", "name": "  Laptop Pro 2 ", "inventoryCount": 4, "description": "new"}
    updated = (await data(client, UPDATE, {"id": 100, "patch": patch}, headers={"X-Shopetl-User": "ann"}))
    assert updated["updateProduct"] == {
        "productId": 100, "name": "Laptop Pro 2", "description": "new", "price": "1100.50", "cost": "900.00",
        "isActive": True, "inventoryCount": 4, "category": {"categoryId": 4, "name": "Laptops"},
    }
    with psycopg.connect(api_db) as conn:
        row = conn.execute(PRODUCT_ROW + " where product_id = 100").fetchone()
        changes = conn.execute(
            "select product_id, source, changed_by, application_name, run_id, changed_fields,"
            " old_values ->> 'price', new_values ->> 'price', new_values ->> 'name', changed_at <= now()"
            " from etl.product_changes"
        ).fetchall()
    assert (row[0], row[1], str(row[2]), row[6]) == ("Laptop Pro 2", "new", "1100.50", 4)
    assert changes == [
        (100, "api", "ann", "shopetl-api", None, ["description", "inventory_count", "name", "price"],
         "1200.00", "1100.50", "Laptop Pro 2", True)
    ]
    # the API answers with the new values everywhere
    product = await data(client, "{ product(productId: 100) { name price } }")
    assert product["product"] == {"name": "Laptop Pro 2", "price": "1100.50"}


async def test_update_product_moves_category_and_clears_nullable_fields(client: Any, api_db: str) -> None:
    patch = {"categoryId": 11, "cost": None, "isActive": False, "price": 5}
    result = (await data(client, UPDATE, {"id": 102, "patch": patch}))["updateProduct"]
    assert (result["category"], result["cost"], result["isActive"], result["price"]) == (
        {"categoryId": 11, "name": "Kitchen"}, None, False, "5.00")
    with psycopg.connect(api_db) as conn:
        (who,) = conn.execute("select changed_by from etl.product_changes").fetchone()  # type: ignore[misc]
    assert who == "anonymous"


async def test_money_given_as_a_json_number_keeps_its_digits(client: Any, api_db: str) -> None:
    """Money takes an exact JSON decimal: the request body is read with such numbers as Decimal,
    never as a float (which Money refuses)."""
    variables = '{"id": 100, "patch": {"price": 1100.55, "cost": 900.1}}'  # as a client writes them
    body = '{"query": ' + json.dumps(UPDATE) + ', "variables": ' + variables + "}"
    response = await client.post("/graphql", data=body, headers={"Content-Type": "application/json"})
    answer = await response.json()
    assert "errors" not in answer, answer
    assert (answer["data"]["updateProduct"]["price"], answer["data"]["updateProduct"]["cost"]) == ("1100.55", "900.10")


async def test_unchanged_patch_records_nothing(client: Any, api_db: str) -> None:
    await data(client, UPDATE, {"id": 104, "patch": {"price": "25.10"}})
    assert snapshot(api_db)[1] == 0


@pytest.mark.parametrize(
    ("product_id", "patch", "code", "message"),
    [
        (100, {"price": "-1.00"}, "22023", "price must not be negative"),
        (100, {"cost": "-0.01"}, "22023", "cost must not be negative"),
        (100, {"price": "10.00", "categoryId": 999}, "23503", "unknown categoryId 999"),
        (100, {"inventoryCount": -3}, "22023", "inventoryCount must not be negative"),
        (100, {"name": "   "}, "22023", "name must not be empty"),
        (100, {"name": None}, "22004", "name cannot be set to null"),
        (100, {"price": None}, "22004", "price cannot be set to null"),
        (100, {}, "22023", "at least one field"),
        (999, {"price": "1.00"}, "P0002", "no product with productId 999"),
    ],
)
async def test_invalid_updates_change_nothing(client: Any, api_db: str, product_id: int, patch: dict[str, Any],
                                              code: str, message: str) -> None:
    before = snapshot(api_db)
    e = await error(client, UPDATE, {"id": product_id, "patch": patch})
    assert e["extensions"]["code"] == code and message in e["message"], e
    assert e["path"] == ["updateProduct"]
    assert snapshot(api_db) == before


@pytest.mark.parametrize("price", ["1.234", "abc", "1e3", True])
async def test_money_is_checked_before_the_database(client: Any, api_db: str, price: Any) -> None:
    before = snapshot(api_db)
    answer = await gql(client, UPDATE, {"id": 100, "patch": {"price": price}})
    assert answer["errors"] and "Money" in answer["errors"][0]["message"], answer
    assert snapshot(api_db) == before


async def test_injection_in_patch_and_user_is_stored_as_text(client: Any, api_db: str) -> None:
    text = "Robert'); drop table core.products; --"
    result = await data(client, UPDATE, {"id": 105, "patch": {"name": text, "description": "$$ x $$"}},
                        headers={"X-Shopetl-User": "eve'); delete from etl.product_changes; --"})
    assert result["updateProduct"]["name"] == text
    with psycopg.connect(api_db) as conn:
        assert conn.execute("select count(*) from core.products").fetchone() == (7,)
        assert conn.execute("select changed_by from etl.product_changes").fetchall() == [
            ("eve'); delete from etl.product_changes; --",)
        ]


async def test_next_load_overwriting_an_api_edit_is_recorded(client: Any, api_db: str) -> None:
    await data(client, UPDATE, {"id": 100, "patch": {"price": "1150.00"}})
    with psycopg.connect(api_db, autocommit=True, application_name="shopetl-load") as conn:
        # the load's upsert (as sql/transforms publish it): 100 was edited, 101 was not
        conn.execute(
            """
            insert into core.products as t (product_id, name, price, category_id, sku, batch_id)
            values (100, 'Laptop Pro', 1200.00, 4, 'LP-1', 2), (101, 'Laptop Air', 949.99, 4, 'LA-1', 2)
            on conflict (product_id) do update
            set name = excluded.name, price = excluded.price, batch_id = excluded.batch_id
            """
        )
        # a plain UPDATE that leaves the values as they are records nothing
        conn.execute("update core.products set batch_id = 3 where product_id = 100")
        changes = conn.execute(
            "select product_id, source, changed_by, run_id, changed_fields, old_values ->> 'price',"
            " new_values ->> 'price' from etl.product_changes order by change_id"
        ).fetchall()
    assert changes == [
        (100, "api", "anonymous", None, ["price"], "1200.00", "1150.00"),
        (100, "load", "shopetl-load", 2, ["price"], "1150.00", "1200.00"),
    ]
