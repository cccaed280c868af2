"""Profile of a first full load, statement by statement, in a fresh database.

    python bench/profile.py --scale 1.0                # ~25 min at full size; keeps nothing
    python bench/profile.py --scale 0.1 --top 5 --keep
    python bench/profile.py --database bench_shopetl --data /tmp/batch --rollback   # a batch, undone after

With --database the load goes into that existing (loaded) database instead of a fresh one, e.g.
a 1 % batch written by bench/incremental.py; with --rollback its publish transaction is rolled
back after the checks and the run is marked failed in the ledger, so the same batch can be
profiled again after a change (refresh_views still runs, on the unchanged data; ANALYZE does
not: it counts the batch's changes in staging tables the rollback took away).

What `shopetl load` does, but with every statement of the stages run one at a time: the load's
own steps stage the files (shopetl.load.Pipeline: begin, stage), then each later stage is
rendered exactly as the load renders it (`shopetl render`) and its statements are executed in
order on a connection set up like the load's (work_mem, maintenance_work_mem, and the first
load's work_mem in publish). Each statement the planner can explain (SELECT, INSERT, UPDATE,
DELETE, MERGE, CREATE TABLE AS) runs under EXPLAIN (ANALYZE, BUFFERS, WAL), which executes it; the
others (DO blocks such as the index builds of bulk_end, DDL, ANALYZE, REFRESH) are timed. The
validation stages commit one by one like the load; publish (first-load path) runs in one
transaction followed by the batch-scoped data-quality checks (each wrapped as the load wraps
it), then commits; then refresh_views and analyze.

Instrumentation makes the total somewhat slower than a plain load; the shares are what matter.
Reports the stages and the statements that took longest, with the plans of the slowest, as
Markdown on stdout and JSON under bench/results/.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

import pglast
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common
from common import fmt_s, log, table

EXPLAINABLE = {"SelectStmt", "InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt", "CreateTableAsStmt"}


def statements(sql: str) -> list[tuple[str, str]]:
    """(statement kind, text) of each statement of a rendered stage."""
    out = []
    for raw in pglast.parser.split(sql, with_parser=True):
        text = raw.strip()
        if not text:
            continue
        kinds = [type(s.stmt).__name__ for s in pglast.parse_sql(text)]
        out.append((kinds[0] if kinds else "?", text))
    return out


def label(text: str) -> str:
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("--"):
            return (line[:90] + "...") if len(line) > 90 else line
    return text[:90]


def run_statements(conn: psycopg.Connection[Any], stage: str, sql: str, out: list[dict[str, Any]]) -> float:
    """Execute a stage's statements one by one (explained where possible); returns its seconds."""
    total = 0.0
    for i, (kind, text) in enumerate(statements(sql), start=1):
        explain = kind in EXPLAINABLE and not (kind == "CreateTableAsStmt" and "materialized view" in text.lower())
        t0 = time.monotonic()
        plan = None
        if explain:
            rows = conn.execute("explain (analyze, buffers, wal) " + text).fetchall()  # type: ignore[arg-type]
            plan = "\n".join(r[0] for r in rows)
        else:
            conn.execute(text)  # type: ignore[arg-type]
        took = time.monotonic() - t0
        total += took
        m = re.search(r"actual time=[\d.]+\.\.[\d.]+ rows=([\d.]+)", plan or "")
        out.append({"stage": stage, "n": i, "kind": kind, "statement": label(text), "seconds": took,
                    "rows": float(m.group(1)) if m else None, "plan": plan, "sql": text})
    return total


