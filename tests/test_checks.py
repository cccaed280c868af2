"""The data-quality checks of sql/checks: each passes on clean data loaded by the real loader and
fails when a test corrupts the table it guards; batch-scoped checks read only what the batch
touched (EXPLAIN ANALYZE shows the partitions they read)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pglast
import psycopg
import pytest
from pytest_postgresql.janitor import DatabaseJanitor

from shopetl import checks_cmd
from shopetl.checks import (
    DEFAULT_CONTEXT,
    CheckDefinitionError,
    CheckResult,
    blocking,
    discover,
    parse_header,
    planner_settings,
    record_results,
    render,
    run_checks,
    settings,
)
from shopetl.config import Settings
from shopetl.render import Renderer

from .conftest import SQL_DIR
from .etl_helpers import BASE, load_rows, query, run_load, write_delivery

CHECKS_DIR = SQL_DIR / "checks"
RENDERER = Renderer(CHECKS_DIR)
CHECKS = discover(CHECKS_DIR)
NAMES = [c.name for c in CHECKS]

# Dates relative to today (UTC), so that the freshness checks pass on the clean data: an old
# order in another month, and two recent days.
TODAY = dt.datetime.now(dt.UTC).date()
D_OLD, D1, D2 = TODAY - dt.timedelta(days=45), TODAY - dt.timedelta(days=2), TODAY - dt.timedelta(days=1)


def _order(order_id: int, customer_id: int, day: dt.date, time: str, status: str, total: str) -> str:
    return ",".join([str(order_id), str(customer_id), f"{day} {time}", status, *[""] * 9, total])


#: A clean world: a category tree three levels deep (1 > 2 > 4, 1 > 3), products in every level,
#: orders in two months, one of them Cancelled, totals that match their lines.
CLEAN = {
    "product_categories": BASE["product_categories"] + "4,Cases,,2,2023-01-01 00:00:00\n",
    "products": BASE["products"]
    + "12,Case,,25.00,5.00,4,SKU-12,9,0.1,2023-01-01 00:00:00,True\n"
    + "13,Charger,,10.00,2.00,1,SKU-13,9,0.1,2023-01-01 00:00:00,True\n",
    "customers": BASE["customers"] + "3,cy@example.com,Cy,C,,,,,,,2023-01-01 00:00:00,\n",
    "orders": "\n".join([
        _order(100, 1, D_OLD, "10:00:00", "Delivered", "200.00"),
        _order(101, 1, D1, "10:00:00", "Shipped", "1025.00"),
        _order(102, 2, D1, "11:00:00", "Cancelled", "100.00"),
        _order(103, 2, D2, "09:00:00", "Delivered", "75.00"),
    ]),
    "order_items": """
        1000,100,10,2,100.00,,200.00
        1001,101,11,1,1000.00,,1000.00
        1002,101,12,1,25.00,,25.00
        1003,102,10,1,100.00,,100.00
        1004,103,13,3,10.00,,30.00
        1005,103,12,2,25.00,5.00,45.00
    """,
}


def _new_database(noproc: Any, name: str) -> DatabaseJanitor:
    return DatabaseJanitor(
        user=noproc.user, host=noproc.host, port=noproc.port, dbname=name,
        template_dbname=noproc.template_dbname, password=noproc.password,
    )


@pytest.fixture(scope="module")
def clean(postgresql_noproc: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """(URL, run id) of a database holding CLEAN, loaded once for the module by the real loader.
    Tests corrupt it only inside a transaction they roll back (see ``conn``)."""
    name = f"shopetl_checks_{os.getpid()}"
    with _new_database(postgresql_noproc, name):
        url = psycopg.conninfo.make_conninfo(
            host=postgresql_noproc.host, port=postgresql_noproc.port, user=postgresql_noproc.user, dbname=name
        )
        result = load_rows(Settings(database_url=url, sql_dir=SQL_DIR), tmp_path_factory.mktemp("clean"), CLEAN,
                           base=False)
        assert result.status == "ok", result.error
        yield url, int(result.run_id)  # type: ignore[arg-type]


@pytest.fixture
def conn(clean: tuple[str, int]) -> Iterator[psycopg.Connection]:
    """A connection in an open transaction on the clean database, rolled back after the test:
    the checks run inside it, as they run inside the load's publish transaction."""
    with psycopg.connect(clean[0], options="-c TimeZone=UTC") as c:
        c.execute("select 1")
        yield c
        c.rollback()


def _run(conn: psycopg.Connection, run_id: int | None, scope: str, *names: str, **context: Any) -> list[CheckResult]:
    return run_checks(conn, RENDERER, run_id=run_id, scope=scope, only=names or None,  # type: ignore[arg-type]
                      context=context or None)


# -- the checks as files ------------------------------------------------------------------------


def test_every_check_declares_severity_and_scope_and_says_what_it_guards() -> None:
    assert len(CHECKS) >= 15
    for c in CHECKS:
        assert c.severity in ("error", "warn") and c.scope in ("batch", "table")
        assert len(c.description) > 40, c.name
    by_name = {c.name: c for c in CHECKS}
    assert by_name["daily_sales_reconcile"].severity == "error"
    assert by_name["shared_sku"].severity == "warn"
    assert by_name["default_partitions_empty"].scope == "table"


