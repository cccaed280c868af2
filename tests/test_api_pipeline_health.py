"""pipelineRuns and checkResults (api.pipeline_runs, api.check_results): the pipeline's health
through the API, from hand-written ledger rows (exact shapes and order) and from a real load."""

# ruff: noqa: F811 - pytest fixtures are imported from test_api_support and used as parameters
from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest

from shopetl.config import Settings
from shopetl_graphql.app import create_app

from .etl_helpers import load_rows, query
from .test_api_support import api_db, client, data, error  # noqa: F401 - fixtures

pytestmark = pytest.mark.asyncio

HEALTH = """
query Health($first: Int) {
  pipelineRuns(first: $first) {
    runId folder status stage isFullLoad startedAt finishedAt error stagedRows rejectedRows
    files { fileKey fileName stagedRows rejectedRows }
    rejects { fileKey reason rows }
  }
  checkResults {
    checkName severity scope status violatingRows runId checkedAt durationMs error needsAttention
  }
}"""

LEDGER_SQL = """
insert into etl.runs (folder, started_at, finished_at, status, stage, is_full_load, error)
values
('/data/2024-01-01', '2024-01-01 10:00:00+00', '2024-01-01 10:00:05.25+00', 'ok', 'analyze', true, null),
('/data/2024-01-02', '2024-01-02 10:00:00+00', '2024-01-02 10:00:01+00', 'failed', 'publish', false,
 'check totals_reconcile failed'),
('/data/2024-01-03', '2024-01-03 10:00:00+00', null, 'running', 'stage', false, null);
insert into etl.run_files (run_id, file_key, file_name, size_bytes, header, staged_rows) values
(1, 'orders', 'orders.csv', 100, '{order_id}', 5),
(1, 'customers', 'customers.csv', 100, '{customer_id}', 3),
(2, 'products', 'products.csv', 100, '{product_id}', 2),
(3, 'orders', 'orders.csv', 100, '{order_id}', null);
insert into etl.rejects (run_id, file_key, file_name, line_no, reason, detail, raw) values
(1, 'orders', 'orders.csv', 2, 'orphan', 'customer_id 99', 'secret raw text'),
(1, 'orders', 'orders.csv', 4, 'orphan', 'customer_id 98', 'secret raw text'),
(1, 'orders', 'orders.csv', 5, 'bad_type', 'order_date', 'secret raw text'),
(1, 'customers', 'customers.csv', 3, 'bad_value', 'email', 'secret raw text'),
(2, 'products', 'products.csv', 2, 'duplicate', 'sku', 'secret raw text');
insert into etl.check_results
(run_id, check_name, severity, scope, status, violating_rows, error, duration_ms, checked_at) values
(1, 'zeta', 'error', 'all', 'pass', 0, null, 4, '2024-01-01 10:00:04+00'),
(2, 'zeta', 'error', 'all', 'fail', 7, null, 5, '2024-01-02 10:00:01+00'),
(1, 'alpha', 'warn', 'batch', 'fail', 2, null, 1, '2024-01-01 10:00:04+00'),
(1, 'beta', 'error', 'batch', 'error', null, 'relation does not exist', 0, '2024-01-01 10:00:04+00'),
(2, 'gamma', 'error', 'batch', 'fail', 1, null, 3, '2024-01-02 10:00:00+00'),
(null, 'gamma', 'error', 'batch', 'pass', 0, null, 3, '2024-01-02 11:00:00+00');
"""


@pytest.fixture
def ledger_db(api_db: str) -> str:
    with psycopg.connect(api_db, autocommit=True) as conn:
        conn.execute(LEDGER_SQL)
    return api_db


async def test_nothing_recorded_gives_empty_lists(client: Any) -> None:
    answer = await data(client, HEALTH)
    assert answer == {"pipelineRuns": [], "checkResults": []}


async def test_runs_newest_first_with_files_and_rejects_per_reason(client: Any, ledger_db: str) -> None:
    runs = (await data(client, HEALTH))["pipelineRuns"]
    assert [(r["runId"], r["status"]) for r in runs] == [(3, "RUNNING"), (2, "FAILED"), (1, "OK")]
    assert runs[2] == {
        "runId": 1,
        "folder": "/data/2024-01-01",
        "status": "OK",
        "stage": "analyze",
        "isFullLoad": True,
        "startedAt": "2024-01-01T10:00:00Z",
        "finishedAt": "2024-01-01T10:00:05.250000Z",
        "error": None,
        "stagedRows": 8,
        "rejectedRows": 4,
        "files": [
            {"fileKey": "customers", "fileName": "customers.csv", "stagedRows": 3, "rejectedRows": 1},
            {"fileKey": "orders", "fileName": "orders.csv", "stagedRows": 5, "rejectedRows": 3},
        ],
        "rejects": [
            {"fileKey": "customers", "reason": "bad_value", "rows": 1},
            {"fileKey": "orders", "reason": "bad_type", "rows": 1},
            {"fileKey": "orders", "reason": "orphan", "rows": 2},
        ],
    }
    assert runs[1]["error"] == "check totals_reconcile failed"
    assert runs[1]["rejects"] == [{"fileKey": "products", "reason": "duplicate", "rows": 1}]
    # a run still staging: no finish, a file not yet counted, nothing rejected
    assert runs[0]["finishedAt"] is None and runs[0]["stagedRows"] == 0 and runs[0]["rejectedRows"] == 0
    assert runs[0]["files"] == [{"fileKey": "orders", "fileName": "orders.csv", "stagedRows": None,
                                 "rejectedRows": 0}]


