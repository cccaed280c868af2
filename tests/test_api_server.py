"""The server around the functions: binding drift, privileges, one statement per root field,
limits, errors, health, metrics, GraphiQL and the ``serve`` command."""

# ruff: noqa: F811 - pytest fixtures are imported from test_api_support and used as parameters
from __future__ import annotations

import argparse
import logging
import re
from pathlib import Path
from typing import Any

import psycopg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from shopetl_graphql import binding as binding_mod
from shopetl_graphql import cli as serve_cli
from shopetl_graphql.app import (
    CONFIG,
    STATE,
    STATIC_DIR,
    create_app,
    default_long_statements,
    default_pool_size,
)
from shopetl_graphql.binding import BindingError, check, read_catalog
from shopetl_graphql.errors import from_database
from shopetl_graphql.sdl import SCHEMA_PATH, fields_with_arguments, load_sdl, root_fields, snake

from .test_api_support import api_db, client, data, error, gql  # noqa: F401 - fixtures

pytestmark = pytest.mark.asyncio

SDL = load_sdl()


# --- SDL <-> api functions -----------------------------------------------------------------------


async def catalog(url: str) -> dict[str, Any]:
    async with await psycopg.AsyncConnection.connect(url) as conn:
        return await read_catalog(conn)


async def test_sdl_and_api_functions_match(api_db: str) -> None:
    """Every root field has its function with exactly its parameters; every function is bound."""
    functions = await catalog(api_db)
    fields = root_fields(SDL)
    assert check(fields, functions) == []
    assert {f.function for f in fields} == set(functions)
    assert {f.name for f in fields} >= {
        "productSales", "customer", "customers", "topProductsByCategory", "salesTrends", "product", "products",
        "categories", "updateProduct",
    }
    customer = next(f for f in fields if f.name == "customer")
    assert customer.parameters == (
        "p_customer_id", "p_orders_filter", "p_orders_order_by", "p_orders_first", "p_orders_after",
        "p_orders_last", "p_orders_before",
    )


async def test_descriptions_are_the_function_comments(api_db: str) -> None:
    functions = await catalog(api_db)
    for f in root_fields(SDL):
        assert f.description == functions[f.function].comment, f.name


async def test_drift_is_detected(api_db: str, tmp_path: Path) -> None:
    functions = await catalog(api_db)
    drifted = SDL.replace("productSales(\n    from: Date!", "productSales(\n    since: Date!")
    drifted = drifted.replace("  categories: [Category!]!\n", "  categories: [Category!]!\n  orphans: [Int!]!\n")
    drifted = re.sub(r'  "The customer with[^\n]*\n  customer\(customerId: Int!\): Customer\n', "", drifted)
    assert "  customer(customerId: Int!)" not in drifted
    problems = check(root_fields(drifted), functions)
    assert any("productSales" in p and "p_since" in p for p in problems), problems
    assert any("no function api.orphans" in p for p in problems), problems
    assert any("api.customer is bound to no root field" in p for p in problems), problems
    # and the server refuses to start on such an SDL
    path = tmp_path / "schema.graphql"
    path.write_text(drifted)
    with pytest.raises(BindingError, match="disagree"):
        async with TestClient(TestServer(create_app(api_db, schema_path=path))):
            pass


async def test_only_root_results_have_fields_with_arguments() -> None:
    """The generic binding passes arguments one level below a root field, no deeper."""
    fields = root_fields(SDL)
    allowed = {(f.operation, f.name) for f in fields} | {(f.result_type, n.name) for f in fields for n in f.nested}
    assert set(fields_with_arguments(SDL)) <= allowed


async def test_names_map_mechanically() -> None:
    assert snake("topProductsByCategory") == "top_products_by_category"
    assert snake("orderBy") == "order_by"
    assert snake("customerId") == "customer_id"


