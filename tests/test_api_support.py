"""Shared test data and fixtures of the GraphQL API tests (no tests here).

The data is small and hand-made so that every figure is known to the cent:

categories  1 Electronics > 2 Computers > 4 Laptops;  1 > 3 Phones;  10 Home > 11 Kitchen
orders      1000 alice 2024-01-05 Delivered  (100: 1x1200.00-100.00 = 1100.00; 104: 2x25.10-0.05 = 50.15)
            1001 alice 2024-01-20 Cancelled  (101: 999.99)                 -- never counted
            1002 bob   2024-02-03 Shipped    (103: 3x699.50-0.50 = 2098.00; 101: 999.99)
            1003 alice 2024-02-10 Returned   (102: 800.00)                 -- never counted
            1004 bob   2024-01-05 Pending    (104: 25.10)
            1005 alice 2024-03-01 In Transit (102: 800.00-0.01 = 799.99)
            1006 bob   2024-03-01 Delivered  (106: 799.99)                 -- ties with 102
The marts rows below are what the ETL derives from these orders (Cancelled/Returned excluded,
categories rolled up the tree); test_marts_agree_with_core checks them against core.
"""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
import pytest_asyncio

from shopetl_graphql.app import create_app

from .conftest import conninfo

DATA_SQL = """
select core.ensure_order_partitions('2024-01-01', '2024-03-31');
insert into core.product_categories (category_id, name, parent_id, batch_id) values
(1, 'Electronics', null, 1), (2, 'Computers', 1, 1), (3, 'Phones', 1, 1), (4, 'Laptops', 2, 1),
(10, 'Home', null, 1), (11, 'Kitchen', 10, 1);
insert into core.products (product_id, name, price, cost, category_id, sku, inventory_count, batch_id) values
(100, 'Laptop Pro', 1200.00, 900.00, 4, 'LP-1', 5, 1),
(101, 'Laptop Air', 999.99, 700.00, 4, 'LA-1', 7, 1),
(102, 'Desktop Tower', 800.00, 500.00, 2, 'DT-1', 2, 1),
(103, 'Phone X', 699.50, 400.00, 3, 'PX-1', 20, 1),
(104, 'Toaster', 25.10, 10.00, 11, 'TO-1', 50, 1),
(105, 'Kettle', 30.00, null, 11, 'KE-1', null, 1),
(106, 'Phone Y_1%', 799.99, 500.00, 3, 'PY-1', 3, 1);
insert into core.customers (customer_id, email, first_name, last_name, city, country, batch_id) values
(1, 'alice@example.com', 'Alice', 'Archer', 'Austin', 'US', 1),
(2, 'bob@example.com', 'Bob', 'Baker', 'Boston', 'US', 1),
(3, 'carol@example.com', 'Carol', 'Cole', 'Chicago', 'US', 1);
insert into core.orders (order_id, customer_id, order_date, status, revenue, batch_id) values
(1000, 1, '2024-01-05 10:00:00+00', 'Delivered', 1150.15, 1),
(1001, 1, '2024-01-20 12:00:00+00', 'Cancelled', 999.99, 1),
(1002, 2, '2024-02-03 09:30:00+00', 'Shipped', 3097.99, 1),
(1003, 1, '2024-02-10 23:59:59+00', 'Returned', 800.00, 1),
(1004, 2, '2024-01-05 15:00:00+00', 'Pending', 25.10, 1),
(1005, 1, '2024-03-01 00:00:00+00', 'In Transit', 799.99, 1),
(1006, 2, '2024-03-01 08:00:00+00', 'Delivered', 799.99, 1);
insert into core.order_items (order_item_id, order_id, order_date, product_id, quantity, price, discount, batch_id) values
(1, 1000, '2024-01-05 10:00:00+00', 100, 1, 1200.00, 100.00, 1),
(2, 1000, '2024-01-05 10:00:00+00', 104, 2, 25.10, 0.05, 1),
(3, 1001, '2024-01-20 12:00:00+00', 101, 1, 999.99, 0, 1),
(4, 1002, '2024-02-03 09:30:00+00', 103, 3, 699.50, 0.50, 1),
(5, 1002, '2024-02-03 09:30:00+00', 101, 1, 999.99, 0, 1),
(6, 1003, '2024-02-10 23:59:59+00', 102, 1, 800.00, 0, 1),
(7, 1004, '2024-01-05 15:00:00+00', 104, 1, 25.10, 0, 1),
(8, 1005, '2024-03-01 00:00:00+00', 102, 1, 800.00, 0.01, 1),
(9, 1006, '2024-03-01 08:00:00+00', 106, 1, 799.99, 0, 1);
insert into marts.category_closure (ancestor_id, descendant_id, depth) values
(1, 1, 0), (2, 2, 0), (3, 3, 0), (4, 4, 0), (10, 10, 0), (11, 11, 0),
(1, 2, 1), (1, 3, 1), (1, 4, 2), (2, 4, 1), (10, 11, 1);
insert into marts.daily_product_sales (sales_date, product_id, units, orders, revenue) values
('2024-01-05', 100, 1, 1, 1100.00), ('2024-01-05', 104, 3, 2, 75.25),
('2024-02-03', 103, 3, 1, 2098.00), ('2024-02-03', 101, 1, 1, 999.99),
('2024-03-01', 102, 1, 1, 799.99), ('2024-03-01', 106, 1, 1, 799.99);
insert into marts.monthly_product_sales (month_start, product_id, units, orders, revenue)
select date_trunc('month', sales_date)::date, product_id, sum(units), sum(orders), sum(revenue)
from marts.daily_product_sales group by 1, 2;
insert into marts.product_sales_totals (product_id, units, revenue, first_sale_date, last_sale_date)
select product_id, sum(units), sum(revenue), min(sales_date), max(sales_date)
from marts.daily_product_sales group by 1;
insert into marts.daily_category_sales (sales_date, category_id, units, orders, revenue) values
('2024-01-05', 4, 1, 1, 1100.00), ('2024-01-05', 2, 1, 1, 1100.00), ('2024-01-05', 1, 1, 1, 1100.00),
('2024-01-05', 11, 3, 2, 75.25), ('2024-01-05', 10, 3, 2, 75.25),
('2024-02-03', 3, 3, 1, 2098.00), ('2024-02-03', 4, 1, 1, 999.99), ('2024-02-03', 2, 1, 1, 999.99),
('2024-02-03', 1, 4, 1, 3097.99),
('2024-03-01', 2, 1, 1, 799.99), ('2024-03-01', 3, 1, 1, 799.99), ('2024-03-01', 1, 2, 2, 1599.98);
insert into marts.daily_sales (sales_date, units, orders, revenue) values
('2024-01-05', 4, 2, 1175.25), ('2024-02-03', 4, 1, 3097.99), ('2024-03-01', 2, 2, 1599.98);
insert into marts.customer_lifetime values
(1, 1950.14, 2, '2024-01-05 10:00:00+00', '2024-03-01 00:00:00+00', 975.07),
(2, 3923.08, 3, '2024-01-05 15:00:00+00', '2024-03-01 08:00:00+00', 1307.69),
(3, 0, 0, null, null, null);
"""