def profile(folder: Path, *, prefix: str, keep: bool, database: str | None = None,
            rollback: bool = False) -> dict[str, Any]:
    import warnings

    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    from shopetl import checks as checks_mod
    from shopetl import load as load_mod
    from shopetl.config import from_env
    from shopetl.load import BULK_ONLY, PUBLISH, VALIDATE, Pipeline
    from shopetl.render import Renderer

    admin = common.admin_url()
    name = database or f"{prefix}_profile"
    url = common.db_url(admin, name) if database else common.fresh_db(admin, name)
    keep = keep or database is not None
    env = {**os.environ, "DATABASE_URL": url}
    m = common.run_timed([*common.SHOPETL, "migrate"], env=env)
    if m.returncode != 0:
        raise SystemExit(m.stderr[-3000:])
    settings = from_env({"DATABASE_URL": url})
    p = Pipeline(settings)
    stmts: list[dict[str, Any]] = []
    stages: dict[str, float] = {}
    t_all = time.monotonic()
    try:
        with p._ctl() as ctl:
            p.lock(ctl, wait=True)
            run_id, _ = p.begin(ctl, folder, force=True)
            assert run_id is not None
            t0 = time.monotonic()
            p.stage(ctl, run_id)
            stages["stage_tables + copy"] = time.monotonic() - t0
            log(f"staged in {stages['stage_tables + copy']:.1f} s")
            run = p.run_info(ctl, run_id)
            ctx = run.context(settings.reject_threshold)
            with p._work() as conn:
                for stage in (*VALIDATE, "reject_gate"):
                    stages[stage] = run_statements(conn, stage, p.renderer.render(stage, **ctx), stmts)
                    conn.commit()
                    log(f"{stage}: {stages[stage]:.1f} s")
            with p._work() as conn:
                bulk = conn.execute("select not exists (select 1 from core.order_keys)").fetchone()[0]  # type: ignore[index]
                pctx = {**ctx, "bulk": bulk}
                if bulk:
                    conn.execute("set work_mem = '1GB'")
                skips = getattr(load_mod, "BULK_SKIPS", ())  # stages a first load skips, as Pipeline.publish
                for stage in PUBLISH:
                    if (stage in BULK_ONLY and not bulk) or (stage in skips and bulk):
                        continue
                    sql = p.renderer.render(stage, **pctx)
                    if stage == "bulk_end" and "staging.bulk_ddl" in sql:
                        # the same DDL as its DO block, one statement at a time: which key or index costs what
                        sql = ";\n".join(r[0] for r in conn.execute(
                            "select create_sql from staging.bulk_ddl order by drop_order desc")) + ";"
                    stages[stage] = run_statements(conn, stage, sql, stmts)
                    log(f"{stage}: {stages[stage]:.1f} s")
                crend = Renderer(settings.sql_dir / "checks")
                t0 = time.monotonic()
                if not bulk:  # as checks.run_checks: statistics for the batch's key sets first
                    checks_mod._analyze_scope(conn)
                seen: set[Path] = set()
                for check in checks_mod.discover(crend.folder):
                    if check.path in seen:  # checks sharing a file run as one query, as in the load
                        continue
                    seen.add(check.path)
                    sql = checks_mod.render(crend, check, run_id=run_id, scope="batch", context=pctx)
                    wrapped = ("with violations as materialized (\n" + sql.rstrip().rstrip(";") + "\n)\n"
                               "select (select count(*) from violations)")
                    with checks_mod.planner_settings(conn, sql):  # its own, and the others' back after
                        run_statements(conn, f"checks: {check.name}", wrapped, stmts)
                stages["checks"] = time.monotonic() - t0
                log(f"checks: {stages['checks']:.1f} s")
                if rollback:
                    conn.rollback()
                    ctl.execute("update etl.runs set status = 'failed', finished_at = now(),"
                                " error = 'bench/profile.py --rollback' where run_id = %s", (run_id,))
                else:
                    conn.commit()
            with p._work() as conn:
                conn.autocommit = True
                first = database is None
                after = [("refresh_views", {}), ("vacuum", {}), ("analyze", {"bulk": bulk})]
                for stage, extra in after:
                    if stage == "vacuum" and not first:  # as Pipeline.refresh: after a first load only
                        continue
                    if stage == "analyze" and rollback:  # its staging tables were rolled back
                        continue
                    stages[stage] = run_statements(conn, stage, p.renderer.render(stage, **{**ctx, **extra}), stmts)
                    log(f"{stage}: {stages[stage]:.1f} s")
    finally:
        if not keep:
            common.drop_db(admin, name)
    total = time.monotonic() - t_all
    return {"folder": str(folder), "rows_staged": None, "total_s": total, "stages": stages, "statements": stmts,
            "database": name if keep else None}


def profile_markdown(r: dict[str, Any], top: int = 8, plan_lines: int = 60) -> str:
    total = r["total_s"]
    out = [f"Profiled load: {fmt_s(total)} in all (with EXPLAIN ANALYZE's instrumentation).", ""]
    stages = sorted(r["stages"].items(), key=lambda kv: -kv[1])
    out.append(table(["stage (slowest first)", "seconds", "share"],
                     [[s, fmt_s(v), f"{v / total:.1%}"] for s, v in stages if v >= 0.005 * total]))
    slow = sorted(r["statements"], key=lambda s: -s["seconds"])[:top]
    out += ["", table(["#", "stage", "statement", "seconds", "share", "rows"],
                      [[i, s["stage"], f"`{s['statement']}`", fmt_s(s["seconds"]), f"{s['seconds'] / total:.1%}",
                        "" if s["rows"] is None else f"{s['rows']:,.0f}"] for i, s in enumerate(slow, start=1)],
                      "rllrrr")]
    for i, s in enumerate(slow, start=1):
        if not s["plan"]:
            continue
        lines = s["plan"].splitlines()
        shown = lines[:plan_lines] + ([f"... ({len(lines) - plan_lines} more lines in the JSON)"]
                                      if len(lines) > plan_lines else [])
        out += ["", f"#{i} {s['stage']}, statement {s['n']} ({fmt_s(s['seconds'])}):", "", "```", *shown, "```"]
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--data", type=Path, help="an existing delivery folder (default: generated, as bench/run.py)")
    ap.add_argument("--work", type=Path, default=Path("/tmp"))
    ap.add_argument("--prefix", default="bench")
    ap.add_argument("--top", type=int, default=8, help="statements listed (with their plans)")
    ap.add_argument("--keep", action="store_true", help="keep <prefix>_profile")
    ap.add_argument("--out", type=Path, default=common.RESULTS)
    ap.add_argument("--database", help="load into this existing database (e.g. a batch on a full load)")
    ap.add_argument("--rollback", action="store_true", help="roll the publish transaction back (with --database)")
    args = ap.parse_args()
    if args.rollback and not args.database:
        ap.error("--rollback needs --database")
    folder = args.data if args.database else common.delivery_folder(args.data, args.scale, args.work)
    report = profile(folder, prefix=args.prefix, keep=args.keep, database=args.database, rollback=args.rollback)
    report["scale"] = args.scale
    path = common.write_json("profile", args.scale, report, args.out)
    print(profile_markdown(report, args.top))
    log(f"wrote {path}")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
