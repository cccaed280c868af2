"""``shopetl check``: run the data-quality checks of ``sql/checks`` on the current database.

Scope ``all`` (the default) reads whole tables; ``--scope batch`` judges only what the latest
run's batch touched (its staging tables are kept until the next run). The results are stored
in etl.check_results (``--run N`` ties them to run N) and the command exits 1 when a check of
severity ``error`` failed or could not run. ``--show`` prints the checks' SQL instead, as it would
run, for psql (nothing is run or stored).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import psycopg

from . import db
from .checks import (
    CheckResult,
    blocking,
    by_query,
    discover,
    record_results,
    render,
    run_checks,
    select,
    settings,
)
from .config import Settings
from .errors import ShopetlError
from .render import Renderer

EXIT_OK, EXIT_CHECK_FAILED = 0, 1


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "check",
        help="run the data-quality checks (sql/checks), store their results, exit 1 when an error check fails",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--run", type=int, metavar="N", help="judge run N and store the results under it")
    p.add_argument(
        "--scope", choices=["all", "batch"], default="all",
        help="all: whole tables (default); batch: only what the latest run's batch touched",
    )
    p.add_argument("--check", action="append", dest="only", metavar="NAME", help="run only this check (repeatable)")
    p.add_argument("--json", action="store_true", help="print the results as JSON instead of a table")
    p.add_argument("--show", action="store_true",
                   help="print the SQL of the checks (with --check: of those) as it would run, for psql; run nothing")
    p.set_defaults(func=cmd_check)


def cmd_check(args: argparse.Namespace, s: Settings) -> int:
    renderer = Renderer(s.sql_dir / "checks")
    with db.connect(db.database_url(s), application_name="shopetl check") as conn:
        run_id = _judged_run(conn, args.run, args.scope)
        if args.show:
            sys.stdout.write(_show(renderer, run_id, args.scope, args.only))
            return EXIT_OK
        # every check sees the same snapshot, even while a load commits
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.transaction():
            try:
                results = run_checks(conn, renderer, run_id=run_id, scope=args.scope, only=args.only)
            except ValueError as exc:  # an unknown --check name
                raise ShopetlError(f"refused: {exc}") from None
        conn.read_only = False
        conn.isolation_level = None
        record_results(conn, run_id, results)
    if args.json:
        print(json.dumps([_as_json(r) for r in results], default=str))
    else:
        _print_table(results, run_id, args.scope)
    return EXIT_CHECK_FAILED if blocking(results) else EXIT_OK


def _judged_run(conn: psycopg.Connection, run: int | None, scope: str) -> int | None:
    if conn.execute("select to_regclass('etl.check_results')").fetchone() == (None,):
        raise ShopetlError("this database has no etl.check_results yet: run `shopetl migrate` first")
    latest = conn.execute("select max(run_id) from etl.runs").fetchone()[0]  # type: ignore[index]
    if run is not None and not conn.execute("select 1 from etl.runs where run_id = %s", (run,)).fetchone():
        raise ShopetlError(f"no run {run} in etl.runs (see `shopetl runs`)")
    if scope == "batch":
        if latest is None:
            raise ShopetlError("--scope batch judges the latest run's batch, and there is no run yet")
        if run is not None and run != latest:
            raise ShopetlError(
                f"--scope batch reads the staging tables, which hold the latest run ({latest}), not run {run};"
                f" use --scope all for run {run}"
            )
        run = latest
    conn.rollback()
    return run


def _show(renderer: Renderer, run_id: int | None, scope: str, only: list[str] | None) -> str:
    """Each selected check as a psql script: its planner settings (`-- set:` lines) applied with
    SET LOCAL in a transaction that is rolled back, then its query (the violating rows)."""
    checks = discover(renderer.folder)
    try:
        groups = by_query(select(checks, only))
    except ValueError as exc:  # an unknown --check name
        raise ShopetlError(f"refused: {exc}") from None
    out = []
    for group in groups:  # a file of several checks (`-- also:`) is one query
        path = group[0].path
        names = ", ".join(c.name for c in checks if c.path == path)
        sql = render(renderer, group[0], run_id=run_id, scope=scope).strip().rstrip(";")  # type: ignore[arg-type]
        sets = "".join(f"set local {name} = {value};\n" for name, value in settings(sql).items())
        run = "" if run_id is None else f", run {run_id}"
        out.append(f"-- check {names} ({path.name}), scope {scope}{run}: its rows are the violations\n"
                   f"begin;\n{sets}{sql};\nrollback;\n")
    return "\n".join(out)


def _as_json(r: CheckResult) -> dict[str, Any]:
    return {
        "check": r.name, "severity": r.severity, "scope": r.scope, "status": r.status,
        "violating_rows": r.violating_rows, "duration_ms": r.duration_ms, "sample": r.sample, "error": r.error,
    }


def _print_table(results: list[CheckResult], run_id: int | None, scope: str) -> None:
    from rich.console import Console
    from rich.table import Table

    style = {"pass": "green", "fail": "red", "error": "magenta"}
    title = f"data-quality checks, scope {scope}" + (f", run {run_id}" if run_id is not None else "")
    table = Table(title=title)
    for col in ("check", "severity", "status", "violating rows", "time"):
        table.add_column(col, justify="right" if col in ("violating rows", "time") else "left")
    for r in results:
        status = r.status if r.status == "pass" or r.severity == "error" else f"{r.status} (warn)"
        table.add_row(
            r.name,
            r.severity,
            f"[{style[r.status]}]{status}[/]",
            "-" if r.violating_rows is None else f"{r.violating_rows:,}",
            f"{r.duration_ms / 1000:.2f} s",
        )
    console = Console()
    console.print(table)
    for r in results:
        if r.status == "error":
            console.print(f"[magenta]{r.name}[/]: could not run: {r.error}", highlight=False)
        elif r.status == "fail":
            console.print(f"[red]{r.name}[/]: e.g. {json.dumps(r.sample[0], default=str)}", highlight=False)
    stopped = blocking(results)
    console.print(
        f"{len(results)} checks: {sum(r.status == 'pass' for r in results)} passed, "
        f"{len(stopped)} error-severity failing" + (" (exit 1)" if stopped else "")
        + "; details in etl.check_results, latest per check in etl.latest_check_results"
    )