@pytest.mark.parametrize("scope", ["batch", "all"])
@pytest.mark.parametrize("name", NAMES)
def test_check_renders_to_one_statement_postgres_parses(name: str, scope: str) -> None:
    check = next(c for c in CHECKS if c.name == name)
    sql = render(RENDERER, check, run_id=1, scope=scope)  # type: ignore[arg-type]
    statements = pglast.parse_sql(sql)
    assert len(statements) == 1 and type(statements[0].stmt).__name__ == "SelectStmt"
    if scope == "all":
        code = "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))
        assert "staging." not in code.replace("staging.is_bigint", "").replace("staging.clean", "").replace(
            "staging.to_int", ""), "scope all must not read a load's staging tables"


def test_one_query_may_judge_several_checks() -> None:
    by_name = {c.name: c for c in CHECKS}
    revenue, total = by_name["order_revenue_is_sum_of_lines"], by_name["order_total_mismatch"]
    assert revenue.path == total.path and revenue.shared == total.shared == (revenue.name, total.name)
    assert (revenue.severity, total.severity, total.scope) == ("error", "warn", "batch")
    assert "total_amount" in total.description


def test_checks_of_one_query_keep_their_own_results(conn: psycopg.Connection, clean: tuple[str, int]) -> None:
    conn.execute("update core.orders set total_amount = total_amount + 5 where order_id = 101")
    conn.execute("update core.orders set revenue = revenue + 1 where order_id = 103")
    results = {r.name: r for r in _run(conn, clean[1], "batch", "order_revenue_is_sum_of_lines",
                                       "order_total_mismatch")}
    revenue, total = results["order_revenue_is_sum_of_lines"], results["order_total_mismatch"]
    assert (revenue.status, revenue.violating_rows, revenue.blocking) == ("fail", 1, True)
    assert (total.status, total.violating_rows, total.blocking) == ("fail", 1, False)
    assert revenue.sample[0]["order_id"] == 103 and total.sample[0]["order_id"] == 101
    assert "check_name" not in total.sample[0] and float(total.sample[0]["difference"]) == 5
    # asked for alone, a check of a shared query reports only itself
    assert [(r.name, r.status) for r in _run(conn, clean[1], "all", "order_total_mismatch")] == [
        ("order_total_mismatch", "fail")
    ]


def test_a_header_without_severity_or_with_an_unknown_scope_is_refused(tmp_path: Path) -> None:
    (tmp_path / "01_no_severity.sql").write_text("-- guards nothing\n-- scope: batch\nselect 1\n")
    with pytest.raises(CheckDefinitionError, match="lacks '-- severity: ...'"):
        parse_header(tmp_path / "01_no_severity.sql")
    (tmp_path / "02_odd_scope.sql").write_text("-- guards nothing\n-- severity: warn\n-- scope: everything\nselect 1\n")
    with pytest.raises(CheckDefinitionError, match="scope: everything"):
        parse_header(tmp_path / "02_odd_scope.sql")


# -- clean data passes -----------------------------------------------------------------------------


@pytest.mark.parametrize("scope", ["batch", "all"])
def test_every_check_passes_on_clean_data(conn: psycopg.Connection, clean: tuple[str, int], scope: str) -> None:
    results = _run(conn, clean[1], scope)
    assert [r.name for r in results] == NAMES
    assert {r.name: (r.status, r.error, r.sample[:1]) for r in results if r.status != "pass"} == {}
    assert {r.scope for r in results} == ({"batch", "all"} if scope == "batch" else {"all"})


def test_on_demand_without_a_run_passes_on_clean_data(conn: psycopg.Connection) -> None:
    assert [(r.name, r.status) for r in _run(conn, None, "all") if r.status != "pass"] == []


# -- each check fails on purpose ------------------------------------------------------------------

NO_DEFAULT_CONSTRAINT = "alter table core.orders_default drop constraint orders_default_must_stay_empty"
FUTURE = "now() + interval '3 days'"

