"""The contract's business rules, asserted as exact figures: revenue to the cent, lifetime
values, daily aggregates, the category roll-up, UTC days, and which rows win."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from decimal import Decimal as D
from pathlib import Path

import pytest

from shopetl.config import Settings
from shopetl.errors import RefusedInput

from .etl_helpers import BASE, load_rows, query, rejects, run_load, write_delivery

# Categories: 1 Electronics > 2 Phones > 4 Smartphones; 1 > 3 Laptops. Products: 10 Phone (2),
# 11 Laptop (3), 12 Smartphone (4).
TREE = {
    "product_categories": """
        1,Electronics,,,
        2,Phones,,1,
        3,Laptops,,1,
        4,Smartphones,,2,
    """,
    "products": """
        10,Phone,,100.00,,2,S10,,,,
        11,Laptop,,1000.00,,3,S11,,,,
        12,Smartphone,,300.00,,4,S12,,,,
    """,
}

SALES = {
    **TREE,
    "orders": """
        100,1,2024-01-01 10:00:00,Delivered,,,,,,,,,,
        101,1,2024-01-01 23:30:00-02:00,Shipped,,,,,,,,,,
        102,2,2024-01-01 12:00:00,Cancelled,,,,,,,,,,
        103,2,2024-01-01 13:00:00,Returned,,,,,,,,,,
        104,2,2024-01-01T22:15:00Z,Pending,,,,,,,,,,
    """,
    "order_items": """
        1000,100,10,2,100.00,0.50,199.50
        1001,100,12,1,300.00,,300.00
        1002,101,11,1,1000.00,100.00,900.00
        1003,102,11,1,1000.00,,
        1004,103,10,5,100.00,,
        1005,104,12,3,299.99,0.03,899.94
    """,
}


@pytest.fixture
def sales(settings: Settings, db_url: str, tmp_path: Path) -> str:
    result = load_rows(settings, tmp_path, SALES)
    assert result.status == "ok", result.error
    assert rejects(db_url) == []
    return db_url


def test_line_and_order_revenue(sales: str) -> None:
    assert query(sales, "select order_item_id, revenue from core.order_items order by 1") == [
        (1000, D("199.50")), (1001, D("300.00")), (1002, D("900.00")),
        (1003, D("1000.00")), (1004, D("500.00")), (1005, D("899.94")),
    ]
    assert query(sales, "select order_id, revenue from core.orders order by 1") == [
        (100, D("499.50")), (101, D("900.00")), (102, D("1000.00")), (103, D("500.00")), (104, D("899.94")),
    ]


def test_a_day_is_the_utc_day_of_order_date(sales: str) -> None:
    # 101 was placed 2024-01-01 23:30 at -02:00, i.e. 2024-01-02 01:30 UTC
    assert query(sales, "select order_id, order_date::text from core.orders where order_id in (101, 104) order by 1") == [
        (101, "2024-01-02 01:30:00+00"), (104, "2024-01-01 22:15:00+00"),
    ]
    assert query(sales, "select sales_date::text, orders, units, revenue from marts.daily_sales order by 1") == [
        ("2024-01-01", 2, 6, D("1399.44")),  # 100 and 104; 102 Cancelled and 103 Returned do not count
        ("2024-01-02", 1, 1, D("900.00")),
    ]


def test_daily_product_sales_count_only_counted_orders(sales: str) -> None:
    assert query(sales, "select sales_date::text, product_id, units, orders, revenue from marts.daily_product_sales order by 1, 2") == [
        ("2024-01-01", 10, 2, 1, D("199.50")),
        ("2024-01-01", 12, 4, 2, D("1199.94")),
        ("2024-01-02", 11, 1, 1, D("900.00")),
    ]


def test_category_sales_include_all_descendants(sales: str) -> None:
    assert query(sales, "select sales_date::text, category_id, units, orders, revenue from marts.daily_category_sales order by 1, 2") == [
        ("2024-01-01", 1, 6, 2, D("1399.44")),  # order 100 has lines in 2 and 4: one order of 1 and of 2
        ("2024-01-01", 2, 6, 2, D("1399.44")),
        ("2024-01-01", 4, 4, 2, D("1199.94")),
        ("2024-01-02", 1, 1, 1, D("900.00")),
        ("2024-01-02", 3, 1, 1, D("900.00")),
    ]
    assert query(sales, "select ancestor_id, descendant_id, depth from marts.category_closure where descendant_id = 4 order by 1") == [
        (1, 4, 2), (2, 4, 1), (4, 4, 0),
    ]


def test_customer_lifetime_value(sales: str) -> None:
    assert query(
        sales,
        "select customer_id, lifetime_value, order_count, first_order_at::text, last_order_at::text,"
        " average_order_value from marts.customer_lifetime order by 1",
    ) == [
        (1, D("1399.50"), 2, "2024-01-01 10:00:00+00", "2024-01-02 01:30:00+00", D("699.75")),
        (2, D("899.94"), 1, "2024-01-01 22:15:00+00", "2024-01-01 22:15:00+00", D("899.94")),
    ]


def test_a_status_change_moves_revenue_between_days_and_customers(
    settings: Settings, sales: str, tmp_path: Path
) -> None:
    result = load_rows(settings, tmp_path, {"orders": """
        100,1,2024-01-01 10:00:00,Returned,,,,,,,,,,
        102,2,2024-01-01 12:00:00,Delivered,,,,,,,,,,
        101,2,2024-01-03 09:00:00,Shipped,,,,,,,,,,
    """}, base=False, name="second")
    assert result.status == "ok"
    assert query(sales, "select sales_date::text, orders, revenue from marts.daily_sales order by 1") == [
        ("2024-01-01", 2, D("1899.94")), ("2024-01-03", 1, D("900.00")),
    ]
    assert query(sales, "select customer_id, lifetime_value, order_count from marts.customer_lifetime order by 1") == [
        (1, D("0"), 0), (2, D("2799.94"), 3),
    ]
    # the lines of 101 moved with their order into January 3rd's partition and day
    assert query(sales, "select order_item_id, order_date::date::text from core.order_items where order_id = 101") == [
        (1002, "2024-01-03"),
    ]
    assert query(sales, "select sales_date::text, category_id, revenue from marts.daily_category_sales where category_id = 3 order by 1") == [
        ("2024-01-01", 3, D("1000.00")), ("2024-01-03", 3, D("900.00")),
    ]


def test_later_line_wins_within_a_file(settings: Settings, db_url: str, tmp_path: Path) -> None:
    load_rows(settings, tmp_path, {
        "orders": """
            100,1,2024-01-01 10:00:00,Pending,,,,,,,,,,
            100,2,2024-01-05 10:00:00,Delivered,,,,,,,,,,
        """,
        "order_items": """
            1000,100,10,1,100.00,,
            1000,100,11,2,1000.00,,
        """,
    })
    assert query(db_url, "select order_id, customer_id, status::text, revenue from core.orders") == [
        (100, 2, "Delivered", D("2000.00")),
    ]
    assert query(db_url, "select order_item_id, product_id, quantity from core.order_items") == [(1000, 11, 2)]


def test_later_batch_wins_and_a_replaced_item_is_replaced_whole(
    settings: Settings, db_url: str, tmp_path: Path
) -> None:
    load_rows(settings, tmp_path, {
        "orders": """
            100,1,2024-01-01 10:00:00,Delivered,,,,,,,,,,
            101,1,2024-02-01 10:00:00,Delivered,,,,,,,,,,
        """,
        "order_items": "1000,100,10,1,100.00,10.00,90.00",
    }, name="first")
    load_rows(settings, tmp_path, {
        "products": "10,Phone v2,,120.00,,2,S10,,,,",
        "order_items": "1000,101,11,1,1000.00,,",
    }, base=False, name="second")
    assert query(db_url, "select order_item_id, order_id, order_date::date::text, product_id, discount, total from core.order_items") == [
        (1000, 101, "2024-02-01", 11, D("0.00"), None),
    ]
    assert query(db_url, "select order_id, revenue from core.orders order by 1") == [(100, D("0.00")), (101, D("1000.00"))]
    assert query(db_url, "select price, name from core.products where product_id = 10") == [(D("120.00"), "Phone v2")]
    # order 100 lost its only line: still a counted order, now worth 0
    assert query(db_url, "select sales_date::text, orders, revenue from marts.daily_sales order by 1") == [
        ("2024-01-01", 1, D("0.00")), ("2024-02-01", 1, D("1000.00")),
    ]


def test_redelivering_a_batch_changes_nothing(settings: Settings, db_url: str, tmp_path: Path) -> None:
    load_rows(settings, tmp_path, SALES, name="first")
    before = _snapshot(db_url)
    load_rows(settings, tmp_path, SALES, name="again")
    assert _snapshot(db_url) == before


def _snapshot(url: str) -> dict[str, list[tuple[object, ...]]]:
    tables = {
        "core.product_categories": "category_id", "core.products": "product_id", "core.customers": "customer_id",
        "core.orders": "order_id", "core.order_items": "order_item_id", "marts.daily_sales": "sales_date",
        "marts.daily_product_sales": "sales_date, product_id", "marts.daily_category_sales": "sales_date, category_id",
        "marts.customer_lifetime": "customer_id", "marts.category_closure": "ancestor_id, descendant_id",
        "marts.product_sales_totals": "product_id",
    }
    return {t: query(url, f"select * from {t} order by {k}") for t, k in tables.items()}


def test_text_is_trimmed_and_email_lower_cased(settings: Settings, db_url: str, tmp_path: Path) -> None:
    load_rows(settings, tmp_path, {"customers": '1,  Ann.Smith@Example.COM ,  Ann  ,"  Smith",,"  Paris ",,01234,,,,'})
    assert query(db_url, "select email, first_name, last_name, city, zip_code from core.customers") == [
        ("ann.smith@example.com", "Ann", "Smith", "Paris", "01234"),
    ]


def test_missing_required_column_refuses_the_whole_batch(settings: Settings, db_url: str, tmp_path: Path) -> None:
    folder = write_delivery(tmp_path / "bad", {
        **BASE,
        "orders": "100,1,Pending",
    }, headers={"orders": "order_id,customer_id,status"})
    with pytest.raises(RefusedInput, match=r"orders.csv has no column 'order_date' \(line 1\)"):
        run_load(settings, folder)
    assert query(db_url, "select count(*) from core.customers") == [(0,)]
    assert query(db_url, "select status from etl.runs") == [("refused",)]


def test_unknown_column_is_ignored_and_columns_match_by_name_in_any_order(
    settings: Settings, db_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = write_delivery(tmp_path / "d", {
        **BASE,
        "orders": "Delivered,2024-01-01 10:00:00,gift,1,100",
    }, headers={"orders": "status,order_date,wrapping,customer_id,order_id"})
    result = run_load(settings, folder)
    assert result.status == "ok"
    assert "column 'wrapping' is not in the data contract" in caplog.text
    assert query(db_url, "select order_id, customer_id, status::text from core.orders") == [(100, 1, "Delivered")]


def test_gzip_and_sample_prefix(settings: Settings, db_url: str, tmp_path: Path) -> None:
    folder = write_delivery(tmp_path / "d", {f"sample_{k}": v for k, v in BASE.items()})
    src = folder / "sample_customers.csv"
    (folder / "sample_customers.csv.gz").write_bytes(gzip.compress(src.read_bytes()))
    src.unlink()
    result = run_load(settings, folder)
    assert set(result.files) == {"product_categories", "products", "customers"}
    assert query(db_url, "select count(*) from core.customers") == [(2,)]


def test_line_numbers_count_line_breaks_inside_quoted_fields(settings: Settings, db_url: str, tmp_path: Path) -> None:
    load_rows(settings, tmp_path, {"customers": '''
        1,ann@example.com,Ann,A,"1 Main St
        Apt 2
        Back door",,,,,,,
        2,bob@example.com,Bob,B,,,,,,,,
        3,no-at-sign,Cy,C,,,,,,,,
    '''})
    # header 1, Ann 2-4, Bob 5, Cy 6
    assert rejects(db_url) == [("customers", 6, "bad_value")]


def test_reject_threshold_keeps_the_core_tables_unchanged(settings: Settings, db_url: str, tmp_path: Path) -> None:
    folder = write_delivery(tmp_path / "d", {**BASE, "orders": """
        100,1,2024-01-01 10:00:00,Delivered,,,,,,,,,,
        101,1,2024-01-01 10:00:00,Lost,,,,,,,,,,
    """})
    result = run_load(settings, folder, threshold=0.05)
    assert result.status == "failed"
    assert "orders: 1 of 2 rows rejected" in (result.error or "")
    assert query(db_url, "select count(*) from core.orders") == [(0,)]
    assert query(db_url, "select count(*) from core.customers") == [(0,)]
    assert rejects(db_url) == [("orders", 3, "bad_value")]


def test_cli_json_summary_and_exit_codes(db_url: str, tmp_path: Path) -> None:
    import textwrap

    orders = textwrap.dedent(SALES["orders"]) + "105,1,1999-01-01 00:00:00,Pending,,,,,,,,,,\n"
    folder = write_delivery(tmp_path / "d", {**BASE, **SALES, "orders": orders})
    env = {"DATABASE_URL": db_url, "PATH": "/usr/bin:/bin"}
    ok = subprocess.run(
        [sys.executable, "-m", "shopetl", "load", str(folder), "--json", "--threshold", "0.5"],
        capture_output=True, text=True, env=env,
    )
    assert ok.returncode == 0, ok.stderr
    summary = json.loads(ok.stdout)
    assert summary["status"] == "ok"
    assert summary["files"]["orders"] == {"rows": 6, "accepted": 5, "rejected": {"out_of_range": 1}}
    assert summary["files"]["order_items"] == {"rows": 6, "accepted": 6, "rejected": {}}
    assert summary["revenue_total"] == "2299.44"
    assert isinstance(summary["run_id"], int) and summary["duration_s"] > 0

    refused = write_delivery(tmp_path / "r", {"orders": "1"}, headers={"orders": "order_id"})
    bad = subprocess.run(
        [sys.executable, "-m", "shopetl", "load", str(refused), "--json"], capture_output=True, text=True, env=env
    )
    assert bad.returncode == 3
    assert json.loads(bad.stdout)["status"] == "refused"
    assert "orders.csv has no column 'customer_id'" in bad.stderr

    again = subprocess.run(
        [sys.executable, "-m", "shopetl", "load", str(folder), "--json"], capture_output=True, text=True, env=env
    )
    assert again.returncode == 0
    assert json.loads(again.stdout)["skipped"] == {k: summary["run_id"] for k in summary["files"]}
    assert "loaded already by run" in again.stderr

    failed = subprocess.run(
        [sys.executable, "-m", "shopetl", "load", str(folder), "--json", "--threshold", "0.01", "--force"],
        capture_output=True, text=True, env=env,
    )
    assert failed.returncode == 1
    assert json.loads(failed.stdout)["status"] == "failed"