async def test_runs_first_limits_and_is_validated(client: Any, ledger_db: str) -> None:
    runs = (await data(client, HEALTH, {"first": 2}))["pipelineRuns"]
    assert [r["runId"] for r in runs] == [3, 2]
    for first in (0, 101, -1):
        err = await error(client, "query Bad($first: Int) { pipelineRuns(first: $first) { runId } }", {"first": first})
        assert err["message"] == f"first must be between 1 and 100 (got {first})"
        assert err["extensions"]["code"] == "22023"


async def test_rejected_raw_text_is_never_exposed(client: Any, ledger_db: str) -> None:
    response = await client.post("/graphql", json={"query": HEALTH})
    assert "secret raw text" not in await response.text()


async def test_latest_result_per_check_failing_first(client: Any, ledger_db: str) -> None:
    checks = (await data(client, HEALTH))["checkResults"]
    # failing/erroring first, severity error before warn, then by name; gamma's latest is a pass
    assert [(c["checkName"], c["status"], c["severity"]) for c in checks] == [
        ("beta", "ERROR", "ERROR"), ("zeta", "FAIL", "ERROR"), ("alpha", "FAIL", "WARN"), ("gamma", "PASS", "ERROR"),
    ]
    beta, zeta, alpha, gamma = checks
    assert beta == {
        "checkName": "beta", "severity": "ERROR", "scope": "BATCH", "status": "ERROR", "violatingRows": None,
        "runId": 1, "checkedAt": "2024-01-01T10:00:04Z", "durationMs": 0, "error": "relation does not exist",
        "needsAttention": True,
    }
    assert (zeta["violatingRows"], zeta["runId"], zeta["scope"]) == (7, 2, "ALL")
    assert alpha["needsAttention"] is True
    assert (gamma["runId"], gamma["needsAttention"], gamma["checkedAt"]) == (None, False, "2024-01-02T11:00:00Z")


async def test_a_real_load_shows_its_rejects_and_checks(settings: Settings, db_url: str, tmp_path: Path,
                                                        aiohttp_client: Any) -> None:
    """The figures of a real load through the API equal the ledger's (etl.rejects, latest checks)."""
    load_rows(settings, tmp_path, {
        "customers": """
            1,ann@example.com,Ann,A,,,,,,,2023-01-01 00:00:00,
            3,no-at-sign.example.com,Cy,C,,,,,,,2023-01-01 00:00:00,
        """,
        "orders": """
            100,1,2024-01-01 00:00:00,Pending,,,,,,,,,,
            101,99,2024-01-01 00:00:00,Pending,,,,,,,,,,
            102,1,2024-01-01 00:00:00,Lost,,,,,,,,,,
        """,
    })
    client = await aiohttp_client(create_app(db_url, pool_min_size=1, pool_max_size=1))
    answer = await data(client, HEALTH)
    [run] = answer["pipelineRuns"]
    assert run["status"] == "OK" and run["finishedAt"] is not None
    expected = query(db_url, "select file_key, reason, count(*)::int from etl.rejects group by 1, 2 order by 1, 2")
    assert [(r["fileKey"], r["reason"], r["rows"]) for r in run["rejects"]] == expected
    assert {(r[0], r[1]) for r in expected} == {("customers", "bad_value"), ("orders", "bad_value"),
                                                 ("orders", "orphan")}
    assert run["rejectedRows"] == sum(r[2] for r in expected)
    staged = dict(query(db_url, "select file_key, staged_rows::int from etl.run_files"))
    assert {f["fileKey"]: f["stagedRows"] for f in run["files"]} == staged
    assert run["stagedRows"] == sum(staged.values())
    latest = query(db_url, "select check_name, upper(status) from etl.latest_check_results")
    assert latest and sorted((c["checkName"], c["status"]) for c in answer["checkResults"]) == sorted(latest)
