"""The sessions a load works in: UTC, generous sort memory, and key lookups priced for a cached
disk (the API's sessions keep the server's planner settings)."""

from __future__ import annotations

import psycopg

from shopetl.config import Settings
from shopetl.load import LOAD_RANDOM_PAGE_COST, Pipeline


def test_a_load_session_prices_random_reads_for_a_cached_disk(settings: Settings, db_url: str) -> None:
    with Pipeline(settings)._work() as conn:
        page_cost, work_mem, zone = conn.execute(
            "select current_setting('random_page_cost'), current_setting('work_mem'), current_setting('TimeZone')"
        ).fetchone()  # type: ignore[misc]
    assert (float(page_cost), work_mem, zone) == (LOAD_RANDOM_PAGE_COST, "256MB", "UTC")
    assert LOAD_RANDOM_PAGE_COST < 4  # below PostgreSQL's default
    # a session of anyone else (the API, psql) keeps the server's setting
    with psycopg.connect(db_url) as other:
        assert other.execute("select current_setting('random_page_cost')").fetchone()[0] == "4"  # type: ignore[index]
