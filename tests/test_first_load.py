"""The first load into empty order tables (stages 36 and 48) leaves exactly the migrated schema,
refuses a database whose order tables or daily marts are not empty when they should be, and
the embedded server's settings are sized for the machine."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pglast
import psycopg
import pytest

from shopetl import embedded
from shopetl.config import Settings

from .conftest import SQL_DIR
from .etl_helpers import BASE, query, run_load, write_delivery
from .test_incremental import BATCH_1, BATCH_2

#: Indexes and constraints (with deferrability and whether they are validated) of the tables
#: a first load drops and rebuilds, by name.
SCHEMA = """
select 'index' as kind, indexrelid::regclass::text as name, pg_get_indexdef(indexrelid) as definition
from pg_index
where indrelid::regclass::text in ('core.orders', 'core.order_items', 'core.order_keys', 'core.order_item_keys',
                                   'marts.daily_product_sales', 'marts.monthly_product_sales',
                                   'marts.daily_category_sales')
union all
select 'constraint', conrelid::regclass::text || '.' || conname,
       pg_get_constraintdef(oid) || case when convalidated then '' else ' NOT VALID' end
       || case when condeferred then ' deferred' else '' end
from pg_constraint
-- conparentid = 0: the constraints as declared, not their copies on each (new) partition
-- (the default partitions: a line partition's own foreign key to its twin, migration 0041)
where conparentid = 0 and conrelid::regclass::text in ('core.orders', 'core.order_items', 'core.order_keys', 'core.order_item_keys',
                                   'core.orders_default', 'core.order_items_default',
                                   'marts.daily_product_sales', 'marts.monthly_product_sales',
                                   'marts.daily_category_sales')
order by 1, 2
"""


def test_a_first_load_leaves_the_migrated_indexes_and_constraints(
    settings: Settings, db_url: str, second_db_url: str, tmp_path: Path
) -> None:
    migrated = query(second_db_url, SCHEMA)
    assert any(kind == "constraint" and "FOREIGN KEY" in d for kind, _, d in migrated)
    assert run_load(settings, write_delivery(tmp_path / "b1", BATCH_1)).status == "ok"  # a first load (bulk)
    assert query(db_url, "select count(*) from core.order_item_keys") == [(4,)]
    assert query(db_url, SCHEMA) == migrated
    assert run_load(settings, write_delivery(tmp_path / "b2", BATCH_2)).status == "ok"  # a later batch
    assert query(db_url, SCHEMA) == migrated


#: Every table and materialized view of core and marts (partitions through their parents).
CORE_AND_MARTS = """
select c.oid::regclass::text
from pg_class as c
where c.relnamespace in ('core'::regnamespace, 'marts'::regnamespace)
  and c.relkind in ('r', 'p', 'm') and not c.relispartition
order by 1
"""

#: Tables of core and marts (partitions included) with pages not marked all-visible.
NOT_ALL_VISIBLE = """
select c.oid::regclass::text, c.relpages, c.relallvisible
from pg_class as c
where c.relnamespace in ('core'::regnamespace, 'marts'::regnamespace)
  and c.relkind in ('r', 'm') and c.relallvisible < c.relpages
order by 1
"""


def test_the_vacuum_stage_names_every_core_and_mart_table(db_url: str) -> None:
    [statement] = pglast.parse_sql((SQL_DIR / "transforms" / "55_vacuum.sql").read_text())
    named = [f"{r.relation.schemaname}.{r.relation.relname}" for r in statement.stmt.rels]
    assert sorted(named) == [name for (name,) in query(db_url, CORE_AND_MARTS)]
    assert [o.defname for o in statement.stmt.options] == ["freeze"]


def test_a_first_load_vacuums_what_it_filled_and_a_batch_leaves_that_to_autovacuum(
    settings: Settings, db_url: str, tmp_path: Path
) -> None:
    assert run_load(settings, write_delivery(tmp_path / "b1", BATCH_1)).status == "ok"  # a first load
    assert query(db_url, "select is_full_load from etl.runs") == [(True,)]
    assert query(db_url, "select stage from etl.run_stages where stage = 'vacuum'") == [("vacuum",)]
    assert query(db_url, "select count(*) from core.orders") != [(0,)]
    assert query(db_url, NOT_ALL_VISIBLE) == []  # every page of every table marked visible
    assert run_load(settings, write_delivery(tmp_path / "b2", BATCH_2)).status == "ok"  # a later batch
    assert query(db_url, "select is_full_load from etl.runs order by run_id") == [(True,), (False,)]
    assert query(db_url, "select run_id from etl.run_stages where stage = 'vacuum'") == [(1,)]


#: Each partition of core.order_items and the table its foreign key on (order_id, order_date) references.
LINE_PARTITION_KEYS = """
select l.relname::text, k.confrelid::regclass::text, k.convalidated, k.condeferred
from pg_inherits as i
inner join pg_class as l on i.inhrelid = l.oid
left join pg_constraint as k on k.conrelid = l.oid and k.conname = 'order_items_order_fk'
where i.inhparent = 'core.order_items'::regclass
order by 1
"""


def test_each_line_partition_references_its_twin_orders_partition(
    settings: Settings, db_url: str, tmp_path: Path
) -> None:
    # the rule "a line's order exists" holds between twin partitions (migration 0041): after a
    # first load (which rebuilds the keys) and after a batch that creates a new month
    assert run_load(settings, write_delivery(tmp_path / "b1", BATCH_1)).status == "ok"
    assert run_load(settings, write_delivery(tmp_path / "b2", BATCH_2)).status == "ok"  # March is new
    assert query(db_url, LINE_PARTITION_KEYS) == [
        ("order_items_default", "core.orders_default", True, True),
        ("order_items_y2024m01", "core.orders_y2024m01", True, True),
        ("order_items_y2024m02", "core.orders_y2024m02", True, True),
        ("order_items_y2024m03", "core.orders_y2024m03", True, True),
    ]
    # and not between the partitioned tables any more
    assert query(db_url, "select count(*) from pg_constraint where conrelid = 'core.order_items'::regclass"
                         " and confrelid = 'core.orders'::regclass") == [(0,)]


@pytest.mark.parametrize(
    ("order_id", "order_date"),
    [(999, "2024-01-01 10:00:00+00"),  # no such order
     (100, "2024-01-02 10:00:00+00"),  # order 100 exists, but not at that order_date
     (102, "2024-01-01 10:00:00+00")],  # order 102 exists in February, not in this month
)
def test_a_line_whose_order_is_not_there_is_refused(
    settings: Settings, db_url: str, tmp_path: Path, order_id: int, order_date: str
) -> None:
    assert run_load(settings, write_delivery(tmp_path / "b1", BATCH_1)).status == "ok"
    with psycopg.connect(db_url) as conn, pytest.raises(
        psycopg.errors.ForeignKeyViolation, match="order_items_order_fk"
    ):
        conn.execute(
            "insert into core.order_items (order_item_id, order_id, order_date, product_id, quantity, price, batch_id)"
            " values (5000, %s, %s, 10, 1, 1.00, 0)", (order_id, order_date))
        conn.commit()  # the key is checked at commit (deferred)


def test_an_order_with_lines_cannot_be_deleted(settings: Settings, db_url: str, tmp_path: Path) -> None:
    assert run_load(settings, write_delivery(tmp_path / "b1", BATCH_1)).status == "ok"
    with psycopg.connect(db_url) as conn, pytest.raises(
        psycopg.errors.ForeignKeyViolation, match="order_items_order_fk"
    ):
        conn.execute("delete from core.orders where order_id = 100")
        conn.commit()
    assert query(db_url, "select count(*) from core.orders where order_id = 100") == [(1,)]


def test_a_line_partition_without_its_twin_is_an_error(db_url: str) -> None:
    with psycopg.connect(db_url) as conn:
        conn.execute("create table core.order_items_y2030m01 partition of core.order_items"
                     " for values from ('2030-01-01 00:00+00') to ('2030-02-01 00:00+00')")
        with pytest.raises(psycopg.errors.RaiseException, match="order_items_y2030m01 of core.order_items has no twin"):
            conn.execute("select core.link_order_item_partitions()")


def test_a_first_load_refuses_a_daily_mart_that_is_not_empty(settings: Settings, db_url: str, tmp_path: Path) -> None:
    # no order key, so this is a first load; but a daily mart holds a row no order explains
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("insert into marts.daily_product_sales (sales_date, product_id, units, orders, revenue)"
                     " values ('2024-01-01', 10, 1, 1, 5.00)")
    with pytest.raises(psycopg.errors.RaiseException, match="the order tables or daily marts are not"):
        run_load(settings, write_delivery(tmp_path / "b1", BATCH_1))
    assert query(db_url, "select status, stage from etl.runs") == [("failed", "bulk_begin")]
    # nothing the load did stays, and nothing that was there is lost
    assert query(db_url, "select count(*) from marts.daily_product_sales") == [(1,)]
    assert query(db_url, "select count(*) from core.orders") == [(0,)]


def test_first_orders_after_a_catalog_only_load(settings: Settings, db_url: str, tmp_path: Path) -> None:
    # the customers (and their lifetime rows, value 0) exist before the first order arrives
    assert run_load(settings, write_delivery(tmp_path / "b0", BASE)).status == "ok"
    assert query(db_url, "select customer_id, lifetime_value from marts.customer_lifetime order by 1") == [
        (1, Decimal("0.00")), (2, Decimal("0.00"))]
    assert run_load(settings, write_delivery(tmp_path / "b1", BATCH_1)).status == "ok"  # a first load (bulk)
    assert query(db_url, "select order_item_id, order_id from core.order_item_keys order by 1") == [
        (1000, 100), (1001, 101), (1002, 102), (1003, 102)]
    # 200.00 + 950.00 (Delivered, Shipped) and 100.00 + 1000.00 (Pending)
    assert query(db_url, "select customer_id, lifetime_value, order_count from marts.customer_lifetime order by 1") == [
        (1, Decimal("1150.00"), 2), (2, Decimal("1100.00"), 1)]


@pytest.mark.parametrize(
    ("memory_gb", "shared_buffers"),
    [(0.25, "128MB"), (2, "512MB"), (8, "2048MB"), (24, "4096MB"), (256, "4096MB")],
)
def test_embedded_server_gets_a_quarter_of_memory_for_shared_buffers(memory_gb: float, shared_buffers: str) -> None:
    settings = embedded.tuning(int(memory_gb * 2**30))
    assert settings["shared_buffers"] == shared_buffers
    # no replica behind an embedded server: tables written by the transaction that truncated
    # them skip the WAL
    assert settings["wal_level"] == "minimal" and settings["max_wal_senders"] == "0"


def test_the_embedded_test_server_runs_with_those_settings(db_url: str) -> None:
    with psycopg.connect(db_url) as conn:
        if conn.execute("select current_setting('shopetl.tuned', true)").fetchone()[0] is None:  # type: ignore[index]
            pytest.skip("tests run against an external server (SHOPETL_TEST_PGHOST), not the embedded one")
        wal_level, wal_size = conn.execute(
            "select current_setting('wal_level'), current_setting('max_wal_size')").fetchone()  # type: ignore[misc]
    assert (wal_level, wal_size) == ("minimal", "8GB")
