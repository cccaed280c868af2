"""The fast path (graphql/fastpath.py) answers exactly what Tartiflette's execution answers:
every request below is sent to an app with it and to one without it, and the two JSON answers
must be equal, byte for byte once parsed (data, errors with their paths and locations)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from shopetl_graphql.app import STATE, create_app

from .test_api_support import api_db  # noqa: F401 (fixture)

pytestmark = pytest.mark.asyncio

PRODUCT = "productId name sku price cost inventoryCount isActive createdAt category { categoryId name parentId }"

REQUESTS: list[tuple[str, dict[str, Any] | None, str | None]] = [
    # the purchase history, as the benchmark and the dashboard ask it
    ("""query H($id: Int!, $n: Int) { customer(customerId: $id) {
        customerId email firstName lastName city lifetimeValue orderCount firstOrderAt lastOrderAt averageOrderValue
        orders(first: $n) { totalCount nodes { orderId orderDate status countsInSales revenue totalAmount
          items { orderItemId product { PRODUCT } quantity price discount revenue } }
          pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }""".replace("PRODUCT", PRODUCT),
     {"id": 1, "n": 10}, None),
    ("query H($id: Int!) { customer(customerId: $id) { email } }", {"id": 999}, None),  # unknown: null
    # aliases, fragments, inline fragments, __typename, the same key twice (merged)
    ("""query A { __typename
        a: customer(customerId: 2) { ...C __typename orders(first: 1) { edges { cursor node { orderId } } } }
        b: customer(customerId: 1) { ... on Customer { mail: email } customerId }
        b: customer(customerId: 1) { firstName }
        }
        fragment C on Customer { id: customerId email ...D }
        fragment D on Customer { lastName }""", None, "A"),
    ("""{ productSales(from: "2024-01-01", to: "2024-03-31", first: 2, orderBy: [UNITS_DESC],
          filter: {categoryId: {equalTo: 1}}) { totalCount nodes { product { PRODUCT } units orders revenue }
          edges { cursor } pageInfo { hasNextPage endCursor } } }""".replace("PRODUCT", PRODUCT), None, None),
    ("""{ topProductsByCategory(first: 2) { rank categoryId product { name } units revenue }
          salesTrends(from: "2024-01-01", to: "2024-03-31", granularity: WEEK) {
            periodStart revenue units orders revenueChange unitsChange ordersChange }
          categories { categoryId name parentId depth path childIds }
          products(first: 3, orderBy: [PRICE_DESC]) { nodes { productId price } }
          customers(first: 2, orderBy: [LIFETIME_VALUE_DESC]) { nodes { customerId lifetimeValue } } }""",
     None, None),
    ("query T($p: Int!) { product(productId: $p) { name category { name } } }", {"p": 12345}, None),
    # errors: from the database (22023), in one of two root fields, on a non-null root field
    ("""{ productSales(from: "2024-03-01", to: "2024-01-01") { totalCount } }""", None, None),
    ("""{ ok: product(productId: 100) { name } bad: products(first: 5000) { totalCount } }""", None, None),
    ("""{ topProductsByCategory(first: 0) { rank } categories { name } }""", None, None),
    ("""{ customer(customerId: 1) { a: orders(first: 1) { totalCount } b: orders(first: 2) { totalCount } } }""",
     None, None),
    # variables the fast path coerces itself, or hands to Tartiflette's coercers: an enum, a
    # variable left out whose argument has a default (MONTH), a null for a nullable Int, a
    # variable's own default
    ("""query T($from: Date!, $to: Date!, $g: Granularity, $c: Int, $p: Int) {
          salesTrends(from: $from, to: $to, granularity: $g, categoryId: $c, productId: $p) { periodStart revenue } }""",
     {"from": "2024-01-01", "to": "2024-03-31", "c": None}, None),
    ("""query T($from: Date = "2024-01-01", $to: Date!, $g: Granularity = WEEK) {
          salesTrends(from: $from, to: $to, granularity: $g) { periodStart units } }""", {"to": "2024-02-15"}, None),
    # what the fast path leaves to Tartiflette: directives, introspection, bad variables, mutations
    ("""query T($from: Date!, $to: Date!) { salesTrends(from: $from, to: $to) { periodStart } }""",
     {"from": "2024-01-01", "to": "2024-3-31"}, None),
    ("""query T($from: Date!, $to: Date!) { salesTrends(from: $from, to: $to) { periodStart } }""",
     {"from": None, "to": "2024-03-31"}, None),
    ("""query S($x: Boolean!) { customer(customerId: 1) { email @include(if: $x) firstName } }""", {"x": False}, None),
    ("""{ __type(name: "Customer") { name } customer(customerId: 1) { email } }""", None, None),
    ("""query V($id: Int!) { customer(customerId: $id) { email } }""", {"id": "one"}, None),
    ("""query V($id: Int!) { customer(customerId: $id) { email } }""", {}, None),
    ("""{ customer(customerId: 1) { nope } }""", None, None),
    ("""query One { categories { name } } query Two { product(productId: 100) { name } }""", None, "Two"),
    ("""query One { categories { name } } query Two { product(productId: 100) { name } }""", None, None),
]

#: the requests above the fast path answers: the first twelve, and the operation picked by name
FAST = {*range(12), len(REQUESTS) - 2}


def _record_executions(engine: Any, executed: list[str]) -> None:
    """Every request Tartiflette's execution answers is appended to ``executed``."""
    execute = engine.execute

    async def recorded(query: str, **kwargs: Any) -> Any:
        executed.append(query)
        return await execute(query, **kwargs)

    engine.execute = recorded


@pytest.mark.parametrize("index", range(len(REQUESTS)))
async def test_fast_path_answers_as_tartiflette(api_db: str, aiohttp_client: Any, index: int) -> None:  # noqa: F811
    query, variables, operation = REQUESTS[index]
    answers = []
    executed: list[str] = []
    for fast in (True, False):
        client = await aiohttp_client(create_app(api_db, pool_min_size=1, pool_max_size=2, fast_path=fast))
        if fast:
            _record_executions(client.server.app[STATE].engine, executed)
        body: dict[str, Any] = {"query": query, "variables": variables}
        if operation:
            body["operationName"] = operation
        response = await client.post("/graphql", json=body)
        answers.append((response.status, await response.json()))
        if fast:
            plans = client.server.app[STATE].fast._plans
    assert answers[0] == answers[1]
    assert answers[0][1].get("data") or answers[0][1].get("errors")
    if index in FAST:  # the plain queries above really took the fast path, variables and all
        assert next(iter(plans.values())) is not None
        assert executed == []
    else:
        assert executed == [query]


GOOD = {"customerId": 1, "email": "a@example.com", "lifetimeValue": "1.00", "orderCount": 1,
        "orders": {"totalCount": 1, "nodes": [{"orderId": 7, "status": "DELIVERED", "revenue": "1.00"}]}}
BAD_VALUES = [
    {**GOOD, "customerId": "one"},                                        # an Int the scalar refuses
    {**GOOD, "email": None},                                              # null in a non-null field
    {**GOOD, "orders": {"totalCount": 1, "nodes": [{**GOOD["orders"]["nodes"][0], "status": "Lost"}]}},  # enum
    {**GOOD, "orders": {"totalCount": 1, "nodes": [None]}},               # null item of [Order!]!
    {**GOOD, "orderCount": 2**31},                                        # an Int beyond 32 bits
    {**GOOD, "lifetimeValue": 1.5},                                       # Money formats a float: no error
    {**GOOD, "lifetimeValue": "1.5", "customerId": True},                 # formatted: "1.50", 1
    GOOD,
]
ERRORS = 5  # the first five are errors


@pytest.mark.parametrize("index", range(len(BAD_VALUES)))
async def test_values_the_sdl_refuses_are_answered_as_tartiflette_does(
    api_db: str, aiohttp_client: Any, monkeypatch: pytest.MonkeyPatch, index: int  # noqa: F811
) -> None:
    """A function returning what the SDL does not allow (a bug): the fast path gives way and the
    answer is Tartiflette's, errors located at the field."""
    from shopetl_graphql import app as app_mod

    async def call(self: Any, binding: Any, params: dict[str, Any], *, as_text: bool = False) -> Any:
        self.statements += 1
        return json.dumps(BAD_VALUES[index]) if as_text else BAD_VALUES[index]

    monkeypatch.setattr(app_mod.RequestContext, "call", call)
    query = """{ customer(customerId: 1) { customerId email lifetimeValue orderCount
                 orders { totalCount nodes { orderId status revenue } } } }"""
    answers = []
    for fast in (True, False):
        client = await aiohttp_client(create_app(api_db, pool_min_size=1, pool_max_size=2, fast_path=fast))
        response = await client.post("/graphql", json={"query": query})
        answers.append((response.status, await response.json()))
    assert answers[0] == answers[1]
    assert ("errors" in answers[0][1]) == (index < ERRORS), answers[0]


async def test_numbers_a_float_would_round_are_answered_exactly(
    api_db: str, aiohttp_client: Any, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    """orjson reads a number with a fraction as a float, which holds about 16 digits: the fast
    path gives way to Tartiflette's, which reads the function's JSON with Decimal."""
    from shopetl_graphql import app as app_mod

    text = '{"customerId": 1, "email": "a@example.com", "lifetimeValue": 12345678901234567.89}'

    async def call(self: Any, binding: Any, params: dict[str, Any], *, as_text: bool = False) -> Any:
        self.statements += 1
        return text if as_text else json.loads(text, parse_float=Decimal)

    monkeypatch.setattr(app_mod.RequestContext, "call", call)
    client = await aiohttp_client(create_app(api_db, pool_min_size=1, pool_max_size=2))
    response = await client.post("/graphql", json={"query": "{ customer(customerId: 1) { email lifetimeValue } }"})
    assert await response.json() == {"data": {"customer": {
        "email": "a@example.com", "lifetimeValue": "12345678901234567.89"}}}
