"""The GraphQL read fields through HTTP, with figures exact to the cent (data: test_api_support)."""

# ruff: noqa: F811 - pytest fixtures are imported from test_api_support and used as parameters
from __future__ import annotations

import base64
import json
from typing import Any

import psycopg
import pytest

from .test_api_support import api_db, client, data, error, gql  # noqa: F401 - fixtures

pytestmark = pytest.mark.asyncio

PRODUCT_SALES = """
query Sales($from: Date!, $to: Date!, $filter: ProductSalesFilter, $orderBy: [ProductSalesOrderBy!],
            $first: Int, $after: String, $last: Int, $before: String) {
  productSales(from: $from, to: $to, filter: $filter, orderBy: $orderBy,
               first: $first, after: $after, last: $last, before: $before) {
    totalCount
    nodes { product { productId name sku category { categoryId name } } units orders revenue }
    edges { cursor node { product { productId } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""

PRODUCTS = """
query Products($filter: ProductFilter, $orderBy: [ProductsOrderBy!], $first: Int, $after: String,
               $last: Int, $before: String) {
  products(filter: $filter, orderBy: $orderBy, first: $first, after: $after, last: $last, before: $before) {
    totalCount
    nodes { productId }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""

CUSTOMERS = """
query Customers($filter: CustomerFilter, $orderBy: [CustomersOrderBy!], $first: Int, $after: String,
                $last: Int, $before: String) {
  customers(filter: $filter, orderBy: $orderBy, first: $first, after: $after, last: $last, before: $before) {
    totalCount
    nodes { customerId lifetimeValue orderCount lastOrderAt }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""

ORDERS = """
query Orders($id: Int!, $filter: OrderFilter, $orderBy: [OrdersOrderBy!], $first: Int, $after: String,
             $last: Int, $before: String) {
  customer(customerId: $id) {
    orders(filter: $filter, orderBy: $orderBy, first: $first, after: $after, last: $last, before: $before) {
      totalCount
      nodes { orderId }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
}"""


async def sales(client: Any, **variables: Any) -> dict[str, Any]:
    variables.setdefault("from", "2024-01-01")
    variables.setdefault("to", "2024-03-31")
    return (await data(client, PRODUCT_SALES, variables))["productSales"]


async def product_ids(client: Any, **variables: Any) -> list[int]:
    page = (await data(client, PRODUCTS, variables))["products"]
    return [n["productId"] for n in page["nodes"]]


async def sales_ids(client: Any, **variables: Any) -> list[int]:
    return [n["product"]["productId"] for n in (await sales(client, **variables))["nodes"]]


async def customer_ids(client: Any, **variables: Any) -> list[int]:
    return [n["customerId"] for n in (await data(client, CUSTOMERS, variables))["customers"]["nodes"]]


async def order_ids(client: Any, customer: int = 1, **variables: Any) -> list[int]:
    answer = await data(client, ORDERS, {"id": customer, **variables})
    return [n["orderId"] for n in answer["customer"]["orders"]["nodes"]]


# --- productSales -------------------------------------------------------------------------------


async def test_product_sales_figures_exclude_cancelled_and_returned(client: Any) -> None:
    page = await sales(client)
    assert page["totalCount"] == 6
    figures = [(n["product"]["productId"], n["units"], n["orders"], n["revenue"]) for n in page["nodes"]]
    assert figures == [
        (103, 3, 1, "2098.00"),
        (100, 1, 1, "1100.00"),
        (101, 1, 1, "999.99"),  # the Cancelled order 1001 of 101 is not counted
        (102, 1, 1, "799.99"),  # the Returned order 1003 of 102 is not counted
        (106, 1, 1, "799.99"),  # same revenue as 102: productId breaks the tie
        (104, 3, 2, "75.25"),
    ]
    first = page["nodes"][0]["product"]
    assert first == {"productId": 103, "name": "Phone X", "sku": "PX-1", "category": {"categoryId": 3, "name": "Phones"}}
    assert [n["product"]["productId"] for n in (await sales(client, to="2024-02-29"))["nodes"]] == [103, 100, 101, 104]
    assert (await sales(client, **{"from": "2024-01-05", "to": "2024-01-05"}))["totalCount"] == 2


@pytest.mark.parametrize(
    ("filter_", "expected"),
    [
        ({"categoryId": {"equalTo": 2}}, [100, 101, 102]),  # Computers includes Laptops
        ({"categoryId": {"equalTo": 1}}, [103, 100, 101, 102, 106]),
        ({"categoryId": {"in": [3, 11]}}, [103, 106, 104]),
        ({"productId": {"in": [100, 104]}}, [100, 104]),
        ({"productId": {"equalTo": 101}}, [101]),
        ({"productId": {"notIn": [103, 100, 101]}}, [102, 106, 104]),
        ({"productId": {"greaterThan": 103}}, [106, 104]),
        ({"productId": {"lessThanOrEqualTo": 101}}, [100, 101]),
        ({"revenue": {"greaterThanOrEqualTo": "999.99"}}, [103, 100, 101]),
        ({"revenue": {"greaterThan": "799.99"}}, [103, 100, 101]),
        ({"revenue": {"lessThan": "800"}}, [102, 106, 104]),
        ({"revenue": {"lessThanOrEqualTo": "75.25"}}, [104]),
        ({"revenue": {"equalTo": "799.99"}}, [102, 106]),
        ({"units": {"equalTo": 3}}, [103, 104]),
        ({"orders": {"greaterThan": 1}}, [104]),
        ({"name": {"includesInsensitive": "LAPTOP"}}, [100, 101]),
        ({"name": {"startsWith": "Phone"}}, [103, 106]),
        ({"name": {"startsWith": "phone"}}, []),
        ({"sku": {"equalTo": "TO-1"}}, [104]),
        ({"or": [{"sku": {"equalTo": "TO-1"}}, {"productId": {"equalTo": 100}}]}, [100, 104]),
        ({"not": {"categoryId": {"equalTo": 1}}}, [104]),
    ],
)
async def test_product_sales_filters(client: Any, filter_: dict[str, Any], expected: list[int]) -> None:
    assert await sales_ids(client, filter=filter_) == expected


@pytest.mark.parametrize(
    ("order_by", "expected"),
    [
        (["REVENUE_DESC"], [103, 100, 101, 102, 106, 104]),
        (["REVENUE_ASC"], [104, 102, 106, 101, 100, 103]),
        (["UNITS_DESC"], [103, 104, 100, 101, 102, 106]),
        (["ORDERS_DESC", "REVENUE_ASC"], [104, 102, 106, 101, 100, 103]),
        (["NAME_ASC"], [102, 101, 100, 103, 106, 104]),
        (["SKU_DESC"], [104, 106, 103, 100, 101, 102]),
        (["PRODUCT_ID_DESC"], [106, 104, 103, 102, 101, 100]),
    ],
)
async def test_product_sales_sorts(client: Any, order_by: list[str], expected: list[int]) -> None:
    assert await sales_ids(client, orderBy=order_by) == expected


async def test_product_sales_pages_forwards_and_backwards(client: Any) -> None:
    p1 = await sales(client, first=2)
    assert [e["node"]["product"]["productId"] for e in p1["edges"]] == [103, 100]
    assert p1["pageInfo"]["hasNextPage"] and not p1["pageInfo"]["hasPreviousPage"]
    assert p1["pageInfo"]["endCursor"] == p1["edges"][-1]["cursor"]
    p2 = await sales(client, first=2, after=p1["pageInfo"]["endCursor"])
    assert [n["product"]["productId"] for n in p2["nodes"]] == [101, 102]
    assert p2["totalCount"] == 6 and p2["pageInfo"]["hasPreviousPage"]
    p3 = await sales(client, first=2, after=p2["pageInfo"]["endCursor"])
    assert [n["product"]["productId"] for n in p3["nodes"]] == [106, 104]
    assert not p3["pageInfo"]["hasNextPage"]

    b1 = await sales(client, last=2)
    assert [n["product"]["productId"] for n in b1["nodes"]] == [106, 104]
    assert b1["pageInfo"]["hasPreviousPage"] and not b1["pageInfo"]["hasNextPage"]
    b2 = await sales(client, last=2, before=b1["pageInfo"]["startCursor"])
    assert [n["product"]["productId"] for n in b2["nodes"]] == [101, 102]
    assert b2["pageInfo"]["hasNextPage"]
    b3 = await sales(client, last=3, before=b2["pageInfo"]["startCursor"])
    assert [n["product"]["productId"] for n in b3["nodes"]] == [103, 100]
    assert not b3["pageInfo"]["hasPreviousPage"]


async def test_product_sales_period_is_validated(client: Any) -> None:
    e = await error(client, PRODUCT_SALES, {"from": "2024-02-01", "to": "2024-01-01"})
    assert e["extensions"]["code"] == "22023" and "after to" in e["message"]
    e = await error(client, PRODUCT_SALES, {"from": "2024-13-01", "to": "2024-01-01"})
    assert "Date" in e["message"]


# --- topProductsByCategory ----------------------------------------------------------------------

TOP = """
query Top($categoryId: Int, $from: Date, $to: Date, $first: Int) {
  topProductsByCategory(categoryId: $categoryId, from: $from, to: $to, first: $first) {
    rank categoryId product { productId name } units revenue
  }
}"""


def ranked(rows: list[dict[str, Any]]) -> list[tuple[int, int, int, int, str]]:
    return [(r["categoryId"], r["rank"], r["product"]["productId"], r["units"], r["revenue"]) for r in rows]


async def test_top_products_of_every_root_category(client: Any) -> None:
    rows = (await data(client, TOP))["topProductsByCategory"]
    assert ranked(rows) == [
        (1, 1, 103, 3, "2098.00"),
        (1, 2, 100, 1, "1100.00"),
        (1, 3, 101, 1, "999.99"),
        (1, 4, 102, 1, "799.99"),
        (1, 4, 106, 1, "799.99"),  # a tie shares the rank
        (10, 1, 104, 3, "75.25"),
    ]
    assert rows[0]["product"] == {"productId": 103, "name": "Phone X"}


async def test_top_products_of_a_category_and_period(client: Any, api_db: str) -> None:
    rows = (await data(client, TOP, {"categoryId": 2, "first": 2}))["topProductsByCategory"]
    assert ranked(rows) == [(2, 1, 100, 1, "1100.00"), (2, 2, 101, 1, "999.99")]
    rows = (await data(client, TOP, {"categoryId": 1, "from": "2024-03-01", "to": "2024-03-31"}))
    assert ranked(rows["topProductsByCategory"]) == [(1, 1, 102, 1, "799.99"), (1, 1, 106, 1, "799.99")]
    assert (await data(client, TOP, {"categoryId": 999}))["topProductsByCategory"] == []
    # all time reads the all-time totals (marts.product_sales_totals), not the daily mart
    with psycopg.connect(api_db, autocommit=True) as conn:
        conn.execute("update marts.daily_product_sales set revenue = 0 where product_id = 103")
    rows = (await data(client, TOP, {"categoryId": 3}))["topProductsByCategory"]
    assert ranked(rows) == [(3, 1, 103, 3, "2098.00"), (3, 2, 106, 1, "799.99")]


async def test_top_products_arguments_are_validated(client: Any) -> None:
    for first in (0, 1001):
        e = await error(client, TOP, {"first": first})
        assert e["extensions"]["code"] == "22023" and "between 1 and 1000" in e["message"]
    e = await error(client, TOP, {"from": "2024-03-01", "to": "2024-01-01"})
    assert e["extensions"]["code"] == "22023"


# --- salesTrends ---------------------------------------------------------------------------------

TRENDS = """
query Trends($from: Date!, $to: Date!, $g: Granularity, $categoryId: Int, $productId: Int) {
  salesTrends(from: $from, to: $to, granularity: $g, categoryId: $categoryId, productId: $productId) {
    periodStart revenue units orders revenueChange unitsChange ordersChange
  }
}"""


def points(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(r["periodStart"], r["revenue"], r["units"], r["orders"], r["revenueChange"]) for r in rows]


async def test_sales_trends_shop_wide_by_month(client: Any) -> None:
    rows = (await data(client, TRENDS, {"from": "2024-01-01", "to": "2024-03-31"}))["salesTrends"]
    assert points(rows) == [
        ("2024-01-01", "1175.25", 4, 2, None),
        ("2024-02-01", "3097.99", 4, 1, "1922.74"),
        ("2024-03-01", "1599.98", 2, 2, "-1498.01"),
    ]
    assert [(r["unitsChange"], r["ordersChange"]) for r in rows] == [(None, None), (0, -1), (-2, 1)]


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        (
            {"from": "2024-01-01", "to": "2024-01-14", "g": "WEEK"},
            [("2024-01-01", "1175.25", 4, 2, None), ("2024-01-08", "0.00", 0, 0, "-1175.25")],
        ),
        (
            {"from": "2024-01-04", "to": "2024-01-06", "g": "DAY", "productId": 104},
            [
                ("2024-01-04", "0.00", 0, 0, None),
                ("2024-01-05", "75.25", 3, 2, "75.25"),
                ("2024-01-06", "0.00", 0, 0, "-75.25"),
            ],
        ),
        (
            {"from": "2024-01-01", "to": "2024-06-30", "g": "QUARTER", "categoryId": 2},
            [("2024-01-01", "2899.98", 3, 3, None), ("2024-04-01", "0.00", 0, 0, "-2899.98")],
        ),
        ({"from": "2024-01-01", "to": "2024-12-31", "g": "YEAR", "categoryId": 10}, [("2024-01-01", "75.25", 3, 2, None)]),
        # only the days from..to count, even when the period starts earlier
        ({"from": "2024-02-03", "to": "2024-03-01", "g": "MONTH", "categoryId": 1},
         [("2024-02-01", "3097.99", 4, 1, None), ("2024-03-01", "1599.98", 2, 2, "-1498.01")]),
        ({"from": "2024-02-04", "to": "2024-02-29", "g": "MONTH", "categoryId": 1}, [("2024-02-01", "0.00", 0, 0, None)]),
    ],
)
async def test_sales_trends_granularities_and_scopes(client: Any, variables: dict[str, Any],
                                                     expected: list[tuple[Any, ...]]) -> None:
    assert points((await data(client, TRENDS, variables))["salesTrends"]) == expected


async def test_sales_trends_arguments_are_validated(client: Any) -> None:
    e = await error(client, TRENDS, {"from": "2024-01-01", "to": "2024-01-31", "categoryId": 1, "productId": 100})
    assert e["extensions"]["code"] == "22023" and "not both" in e["message"]
    e = await error(client, TRENDS, {"from": "2000-01-01", "to": "2030-01-01", "g": "DAY"})
    assert e["extensions"]["code"] == "22023" and "5000" in e["message"]


# --- customer / customers ------------------------------------------------------------------------

CUSTOMER = """
query Customer($id: Int!) {
  customer(customerId: $id) {
    customerId email firstName lastName city country
    lifetimeValue orderCount firstOrderAt lastOrderAt averageOrderValue
    orders {
      totalCount
      nodes {
        orderId orderDate status countsInSales revenue
        items { orderItemId product { productId name } quantity price discount revenue }
      }
    }
  }
}"""


async def test_customer_with_purchase_history(client: Any) -> None:
    c = (await data(client, CUSTOMER, {"id": 1}))["customer"]
    assert {k: v for k, v in c.items() if k != "orders"} == {
        "customerId": 1,
        "email": "alice@example.com",
        "firstName": "Alice",
        "lastName": "Archer",
        "city": "Austin",
        "country": "US",
        "lifetimeValue": "1950.14",
        "orderCount": 2,
        "firstOrderAt": "2024-01-05T10:00:00Z",
        "lastOrderAt": "2024-03-01T00:00:00Z",
        "averageOrderValue": "975.07",
    }
    orders = c["orders"]
    assert orders["totalCount"] == 4
    assert [(o["orderId"], o["status"], o["countsInSales"], o["revenue"]) for o in orders["nodes"]] == [
        (1005, "IN_TRANSIT", True, "799.99"),
        (1003, "RETURNED", False, "800.00"),
        (1001, "CANCELLED", False, "999.99"),
        (1000, "DELIVERED", True, "1150.15"),
    ]
    first_order = orders["nodes"][3]
    assert first_order["orderDate"] == "2024-01-05T10:00:00Z"
    assert first_order["items"] == [
        {"orderItemId": 1, "product": {"productId": 100, "name": "Laptop Pro"}, "quantity": 1,
         "price": "1200.00", "discount": "100.00", "revenue": "1100.00"},
        {"orderItemId": 2, "product": {"productId": 104, "name": "Toaster"}, "quantity": 2,
         "price": "25.10", "discount": "0.05", "revenue": "50.15"},
    ]


async def test_customer_unknown_or_without_orders(client: Any) -> None:
    assert (await data(client, CUSTOMER, {"id": 999}))["customer"] is None
    carol = (await data(client, CUSTOMER, {"id": 3}))["customer"]
    assert (carol["lifetimeValue"], carol["orderCount"], carol["averageOrderValue"]) == ("0.00", 0, None)
    assert carol["orders"] == {"totalCount": 0, "nodes": []}


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"filter": {"status": {"in": ["CANCELLED", "RETURNED"]}}}, [1003, 1001]),
        ({"filter": {"status": {"equalTo": "IN_TRANSIT"}}}, [1005]),
        ({"filter": {"status": {"notIn": ["CANCELLED", "RETURNED", "IN_TRANSIT"]}}}, [1000]),
        ({"filter": {"countsInSales": {"equalTo": True}}}, [1005, 1000]),
        ({"filter": {"orderDate": {"greaterThanOrEqualTo": "2024-01-15T00:00:00Z",
                                   "lessThan": "2024-02-11T00:00:00Z"}}}, [1003, 1001]),
        ({"filter": {"orderDate": {"greaterThan": "2024-02-10T23:59:59Z"}}}, [1005]),
        ({"filter": {"orderDate": {"lessThanOrEqualTo": "2024-01-05T10:00:00+00:00"}}}, [1000]),
        ({"filter": {"orderId": {"in": [1000, 1005]}}}, [1005, 1000]),
        ({"filter": {"revenue": {"greaterThan": "999.99"}}}, [1000]),
        ({"orderBy": ["REVENUE_DESC"]}, [1000, 1001, 1003, 1005]),
        ({"orderBy": ["ORDER_DATE_ASC"], "first": 2}, [1000, 1001]),
        ({"orderBy": ["ORDER_ID_DESC"], "last": 1}, [1000]),
        ({"last": 1}, [1000]),
    ],
)
async def test_customer_orders_filters_sorts_pages(client: Any, variables: dict[str, Any],
                                                   expected: list[int]) -> None:
    assert await order_ids(client, **variables) == expected


async def test_customer_orders_pages_with_cursors(client: Any) -> None:
    answer = await data(client, ORDERS, {"id": 1, "orderBy": ["ORDER_DATE_ASC"], "first": 2})
    info = answer["customer"]["orders"]["pageInfo"]
    assert await order_ids(client, orderBy=["ORDER_DATE_ASC"], first=2, after=info["endCursor"]) == [1003, 1005]
    assert await order_ids(client, orderBy=["ORDER_DATE_ASC"], last=5, before=info["endCursor"]) == [1000]


async def test_customers_sorted_and_filtered(client: Any) -> None:
    page = (await data(client, CUSTOMERS, {"orderBy": ["LIFETIME_VALUE_DESC"]}))["customers"]
    assert [(n["customerId"], n["lifetimeValue"], n["orderCount"]) for n in page["nodes"]] == [
        (2, "3923.08", 3), (1, "1950.14", 2), (3, "0.00", 0)
    ]
    assert await customer_ids(client) == [1, 2, 3]
    assert await customer_ids(client, filter={"lifetimeValue": {"greaterThan": "2000"}}) == [2]
    assert await customer_ids(client, filter={"email": {"startsWith": "bo"}}) == [2]
    assert await customer_ids(client, filter={"email": {"includesInsensitive": "EXAMPLE"}}) == [1, 2, 3]
    assert await customer_ids(client, filter={"city": {"in": ["Austin", "Chicago"]}}) == [1, 3]
    assert await customer_ids(client, filter={"orderCount": {"equalTo": 0}}) == [3]
    assert await customer_ids(client, filter={"lastOrderAt": {"isNull": True}}) == [3]
    assert await customer_ids(client, filter={"lastName": {"greaterThanOrEqualTo": "B"}}) == [2, 3]
    assert await customer_ids(client, orderBy=["EMAIL_DESC"]) == [3, 2, 1]
    assert await customer_ids(client, orderBy=["AVERAGE_ORDER_VALUE_DESC"]) == [3, 2, 1]  # null first


@pytest.mark.parametrize("order_by", [["LIFETIME_VALUE_DESC"], ["ORDER_COUNT_ASC"], ["LAST_NAME_DESC"], []])
async def test_customers_pages_of_one_give_the_same_order(client: Any, order_by: list[str]) -> None:
    whole = await customer_ids(client, orderBy=order_by)
    forwards: list[int] = []
    after = None
    while True:
        page = (await data(client, CUSTOMERS, {"orderBy": order_by, "first": 1, "after": after}))["customers"]
        forwards += [n["customerId"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    backwards: list[int] = []
    before = None
    while True:
        page = (await data(client, CUSTOMERS, {"orderBy": order_by, "last": 1, "before": before}))["customers"]
        backwards = [n["customerId"] for n in page["nodes"]] + backwards
        if not page["pageInfo"]["hasPreviousPage"]:
            break
        before = page["pageInfo"]["startCursor"]
    assert forwards == whole == backwards and len(whole) == 3


async def test_customers_keyset_pages_through_nulls(client: Any) -> None:
    # LAST_ORDER_AT_DESC puts carol (no order: null) first, as PostgreSQL does
    seen: list[int] = []
    after = None
    while True:
        page = (await data(client, CUSTOMERS, {"orderBy": ["LAST_ORDER_AT_DESC"], "first": 1, "after": after}))
        seen += [n["customerId"] for n in page["customers"]["nodes"]]
        if not page["customers"]["pageInfo"]["hasNextPage"]:
            break
        after = page["customers"]["pageInfo"]["endCursor"]
    assert seen == [3, 2, 1]
    back = (await data(client, CUSTOMERS, {"orderBy": ["LAST_ORDER_AT_DESC"], "last": 2}))["customers"]
    assert [n["customerId"] for n in back["nodes"]] == [2, 1]
    before = back["pageInfo"]["startCursor"]
    assert await customer_ids(client, orderBy=["LAST_ORDER_AT_DESC"], last=5, before=before) == [3]


# --- product / products / categories -------------------------------------------------------------


async def test_product_by_id(client: Any) -> None:
    query = """query P($id: Int!) { product(productId: $id) {
        productId name description sku price cost inventoryCount isActive createdAt
        category { categoryId name parentId } } }"""
    assert (await data(client, query, {"id": 101}))["product"] == {
        "productId": 101, "name": "Laptop Air", "description": None, "sku": "LA-1", "price": "999.99",
        "cost": "700.00", "inventoryCount": 7, "isActive": True, "createdAt": None,
        "category": {"categoryId": 4, "name": "Laptops", "parentId": 2},
    }
    assert (await data(client, query, {"id": 999}))["product"] is None


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({}, [100, 101, 102, 103, 104, 105, 106]),
        ({"filter": {"categoryId": {"equalTo": 1}}}, [100, 101, 102, 103, 106]),
        ({"filter": {"categoryId": {"in": [4, 10]}}}, [100, 101, 104, 105]),
        ({"filter": {"price": {"greaterThanOrEqualTo": "800"}}}, [100, 101, 102]),
        ({"filter": {"price": {"in": ["25.10", "30"]}}}, [104, 105]),
        ({"filter": {"inventoryCount": {"isNull": True}}}, [105]),
        ({"filter": {"inventoryCount": {"lessThan": 5}}}, [102, 106]),
        ({"filter": {"isActive": {"equalTo": False}}}, []),
        ({"filter": {"name": {"greaterThan": "Phone"}}}, [103, 104, 106]),
        ({"filter": {"name": {"notEqualTo": "Kettle", "lessThanOrEqualTo": "Laptop Pro"}}}, [100, 101, 102]),
        ({"filter": {"sku": {"notIn": ["LP-1", "LA-1", "DT-1"]}}}, [103, 104, 105, 106]),
        ({"filter": {"name": {"startsWithInsensitive": "phone y_"}}}, [106]),
        ({"filter": {"name": {"startsWithInsensitive": "phone _"}}}, []),  # _ is no wildcard
        ({"filter": {"name": {"includesInsensitive": "1%"}}}, [106]),
        ({"filter": {"and": [{"price": {"greaterThan": "100"}}, {"name": {"includesInsensitive": "laptop"}}]}},
         [100, 101]),
        ({"filter": {"not": {"inventoryCount": {"greaterThan": 4}}}}, [102, 105, 106]),  # null is not > 4
        ({"filter": {"or": [{"inventoryCount": {"greaterThan": 40}}, {"price": None, "sku": {"equalTo": "KE-1"}}]}},
         [104, 105]),
        ({"orderBy": ["PRICE_ASC"]}, [104, 105, 103, 106, 102, 101, 100]),
        ({"orderBy": ["INVENTORY_COUNT_DESC"]}, [105, 104, 103, 101, 100, 106, 102]),
        ({"orderBy": ["INVENTORY_COUNT_ASC"]}, [102, 106, 100, 101, 103, 104, 105]),
        ({"orderBy": ["NAME_DESC"], "first": 2}, [104, 106]),
        ({"last": 2}, [105, 106]),
    ],
)
async def test_products_filters_and_sorts(client: Any, variables: dict[str, Any], expected: list[int]) -> None:
    assert await product_ids(client, **variables) == expected


@pytest.mark.parametrize(
    "order_by",
    [
        ["INVENTORY_COUNT_DESC"],  # nullable key: expanded keyset condition
        ["INVENTORY_COUNT_ASC"],
        ["PRICE_DESC", "NAME_ASC"],  # mixed directions: expanded condition with a bound
        ["PRICE_ASC"],  # NOT NULL keys in one direction: row comparison
        ["NAME_DESC", "PRODUCT_ID_DESC"],
        [],
    ],
)
async def test_products_every_page_size_gives_the_same_order(client: Any, order_by: list[str]) -> None:
    whole = await product_ids(client, orderBy=order_by)
    for size in (1, 2, 3):
        forwards: list[int] = []
        after = None
        while True:
            page = (await data(client, PRODUCTS, {"orderBy": order_by, "first": size, "after": after}))["products"]
            forwards += [n["productId"] for n in page["nodes"]]
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        backwards: list[int] = []
        before = None
        while True:
            page = (await data(client, PRODUCTS, {"orderBy": order_by, "last": size, "before": before}))["products"]
            backwards = [n["productId"] for n in page["nodes"]] + backwards
            if not page["pageInfo"]["hasPreviousPage"]:
                break
            before = page["pageInfo"]["startCursor"]
        assert forwards == whole and backwards == whole


async def test_categories_tree(client: Any) -> None:
    rows = (await data(client, "{ categories { categoryId name parentId depth path childIds } }"))["categories"]
    assert [(r["categoryId"], r["parentId"], r["depth"], r["path"], r["childIds"]) for r in rows] == [
        (1, None, 0, [1], [2, 3]),
        (2, 1, 1, [1, 2], [4]),
        (4, 2, 2, [1, 2, 4], []),
        (3, 1, 1, [1, 3], []),
        (10, None, 0, [10], [11]),
        (11, 10, 1, [10, 11], []),
    ]
    assert rows[0]["name"] == "Electronics"


# --- page cap, cursors, injection ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"first": 1001}, "first must be at most 1000 (got 1001)"),
        ({"last": 5000}, "last must be at most 1000 (got 5000)"),
        ({"first": -1}, "first must not be negative"),
        ({"first": 1, "last": 1}, "not both"),
    ],
)
async def test_page_size_is_capped(client: Any, variables: dict[str, Any], message: str) -> None:
    e = await error(client, PRODUCTS, variables)
    assert e["extensions"]["code"] == "22023" and message in e["message"], e
    assert e["path"] == ["products"]
    e = await error(client, CUSTOMER.replace("orders {", "orders(first: 1001) {"), {"id": 1})
    assert e["extensions"]["code"] == "22023"
    assert len(await product_ids(client, first=1000)) == 7


def _cursor(payload: Any) -> str:
    return base64.b64encode(json.dumps(payload).encode()).decode()


@pytest.mark.parametrize(
    ("cursor", "message"),
    [
        ("not a cursor", "not a cursor this API issued"),
        ("bm90IGpzb24=", "not a cursor this API issued"),  # base64 of "not json"
        (_cursor({"a": 1}), "not a cursor this API issued"),
        (_cursor(["PRICE_DESC,PRODUCT_ID_ASC", "1200.00", 100]), "another field or orderBy"),
        (_cursor(["PRODUCT_ID_ASC", "abc"]), "not a cursor this API issued"),
        (_cursor(["PRODUCT_ID_ASC", "1); drop table core.products; --"]), "not a cursor this API issued"),
        (_cursor(["PRODUCT_ID_ASC", 100, 7]), "not a cursor this API issued"),
        (_cursor(["PRODUCT_ID_ASC", {"x": 1}]), "not a cursor this API issued"),
    ],
)
async def test_tampered_cursors_are_refused(client: Any, cursor: str, message: str) -> None:
    for direction in ({"first": 2, "after": cursor}, {"last": 2, "before": cursor}):
        e = await error(client, PRODUCTS, direction)
        assert e["extensions"]["code"] == "22023" and message in e["message"], e
        assert "hint" in e["extensions"]


async def test_cursor_of_another_field_is_refused(client: Any) -> None:
    cursor = (await sales(client, first=1))["pageInfo"]["endCursor"]
    e = await error(client, PRODUCTS, {"first": 1, "after": cursor})
    assert "another field or orderBy" in e["message"]


INJECTIONS = [
    "'; drop table core.products; --",
    "x' or '1'='1",
    "\\'; select pg_sleep(5); --",
    "$$; drop table core.products; $$",
    "%' or 1=1 or name like '%",
    "\"); drop table core.products; --",
    "' || (select string_agg(email, ',') from core.customers) || '",
]


@pytest.mark.parametrize("text", INJECTIONS)
async def test_sql_injection_in_every_text_argument_is_inert(client: Any, api_db: str, text: str) -> None:
    string_ops = ["equalTo", "notEqualTo", "greaterThan", "lessThan", "includesInsensitive", "startsWith",
                  "startsWithInsensitive"]
    for op in string_ops:  # each must answer (no SQL error) with a plain comparison of the text
        await product_ids(client, filter={"name": {op: text}})
        await product_ids(client, filter={"sku": {op: text}})
        await sales_ids(client, filter={"name": {op: text}})
        await customer_ids(client, filter={"email": {op: text}})
    assert await product_ids(client, filter={"name": {"equalTo": text}}) == []
    assert await product_ids(client, filter={"name": {"startsWith": text}}) == []
    assert await product_ids(client, filter={"name": {"in": [text, "Kettle"]}}) == [105]
    assert await product_ids(client, filter={"name": {"notIn": [text]}}) == [100, 101, 102, 103, 104, 105, 106]
    assert await product_ids(client, filter={"name": {"includesInsensitive": text}}) == []
    assert await customer_ids(client, filter={"lastName": {"equalTo": text}}) == []
    for argument in ("after", "before"):
        e = await error(client, PRODUCTS, {"first" if argument == "after" else "last": 1, argument: text})
        assert e["extensions"]["code"] == "22023"
        # a well-formed cursor whose key value is the attack: compared as a literal
        cursor = _cursor(["NAME_ASC,PRODUCT_ID_ASC", text, 1])
        await data(client, PRODUCTS, {"orderBy": ["NAME_ASC"], "first" if argument == "after" else "last": 7,
                                      argument: cursor})
    with psycopg.connect(api_db) as conn:
        assert conn.execute("select count(*) from core.products").fetchone() == (7,)
        assert conn.execute("select count(*) from core.customers").fetchone() == (3,)


# --- the same functions from psql ----------------------------------------------------------------


async def test_api_functions_called_directly_give_the_http_figures(client: Any, api_db: str) -> None:
    over_http = await sales(client, filter={"categoryId": {"equalTo": 1}}, first=3)
    trends_http = (await data(client, TRENDS, {"from": "2024-01-01", "to": "2024-03-31"}))["salesTrends"]
    lifetime_http = (await data(client, CUSTOMER, {"id": 2}))["customer"]
    with psycopg.connect(api_db, autocommit=True) as conn:
        conn.execute("set role shopetl_api")  # what a DBA gets after `set role` in psql
        (direct,) = conn.execute(
            "select api.product_sales(p_from => '2024-01-01', p_to => '2024-03-31',"
            " p_filter => '{\"categoryId\": {\"equalTo\": 1}}', p_first => 3)"
        ).fetchone()
        (trends,) = conn.execute("select api.sales_trends('2024-01-01', '2024-03-31', 'MONTH')").fetchone()
        (customer,) = conn.execute("select api.customer(2)").fetchone()
    assert [(n["product"]["productId"], n["units"], n["orders"], n["revenue"]) for n in direct["nodes"]] == [
        (n["product"]["productId"], n["units"], n["orders"], n["revenue"]) for n in over_http["nodes"]
    ] == [(103, 3, 1, "2098.00"), (100, 1, 1, "1100.00"), (101, 1, 1, "999.99")]
    assert direct["totalCount"] == over_http["totalCount"] == 5
    assert direct["pageInfo"]["endCursor"] == over_http["pageInfo"]["endCursor"]
    assert [(p["periodStart"], p["revenue"], p["revenueChange"]) for p in trends] == [
        (p["periodStart"], p["revenue"], p["revenueChange"]) for p in trends_http
    ]
    assert (customer["lifetimeValue"], customer["averageOrderValue"]) == (
        lifetime_http["lifetimeValue"], lifetime_http["averageOrderValue"]) == ("3923.08", "1307.69")


async def test_marts_agree_with_core(api_db: str) -> None:
    """The hand-made marts rows are what the contract derives from the hand-made orders."""
    with psycopg.connect(api_db) as conn:
        derived = conn.execute(
            """
            select (o.order_date at time zone 'UTC')::date, i.product_id, sum(i.quantity),
                   count(distinct o.order_id), sum(i.revenue)
            from core.orders as o join core.order_items as i using (order_id, order_date)
            where core.counts_in_sales(o.status)
            group by 1, 2 order by 1, 2
            """
        ).fetchall()
        marts = conn.execute(
            "select sales_date, product_id, units, orders, revenue from marts.daily_product_sales order by 1, 2"
        ).fetchall()
        assert derived == marts
        monthly = conn.execute(
            "select date_trunc('month', sales_date)::date, product_id, sum(units), sum(orders), sum(revenue)"
            " from marts.daily_product_sales group by 1, 2 order by 1, 2"
        ).fetchall()
        assert monthly == conn.execute(
            "select month_start, product_id, units, orders, revenue from marts.monthly_product_sales order by 1, 2"
        ).fetchall()
        lifetime = conn.execute(
            """
            select c.customer_id, coalesce(sum(o.revenue), 0), count(o.order_id)
            from core.customers as c
            left join core.orders as o on o.customer_id = c.customer_id and core.counts_in_sales(o.status)
            group by 1 order by 1
            """
        ).fetchall()
        assert lifetime == conn.execute(
            "select customer_id, lifetime_value, order_count from marts.customer_lifetime order by 1"
        ).fetchall()
        revenue = conn.execute(
            "select o.order_id, o.revenue, sum(i.revenue) from core.orders o join core.order_items i"
            " using (order_id, order_date) group by 1, 2 having o.revenue <> sum(i.revenue)"
        ).fetchall()
        assert revenue == []