async def test_api_role_can_only_execute_api_functions(api_db: str) -> None:
    with psycopg.connect(api_db) as conn:
        missing = conn.execute(
            "select p.oid::regprocedure::text from pg_proc p"
            " where p.pronamespace = 'api'::regnamespace and not has_function_privilege('shopetl_api', p.oid, 'execute')"
        ).fetchall()
        internal = conn.execute(
            "select p.oid::regprocedure::text from pg_proc p where p.pronamespace = 'api_internal'::regnamespace"
            " and (has_function_privilege('shopetl_api', p.oid, 'execute')"
            "      or has_function_privilege('public', p.oid, 'execute'))"
        ).fetchall()
        public = conn.execute(
            "select p.oid::regprocedure::text from pg_proc p"
            " where p.pronamespace = 'api'::regnamespace and has_function_privilege('public', p.oid, 'execute')"
        ).fetchall()
        definer = conn.execute(
            "select p.proname, p.prosecdef, p.provolatile, p.proconfig from pg_proc p"
            " where p.pronamespace = 'api'::regnamespace order by 1"
        ).fetchall()
        conn.execute("set role shopetl_api")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select count(*) from core.products")
        conn.rollback()
        conn.execute("set role shopetl_api")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select api_internal.filter_sql('{}', '{}')")
    assert missing == [] and internal == [] and public == []
    for name, secdef, volatility, config in definer:
        # and at most a larger work_mem for the ones that aggregate the product marts
        assert secdef and config[0] == "search_path=pg_catalog, pg_temp", name
        assert all(c.startswith("work_mem=") for c in config[1:]), name
        assert volatility == ("v" if name == "update_product" else "s"), name


async def test_api_pages_by_keyset_never_by_offset(api_db: str) -> None:
    """No api or api_internal function skips rows with OFFSET: a page starts after its cursor's
    sort keys (api_internal.connection), so deep pages cost what the first does."""
    with psycopg.connect(api_db) as conn:
        bodies = conn.execute(
            "select p.oid::regprocedure::text, p.prosrc from pg_proc p"
            " where p.pronamespace in ('api'::regnamespace, 'api_internal'::regnamespace)"
        ).fetchall()
    assert len(bodies) > 10
    code = {name: re.sub(r"--[^\n]*", "", body) for name, body in bodies}  # comments may say OFFSET
    with_offset = [name for name, body in code.items() if re.search(r"\boffset\b", body, re.IGNORECASE)]
    assert with_offset == []