#: check -> [(what the test breaks, SQL that breaks it[, the scopes that see it])], RUN standing
#: for the clean run's id. By default both scopes must see it.
CORRUPTIONS: dict[str, list[tuple[Any, ...]]] = {
    "default_partitions_empty": [
        ("a row in the DEFAULT partition", [
            NO_DEFAULT_CONSTRAINT,
            "insert into core.orders_default (order_id, customer_id, order_date, status, batch_id)"
            " values (999, 1, '2001-01-01 00:00:00+00', 'Delivered', RUN)",
        ]),
    ],
    "order_keys_consistent": [
        ("an order without key", ["delete from core.order_keys where order_id = 103"]),
        ("a key naming another date", ["update core.order_keys set order_date = order_date + interval '1 hour'"
                                       " where order_id = 101"]),
    ],
    "order_item_keys_consistent": [
        ("a key naming another order", ["update core.order_item_keys set order_id = 100 where order_item_id = 1005"]),
        ("a line without key", ["delete from core.order_item_keys where order_item_id = 1002"]),
    ],
    "orders_have_customers": [
        ("an order's customer deleted", ["delete from core.customers where customer_id = 2"]),
    ],
    "order_items_have_orders_and_products": [
        ("a line's product deleted", ["delete from core.products where product_id = 13"]),
        ("a line's order deleted", ["delete from core.orders where order_id = 100"]),
    ],
    "catalog_references": [
        ("a product's category deleted", ["delete from core.product_categories where category_id = 4"]),
        ("a cycle in the tree", ["update core.product_categories set parent_id = 3 where category_id = 1"]),
    ],
    "category_closure": [
        ("a closure pair missing", ["delete from marts.category_closure where ancestor_id = 1 and descendant_id = 4"]),
    ],
    "row_counts": [
        ("staged_rows off by one", ["update etl.run_files set staged_rows = staged_rows + 1"
                                    " where run_id = RUN and file_key = 'orders'"]),
        ("a reject naming no line of the file", ["insert into etl.rejects (run_id, file_key, file_name, line_no,"
                                                 " reason) values (RUN, 'orders', 'orders.csv', 99, 'bad_value')"]),
        ("a line rejected twice", ["insert into etl.rejects (run_id, file_key, file_name, line_no, reason) values"
                                   " (RUN, 'orders', 'orders.csv', 3, 'bad_value'),"
                                   " (RUN, 'orders', 'orders.csv', 3, 'orphan')"]),
        ("an accepted customer lost", ["delete from core.customers where customer_id = 3"], ("batch",)),
        ("an accepted order not stamped with the batch", ["update core.orders set batch_id = 0 where order_id = 101"],
         ("batch",)),
    ],
    "revenue_not_negative": [
        ("a negative order revenue", ["update core.orders set revenue = -1 where order_id = 103"]),
        ("a negative daily revenue", [f"update marts.daily_sales set revenue = -5 where sales_date = '{D_OLD}'"]),
        ("a negative product-day revenue", ["update marts.daily_product_sales set revenue = -5"
                                            f" where sales_date = '{D2}' and product_id = 12"]),
        ("a negative category-day revenue", ["update marts.daily_category_sales set revenue = -5"
                                             f" where sales_date = '{D2}' and category_id = 4"]),
    ],
    "order_revenue_is_sum_of_lines": [
        ("an order's revenue off", ["update core.orders set revenue = revenue + 1 where order_id = 101"]),
    ],
    "no_future_order_dates": [
        ("an order dated 3 days ahead", [
            "select core.ensure_order_partitions(now(), now() + interval '40 days')",
            f"update core.orders set order_date = {FUTURE} where order_id = 103",
            f"update core.order_keys set order_date = {FUTURE} where order_id = 103",
        ]),
    ],
    "daily_sales_reconcile": [
        ("a day's revenue off", [f"update marts.daily_sales set revenue = revenue + 1 where sales_date = '{D2}'"]),
        ("a day's units off", [f"update marts.daily_sales set units = units + 1 where sales_date = '{D2}'"]),
        ("a day missing", [f"delete from marts.daily_sales where sales_date = '{D_OLD}'"]),
        ("an order cancelled in core only", ["update core.orders set status = 'Cancelled' where order_id = 103"]),
    ],
    "daily_product_sales_reconcile": [
        ("a product's units off", ["update marts.daily_product_sales set units = units + 1"
                                   f" where sales_date = '{D2}' and product_id = 12"]),
        ("a row too many", ["insert into marts.daily_product_sales (sales_date, product_id, units, orders, revenue)"
                            f" values ('{D2}', 11, 1, 1, 1000)"]),
        # daily_sales_reconcile takes its units from this mart: a line's quantity is checked here
        ("a line's quantity changed in core only", ["update core.order_items set quantity = quantity + 1"
                                                     " where order_item_id = 1004"]),
    ],
    "category_rollup": [
        ("a leaf category's revenue off", ["update marts.daily_category_sales set revenue = revenue + 10"
                                           f" where sales_date = '{D2}' and category_id = 4"]),
        ("a parent's orders above the sum of its parts", ["update marts.daily_category_sales set orders = 9"
                                                           f" where sales_date = '{D2}' and category_id = 1"]),
        ("the roots disagree with daily_sales", ["update marts.daily_sales set units = units + 1"
                                                 f" where sales_date = '{D2}'"]),
    ],
    "customer_lifetime_reconcile": [
        ("a customer's row missing", ["delete from marts.customer_lifetime where customer_id = 1"]),
        ("a lifetime value off", ["update marts.customer_lifetime set lifetime_value = 0 where customer_id = 2"]),
    ],
    "monthly_category_sales_reconcile": [
        ("a month's revenue off", ["update marts.monthly_category_sales set revenue = revenue + 1"
                                   f" where month_start = date_trunc('month', '{D2}'::date) and category_id = 4"]),
        ("a month missing", ["delete from marts.monthly_category_sales"
                             f" where month_start = date_trunc('month', '{D2}'::date) and category_id = 1"]),
        ("a month too many", ["insert into marts.monthly_category_sales"
                              " (month_start, category_id, units, order_lines, revenue)"
                              f" values (date_trunc('month', '{D2}'::date), 999, 1, 1, 1)"]),
    ],
    "totals_reconcile": [
        ("lifetime values off overall", ["update marts.customer_lifetime set lifetime_value = lifetime_value + 1"
                                         " where customer_id = 1"]),
        ("a product's all-time revenue off", ["update marts.product_sales_totals set revenue = revenue + 1"
                                              " where product_id = 12"]),
        ("a month's units off", ["update marts.monthly_product_sales set units = units + 1 where product_id = 12"],
         ("all",)),
    ],
    "shared_sku": [
        ("two products sharing a sku", ["update core.products set sku = 'SKU-10' where product_id = 11"]),
    ],
    "order_total_mismatch": [
        ("a total 5.00 off its lines", ["update core.orders set total_amount = total_amount + 5 where order_id = 101"]),
    ],
    "reject_share": [
        ("1 of 4 orders rejected", ["insert into etl.rejects (run_id, file_key, file_name, line_no, reason)"
                                    " values (RUN, 'orders', 'orders.csv', 2, 'bad_value')"]),
    ],
    "newest_order_freshness": [
        ("only the 45-day-old order left", [
            "delete from core.order_items where order_id <> 100",
            "delete from core.orders where order_id <> 100",
            f"delete from marts.daily_sales where sales_date <> '{D_OLD}'",
        ]),
    ],
    "last_run_age": [
        ("the last load three days ago", ["update etl.runs set started_at = now() - interval '3 days',"
                                          " finished_at = now() - interval '3 days'"]),
    ],
}

