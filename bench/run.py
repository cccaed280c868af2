"""All benchmarks in one command (`make bench`): load -> incremental -> API, one server, one run.

    python bench/run.py --scale 1.0                       # the documented run (docs/benchmarks.md)
    python bench/run.py --scale 0.01 --skip-postgraphile  # a smoke test: well under 5 minutes

1. Load (bench/load.py): generate the delivery at --scale (once, /tmp/shopetl-bench-<scale>), then
   baseline `\\copy` and `shopetl load` into fresh databases, --repeat times (medians). With
   --rss-scale (default 0.1 when --scale >= 0.5) the same at a smaller scale, to show peak RSS
   flat in the file size.
2. Incremental (bench/incremental.py): --batches 1 % batches on top of that full load, each as a
   ratio to the full load's time measured in step 1.
3. API (bench/api.py): shopetl serve and PostGraphile v4 (npx; --skip-postgraphile without npm)
   against the same database, 1 and 8 clients, --api-duration seconds per cell.

Prints the Markdown tables on stdout and writes them with all figures to
bench/results/run-<scale>-<time>.{md,json} (git-ignored). The benchmark databases
(<prefix>_baseline, <prefix>_shopetl) are dropped at the end unless --keep.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common
from common import log


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0, help="generator scale (1.0 = 26.1M rows, 1.85 GB)")
    ap.add_argument("--repeat", type=int, default=1, help="full loads (and baselines + 1); medians")
    ap.add_argument("--batches", type=int, default=3, help="1 %% incremental batches, one after another; medians")
    ap.add_argument("--rss-scale", type=float, default=None,
                    help="a second, smaller scale loaded once to compare peak RSS (default 0.1 when --scale >= 0.5; 0: none)")
    ap.add_argument("--data", type=Path, help="an existing delivery folder to load instead of generating one")
    ap.add_argument("--work", type=Path, default=Path("/tmp"), help="where generated data and batches go (default /tmp)")
    ap.add_argument("--prefix", default="bench", help="benchmark database names: <prefix>_baseline, <prefix>_shopetl")
    ap.add_argument("--out", type=Path, default=common.RESULTS, help="results folder (default bench/results)")
    ap.add_argument("--api-duration", type=float, default=None,
                    help="seconds per query, server and concurrency (default 20; 3 below scale 0.1)")
    ap.add_argument("--api-rounds", type=int, default=3,
                    help="rounds per API cell, the servers taking turns (default 3; see bench/api.py)")
    ap.add_argument("--api-min-requests", type=int, default=40,
                    help="per cell, measure on after --api-duration until this many requests (at most 6x as long)")
    ap.add_argument("--api-workers", type=int, default=1, help="server processes for both servers (default 1)")
    ap.add_argument("--api-pool-size", type=int, default=None,
                    help="database connections of both servers (default: each server's own, see bench/api.py)")
    ap.add_argument("--skip-postgraphile", action="store_true", help="no PostGraphile baseline (machines without npm)")
    ap.add_argument("--skip-incremental", action="store_true")
    ap.add_argument("--skip-api", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep <prefix>_shopetl (e.g. to EXPLAIN in it) instead of dropping it")
    args = ap.parse_args()

    import api
    import incremental
    import load

    started = time.monotonic()
    admin = common.admin_url()
    rss_scale = args.rss_scale if args.rss_scale is not None else (0.1 if args.scale >= 0.5 else 0.0)
    api_duration = args.api_duration if args.api_duration is not None else (20.0 if args.scale >= 0.1 else 3.0)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    work = args.work / f"shopetl-bench-run-{args.prefix}"
    work.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"scale": args.scale, "argv": sys.argv[1:], "started": stamp,
                              "machine": common.machine(admin), "code": common.git_state()}
    md: list[str] = [f"# shopetl benchmarks, scale {args.scale:g} ({stamp})", "",
                     "Machine: " + common.machine_markdown(report["machine"]), "",
                     f"Code: {report['code']}", ""]
    target_db = f"{args.prefix}_shopetl"
    try:
        # 1. load
        loads = []
        if rss_scale and rss_scale != args.scale:
            small = common.delivery_folder(None, rss_scale, args.work)
            loads.append(load.run_load_bench(small, rss_scale, repeat=1, prefix=args.prefix, admin=admin, keep=False))
        folder = common.delivery_folder(args.data, args.scale, args.work)
        full = load.run_load_bench(folder, args.scale, repeat=args.repeat, prefix=args.prefix, admin=admin, keep=True)
        loads.append(full)
        report["load"] = loads
        md += ["## Load", "", load.load_markdown(loads), ""]
        _flush(args.out, args.scale, stamp, report, md)
        url = common.db_url(admin, target_db)

        # 2. incremental
        if not args.skip_incremental:
            inc = incremental.run_incremental_bench(url, work / "incremental", full_load_s=full["shopetl_s"],
                                                    batches=args.batches)
            report["incremental"] = inc
            md += ["## Incremental 1 % batch", "", incremental.incremental_markdown(inc), ""]
            _flush(args.out, args.scale, stamp, report, md)

        # 3. API
        if not args.skip_api:
            a = api.run_api_bench(url, work / "api", duration=api_duration, postgraphile=not args.skip_postgraphile,
                                  workers=args.api_workers, min_requests=args.api_min_requests,
                                  rounds=args.api_rounds, pool_size=args.api_pool_size)
            report["api"] = a
            md += ["## API", "", f"Database {target_db} (the full load plus the incremental batches),"
                   f" {api_duration:g} s per cell (or until {args.api_min_requests} requests, at most"
                   f" {6 * api_duration:g} s) in {max(1, args.api_rounds)} rounds, the servers taking turns,"
                   f" {args.api_workers} server process each"
                   + (f", PostGraphile {a['postgraphile']}" if a.get("postgraphile") else "")
                   + "; database connections per process: "
                   + ", ".join(f"{k} {v}" for k, v in a["pool_sizes"].items() if k == "shopetl" or a.get("postgraphile"))
                   + f" (shopetl runs at most {a['long_statements']} long statements at once).", "",
                   api.api_markdown(a), ""]
    finally:
        if not args.keep:
            common.drop_db(admin, target_db)
        report["total_s"] = time.monotonic() - started
        report["code_at_end"] = common.git_state()
        if report["code_at_end"] != report["code"]:
            md.append(f"The code changed during the run: at the end {report['code_at_end']}.")
        md.append(f"Benchmark wall time: {report['total_s'] / 60:.1f} min.")
        paths = _flush(args.out, args.scale, stamp, report, md)
    print("\n".join(md))
    log(f"wrote {paths[0]} and {paths[1]}")
    return 0


def _flush(out: Path, scale: float, stamp: str, report: dict[str, Any], md: list[str]) -> tuple[Path, Path]:
    """Write what is known so far (a long run that fails late keeps its first results)."""
    out.mkdir(parents=True, exist_ok=True)
    js, mdp = out / f"run-{scale:g}-{stamp}.json", out / f"run-{scale:g}-{stamp}.md"
    js.write_text(json.dumps(report, indent=2, default=str))
    mdp.write_text("\n".join(md) + "\n")
    return js, mdp


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