# --- one statement per root field ----------------------------------------------------------------


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every statement the server sends through psycopg (async cursors) while the test runs."""
    sent: list[str] = []
    original = psycopg.AsyncCursor.execute

    async def counting(self: Any, query: Any, params: Any = None, **kwargs: Any) -> Any:
        sent.append(query.as_string(self) if hasattr(query, "as_string") else str(query))
        return await original(self, query, params, **kwargs)

    monkeypatch.setattr(psycopg.AsyncCursor, "execute", counting)
    return sent


async def test_one_statement_per_root_field(client: Any, statements: list[str]) -> None:
    deep = """
    {
      customer(customerId: 1) {
        lifetimeValue
        orders(first: 100) { totalCount edges { cursor node { orderId items { quantity product { name
          category { name } } } } } }
      }
    }"""
    statements.clear()
    result = await data(client, deep)
    assert result["customer"]["orders"]["totalCount"] == 4
    assert len(statements) == 1 and statements[0].startswith('select "api"."customer"('), statements

    many = """
    query Many {
      a: productSales(from: "2024-01-01", to: "2024-03-31", first: 100) { nodes { product { name category { name } } revenue } }
      b: products(first: 100) { nodes { name category { name } } }
      categories { name }
    }"""
    statements.clear()
    await data(client, many)
    assert len(statements) == 3, statements
    assert all(re.search(r"select \"?api\"?\.", s) for s in statements), statements


async def test_nested_arguments_go_into_the_same_statement(client: Any, statements: list[str]) -> None:
    query = """query C($after: String) {
      customer(customerId: 1) { ...History }
    }
    fragment History on Customer {
      orders(orderBy: [REVENUE_DESC], first: 2, after: $after, filter: {countsInSales: {equalTo: false}}) {
        nodes { orderId }
      }
    }"""
    statements.clear()
    result = await data(client, query)
    assert [n["orderId"] for n in result["customer"]["orders"]["nodes"]] == [1001, 1003]
    assert len(statements) == 1 and "p_orders_order_by" in statements[0] and "p_orders_filter" in statements[0]
    twice = """{ customer(customerId: 1) { a: orders(first: 1) { totalCount } b: orders(first: 2) { totalCount } } }"""
    e = await error(client, twice)
    assert e["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED" and "different arguments" in e["message"]


# --- limits and errors ---------------------------------------------------------------------------


async def test_query_depth_is_limited(client: Any) -> None:
    too_deep = "{ customer(customerId: 1) { orders { edges { node { items { product { category { name } } } } } } } }"
    assert (await data(client, too_deep))["customer"] is not None  # 8 levels: allowed
    nested_fragments = """
    query Deep { customer(customerId: 1) { orders { edges { node { items { product { ...P } } } } } } }
    fragment P on Product { category { ...C } }
    fragment C on CategoryRef { name }"""
    assert "errors" not in await gql(client, nested_fragments)
    async with TestClient(TestServer(create_app(_url(client), max_depth=5))) as small:
        answer = await gql(small, too_deep)
        assert answer["errors"][0]["extensions"]["code"] == "QUERY_TOO_DEEP" and "data" not in answer
        answer = await gql(small, nested_fragments)
        assert answer["errors"][0]["extensions"]["code"] == "QUERY_TOO_DEEP"
        # introspection does not count
        assert "errors" not in await gql(small, "{ __schema { types { name fields { type { ofType { name } } } } } }")


def _url(client: Any) -> str:
    return client.server.app[CONFIG].database_url


async def test_root_fields_are_limited(client: Any) -> None:
    query = "{ " + " ".join(f"c{i}: categories {{ name }}" for i in range(21)) + " }"
    e = await error(client, query)
    assert e["extensions"]["code"] == "TOO_MANY_ROOT_FIELDS"


async def test_bad_requests(client: Any) -> None:
    for body in (b"not json", b"[]", b'{"query": 1}', b'{"query": "{ categories { name } }", "variables": []}'):
        response = await client.post("/graphql", data=body, headers={"Content-Type": "application/json"})
        assert response.status == 400
        assert (await response.json())["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    answer = await gql(client, "{ categories { name ")
    assert answer["errors"] and answer.get("data") is None
    answer = await gql(client, "{ nope }")
    assert "nope" in answer["errors"][0]["message"]


async def test_database_errors_do_not_leak_internals(client: Any, api_db: str) -> None:
    with psycopg.connect(api_db, autocommit=True) as conn:
        conn.execute("revoke execute on function api.categories() from shopetl_api")
    e = await error(client, "{ categories { name } }")
    assert e["extensions"]["code"] == "42501"
    assert "permission" not in e["message"] and "categories" not in e["message"]
    assert e["message"].startswith("internal error")


async def test_statement_timeout_message(api_db: str) -> None:
    with psycopg.connect(api_db, autocommit=True) as conn:
        conn.execute("set statement_timeout = 10")
        with pytest.raises(psycopg.errors.QueryCanceled) as caught:
            conn.execute("select pg_sleep(1)")
    api_error = from_database(caught.value, "product_sales")
    assert api_error.extensions == {"code": "57014"} and "statement timeout" in api_error.message


async def test_statement_timeout_applies_to_api_calls(api_db: str) -> None:
    async with TestClient(TestServer(create_app(api_db, statement_timeout_ms=1234))) as c:
        state = c.server.app[STATE]
        async with state.pool.connection() as conn:
            timeout = await (await conn.execute("show statement_timeout")).fetchone()
            role = await (await conn.execute("select current_user")).fetchone()
    assert timeout == ("1234ms",) and role == ("shopetl_api",)


# --- health, metrics, GraphiQL, CLI --------------------------------------------------------------


async def test_healthz_metrics_and_access_log(client: Any, caplog: pytest.LogCaptureFixture) -> None:
    response = await client.get("/healthz")
    assert response.status == 200 and await response.json() == {"status": "ok"}
    with caplog.at_level(logging.INFO, logger="shopetl_graphql.access"):
        await data(client, "query Cats { categories { name } }")
    [line] = [r.getMessage() for r in caplog.records if r.name == "shopetl_graphql.access"]
    assert re.search(r'"POST /graphql" 200 [0-9.]+ms op=Cats statements=1$', line), line
    await gql(client, "query Bad { products(first: 5000) { totalCount } }")
    text = await (await client.get("/metrics")).text()
    assert 'shopetl_graphql_requests_total{operation="Cats",outcome="ok"} 1.0' in text
    assert 'shopetl_graphql_requests_total{operation="Bad",outcome="error"} 1.0' in text
    assert 'shopetl_graphql_errors_total{code="22023",operation="Bad"} 1.0' in text
    assert 'shopetl_graphql_request_duration_seconds_count{operation="Cats"} 1.0' in text
    assert 'shopetl_graphql_sql_statements_total{function="categories"} 1.0' in text
    assert re.search(r'shopetl_graphql_pool_connections\{state="open"\} [1-9]', text)


async def test_healthz_answers_while_every_pooled_connection_is_busy(api_db: str) -> None:
    # the pool is as small as the database's cores: a server whose connections are all running
    # long queries is busy, not down
    async with TestClient(TestServer(create_app(api_db, pool_min_size=1, pool_max_size=1))) as small:
        pool = small.server.app[STATE].pool
        async with pool.connection():
            response = await small.get("/healthz")
            assert response.status == 200 and await response.json() == {"status": "ok"}


async def test_the_connection_goes_back_to_the_pool_after_an_error(api_db: str) -> None:
    # one pooled connection: the request after a database error and the one after a success
    # must each find it free again (else POOL_TIMEOUT after a second)
    app = create_app(api_db, pool_min_size=1, pool_max_size=1, pool_timeout=1.0)
    async with TestClient(TestServer(app)) as small:
        for _ in range(2):
            assert (await error(small, "{ products(first: 5000) { totalCount } }"))["extensions"]["code"] == "22023"
            assert (await data(small, "{ categories { name } }"))["categories"]
        stats = small.server.app[STATE].pool.get_stats()
        assert stats["pool_size"] == 1 and stats.get("requests_errors", 0) == 0, stats


async def test_the_server_learns_how_long_each_function_takes(api_db: str) -> None:
    # every call's time goes into its function's mean; a function under 50 ms is short and
    # takes no slot
    async with TestClient(TestServer(create_app(api_db, long_statements=1))) as c:
        await data(c, "{ categories { name } }")
        await data(c, "{ categories { name } }")
        admission = c.server.app[STATE].admission
        mean = admission.mean_seconds("categories")
        assert mean is not None and 0 < mean < 0.05 and not admission.is_long("categories")
        assert admission.mean_seconds("product_sales") is None and admission.slots == 1
        assert c.server.app[STATE].pool.max_size == 4


async def test_long_statements_run_as_many_at_once_as_the_machine_has_cores() -> None:
    # the workers together run as many long statements as there are cores, each worker at
    # least 2; the pool holds 4 connections per such slot, the room of the short statements
    assert default_long_statements(1, cpus=2) == 2
    assert default_long_statements(1, cpus=16) == 16
    assert default_long_statements(4, cpus=16) == 4
    assert default_long_statements(3, cpus=8) == 3
    assert default_long_statements(1, cpus=1) == 2
    assert default_long_statements(8, cpus=2) == 2
    assert default_long_statements() >= 2
    assert default_pool_size(2) == 8 and default_pool_size(16) == 64
    args = argparse.ArgumentParser()
    serve_cli.register(args.add_subparsers())
    assert args.parse_args(["serve"]).pool_size is None and args.parse_args(["serve"]).long_statements is None
    assert args.parse_args(["serve", "--long-statements", "3"]).long_statements == 3
    assert args.parse_args(["serve", "--pool-size", "10"]).pool_size == 10


async def test_the_access_log_can_be_left_out(api_db: str, caplog: pytest.LogCaptureFixture) -> None:
    # `shopetl serve --no-access-log` (the benchmark, like PostGraphile's --disable-query-log)
    async with TestClient(TestServer(create_app(api_db, access_log=False))) as quiet:
        with caplog.at_level(logging.INFO, logger="shopetl_graphql.access"):
            assert await data(quiet, "query Cats { categories { name } }")
    assert [r for r in caplog.records if r.name == "shopetl_graphql.access"] == []
    args = argparse.ArgumentParser()
    serve_cli.register(args.add_subparsers())
    assert args.parse_args(["serve"]).access_log is True
    assert args.parse_args(["serve", "--no-access-log"]).access_log is False


async def test_graphiql_is_served_without_a_cdn(client: Any) -> None:
    response = await client.get("/graphql")
    html = await response.text()
    assert response.status == 200 and response.content_type == "text/html"
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(a.startswith("/graphql/static/") for a in assets)
    assert "http://" not in html and "https://" not in html
    for asset in assets:
        r = await client.get(asset)
        assert r.status == 200 and len(await r.read()) == (STATIC_DIR / Path(asset).name).stat().st_size


async def test_serve_command_registers() -> None:
    from shopetl_graphql.cli import register

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["serve", "--host", "0.0.0.0", "--port", "9000", "--workers", "2"])
    assert (args.command, args.host, args.port, args.workers) == ("serve", "0.0.0.0", 9000, 2)
    assert callable(args.func)


async def test_no_init_at_graphql_top() -> None:
    """graphql/ is an implicit namespace package: an __init__.py would shadow graphql-core."""
    assert not (SCHEMA_PATH.parent / "__init__.py").exists()
    assert binding_mod.API_SCHEMA == "api"