CASES = [
    pytest.param(name, case[1], scope, id=f"{name}-{case[0].replace(' ', '_')}-{scope}")
    for name, cases in CORRUPTIONS.items()
    for case in cases
    for scope in (case[2] if len(case) > 2 else ("batch", "all"))
]


def test_every_check_has_a_corruption() -> None:
    assert sorted(CORRUPTIONS) == sorted(NAMES)


@pytest.mark.parametrize(("name", "corruption", "scope"), CASES)
def test_check_fails_on_corrupted_data(
    conn: psycopg.Connection, clean: tuple[str, int], name: str, corruption: list[str], scope: str
) -> None:
    run_id = clean[1]
    assert [r.status for r in _run(conn, run_id, scope, name)] == ["pass"]
    for sql in corruption:
        conn.execute(sql.replace("RUN", str(run_id)))  # type: ignore[arg-type]
    [result] = _run(conn, run_id, scope, name)
    assert result.status == "fail", result.error
    assert result.violating_rows and result.violating_rows == len(result.sample) > 0
    assert result.blocking == (result.severity == "error")


#: The corruptions a batch-scoped run must see, run as a first load runs them: the load's context
#: says "bulk" (its batch touched every order), so the order checks read whole tables.
FIRST_LOAD_CASES = [
    pytest.param(name, case[1], id=f"{name}-{case[0].replace(' ', '_')}-first_load")
    for name, cases in CORRUPTIONS.items()
    for case in cases
    if "batch" in (case[2] if len(case) > 2 else ("batch", "all"))
]


def test_every_check_passes_on_clean_data_as_a_first_load(conn: psycopg.Connection, clean: tuple[str, int]) -> None:
    results = _run(conn, clean[1], "batch", bulk=True)
    assert {r.name: (r.status, r.error, r.sample[:1]) for r in results if r.status != "pass"} == {}


@pytest.mark.parametrize(("name", "corruption"), FIRST_LOAD_CASES)
def test_check_fails_on_corrupted_data_as_a_first_load(
    conn: psycopg.Connection, clean: tuple[str, int], name: str, corruption: list[str]
) -> None:
    run_id = clean[1]
    assert [r.status for r in _run(conn, run_id, "batch", name, bulk=True)] == ["pass"]
    for sql in corruption:
        conn.execute(sql.replace("RUN", str(run_id)))  # type: ignore[arg-type]
    [result] = _run(conn, run_id, "batch", name, bulk=True)
    assert result.status == "fail", result.error
    assert result.violating_rows and result.violating_rows == len(result.sample) > 0


def test_a_first_load_reads_whole_tables_without_the_touched_key_sets() -> None:
    for check in CHECKS:
        sql = render(RENDERER, check, run_id=1, scope="batch", context={"bulk": True})
        code = "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))
        assert "staging.touched_" not in code, check.name


def test_whole_tables_are_read_without_order_date_bounds() -> None:
    """Reading whole tables (a first load, scope all), a check puts no order_date condition on
    core.orders or core.order_items: before a first load's ANALYZE, "order_date >= '-infinity'
    and order_date < 'infinity'" made the planner guess 0.5 % of each partition and probe an
    index once per order. A batch reads its touched months, bounded."""
    bounded = re.compile(r"\.order_date\s*(>=|<)\s*m\.range_")
    uses_months = [c for c in CHECKS if "in_range(" in c.path.read_text()]
    assert len(uses_months) >= 5
    for check in uses_months:
        whole = render(RENDERER, check, run_id=1, scope="batch", context={"bulk": True})
        batch = render(RENDERER, check, run_id=1, scope="batch")
        assert not bounded.search(whole), check.name
        assert bounded.search(batch), check.name


def test_planner_settings_apply_to_their_check_only(conn: psycopg.Connection, clean: tuple[str, int]) -> None:
    check = next(c for c in CHECKS if c.name == "order_item_keys_consistent")
    whole = render(RENDERER, check, run_id=clean[1], scope="batch", context={"bulk": True})
    assert settings(whole) == {"enable_hashjoin": "off"}
    assert settings(render(RENDERER, check, run_id=clean[1], scope="batch")) == {}
    # the one pass over lines and keys is a merge join of the two primary keys, no hash of either
    conn.execute("set local enable_hashjoin = off")
    plan = "\n".join(r[0] for r in conn.execute("explain (costs off) " + whole))  # type: ignore[operator]
    assert "Merge Full Join" in plan and "Hash" not in plan
    conn.execute("set local enable_hashjoin = on")
    [result] = _run(conn, clean[1], "batch", "order_item_keys_consistent", bulk=True)
    assert result.status == "pass"
    # restored after the check (set_config(..., true) would otherwise outlive the savepoint)
    assert conn.execute("select current_setting('enable_hashjoin')").fetchone() == ("on",)


