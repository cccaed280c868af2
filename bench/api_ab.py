"""The API server's CPU per request, this checkout's code against another commit's, measured at once.

    python bench/api_ab.py --database s18_shopetl --base 655cc57 --queries salesTrends,customer --reps 3

On a 2-core machine shared by the servers, the database and the load generators, one run of
`bench/api.py` after another gives CPU-per-request figures that drift by a fifth between runs of
the same code. Here the two servers (``--base``: the `graphql/` package of that commit, taken with
`git archive` and put first on PYTHONPATH; the other: this checkout's) run side by side, both
pinned to the first core, and two load generators drive them at once with the same requests
(--concurrency clients each), the database and the generators pinned to the second core. Both
servers share the same core over the same seconds, so a drift falls on both; their ratio is
what to read. Same pool and slots for both (each server's defaults). Linux only (taskset, /proc).

Prints, per query and repetition, each server's CPU per request and the ratio this/base, and the
median ratio per query.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

import api
import common


def pin(pids: list[str], cpus: str) -> None:
    for pid in pids:
        subprocess.run(["taskset", "-a", "-p", "-c", cpus, pid], capture_output=True, check=False)


def postgres_pids(url: str) -> list[str]:
    """The server's postmaster and its children (new backends inherit its affinity)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("select setting from pg_settings where name = 'data_directory'").fetchone()
    pid_file = Path(row[0]) / "postmaster.pid" if row else None
    if pid_file is None or not pid_file.exists():  # a server on another machine: nothing to pin
        return []
    postmaster = pid_file.read_text().split()[0]
    children = subprocess.run(["pgrep", "-P", postmaster], capture_output=True, text=True, check=False).stdout
    return [postmaster, *children.split()]


def base_source(commit: str, into: Path) -> Path:
    """The graphql/ package of ``commit`` as an importable shopetl_graphql under ``into``."""
    shutil.move(common.folder_at(commit, "graphql", into), into / "shopetl_graphql")
    return into


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database", required=True, help="a loaded database of the embedded server (or DATABASE_URL's)")
    ap.add_argument("--base", required=True, help="the commit whose graphql/ the other server runs")
    ap.add_argument("--queries", default="salesTrends,customer")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--requests", type=int, default=5000, help="requests per server and repetition")
    ap.add_argument("--concurrency", type=int, default=8, help="clients per server")
    args = ap.parse_args()
    url = common.db_url(common.admin_url(), args.database)
    work = Path(tempfile.mkdtemp(prefix="shopetl-bench-ab-"))
    queries = args.queries.split(",")
    ranges = api.data_ranges(url)
    for q in queries:
        rng = random.Random(f"7:{q}")
        (work / f"shopetl-{q}.jsonl").write_text(
            "\n".join(api.body("shopetl", q, api.arguments(q, ranges, rng)) for _ in range(args.requests)) + "\n")
    postgres = {pid: os.sched_getaffinity(int(pid)) for pid in postgres_pids(url)}
    pin(list(postgres), "1")
    os.sched_setaffinity(0, {1})  # this process and the load generators it starts
    try:
        run(args, url, work, queries)
    finally:  # the database's processes as they were, and those started meanwhile as the postmaster
        everyone = dict.fromkeys(postgres_pids(url), next(iter(postgres.values()), set()))
        for pid, cpus in {**everyone, **postgres}.items():
            try:
                os.sched_setaffinity(int(pid), cpus)
            except OSError:  # ended meanwhile
                pass
        shutil.rmtree(work, ignore_errors=True)


def run(args: argparse.Namespace, url: str, work: Path, queries: list[str]) -> None:
    source = base_source(args.base, work)
    saved = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(source), saved]))
    (work / "base").mkdir()
    base = api.shopetl_server(url, 1, work / "base")
    if saved is None:
        del os.environ["PYTHONPATH"]
    else:
        os.environ["PYTHONPATH"] = saved
    this = api.shopetl_server(url, 1, work)
    ratios: dict[str, list[float]] = {q: [] for q in queries}
    with base, this:
        pin([str(pid) for pid in base.pids() + this.pids()], "0")
        for k in range(args.reps):
            for q in queries:
                results: dict[str, Any] = {}

                def drive(name: str, server: api.Server, q: str = q, results: dict[str, Any] = results) -> None:
                    out = work / name  # each generator's own result file
                    out.mkdir(exist_ok=True)
                    results[name] = api.merge_rounds([api.drive(
                        server, work / f"shopetl-{q}.jsonl", args.concurrency, 600, out, max_requests=args.requests)])

                threads = [threading.Thread(target=drive, args=(n, s)) for n, s in (("base", base), ("this", this))]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                b, t = results["base"]["cpu_ms_per_request"], results["this"]["cpu_ms_per_request"]
                ratios[q].append(t / b)
                print(f"{k + 1} {q:<12} base {b:.3f} ms ({results['base']['rps']:.0f} req/s), this {t:.3f} ms"
                      f" ({results['this']['rps']:.0f} req/s): this/base {t / b:.3f}", flush=True)
    for q in queries:
        print(f"{q:<12} median this/base {statistics.median(ratios[q]):.3f} of {len(ratios[q])}:"
              f" {', '.join(f'{r:.3f}' for r in ratios[q])}")


if __name__ == "__main__":
    sys.exit(main())
