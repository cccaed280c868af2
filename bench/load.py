"""Load benchmark: `shopetl load` against a psql `\\copy` baseline of the same files, same run.

    python bench/load.py --scale 1.0                 # generate (once), baseline, shopetl, report
    python bench/load.py --scale 0.01 --repeat 3

Each repetition loads into fresh databases on the same server: (a) the baseline, psql's `\\copy`
of the five files, one after another, into UNLOGGED tables with typed columns (no keys, no
indexes); (b) `shopetl migrate` (not timed, like the baseline's CREATE TABLEs), then `shopetl
load FOLDER --json` end to end, timed as a process (wall clock and peak RSS from wait4). The
baseline runs before the first and after every shopetl load (B S B S ... B), so both see the same
machine; figures are medians. Each stage's time comes from the run's etl.run_stages.

Reports the ratio shopetl / baseline, the staging ratio (stages stage_tables + copy against the
whole baseline), rows/s, MB/s and peak RSS as Markdown on stdout and JSON under bench/results/.
The last shopetl database (<prefix>_shopetl) is kept for bench/incremental.py and bench/api.py
unless --drop.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
from pathlib import Path
from typing import Any

import psycopg

from shopetl.load import PUBLISH, VALIDATE

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common
from common import FILES, SHOPETL, fmt_s, log, median, table

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

#: Stage name -> phase, for the summary; unknown stage names fall in "other".
PHASES = (
    ("staging", ("stage_tables", "copy", "salvage", "line_numbers")),
    ("validation", (*VALIDATE, "reject_gate")),
    ("publish (core tables, marts)", PUBLISH),  # the load's own list of its publish stages
    ("data-quality checks", ("checks",)),
    ("commit (deferred key checks, file sync)", ("commit",)),
    ("views, VACUUM (a first load), ANALYZE", ("refresh_views", "vacuum", "analyze")),
)


def phase_of(stage: str) -> str:
    for phase, prefixes in PHASES:
        if any(stage == p or (p.endswith("_") and stage.startswith(p)) for p in prefixes):
            return phase
    return "other"


def phases_of(runs: list[dict[str, Any]], stage_s: dict[str, float]) -> dict[str, float]:
    """Seconds per phase: the stages' medians summed per phase, and the time outside stages as the
    median over the runs of each run's wall time minus its own stages (the median total minus
    the summed stage medians is not that when the runs differ, and was reported as such)."""
    phases: dict[str, float] = {}
    for n, v in stage_s.items():
        phases[phase_of(n)] = phases.get(phase_of(n), 0.0) + v
    phases["outside stages (start-up, ledger, summary)"] = median(
        max(0.0, r["wall_s"] - sum(x["seconds"] for x in r["stages"])) for r in runs)
    return phases


def baseline(admin: str, name: str, folder: Path) -> dict[str, Any]:
    """psql `\\copy` of the five files into typed UNLOGGED tables; total and per-file seconds."""
    url = common.fresh_db(admin, name)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(BASELINE_DDL)
    commands = ["-c", "\\timing on"]
    for k in FILES:
        commands += ["-c", f"\\copy {k} from '{folder / (k + '.csv')}' with (format csv, header true)"]
    env = {**os.environ, "PGOPTIONS": "-c TimeZone=UTC"}
    t = common.run_timed([common.psql_binary(), url, "-X", "-v", "ON_ERROR_STOP=1", "-q", *commands], env=env)
    if t.returncode != 0:
        raise SystemExit(f"baseline \\copy failed ({t.returncode}):\n{t.stderr[-3000:]}")
    ms = [float(x) for x in re.findall(r"^Time: ([\d.]+) ms", t.stdout, re.MULTILINE)]
    per_file = dict(zip(FILES, (x / 1000 for x in ms), strict=True)) if len(ms) == len(FILES) else {}
    common.drop_db(admin, name)  # its 2 GB at full size are not needed any more
    return {"seconds": t.wall_s, "per_file_s": per_file}


def read_stages(url: str, run_id: int) -> list[dict[str, Any]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "select stage, duration_ms / 1000.0, row_count from etl.run_stages where run_id = %s"
            " order by started_at", (run_id,)).fetchall()
    return [{"stage": s, "seconds": float(d), "rows": r} for s, d, r in rows]


def wal_counters(url: str) -> dict[str, float] | None:
    """The server's WAL counters so far (pg_stat_wal, PostgreSQL 14+): records, full-page images,
    bytes. Server-wide: the difference over a load counts whatever wrote WAL meanwhile, autovacuum
    included. None where the view is missing or unreadable."""
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            row = conn.execute("select wal_records, wal_fpi, wal_bytes from pg_stat_wal").fetchone()
    except psycopg.Error:
        return None
    return None if row is None else {"records": float(row[0]), "fpi": float(row[1]), "bytes": float(row[2])}


def wal_written(before: dict[str, float] | None, after: dict[str, float] | None) -> dict[str, float] | None:
    if before is None or after is None:
        return None
    return {k: after[k] - before[k] for k in before}


def shopetl_load(url: str, folder: Path, *, migrate: bool = True, extra_env: dict[str, str] | None = None
                 ) -> dict[str, Any]:
    """`shopetl load FOLDER --json` into the database at ``url``, timed as a process."""
    env = {**os.environ, "DATABASE_URL": url, **(extra_env or {})}
    if migrate:
        m = common.run_timed([*SHOPETL, "migrate"], env=env)
        if m.returncode != 0:
            raise SystemExit(f"shopetl migrate failed ({m.returncode}):\n{m.stderr[-3000:]}")
    wal_before = wal_counters(url)
    t = common.run_timed([*SHOPETL, "load", str(folder), "--json"], env=env)
    wal = wal_written(wal_before, wal_counters(url))
    if t.returncode != 0:
        raise SystemExit(f"shopetl load {folder} failed ({t.returncode}):\n{t.stderr[-5000:]}\n{t.stdout[-2000:]}")
    summary = json.loads(t.stdout)
    # each file's staging time (COPY, line numbering, ANALYZE; files run two at a time) from the log
    staged = {m.group(1): float(m.group(3)) for m in re.finditer(r"staged (\S+)\s+(\d+) records\s+([\d.]+) s", t.stderr)}
    return {
        "staged_file_s": staged,
        "wall_s": t.wall_s, "peak_rss_mb": t.peak_rss_mb, "user_s": t.user_s, "sys_s": t.sys_s, "wal": wal,
        "duration_s": summary.get("duration_s"), "run_id": summary["run_id"], "summary": summary,
        "stages": read_stages(url, summary["run_id"]),
    }


def run_load_bench(folder: Path, scale: float, *, repeat: int = 1, prefix: str = "bench", admin: str | None = None,
                   keep: bool = True) -> dict[str, Any]:
    admin = admin or common.admin_url()
    size_mb = common.folder_size_mb(folder)
    baselines: list[dict[str, Any]] = []
    loads: list[dict[str, Any]] = []
    target = f"{prefix}_shopetl"

    def one_baseline() -> None:
        b = baseline(admin, f"{prefix}_baseline", folder)
        baselines.append(b)
        log(f"scale {scale:g}: baseline \\copy {b['seconds']:.1f} s")

    one_baseline()
    for i in range(repeat):
        url = common.fresh_db(admin, target)
        s = shopetl_load(url, folder)
        loads.append(s)
        log(f"scale {scale:g}: shopetl load {s['wall_s']:.1f} s (run {i + 1}/{repeat}), peak RSS {s['peak_rss_mb']:.0f} MB")
        one_baseline()
    if not keep:
        common.drop_db(admin, target)
    files = loads[-1]["summary"]["files"]
    rows = sum(f["rows"] for f in files.values())
    rejected = sum(sum(f["rejected"].values()) for f in files.values())
    base_s = median(b["seconds"] for b in baselines)
    load_s = median(s["wall_s"] for s in loads)
    names = [st["stage"] for st in loads[-1]["stages"]]
    stage_rows = {st["stage"]: st["rows"] for st in loads[-1]["stages"]}
    stage_s = {n: median(next((x["seconds"] for x in s["stages"] if x["stage"] == n), 0.0) for s in loads)
               for n in names}
    staging_s = stage_s.get("stage_tables", 0.0) + stage_s.get("copy", 0.0)
    phases = phases_of(loads, stage_s)
    return {
        "scale": scale, "folder": str(folder), "repeat": repeat, "rows": rows, "rejected": rejected,
        "size_mb": size_mb, "baseline_s": base_s, "shopetl_s": load_s,
        "ratio": load_s / base_s, "staging_s": staging_s, "staging_ratio": staging_s / base_s,
        "rows_per_s": rows / load_s, "mb_per_s": size_mb / load_s,
        "baseline_rows_per_s": rows / base_s, "baseline_mb_per_s": size_mb / base_s,
        "peak_rss_mb": max(s["peak_rss_mb"] for s in loads),
        "baseline_per_file_s": {k: median(b["per_file_s"].get(k, float("nan")) for b in baselines) for k in FILES},
        "staged_file_s": {k: median(s["staged_file_s"].get(f"{k}.csv", float("nan")) for s in loads) for k in FILES},
        "stages": stage_s, "stage_rows": stage_rows, "phases": phases,
        "database": target if keep else None, "run_id": loads[-1]["run_id"],
        "baselines": baselines, "loads": loads,
    }


def load_markdown(reports: list[dict[str, Any]]) -> str:
    """The load table (one row per scale) and the stage table of the largest scale."""
    rows = []
    for r in reports:
        rows.append([
            f"{r['scale']:g}", f"{r['rows']:,}", f"{r['size_mb']:,.0f}", fmt_s(r["baseline_s"]), fmt_s(r["shopetl_s"]),
            f"**{r['ratio']:.1f}x**", fmt_s(r["staging_s"]), f"**{r['staging_ratio']:.2f}x**",
            f"{r['rows_per_s']:,.0f}", f"{r['mb_per_s']:.2f}", f"**{r['peak_rss_mb']:.0f} MB**", str(r["repeat"]),
        ])
    out = [table(["scale", "rows", "CSV MB", "baseline `\\copy`", "shopetl load", "ratio (target <= 3x)",
                  "staging (stage_tables + copy)", "staging / baseline (target <= 1.0x)", "rows/s", "MB/s",
                  "peak RSS (target <= 150 MB)", "runs"], rows)]
    big = max(reports, key=lambda r: r["scale"])
    total = big["shopetl_s"]
    out.append("")
    out.append(f"Baseline at scale {big['scale']:g}: " + ", ".join(
        f"{k} {v:.1f} s" for k, v in big["baseline_per_file_s"].items() if not math.isnan(v))
        + f" ({big['baseline_rows_per_s']:,.0f} rows/s, {big['baseline_mb_per_s']:.1f} MB/s), one file after"
        " another. shopetl's staging per file (COPY into text columns, then line numbering where quoted fields"
        " hold line breaks, and ANALYZE; two files at a time): " + ", ".join(
        f"{k} {v:.1f} s" for k, v in big["staged_file_s"].items() if not math.isnan(v)) + ".")
    wal = big["loads"][-1].get("wal")
    if wal:
        out.append("")
        out.append(f"WAL written while the load ran (server-wide, pg_stat_wal): {wal['bytes'] / 1e9:.2f} GB,"
                   f" {wal['records']:,.0f} records, {wal['fpi']:,.0f} full-page images.")
    out.append("")
    out.append(table(["phase", "seconds", "share"],
                     [[p, fmt_s(v), f"{v / total:.0%}"] for p, v in big["phases"].items()]))
    out.append("")
    out.append(table(["stage (scale " + f"{big['scale']:g})", "seconds (median)", "share of the load", "rows"],
                     [[n, fmt_s(v), f"{v / total:.1%}", "" if big["stage_rows"].get(n) is None
                       else f"{big['stage_rows'][n]:,}"] for n, v in big["stages"].items()]))
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--data", type=Path, help="delivery folder to load as it is (default: /tmp/shopetl-bench-<scale>, generated once)")
    ap.add_argument("--repeat", type=int, default=1, help="shopetl loads (medians); baselines: one more")
    ap.add_argument("--prefix", default="bench", help="database name prefix (default bench)")
    ap.add_argument("--drop", action="store_true", help="drop the shopetl database at the end")
    args = ap.parse_args()
    folder = common.delivery_folder(args.data, args.scale)
    report = run_load_bench(folder, args.scale, repeat=args.repeat, prefix=args.prefix, keep=not args.drop)
    path = common.write_json("load", args.scale, report)
    print(load_markdown([report]))
    log(f"wrote {path}")


if __name__ == "__main__":
    main()