def test_one_checks_planner_settings_never_reach_the_next(conn: psycopg.Connection) -> None:
    """planner_settings (the load's and bench/profile.py's way to run a check) puts the caller's
    values back, also when the check fails. bench/profile.py used to leave them set: the first
    load's row_counts, which turns hash joins and sorts off, then ran with merge joins off too
    (left by order_items_have_orders_and_products) and looped for minutes at scale 0.1."""
    setting = "select current_setting('enable_mergejoin'), current_setting('enable_sort')"
    one = "-- set: enable_mergejoin = off\nselect 1"
    with planner_settings(conn, one):
        assert conn.execute(setting).fetchone() == ("off", "on")
    assert conn.execute(setting).fetchone() == ("on", "on")
    with pytest.raises(psycopg.errors.DivisionByZero), planner_settings(conn, "-- set: enable_sort = off\n"):
        assert conn.execute(setting).fetchone() == ("on", "off")
        conn.execute("select 1 / 0")
    assert conn.execute(setting).fetchone() == ("on", "on")


def test_batch_checks_analyze_the_touched_key_sets(conn: psycopg.Connection, clean: tuple[str, int]) -> None:
    # the table as a load stage creates it, without statistics (pg_clear_relation_stats is PG 18+)
    conn.execute("create temporary table kept as select * from staging.touched_customers")
    conn.execute("drop table staging.touched_customers")
    conn.execute("create unlogged table staging.touched_customers as select * from kept")
    assert conn.execute(
        "select reltuples < 0 from pg_class where oid = 'staging.touched_customers'::regclass"
    ).fetchone() == (True,)
    _run(conn, clean[1], "batch", "customer_lifetime_reconcile")
    assert conn.execute(
        "select reltuples >= 0 from pg_class where oid = 'staging.touched_customers'::regclass"
    ).fetchone() == (True,)


def test_a_delivery_with_rejects_balances_and_only_warns(settings: Settings, tmp_path: Path) -> None:
    """Rejected lines of every kind (malformed, bad key, duplicate after a record spanning two lines,
    orphan) keep staged = accepted + rejected; their share (above 1%) is a warning, nothing more."""
    dirty = {
        **CLEAN,
        "customers": CLEAN["customers"] + '6,eve@example.com,Eve,E,"1 Main St\nApt 2",,,,,,,\n'
        + "5,ANN@example.com,Ann,Again,,,,,,,2023-01-01 00:00:00,\n",
        "orders": CLEAN["orders"] + "\n" + "\n".join([
            _order(104, 3, D2, "12:00:00", "Delivered", ""),
            "abc,1,2024-01-01 00:00:00,Delivered,,,,,,,,,,",
            "105,1",
        ]),
        "order_items": CLEAN["order_items"] + "1006,999,10,1,100.00,,\n1007,104,10,1,100.00,,\n",
    }
    result = run_load(settings, write_delivery(tmp_path / "dirty", dirty))
    assert result.status == "ok", result.error
    assert {k: sum(f["rejected"].values()) for k, f in result.files.items() if f["rejected"]} == {
        "customers": 1, "orders": 2, "order_items": 1
    }
    url = settings.database_url
    assert url
    with psycopg.connect(url) as c:
        for scope in ("batch", "all"):
            failing = {r.name: r for r in run_checks(c, RENDERER, run_id=result.run_id, scope=scope)
                       if r.status != "pass"}
            assert sorted(failing) == ["reject_share"], {n: r.sample for n, r in failing.items()}
            assert not blocking(failing.values())
            assert sorted(s["file_key"] for s in failing["reject_share"].sample) == ["customers", "order_items",
                                                                                    "orders"]
        c.rollback()


def test_totals_with_scope_all_also_compare_core(conn: psycopg.Connection, clean: tuple[str, int]) -> None:
    conn.execute("update core.orders set revenue = revenue + 1 where order_id = 100")
    [batch] = _run(conn, clean[1], "batch", "totals_reconcile")
    [whole] = _run(conn, clean[1], "all", "totals_reconcile")
    assert batch.status == "pass"  # the marts still agree with one another
    assert whole.status == "fail" and [s["source"] for s in whole.sample] == ["core.orders (counted)"]


def test_thresholds_come_from_the_context(conn: psycopg.Connection, clean: tuple[str, int]) -> None:
    assert DEFAULT_CONTEXT["freshness_hours"] == 48
    [fresh] = _run(conn, clean[1], "all", "newest_order_freshness")
    [stale] = _run(conn, clean[1], "all", "newest_order_freshness", freshness_hours=1)
    assert (fresh.status, stale.status) == ("pass", "fail")
    assert stale.sample[0]["freshness_hours"] == 1


# -- running inside a transaction ----------------------------------------------------------------


