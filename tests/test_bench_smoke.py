"""The benchmark command runs end to end at a tiny scale (load -> incremental -> API) and writes
its results. Only that: the figures themselves are not asserted (see docs/benchmarks.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import PG_HOST, PG_PORT, ROOT


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
    assert {r["query"] for r in report["api"]["results"]} == {
        "productSales", "customer", "topProductsByCategory", "salesTrends"}
    assert all(r["requests"] > 0 and r["errors"] == 0 for r in report["api"]["results"])
    assert markdown.read_text().startswith("# shopetl benchmarks")


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
