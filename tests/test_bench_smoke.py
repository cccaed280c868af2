"""The benchmark command runs end to end at a tiny scale (load -> incremental -> API) and writes
its results. Only that: the figures themselves are not asserted (see docs/benchmarks.md)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from shopetl.config import Settings

from .conftest import PG_HOST, PG_PORT, ROOT
from .etl_helpers import query, run_load
from .test_api_support import api_db  # noqa: F401 - fixture


@pytest.mark.slow
def test_bench_run_completes_and_writes_results(tmp_path: Path) -> None:
    out = tmp_path / "results"
    env = {
        **os.environ,
        # the test server (embedded, or SHOPETL_TEST_PGHOST/PORT in CI); databases named per process
        "DATABASE_URL": f"postgresql://postgres@/postgres?host={PG_HOST}&port={PG_PORT}",
    }
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--scale", "0.002", "--skip-postgraphile", "--repeat", "1",
         "--batches", "1", "--api-duration", "1", "--prefix", f"bench_smoke_{os.getpid()}", "--work", str(tmp_path),
         "--out", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-5000:]
    for heading in ("## Load", "## Incremental 1 % batch", "## API"):
        assert heading in proc.stdout
    [report_path] = out.glob("run-0.002-*.json")
    [markdown] = out.glob("run-0.002-*.md")
    report = json.loads(report_path.read_text())
    assert report["load"][0]["rows"] > 0 and report["load"][0]["stages"]
    assert report["incremental"]["runs"][0]["summary"]["status"] == "ok"
    # the database each part measured, by name (the URL's last path segment would be its socket folder)
    assert report["incremental"]["database"] == report["api"]["database"] == f"bench_smoke_{os.getpid()}_shopetl"
    # the WAL written while each load ran, from pg_stat_wal (PostgreSQL 14+)
    for run in (report["load"][0]["loads"][0], report["incremental"]["runs"][0]):
        assert run["wal"] is not None and run["wal"]["bytes"] >= 0 and run["wal"]["fpi"] >= 0
    assert "full-page images" in markdown.read_text()
    assert {r["query"] for r in report["api"]["results"]} == {
        "productSales", "customer", "topProductsByCategory", "salesTrends"}
    assert all(r["requests"] > 0 and r["errors"] == 0 for r in report["api"]["results"])
    # three rounds per cell by default, and the server's CPU measured (NaN would fail >= 0)
    assert all(r["rounds"] == 3 and r["cpu_ms_per_request"] >= 0 for r in report["api"]["results"])
    assert markdown.read_text().startswith("# shopetl benchmarks")
    # the database connections the server had, as the header of the API section says
    assert report["api"]["pool_sizes"]["shopetl"] >= 2 and report["api"]["long_statements"] >= 2
    assert (f"database connections per process: shopetl {report['api']['pool_sizes']['shopetl']} (shopetl runs"
            f" at most {report['api']['long_statements']} long statements at once).") in proc.stdout


@pytest.mark.slow
def test_bench_profile_completes(tmp_path: Path) -> None:
    """bench/profile.py follows the load's own stages (it imports the pipeline's step lists)."""
    env = {**os.environ, "DATABASE_URL": f"postgresql://postgres@/postgres?host={PG_HOST}&port={PG_PORT}"}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "profile.py"), "--scale", "0.002", "--top", "3",
         "--prefix", f"bench_smoke_{os.getpid()}", "--work", str(tmp_path), "--out", str(tmp_path)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-5000:]
    [report_path] = tmp_path.glob("profile-0.002-*.json")
    report = json.loads(report_path.read_text())
    assert {"validate_orders", "publish_orders", "checks", "analyze"} <= set(report["stages"])
    assert any(s["plan"] for s in report["statements"])


def _batch_ab(db_url: str, target: str, base: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": f"postgresql://postgres@/postgres?host={PG_HOST}&port={PG_PORT}"}
    database = psycopg.conninfo.conninfo_to_dict(db_url)["dbname"]
    return subprocess.run(
        [sys.executable, str(ROOT / "bench" / "batch_ab.py"), target, "--database", str(database),
         "--base", str(base), "--reps", "2", *extra],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )


@pytest.fixture
def loaded(settings: Settings, tmp_path: Path) -> Path:
    """A tiny generated full set, loaded; returns a copy of sql/ to edit as the other version."""
    folder = tmp_path / "full"
    subprocess.run([sys.executable, "-m", "shopetl", "generate", "--scale", "0.001", str(folder)],
                   cwd=ROOT, capture_output=True, check=True, timeout=300)
    assert run_load(settings, folder).status == "ok"
    return Path(shutil.copytree(ROOT / "sql", tmp_path / "sql"))


@pytest.mark.slow
def test_bench_batch_ab_runs_a_stage_of_both_versions_in_a_batch_it_undoes(db_url: str, loaded: Path) -> None:
    """bench/batch_ab.py: a batch on the loaded set, the target's versions in turns, all rolled back."""
    before = query(db_url, "select count(*), sum(revenue) from core.orders")
    for target, snapshot in (
        ("validate_order_items", "select count(*) from staging.order_items_valid"),  # committed by the load
        ("customer_lifetime", "select count(*), sum(lifetime_value) from marts.customer_lifetime"),  # publish
    ):
        proc = _batch_ab(db_url, target, loaded, "--snapshot", snapshot)
        assert proc.returncode == 0, proc.stderr[-5000:]
        assert re.search(rf"{target} median this/base \d+\.\d{{3}}", proc.stdout), proc.stdout
        assert "both produced (" in proc.stdout
    assert query(db_url, "select count(*), sum(revenue) from core.orders") == before
    assert query(db_url, "select status, error from etl.runs order by run_id desc limit 2") == [
        ("failed", "bench/batch_ab.py")] * 2


