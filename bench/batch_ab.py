"""One stage or check of a 1 % batch, this checkout's SQL against another commit's, timed in turns.

    python bench/batch_ab.py --database bench_shopetl --base HEAD~1 validate_order_items
    python bench/batch_ab.py --database bench_shopetl --base 1e80e1d --reps 5 daily_product_sales_reconcile
    python bench/batch_ab.py --database bench_shopetl --base /tmp/sql-variant customer_lifetime \\
        --snapshot "select sum(lifetime_value), count(*) from marts.customer_lifetime"

`make bench` times whole batches, one after another, and a machine's drift between them is as
large as most changes to one statement. Here both versions of TARGET run over the same seconds,
in the same transaction, on the same batch: a batch (``--data``, or a 1 % batch that
bench/incremental.py's ``make_batch`` writes from the loaded database, seed ``--seed``) is staged
and run through the load's own stages (this checkout's SQL) up to TARGET; then TARGET runs
``--reps`` times per version, the versions taking turns (which goes first alternates), each
run undone before the next; and at the end the whole batch is rolled back and its run is
marked failed in the ledger, so the database is as it was.

TARGET is a validation stage (which the load commits: each run rebuilds its staging table, in
as many parts at once as the load would use), a publish stage (each run rolled back to a
savepoint) or a check (as the load's gate runs it; nothing written). ``--base`` is a commit
(its ``sql/`` taken with `git archive`) or a folder laid out like ``sql/``.

Prints each run, then per version the median seconds and the ratio this/base. What each run
produced is compared: for a check, its status and violating rows; for a stage, the row of
``--snapshot SQL`` run after it (nothing compared without it). Exits 1 when the versions
disagree.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import common
import psycopg
from common import log


def base_sql(base: str, into: Path) -> Path:
    """The ``sql/`` folder of ``base``: a folder as it is, or a commit's (`git archive`)."""
    return Path(base) if Path(base).is_dir() else common.folder_at(base, "sql", into)


def kind_of(target: str, sql_dir: Path) -> str:
    """'validate', 'publish' or 'check': where TARGET runs in a batch."""
    from shopetl import checks
    from shopetl.load import PUBLISH, VALIDATE

    if target in VALIDATE:
        return "validate"
    if target in PUBLISH:
        return "publish"
    if target in {c.name for c in checks.discover(sql_dir / "checks")}:
        return "check"
    raise SystemExit(f"{target!r} is no validation stage, publish stage or check of {sql_dir}")


