"""Load benchmark: `shopetl load` against a psql `\\copy` baseline of the same files, same run.

    python bench/load.py --scale 1.0            # generate (if needed), baseline, shopetl, report
    python bench/load.py --scale 0.01 --repeat 3

Each repetition loads into fresh databases on the same server: (a) the baseline, psql's
`\\copy` of the five files into UNLOGGED tables with typed columns; (b) `shopetl load` of the
same folder end to end. Reports medians, the ratio b/a, rows/s, MB/s, each stage's time and
the orchestrator's peak RSS, as Markdown on stdout and JSON under bench/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "orchestrator"))

BASELINE_DDL = """
create unlogged table product_categories (category_id int, name text, description text, parent_id int,
    created_at timestamp);
create unlogged table products (product_id int, name text, description text, price numeric(12,2),
    cost numeric(12,2), category_id int, sku text, inventory_count int, weight numeric, created_at timestamp,
    is_active boolean);
create unlogged table customers (customer_id int, email text, first_name text, last_name text,
    street_address text, city text, state text, zip_code text, country text, phone text,
    registration_date timestamp, last_login timestamp);
create unlogged table orders (order_id bigint, customer_id int, order_date timestamp, status text,
    payment_method text, shipping_address text, shipping_city text, shipping_state text, shipping_zip text,
    shipping_country text, processing_date timestamp, shipping_date timestamp, delivery_date timestamp,
    total_amount numeric(14,2));
create unlogged table order_items (order_item_id bigint, order_id bigint, product_id int, quantity int,
    price numeric(12,2), discount numeric(12,2), total numeric(14,2));
"""
FILES = ("product_categories", "products", "customers", "orders", "order_items")


def server_url() -> str:
    from shopetl import config, db

    return db.database_url(config.from_env().with_(database_name="postgres"))


def psql_binary() -> str:
    if os.environ.get("PSQL"):
        return os.environ["PSQL"]
    from shopetl import embedded

    return str(embedded.psql_path()) if not os.environ.get("DATABASE_URL") else "psql"


def fresh_db(admin_url: str, name: str) -> str:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')
        conn.execute(f'create database "{name}"')
    return psycopg.conninfo.make_conninfo(admin_url, dbname=name)


def baseline(admin_url: str, folder: Path) -> float:
    url = fresh_db(admin_url, "bench_baseline")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(BASELINE_DDL)
    commands = [a for k in FILES for a in ("-c", f"\\copy {k} from '{folder / (k + '.csv')}' with (format csv, header true)")]
    t0 = time.monotonic()
    subprocess.run([psql_binary(), url, "-v", "ON_ERROR_STOP=1", "-q", *commands], check=True,
                   env={**os.environ, "PGOPTIONS": "-c TimeZone=UTC"})
    return time.monotonic() - t0


def shopetl_load(admin_url: str, folder: Path) -> dict[str, object]:
    url = fresh_db(admin_url, "bench_shopetl")
    env = {**os.environ, "DATABASE_URL": url}
    shopetl = [sys.executable, "-m", "shopetl"]
    subprocess.run([*shopetl, "migrate"], check=True, env=env, capture_output=True)
    t0 = time.monotonic()
    proc = subprocess.run(["/usr/bin/time", "-v", *shopetl, "load", str(folder), "--json"], env=env,
                          capture_output=True, text=True)
    wall = time.monotonic() - t0
    if proc.returncode != 0:
        raise SystemExit(f"shopetl load failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr).group(1))  # type: ignore[union-attr]
    summary = json.loads(proc.stdout)
    with psycopg.connect(url) as conn:
        stages = dict(conn.execute(
            "select stage, duration_ms / 1000.0 from etl.run_stages where run_id = %s order by started_at",
            (summary["run_id"],)).fetchall())
        staging = conn.execute(
            "select extract(epoch from max(started_at + duration_ms * interval '1 ms') - min(started_at))"
            " from etl.run_stages where run_id = %s and stage in ('stage_tables')", (summary["run_id"],)).fetchone()
    return {"wall_s": wall, "peak_rss_mb": rss_kb / 1024, "summary": summary,
            "stages": {k: float(v) for k, v in stages.items()}, "staging_note": staging}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--data", type=Path, help="delivery folder (default /tmp/shopetl-bench-<scale>)")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = ap.parse_args()
    folder = args.data or Path(f"/tmp/shopetl-bench-{args.scale}")
    if not (folder / "orders.csv").exists():
        print(f"generating scale {args.scale} into {folder} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "shopetl", "generate", str(folder), "--scale", str(args.scale)],
                       check=True)
    size_mb = sum((folder / f"{k}.csv").stat().st_size for k in FILES) / 1e6
    admin = server_url()
    runs = []
    for i in range(args.repeat):
        b = baseline(admin, folder)
        s = shopetl_load(admin, folder)
        runs.append({"baseline_s": b, **s})
        print(f"run {i + 1}: baseline {b:.1f} s, shopetl {s['wall_s']:.1f} s", file=sys.stderr)
    rows = sum(f["rows"] for f in runs[0]["summary"]["files"].values())  # type: ignore[index]
    med = lambda key: statistics.median(r[key] for r in runs)  # noqa: E731
    stage_names = list(runs[0]["stages"])  # type: ignore[arg-type]
    stage_med = {n: statistics.median(r["stages"].get(n, 0.0) for r in runs) for n in stage_names}  # type: ignore[union-attr]
    staging_s = stage_med.get("stage_tables", 0.0) + stage_med.get("copy", 0.0)
    report = {
        "scale": args.scale, "repeat": args.repeat, "rows": rows, "size_mb": size_mb,
        "baseline_s": med("baseline_s"), "shopetl_s": med("wall_s"), "peak_rss_mb": med("peak_rss_mb"),
        "ratio": med("wall_s") / med("baseline_s"), "staging_ratio": staging_s / med("baseline_s"),
        "stages": stage_med, "runs": runs,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"load-{args.scale}-{time.strftime('%Y%m%dT%H%M%S')}.json").write_text(json.dumps(report, indent=2, default=str))
    print(f"| scale | rows | MB | baseline `\\copy` | shopetl load | ratio | staging / baseline | rows/s | MB/s | peak RSS |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    print(f"| {args.scale} | {rows:,} | {size_mb:,.0f} | {report['baseline_s']:.1f} s | {report['shopetl_s']:.1f} s |"
          f" {report['ratio']:.2f}x | {report['staging_ratio']:.2f}x | {rows / report['shopetl_s']:,.0f} |"
          f" {size_mb / report['shopetl_s']:.1f} | {report['peak_rss_mb']:.0f} MB |")
    print("\n| stage | median s |\n|---|---|")
    for n, v in stage_med.items():
        print(f"| {n} | {v:.2f} |")


if __name__ == "__main__":
    main()
