"""Small deliveries written in the tests, and ways to look at what a load did."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import psycopg

from shopetl.config import Settings
from shopetl.load import LoadResult, load

HEADERS = {
    "product_categories": "category_id,name,description,parent_id,created_at",
    "products": "product_id,name,description,price,cost,category_id,sku,inventory_count,weight,created_at,is_active",
    "customers": "customer_id,email,first_name,last_name,street_address,city,state,zip_code,country,phone,"
    "registration_date,last_login",
    "orders": "order_id,customer_id,order_date,status,payment_method,shipping_address,shipping_city,shipping_state,"
    "shipping_zip,shipping_country,processing_date,shipping_date,delivery_date,total_amount",
    "order_items": "order_item_id,order_id,product_id,quantity,price,discount,total",
}

#: A minimal valid world most tests start from: a tree of three categories, two products,
#: two customers, no orders.
BASE = {
    "product_categories": """
        1,Electronics,,,2023-01-01 00:00:00
        2,Phones,,1,2023-01-01 00:00:00
        3,Laptops,,1,2023-01-01 00:00:00
    """,
    "products": """
        10,Phone,,100.00,60.00,2,SKU-10,5,0.2,2023-01-01 00:00:00,True
        11,Laptop,,1000.00,700.00,3,SKU-11,2,1.5,2023-01-01 00:00:00,True
    """,
    "customers": """
        1,ann@example.com,Ann,A,,,,,,,2023-01-01 00:00:00,
        2,bob@example.com,Bob,B,,,,,,,2023-01-01 00:00:00,
    """,
}


def write_delivery(folder: Path, files: dict[str, str], headers: dict[str, str] | None = None) -> Path:
    """Write CSV files: ``files`` maps file name (or key) to rows without the header."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in files.items():
        key = name.removeprefix("sample_").split(".")[0]
        header = (headers or {}).get(key, HEADERS[key])
        body = textwrap.dedent(rows).strip("\n")
        path = folder / (name if name.endswith((".csv", ".gz")) else f"{name}.csv")
        path.write_text(header + "\n" + (body + "\n" if body else ""), encoding="utf-8")
    return folder


def run_load(settings: Settings, folder: Path, threshold: float = 1.0) -> LoadResult:
    return load(settings.with_(reject_threshold=threshold), folder, show_progress=False)


def load_rows(
    settings: Settings, tmp_path: Path, files: dict[str, str], *, base: bool = True, name: str = "batch"
) -> LoadResult:
    """Load ``files`` (on top of BASE unless base=False) as one delivery."""
    delivery = {**(BASE if base else {}), **files}
    return run_load(settings, write_delivery(tmp_path / name, delivery))


def rejects(url: str, run_id: int | None = None) -> list[tuple[str, int, str]]:
    """(file_key, line_no, reason) of the rejected rows, in file and line order."""
    with psycopg.connect(url) as conn:
        return [
            tuple(r)  # type: ignore[misc]
            for r in conn.execute(
                "select file_key, line_no::int, reason from etl.rejects"
                " where %(run)s::bigint is null or run_id = %(run)s order by file_key, line_no",
                {"run": run_id},
            )
        ]


def query(url: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(url, options="-c TimeZone=UTC") as conn:
        return [tuple(r) for r in conn.execute(sql, params)]  # type: ignore[arg-type]


def plan_by_index(url: str, table: str, sql: str) -> str:
    """EXPLAIN of ``sql`` with ``table`` vacuumed (all-visible, as a load leaves it) and scans
    that read no index ruled out: whether an index-only scan answers it."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"vacuum {table}")
        conn.execute("set enable_seqscan = off")
        conn.execute("set enable_bitmapscan = off")
        return "\n".join(r[0] for r in conn.execute("explain (costs off) " + sql))