def test_a_check_that_errors_leaves_the_callers_transaction_usable(
    conn: psycopg.Connection, clean: tuple[str, int], tmp_path: Path
) -> None:
    folder = tmp_path / "checks"
    folder.mkdir()
    for name in ("_scope.sql", "30_daily_sales_reconcile.sql"):
        shutil.copy(CHECKS_DIR / name, folder)
    (folder / "20_broken.sql").write_text("-- Guards nothing: divides by zero.\n-- severity: error\n"
                                          "-- scope: table\nselect 1 / 0 as x\n")
    (folder / "25_template_typo.sql").write_text("-- Guards nothing.\n-- severity: warn\n-- scope: table\n"
                                                 "select {{ no_such_variable }} as x\n")
    conn.execute(f"update marts.daily_sales set revenue = revenue + 1 where sales_date = '{D2}'")
    results = run_checks(conn, Renderer(folder), run_id=clean[1], scope="batch")
    assert [(r.name, r.status) for r in results] == [
        ("broken", "error"), ("template_typo", "error"), ("daily_sales_reconcile", "fail")
    ]
    assert results[0].error and results[0].error.startswith("22012")
    assert [r.name for r in blocking(results)] == ["broken", "daily_sales_reconcile"]
    # still the caller's transaction, with its change: nothing was committed or rolled back
    assert conn.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS
    assert conn.execute(f"select revenue from marts.daily_sales where sales_date = '{D2}'").fetchone() == (76,)


def test_batch_scope_needs_a_run() -> None:
    with pytest.raises(ValueError, match="run_id"):
        run_checks(None, RENDERER, run_id=None, scope="batch")  # type: ignore[arg-type]


def test_results_are_recorded_and_the_latest_per_check_is_a_view(
    conn: psycopg.Connection, clean: tuple[str, int]
) -> None:
    # the load recorded its own results already; these come on top
    before = conn.execute("select count(*) from etl.check_results").fetchone()[0]  # type: ignore[index]
    first = _run(conn, clean[1], "batch", "shared_sku", "daily_sales_reconcile")
    record_results(conn, clean[1], first)
    conn.execute("update core.products set sku = 'SKU-10' where product_id = 11")
    second = _run(conn, None, "all", "shared_sku")
    record_results(conn, None, second)
    rows = conn.execute(
        "select check_name, status, violating_rows, scope, run_id, sample, needs_attention"
        " from etl.latest_check_results where check_name in ('shared_sku', 'daily_sales_reconcile')"
        " order by check_name"
    ).fetchall()
    assert rows == [
        ("daily_sales_reconcile", "pass", 0, "batch", clean[1], [], False),
        ("shared_sku", "fail", 1, "all", None, [{"sku": "SKU-10", "products": 2, "product_ids": [10, 11]}], True),
    ]
    assert conn.execute("select count(*) from etl.check_results").fetchone() == (before + 3,)


# -- batch scope reads only what the batch touched ----------------------------------------------


def _executed_partitions(plan: dict[str, Any], parent: str) -> set[str]:
    """Partitions of ``core.<parent>`` that a plan (EXPLAIN ANALYZE, JSON) actually scanned."""
    found: set[str] = set()

    def walk(node: dict[str, Any]) -> None:
        rel = node.get("Relation Name", "")
        if rel.startswith(parent + "_") and node.get("Actual Loops", 0) > 0:
            found.add(rel)
        for child in node.get("Plans", []):
            walk(child)

    walk(plan["Plan"])
    return found


def test_day_ranges_are_the_runs_of_touched_days_cut_at_month_ends(conn: psycopg.Connection) -> None:
    """daily_product_sales_reconcile reads core and the mart by these ranges and by nothing
    else: they must hold every touched day and no other, and never more than a month."""
    conn.execute("drop table if exists staging.touched_days")  # rolled back with the test
    conn.execute("create table staging.touched_days (sales_date date)")
    conn.execute("insert into staging.touched_days values ('2025-01-30'), ('2025-01-31'), ('2025-02-01'),"
                 " ('2025-02-01'), ('2025-02-02'), ('2025-02-05'), ('2025-03-31')")
    template = RENDERER.env.from_string(
        '{% from "_scope.sql" import day_ranges with context %}with m as ({{ day_ranges() }})'
        " select (range_start at time zone 'UTC')::{{ as_type }}, (range_end at time zone 'UTC')::{{ as_type }}"
        " from m order by 1")
    ranges = conn.execute(template.render(whole=False, as_type="date")).fetchall()  # type: ignore[arg-type]
    day = dt.date.fromisoformat
    assert ranges == [(day("2025-01-30"), day("2025-02-01")), (day("2025-02-01"), day("2025-02-03")),
                      (day("2025-02-05"), day("2025-02-06")), (day("2025-03-31"), day("2025-04-01"))]
    # reading whole tables: one range, the whole time line, as month_ranges
    whole = conn.execute(template.render(whole=True, as_type="text")).fetchall()  # type: ignore[arg-type]
    assert whole == [("-infinity", "infinity")]


