"""CLI commands of the load pipeline: load, render, runs, rejects."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from . import db
from .config import Settings
from .errors import RefusedInput, ShopetlError


def cmd_load(args: argparse.Namespace, s: Settings) -> int:
    from .load import load

    if args.threshold is not None:
        s = s.with_(reject_threshold=args.threshold)
    try:
        result = load(
            s, Path(args.folder), show_progress=False if args.json else None, force=args.force, wait=args.wait
        )
    except RefusedInput as exc:
        if args.json:
            print(json.dumps({"run_id": None, "status": "refused", "files": {}, "error": str(exc)}))
        raise
    if args.json:
        print(json.dumps(result.to_json()))
    elif result.run_id is None:
        print(f"nothing to load: every file of {args.folder} was loaded before (use --force to load it again)")
    else:
        _print_summary(result.to_json(), result.stages)
    if result.status != "ok":
        print(result.error or "batch not applied", file=sys.stderr)
        return 1
    return 0


def _print_summary(summary: dict[str, Any], stages: dict[str, float]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"run {summary['run_id']}: {summary['status']}")
    for col in ("file", "rows", "accepted", "rejected", "by reason"):
        table.add_column(col, justify="right" if col in ("rows", "accepted", "rejected") else "left")
    for key, f in summary["files"].items():
        rejected = sum(f["rejected"].values())
        reasons = ", ".join(f"{r}={n}" for r, n in f["rejected"].items())
        table.add_row(key, f"{f['rows']:,}", f"{f['accepted']:,}", f"{rejected:,}", reasons)
    console = Console()
    console.print(table)
    console.print(f"revenue total: {summary['revenue_total']}   duration: {summary['duration_s']:.2f} s")


def cmd_render(args: argparse.Namespace, s: Settings) -> int:
    """Print a stage as it would run for a run (default: the latest) or a folder's headers."""
    from .delivery import discover, read_header
    from .load import Pipeline, Run

    p = Pipeline(s)
    try:
        p.renderer.stage(args.stage)
    except KeyError as exc:
        raise ShopetlError(f"{exc.args[0]}; a check's SQL: `shopetl check --show --check NAME`") from None
    with p._ctl() as ctl:
        p.check_migrated(ctl)
        latest = ctl.execute(
            "select run_id from etl.runs where %s::bigint is null or run_id = %s order by run_id desc limit 1",
            (args.run, args.run),
        ).fetchone()
        if args.run is not None and latest is None:
            raise ShopetlError(f"no run {args.run} in etl.runs (see `shopetl runs`)")
        if latest and not args.folder:
            run = p.run_info(ctl, int(latest[0]))
        else:
            files = discover(Path(args.folder)) if args.folder else {}
            now = ctl.execute("select now()").fetchone()[0]  # type: ignore[index]
            specs = p.specs(ctl, {k: (f.name, read_header(f)) for k, f in files.items()})
            run = Run(int(latest[0]) + 1 if latest else 1, Path(args.folder or "."), now, specs, files)
        # a first load's SQL (the bulk variants) for a run that was one, or for the next run if
        # core is still empty; a later batch's otherwise
        bulk = ctl.execute(
            "select coalesce((select is_full_load from etl.runs where run_id = %s), false)"
            " or not exists (select 1 from core.order_keys)",
            (run.run_id,),
        ).fetchone()[0]  # type: ignore[index]
    ctx: dict[str, Any] = {**run.context(s.reject_threshold), "bulk": bulk}
    if args.key:
        f = run.specs[args.key]
        ctx.update(key=args.key, file_name=f.file_name, header=f.columns, columns=f.columns)
    ctx.update(_section(args))
    sys.stdout.write(p.renderer.render(args.stage, **ctx))
    return 0


def _section(args: argparse.Namespace) -> dict[str, Any]:
    """The render variables of one piece of a split validation stage (--section, --part K/N)."""
    from .load import SPLIT_STAGES

    section = "part" if args.part else args.section
    if section == "all":
        return {}
    if args.stage not in SPLIT_STAGES:
        raise ShopetlError(f"{args.stage} is rendered whole: only {', '.join(SPLIT_STAGES)} have sections")
    if section != "part":
        return {"section": section}
    k, _, n = (args.part or "").partition("/")
    if not (k.isdigit() and n.isdigit() and 1 <= int(k) <= int(n)):
        raise ShopetlError("--part takes K/N, part K of N (1 <= K <= N), e.g. --part 1/2")
    return {"section": "part", "part": int(k) - 1, "parts": int(n)}


def cmd_runs(args: argparse.Namespace, s: Settings) -> int:
    with db.connect(db.database_url(s), autocommit=True) as conn:
        rows = conn.execute(
            "select run_id, status, stage, started_at, finished_at - started_at, folder, error"
            " from etl.runs order by run_id desc limit %s",
            (args.limit,),
        ).fetchall()
    for run_id, status, stage, started, took, folder, error in rows:
        took_s = f"{took.total_seconds():.1f}s" if took else "-"
        print(f"{run_id:>6}  {status:<8} {stage or '-':<28} {started:%Y-%m-%d %H:%M:%S}  {took_s:>8}  {folder}")
        if error:
            print(f"        {error}")
    return 0


def cmd_rejects(args: argparse.Namespace, s: Settings) -> int:
    with db.connect(db.database_url(s), autocommit=True) as conn:
        rows = conn.execute(
            "select run_id, file_name, line_no, reason, detail, raw from etl.rejects"
            " where (%(run)s::bigint is null or run_id = %(run)s) and (%(reason)s::text is null or reason = %(reason)s)"
            " order by run_id desc, file_key, line_no limit %(limit)s",
            {"run": args.run, "reason": args.reason, "limit": args.limit},
        ).fetchall()
    for run_id, file_name, line_no, reason, detail, raw in rows:
        print(f"run {run_id} {file_name}:{line_no}: {reason}: {detail or ''}\n    {raw}")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("load", help="load a delivery folder (full snapshot or incremental batch)")
    p.add_argument("folder")
    p.add_argument("--json", action="store_true", help="print only the run summary as JSON on stdout")
    p.add_argument("--threshold", type=float, help="reject share that refuses a batch (default 0.05)")
    p.add_argument("--force", action="store_true", help="load files again even if an earlier run loaded them")
    p.add_argument("--wait", action="store_true", help="wait for another running load instead of refusing")
    p.set_defaults(func=cmd_load)

    r = sub.add_parser("render", help="print a stage's SQL exactly as it would run (for psql)")
    r.add_argument("stage", help="stage name, e.g. validate_orders (see sql/transforms)")
    r.add_argument("--run", type=int, help="render for this run id (default: the latest run)")
    r.add_argument("--folder", help="render for the headers of this delivery folder")
    r.add_argument("--key", help="file key for per-file stages (salvage, line_numbers)")
    r.add_argument("--section", choices=("all", "setup", "part", "finish"), default="all",
                   help="a validation stage a big file's load splits (21, 23, 24) in the pieces it runs:"
                        " setup, each part (--part K/N, on its own connection), then finish (default: all,"
                        " the whole stage)")
    r.add_argument("--part", metavar="K/N", help="part K of N of the staged table's blocks (implies --section part)")
    r.set_defaults(func=cmd_render)

    runs = sub.add_parser("runs", help="list recent runs")
    runs.add_argument("--limit", type=int, default=20)
    runs.set_defaults(func=cmd_runs)

    rj = sub.add_parser("rejects", help="show rejected rows")
    rj.add_argument("--run", type=int)
    rj.add_argument("--reason")
    rj.add_argument("--limit", type=int, default=50)
    rj.set_defaults(func=cmd_rejects)