@pytest.mark.slow
def test_bench_batch_ab_says_when_two_versions_of_a_check_disagree(db_url: str, loaded: Path) -> None:
    proc = _batch_ab(db_url, "daily_sales_reconcile", loaded)
    assert proc.returncode == 0, proc.stderr[-5000:]
    assert "both produced ('pass', 0)" in proc.stdout
    (loaded / "checks" / "30_daily_sales_reconcile.sql").write_text(
        "-- severity: error\n-- scope: batch\nselect 1 as broken\n")
    proc = _batch_ab(db_url, "daily_sales_reconcile", loaded)
    assert proc.returncode == 1, proc.stderr[-5000:]
    assert "the versions disagree: this [\"('pass', 0)\"], base [\"('fail', 1)\"]" in proc.stdout


@pytest.mark.slow
def test_bench_api_ab_compares_two_servers(api_db: str) -> None:  # noqa: F811 - the fixture
    """bench/api_ab.py runs this checkout's server and HEAD's side by side and prints the ratio."""
    env = {**os.environ, "DATABASE_URL": f"postgresql://postgres@/postgres?host={PG_HOST}&port={PG_PORT}"}
    database = psycopg.conninfo.conninfo_to_dict(api_db)["dbname"]
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "api_ab.py"), "--database", str(database), "--base", "HEAD",
         "--queries", "salesTrends", "--reps", "1", "--requests", "40", "--concurrency", "2"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-5000:]
    assert re.search(r"salesTrends +median this/base \d+\.\d{3} of 1", proc.stdout), proc.stdout


def test_time_outside_stages_is_the_median_of_each_runs_own() -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from load import phases_of
    finally:
        sys.path.remove(str(ROOT / "bench"))
    # three batches, 0.4 s outside their stages each, one with a much faster check stage
    runs = [
        {"wall_s": 10.4, "stages": [{"stage": "copy", "seconds": 2.0}, {"stage": "checks", "seconds": 8.0}]},
        {"wall_s": 4.4, "stages": [{"stage": "copy", "seconds": 2.0}, {"stage": "checks", "seconds": 2.0}]},
        {"wall_s": 10.4, "stages": [{"stage": "copy", "seconds": 3.0}, {"stage": "checks", "seconds": 7.0}]},
    ]
    phases = phases_of(runs, {"copy": 2.0, "checks": 7.0})
    assert phases["outside stages (start-up, ledger, summary)"] == pytest.approx(0.4)
    assert phases["staging"] == 2.0 and phases["data-quality checks"] == 7.0


def _bench_module(name: str):  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        return __import__(name)
    finally:
        sys.path.remove(str(ROOT / "bench"))


def test_an_api_cell_pools_the_latencies_and_the_time_of_its_rounds() -> None:
    api = _bench_module("api")
    fast = {"concurrency": 8, "requests": 100, "errors": 0, "error_samples": [], "elapsed_s": 1.0, "rps": 100.0,
            "latencies_ms": [1.0] * 100, "mean_bytes": 10.0, "cpu_s": 0.05, "sent": 116}
    slow = {"concurrency": 8, "requests": 20, "errors": 1, "error_samples": ["HTTP 500"], "elapsed_s": 1.0,
            "rps": 20.0, "latencies_ms": [10.0] * 20, "mean_bytes": 40.0, "cpu_s": 0.03, "sent": 37}
    cell = api.merge_rounds([fast, slow])
    # all answers over all measured time, not the mean of 100 and 20 req/s
    assert cell["requests"] == 120 and cell["rps"] == pytest.approx(60.0)
    # percentiles of the pooled 120 latencies: the slow round's 20 are the top sixth
    assert cell["p50_ms"] == 1.0 and cell["p95_ms"] == 10.0
    assert cell["errors"] == 1 and cell["error_samples"] == ["HTTP 500"]
    assert cell["mean_bytes"] == pytest.approx((100 * 10 + 20 * 40) / 120)
    assert cell["cpu_ms_per_request"] == pytest.approx(1000 * 0.08 / 153)
    assert cell["round_rps"] == [100.0, 20.0] and cell["round_p95_ms"] == [1.0, 10.0]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_a_servers_cpu_time_counts_every_process_of_its_session(tmp_path: Path) -> None:
    api = _bench_module("api")
    # a parent that idles and a child that spins, in the server's own session as bench/api.py starts it
    burn = "import subprocess, sys; subprocess.run([sys.executable, '-c', 'while True: pass'])"
    server = api.Server("burner", [sys.executable, "-c", burn], 0, dict(os.environ), tmp_path)
    server.proc = subprocess.Popen(server.cmd, start_new_session=True)
    try:
        first = server.cpu_seconds()
        deadline = time.monotonic() + 10
        while server.cpu_seconds() - first < 0.3 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert server.cpu_seconds() - first >= 0.3  # the child's, not the idle parent's
    finally:
        server.__exit__(None, None, None)


def test_every_stage_of_a_load_is_in_a_named_phase() -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from load import phase_of
    finally:
        sys.path.remove(str(ROOT / "bench"))
    from shopetl.render import Renderer

    # every stage file but the summary (the ledger's, rendered outside the timed stages)
    stages = [s.name for s in Renderer(ROOT / "sql" / "transforms").stages() if s.name != "summary"]
    stages += ["copy", "checks", "commit"]
    assert {s: phase_of(s) for s in stages if phase_of(s) == "other"} == {}
    assert phase_of("product_sales_rollups") == "publish (core tables, marts)"