def test_batch_scope_reads_only_the_touched_months_partitions(settings: Settings, tmp_path: Path) -> None:
    url = settings.database_url
    assert url
    first = load_rows(settings, tmp_path, CLEAN, base=False, name="first")
    assert first.status == "ok"
    # the second batch changes one order of D2: it touches that day only
    second = run_load(settings, write_delivery(tmp_path / "second", {
        "orders": _order(103, 2, D2, "09:00:00", "Shipped", "75.00"),
    }))
    assert second.status == "ok" and second.run_id is not None
    assert query(url, "select sales_date from staging.touched_days") == [(D2,)]
    month = f"{D2:%Y}m{D2:%m}"
    assert query(url, "select count(*) from core.order_partitions where parent_table = 'orders'")[0][0] >= 3

    check = next(c for c in CHECKS if c.name == "daily_sales_reconcile")
    sql = render(RENDERER, check, run_id=second.run_id, scope="batch")
    lines = next(c for c in CHECKS if c.name == "daily_product_sales_reconcile")
    with psycopg.connect(url) as c:
        [[plan]] = c.execute("explain (analyze, format json) " + sql).fetchone()  # type: ignore[misc]
        assert _executed_partitions(plan, "orders") == {f"orders_y{month}"}
        assert _executed_partitions(plan, "order_items") == set()  # its units come from the product mart
        [[plan]] = c.execute(
            "explain (analyze, format json) " + render(RENDERER, lines, run_id=second.run_id, scope="batch")
        ).fetchone()  # type: ignore[misc]
        assert _executed_partitions(plan, "orders") == {f"orders_y{month}"}
        assert _executed_partitions(plan, "order_items") == {f"order_items_y{month}"}
        [[whole]] = c.execute(
            "explain (analyze, format json) " + render(RENDERER, check, run_id=second.run_id, scope="all")
        ).fetchone()  # type: ignore[misc]
        assert len(_executed_partitions(whole, "orders")) >= 2

        # every check passes on the second batch; one corrupted on an untouched day is out of its sight
        c.execute("select 1")
        assert [r.name for r in run_checks(c, RENDERER, run_id=second.run_id, scope="batch") if r.status != "pass"] == []
        c.execute(f"update marts.daily_sales set revenue = revenue + 1 where sales_date = '{D_OLD}'")
        [batch] = run_checks(c, RENDERER, run_id=second.run_id, scope="batch", only=["daily_sales_reconcile"])
        [whole_result] = run_checks(c, RENDERER, run_id=second.run_id, scope="all", only=["daily_sales_reconcile"])
        assert (batch.status, whole_result.status) == ("pass", "fail")
        assert whole_result.sample[0]["sales_date"] == str(D_OLD)
        c.rollback()


#: the checks of order lines, each with a corruption of one line (LINE)
LINE_CORRUPTIONS = {
    "order_item_keys_consistent": "update core.order_item_keys set order_id = 102 where order_item_id = LINE",
    "order_items_have_orders_and_products": "update core.order_items set product_id = 999 where order_item_id = LINE",
}


@pytest.mark.parametrize("name", sorted(LINE_CORRUPTIONS))
def test_batch_scope_reads_the_lines_the_batch_wrote(settings: Settings, tmp_path: Path, name: str) -> None:
    """Lines and their keys are written by stage 37 (an order moves to another order_date) and
    stage 38 (a new, changed or departed line) only: the checks of lines read the lines of those
    orders, and leave those of an order whose status alone changed (updated in place, its lines
    and their keys as they were)."""
    url = settings.database_url
    assert url
    assert load_rows(settings, tmp_path, CLEAN, base=False, name="first").status == "ok"
    second = run_load(settings, write_delivery(tmp_path / "second", {
        "orders": "\n".join([
            _order(100, 1, D_OLD, "10:00:00", "Delivered", "210.00"),  # gains line 1006
            _order(101, 1, D_OLD, "10:00:00", "Shipped", "1025.00"),  # moves from D1 to D_OLD's month
            _order(103, 2, D2, "09:00:00", "Shipped", "75.00"),  # its status alone changes
        ]),
        "order_items": "1006,100,13,1,10.00,,10.00\n",
    }))
    assert second.status == "ok" and second.run_id is not None
    assert query(url, "select order_id, order_date from core.order_item_keys where order_item_id = 1001") == [
        (101, dt.datetime.combine(D_OLD, dt.time(10), dt.UTC))
    ]

    with psycopg.connect(url) as c:
        assert [r.status for r in _run(c, second.run_id, "batch", name)] == ["pass"]
        for line, order in ((1001, "moved"), (1006, "new line"), (1000, "gained a line")):
            c.execute(LINE_CORRUPTIONS[name].replace("LINE", str(line)))  # type: ignore[arg-type]
            [result] = _run(c, second.run_id, "batch", name)
            assert (result.status, [s["order_item_id"] for s in result.sample]) == ("fail", [line]), order
            c.rollback()
        # a line of the order whose status alone changed: not written, so not read by the batch
        c.execute(LINE_CORRUPTIONS[name].replace("LINE", "1004"))  # type: ignore[arg-type]
        [batch], [whole] = _run(c, second.run_id, "batch", name), _run(c, second.run_id, "all", name)
        assert (batch.status, whole.status) == ("pass", "fail")
        c.rollback()


# -- gating a load -----------------------------------------------------------------------------------


def test_a_failing_error_check_leaves_the_published_data_as_before_the_batch(
    settings: Settings, tmp_path: Path
) -> None:
    url = settings.database_url
    assert url
    assert load_rows(settings, tmp_path, CLEAN, base=False, name="first").status == "ok"
    # someone breaks the mart of D2; the next batch touches that day, so its checks see it
    _execute(url, f"update marts.daily_sales set revenue = revenue + 1 where sales_date = '{D2}'")
    before = {t: query(url, f"select * from {t} order by 1") for t in (
        "core.orders", "core.order_items", "marts.daily_sales", "marts.customer_lifetime")}

    second = run_load(settings, write_delivery(tmp_path / "second", {
        "orders": _order(103, 2, D2, "09:00:00", "Shipped", "75.00"),
    }))
    assert second.status == "failed" and second.error and "daily_sales_reconcile" in second.error
    assert {t: query(url, f"select * from {t} order by 1") for t in before} == before
    recorded = query(url, "select check_name, status from etl.check_results where run_id = %s and status <> 'pass'",
                     second.run_id)
    # the mart no longer adds up: per day, against the root categories, and overall
    assert sorted(recorded) == [("category_rollup", "fail"), ("daily_sales_reconcile", "fail"),
                                ("totals_reconcile", "fail")]