def compare(database: str, folder: Path, target: str, versions: dict[str, Path], reps: int,
            snapshot: str | None) -> dict[str, Any]:
    """Run ``target`` of each version ``reps`` times inside the batch of ``folder``; see the module doc."""
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    from shopetl import checks
    from shopetl.config import from_env
    from shopetl.load import BULK_ONLY, PUBLISH, VALIDATE, Pipeline
    from shopetl.render import Renderer

    settings = from_env({"DATABASE_URL": common.db_url(common.admin_url(), database)})
    kind = kind_of(target, settings.sql_dir)
    p = Pipeline(settings)
    own = p.renderer
    times: dict[str, list[float]] = {v: [] for v in versions}
    outputs: dict[str, set[Any]] = {v: set() for v in versions}
    with p._ctl() as ctl:
        p.lock(ctl, wait=True)
        run_id, _ = p.begin(ctl, folder, force=True)
        assert run_id is not None
        try:
            p.stage(ctl, run_id)
            ctx = p.run_info(ctl, run_id).context(settings.reject_threshold)
            staged = {k: int(n or 0) for k, n in ctl.execute(
                "select file_key, staged_rows from etl.run_files where run_id = %s", (run_id,))}
            with p._work() as conn:
                bulk = conn.execute("select not exists (select 1 from core.order_keys)").fetchone()[0]  # type: ignore[index]
                if bulk:
                    raise SystemExit(f"{database} has no orders: load the full set first (a batch goes on top of it)")
                pctx = {**ctx, "bulk": False}

                def run_once(version: str) -> tuple[float, Any]:
                    folder_v = versions[version]
                    if kind == "validate":  # committed by the load: rebuilt by each run
                        p.renderer = Renderer(folder_v / "transforms")
                        t0 = time.monotonic()
                        p._run_stage(conn, ctl, run_id, target, ctx, p._parts(target, staged))
                        conn.commit()
                        took = time.monotonic() - t0
                        p.renderer = own
                        return took, snap(conn)
                    if kind == "publish":
                        with conn.transaction() as sp:
                            t0 = time.monotonic()
                            conn.execute(Renderer(folder_v / "transforms").render(target, **pctx))  # type: ignore[arg-type]
                            took = time.monotonic() - t0
                            out = snap(conn)
                            raise psycopg.Rollback(sp)
                        return took, out
                    t0 = time.monotonic()
                    [r] = checks.run_checks(conn, Renderer(folder_v / "checks"), run_id=run_id, scope="batch",
                                            context=pctx, only=[target])
                    took = time.monotonic() - t0
                    if r.error:
                        raise SystemExit(f"{version}: {target} failed: {r.error}")
                    return took, (r.status, r.violating_rows)

                def snap(conn: psycopg.Connection[Any]) -> Any:
                    return tuple(conn.execute(snapshot).fetchone() or ()) if snapshot else None  # type: ignore[arg-type]

                # the load's own stages up to the target (validation committed, publish not), then its runs
                for name in (*VALIDATE, "reject_gate"):
                    if name == target:
                        break
                    p._run_stage(conn, ctl, run_id, name, ctx, p._parts(name, staged))
                    conn.commit()
                if kind != "validate":
                    for name in PUBLISH:
                        if name == target:
                            break
                        if name not in BULK_ONLY:
                            p._run_stage(conn, ctl, run_id, name, pctx)
                order = list(versions)
                for rep in range(reps):
                    for version in order if rep % 2 == 0 else order[::-1]:
                        took, out = run_once(version)
                        times[version].append(took)
                        outputs[version].add(out)
                        log(f"run {rep + 1} {version}: {took:.3f} s" + ("" if out is None else f"  {out}"))
                conn.rollback()
        finally:
            ctl.execute("update etl.runs set status = 'failed', finished_at = now(), error = 'bench/batch_ab.py'"
                        " where run_id = %s", (run_id,))
    return {"target": target, "kind": kind, "times": times, "outputs": outputs}


def report(r: dict[str, Any], snapshot: str | None, out: Callable[[str], None] = print) -> bool:
    """Print the medians and the ratio; True when the versions produced the same."""
    med = {v: statistics.median(t) for v, t in r["times"].items()}
    for v, t in r["times"].items():
        out(f"{r['target']} {v}: median {med[v]:.3f} s of {len(t)} ({', '.join(f'{x:.2f}' for x in t)})")
    out(f"{r['target']} median this/base {med['this'] / med['base']:.3f}")
    produced = {v: sorted(map(repr, o)) for v, o in r["outputs"].items()}
    if r["kind"] != "check" and snapshot is None:
        out("outputs not compared (no --snapshot)")
        return True
    if produced["this"] == produced["base"] and len(produced["this"]) == 1:
        out(f"both produced {produced['this'][0]}")
        return True
    out(f"the versions disagree: this {produced['this']}, base {produced['base']}")
    return False


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("target", help="a validation stage, publish stage or check, by name")
    ap.add_argument("--database", required=True, help="a fully loaded database of the embedded server (or DATABASE_URL's)")
    ap.add_argument("--base", required=True, help="the commit (or sql/-like folder) to compare with")
    ap.add_argument("--data", type=Path, help="the batch's delivery folder (default: a 1 %% batch written from --database)")
    ap.add_argument("--seed", type=int, default=1000, help="make_batch's seed without --data (default 1000, the bench's first)")
    ap.add_argument("--reps", type=int, default=5, help="runs per version (default 5)")
    ap.add_argument("--snapshot", help="SQL whose one row, after each run of a stage, must agree between versions")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="shopetl-batch-ab-") as tmp:
        work = Path(tmp)
        folder = args.data
        if folder is None:
            import incremental

            folder = work / "batch"
            made = incremental.make_batch(common.db_url(common.admin_url(), args.database), folder, args.seed)
            log(f"batch written: {made}")
        versions = {"this": common.ROOT / "sql", "base": base_sql(args.base, work)}
        r = compare(args.database, folder, args.target, versions, args.reps, args.snapshot)
    if not report(r, args.snapshot):
        raise SystemExit(1)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