@pytest.fixture
def api_db(postgresql: psycopg.Connection) -> str:
    """URL of a fresh migrated database holding the hand-made data."""
    postgresql.execute(DATA_SQL)
    postgresql.commit()
    return conninfo(postgresql)


@pytest_asyncio.fixture
async def client(api_db: str, aiohttp_client: Any) -> Any:
    """An aiohttp test client of the API (pool of one connection: statements are countable)."""
    return await aiohttp_client(create_app(api_db, pool_min_size=1, pool_max_size=1))


async def gql(client: Any, query: str, variables: dict[str, Any] | None = None,
              headers: dict[str, str] | None = None, operation_name: str | None = None) -> dict[str, Any]:
    """POST a GraphQL request; the answer's JSON (HTTP 200 expected)."""
    body: dict[str, Any] = {"query": query, "variables": variables}
    if operation_name:
        body["operationName"] = operation_name
    response = await client.post("/graphql", json=body, headers=headers or {})
    assert response.status == 200, await response.text()
    return await response.json()


async def data(client: Any, query: str, variables: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
    """The data of a request that must succeed."""
    answer = await gql(client, query, variables, **kw)
    assert "errors" not in answer, answer
    return answer["data"]


async def error(client: Any, query: str, variables: dict[str, Any] | None = None, **kw: Any) -> dict[str, Any]:
    """The single error of a request that must fail."""
    answer = await gql(client, query, variables, **kw)
    assert len(answer.get("errors") or []) == 1, answer
    return answer["errors"][0]