# -- shopetl check ---------------------------------------------------------------------------------


def _execute(url: str, sql: str) -> None:
    with psycopg.connect(url) as c:
        c.execute(sql)  # type: ignore[arg-type]


def _cli(settings: Settings, *argv: str) -> int:
    parser = argparse.ArgumentParser(prog="shopetl")
    checks_cmd.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["check", *argv])
    return int(args.func(args, settings))


def test_shopetl_check_prints_stores_and_exits_1_on_an_error_check(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = settings.database_url
    assert url
    result = load_rows(settings, tmp_path, CLEAN, base=False)
    recorded_by_load = query(url, "select count(*) from etl.check_results")[0][0]
    assert _cli(settings) == 0
    out = capsys.readouterr().out
    assert "daily_sales_reconcile" in out and "pass" in out and "0 error-severity failing" in out

    # a warning is reported but does not fail the command
    _execute(url, "update core.products set sku = 'SKU-10' where product_id = 11")
    assert _cli(settings, "--run", str(result.run_id)) == 0
    out = capsys.readouterr().out
    assert "fail (warn)" in out and "SKU-10" in out

    _execute(url, f"update marts.daily_sales set revenue = revenue + 1 where sales_date = '{D2}'")
    assert _cli(settings, "--scope", "batch", "--json") == 1
    reported = {r["check"]: r for r in json.loads(capsys.readouterr().out)}
    assert reported["daily_sales_reconcile"]["status"] == "fail"
    assert reported["daily_sales_reconcile"]["scope"] == "batch"

    latest = dict(query(url, "select check_name, status from etl.latest_check_results"))
    assert latest["daily_sales_reconcile"] == "fail" and latest["shared_sku"] == "fail"
    assert query(url, "select count(*) from etl.check_results where run_id is not null") == [
        (recorded_by_load + 2 * len(NAMES),)
    ]


def test_shopetl_check_refuses_batch_scope_for_an_older_run(settings: Settings, tmp_path: Path) -> None:
    from shopetl.errors import ShopetlError

    first = load_rows(settings, tmp_path, CLEAN, base=False, name="first")
    load_rows(settings, tmp_path, {"customers": "4,dee@example.com,Dee,D,,,,,,,2023-01-01 00:00:00,"},
              base=False, name="second")
    with pytest.raises(ShopetlError, match="latest run"):
        _cli(settings, "--scope", "batch", "--run", str(first.run_id))
    with pytest.raises(ShopetlError, match="no run 999"):
        _cli(settings, "--run", "999")
    with pytest.raises(ShopetlError, match="no check named nonsense"):
        _cli(settings, "--check", "nonsense")


def test_shopetl_check_show_prints_each_checks_sql_for_psql_and_runs_nothing(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = settings.database_url
    assert url
    result = load_rows(settings, tmp_path, CLEAN, base=False)
    _execute(url, f"update marts.daily_sales set revenue = revenue + 1 where sales_date = '{D2}'")
    stored = query(url, "select count(*) from etl.check_results")

    assert _cli(settings, "--show", "--scope", "batch", "--check", "daily_sales_reconcile",
                "--check", "order_total_mismatch") == 0
    script = capsys.readouterr().out
    assert query(url, "select count(*) from etl.check_results") == stored  # nothing run, nothing stored
    # one script per file: the file that also judges order_total_mismatch is shown once, by its own name
    assert script.count("begin;") == 2 and script.count("rollback;") == 2
    assert f"-- check daily_sales_reconcile (30_daily_sales_reconcile.sql), scope batch, run {result.run_id}" in script
    assert "-- check order_revenue_is_sum_of_lines, order_total_mismatch (22_" in script

    # what a DBA pastes into psql: the daily check's query gives its violating row
    blocks = {b.split(" (", 1)[0]: b for b in script.removeprefix("-- check ").split("\n-- check ")}
    query_sql = blocks["daily_sales_reconcile"].split("begin;\n", 1)[1].rsplit(";\nrollback;", 1)[0]
    with psycopg.connect(url) as c:
        rows = c.execute(query_sql).fetchall()  # type: ignore[arg-type]
    assert [r[0] for r in rows] == [D2]

    from shopetl.errors import ShopetlError

    with pytest.raises(ShopetlError, match="no check named nonsense"):
        _cli(settings, "--show", "--check", "nonsense")


def test_a_check_with_planner_settings_is_shown_with_set_local(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from shopetl.checks import settings as check_settings

    load_rows(settings, tmp_path, CLEAN, base=False)
    assert _cli(settings, "--show", "--check", "order_item_keys_consistent") == 0
    script = capsys.readouterr().out
    wanted = check_settings(script)
    assert wanted  # scope all: this check asks the planner for a merge join
    assert "".join(f"set local {k} = {v};\n" for k, v in wanted.items()) in script
