"""``shopetl load``: run the pipeline's stages over one delivery folder.

The order is the data's, one step at a time; each step is a method that needs only the run id,
so a Flyte task (or a DBA) can run one step alone, in another process:

    begin     the ledger row, the header check (refusal), files already loaded are skipped
    stage     COPY each file into its UNLOGGED staging table (stages 10-12)
    validate  stages 20-24, every rejected row recorded; then the reject gate (29)
    publish   stages 30-47 in ONE transaction (the batch is all-or-nothing), data-quality checks
              of severity `error` inside it: a failing check rolls the batch back
    refresh   materialized views (50) and ANALYZE (60)
    finish    the summary (70) and the run's final status

Each stage is one rendered SQL file; this module only decides which to run, times them and
keeps the ledger (etl.runs, etl.run_files, etl.run_stages).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import signal
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from . import db
from .config import Settings
from .delivery import FILE_KEYS, DeliveryFile, discover, read_header
from .errors import BatchFailed, ConcurrentRun, RefusedInput, ShopetlError
from .progress import FileProgress
from .render import Renderer
from .stage import StagedFile, stage_file, staging_columns

log = logging.getLogger(__name__)

VALIDATE = ("validate_product_categories", "validate_customers", "validate_products", "validate_orders",
            "validate_order_items")
PUBLISH = ("partitions", "changes", "sales_before", "publish_product_categories", "publish_customers",
           "publish_products", "bulk_begin", "publish_orders", "publish_order_items", "order_revenue",
           "category_closure", "sales_after", "daily_product_sales",
           "product_sales_rollups",  # right after daily_product_sales: moves by its per-day delta
           "daily_category_sales", "daily_sales",
           "customer_lifetime", "dim_date", "bulk_end")
#: Validation stages whose per-row statement a big file runs in parts at once (split_table in
#: sql/transforms/_macros.sql), with the file whose staged rows they read.
SPLIT_STAGES = {"validate_customers": "customers", "validate_orders": "orders", "validate_order_items": "order_items"}
#: Stages only a first load into empty order tables runs (indexes and keys built once at the end).
BULK_ONLY = ("bulk_begin", "bulk_end")
#: Stages a first load skips: every order is new, so stage 37 already set every order's revenue.
BULK_SKIPS = ("order_revenue",)
LOCK_KEY = "shopetl.load"
#: The load's sessions price a random page read at 1.1 sequential ones (the default is 4): a
#: batch looks up its keys in tables of millions of rows, which are cached, and at 4 the planner
#: hashed all 20M line keys to find the 200k lines of a 1 % batch (5.3 s) instead of looking
#: them up (0.15 s). Only the load's sessions: server-wide, the API's range scans over a third of
#: a mart turned from bitmap scans into slower index scans.
LOAD_RANDOM_PAGE_COST = 1.1


@dataclass
class LoadResult:
    run_id: int | None
    status: str
    files: dict[str, Any] = field(default_factory=dict)
    revenue_total: str | None = None
    duration_s: float = 0.0
    error: str | None = None
    stages: dict[str, float] = field(default_factory=dict)
    #: files of the folder already loaded by an earlier successful run: key -> that run's id
    skipped: dict[str, int] = field(default_factory=dict)
    checks: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "run_id": self.run_id,
            "status": self.status,
            "files": self.files,
            "revenue_total": self.revenue_total,
            "duration_s": round(self.duration_s, 3),
        }
        if self.skipped:
            out["skipped"] = self.skipped
        if self.checks:
            out["checks"] = self.checks
        if self.error:
            out["error"] = self.error
        return out


@dataclass(frozen=True)
class FileSpec:
    key: str
    file_name: str
    #: staging column of each header column, in file order (unknown ones are _extra_N)
    columns: list[str]
    #: the contract's columns the header lacks (optional ones: they stage as NULL)
    absent: list[str]

    @property
    def table_columns(self) -> list[str]:
        return self.columns + self.absent


@dataclass
class Run:
    """What a step needs to know about its run; read back from the ledger."""

    run_id: int
    folder: Path
    started_at: dt.datetime
    specs: dict[str, FileSpec]
    #: the files this run loads (the folder's, less those skipped as already loaded)
    files: dict[str, DeliveryFile]

    def context(self, threshold: float) -> dict[str, Any]:
        return {
            "run_id": self.run_id, "started_at": self.started_at, "threshold": threshold, "files": self.specs,
            "bulk": False,
        }


class Pipeline:
    """The steps of a load against one database."""

    def __init__(self, settings: Settings, *, show_progress: bool = False) -> None:
        self.settings = settings
        self.renderer = Renderer(settings.sql_dir / "transforms")
        self.show_progress = show_progress
        self.url = db.database_url(settings)
        self.timings: dict[str, float] = {}

    # -- connections, ledger, timing --------------------------------------------------------
    def _ctl(self) -> psycopg.Connection:
        return psycopg.connect(self.url, autocommit=True, options=db.SESSION_OPTIONS, application_name="shopetl load")

    def _work(self) -> psycopg.Connection:
        conn = psycopg.connect(self.url, options=db.SESSION_OPTIONS, application_name="shopetl load")
        conn.execute("set work_mem = '256MB'")
        conn.execute("set maintenance_work_mem = '512MB'")
        conn.execute(f"set random_page_cost = {LOAD_RANDOM_PAGE_COST}")
        # a killed orchestrator must not leave its statement running (and holding locks)
        conn.execute("set client_connection_check_interval = 1000")
        conn.commit()
        return conn

    @contextmanager
    def _timed(self, ctl: psycopg.Connection, run_id: int, stage: str) -> Iterator[dict[str, int | None]]:
        box: dict[str, int | None] = {"rows": None}
        started = dt.datetime.now(dt.UTC)
        t0 = time.monotonic()
        ctl.execute("update etl.runs set stage = %s where run_id = %s", (stage, run_id))
        yield box
        seconds = time.monotonic() - t0
        self.timings[stage] = seconds
        ctl.execute(
            "insert into etl.run_stages (run_id, stage, started_at, duration_ms, row_count) values (%s, %s, %s, %s, %s)"
            " on conflict (run_id, stage) do update set started_at = excluded.started_at,"
            " duration_ms = excluded.duration_ms, row_count = excluded.row_count",
            (run_id, stage, started, int(seconds * 1000), box["rows"]),
        )
        log.info("stage %-28s %8.2f s%s", stage, seconds, "" if box["rows"] is None else f"  rows={box['rows']}")

    def _run_stage(
        self, conn: psycopg.Connection, ctl: psycopg.Connection, run_id: int, name: str, ctx: dict[str, Any],
        parts: int = 1,
    ) -> psycopg.Cursor[Any]:
        """Run one stage, timed. A validation stage whose per-row statement a big file runs in
        ``parts`` parts at once: the empty table (committed, so the parts see it), the parts on
        their own connections, then the rest of the stage on ``conn``; left uncommitted, like any
        stage."""
        with self._timed(ctl, run_id, name) as box:
            if parts > 1:
                self._script(conn, name, {**ctx, "section": "setup"})
                conn.commit()
                self._run_parts(name, ctx, parts)
                ctx = {**ctx, "section": "finish"}
            cur = self._script(conn, name, ctx)
            self._failpoint(name)
            box["rows"] = cur.rowcount if cur.rowcount >= 0 else None
            return cur

    def _script(self, conn: psycopg.Connection, name: str, ctx: dict[str, Any]) -> psycopg.Cursor[Any]:
        """Run a stage's rendered SQL; the cursor is at its last statement's result."""
        cur = conn.execute(self.renderer.render(name, **ctx))  # type: ignore[arg-type]
        while cur.nextset():  # a stage is a script: report its last statement's row count
            pass
        return cur

    def _run_parts(self, name: str, ctx: dict[str, Any], parts: int) -> None:
        """Each part on its own connection, committed; the first failure cancels the others and
        is raised."""
        with ExitStack() as stack:
            conns = [stack.enter_context(self._work()) for _ in range(parts)]
            pool = stack.enter_context(ThreadPoolExecutor(max_workers=parts, thread_name_prefix=name))
            futures = [
                pool.submit(self._run_part, c, name, {**ctx, "section": "part", "part": k, "parts": parts})
                for k, c in enumerate(conns)
            ]
            try:
                for fut in as_completed(futures):
                    fut.result()
            except BaseException:
                for c in conns:
                    c.cancel_safe()
                raise

    def _run_part(self, conn: psycopg.Connection, name: str, ctx: dict[str, Any]) -> None:
        self._script(conn, name, ctx)
        conn.commit()

    def _parts(self, name: str, staged_rows: dict[str, int]) -> int:
        """How many parts stage ``name`` runs in: ``parallel_parts`` for a big file, else 1."""
        key = SPLIT_STAGES.get(name)
        if key is None or staged_rows.get(key, 0) < self.settings.parallel_parts_min_rows:
            return 1
        return max(1, self.settings.parallel_parts)

    def _failpoint(self, name: str) -> None:
        if self.settings.failpoint == name:
            log.warning("failpoint %s: killing this process (SIGKILL)", name)
            os.kill(os.getpid(), signal.SIGKILL)

    # -- locking and the ledger -------------------------------------------------------------
    def lock(self, ctl: psycopg.Connection, wait: bool) -> None:
        """One load at a time per database: a session advisory lock, released when the session
        ends (so a killed process never leaves it behind)."""
        if wait:
            log.info("waiting for any other shopetl load on this database to finish")
            ctl.execute("select pg_advisory_lock(hashtext(%s))", (LOCK_KEY,))
            return
        if ctl.execute("select pg_try_advisory_lock(hashtext(%s))", (LOCK_KEY,)).fetchone()[0]:  # type: ignore[index]
            return
        holder = ctl.execute(
            "select a.pid, a.backend_start from pg_locks as l join pg_stat_activity as a using (pid)"
            " where l.locktype = 'advisory' and l.objid = hashtext(%s)::oid and l.granted",
            (LOCK_KEY,),
        ).fetchone()
        raise ConcurrentRun(
            "refused: another shopetl load is running on this database"
            + (f" (backend pid {holder[0]}, since {holder[1]:%Y-%m-%d %H:%M:%S})" if holder else "")
            + "; wait for it to finish (or pass --wait) and run this load again"
        )

    def check_migrated(self, ctl: psycopg.Connection) -> None:
        if ctl.execute("select to_regclass('etl.contract_columns')").fetchone() == (None,):
            raise ShopetlError("this database has no shopetl schema yet: run `shopetl migrate` first")

    def close_interrupted_runs(self, ctl: psycopg.Connection) -> None:
        """Runs of `shopetl load` still 'running' while we hold the lock were killed: record them
        as failed. Their publish transaction, if any, was rolled back whole; this load redoes their
        work. A run whose steps run in separate processes (Flyte) holds the lock only during each
        step, so while one is open another load is refused instead."""
        open_steps = ctl.execute(
            "select run_id, stage, started_at from etl.runs where status = 'running' and orchestrated_by = 'steps'"
        ).fetchone()
        if open_steps:
            raise ConcurrentRun(
                f"refused: run {open_steps[0]} (started {open_steps[2]:%Y-%m-%d %H:%M:%S}, last stage"
                f" {open_steps[1]}) is being run step by step by a scheduler (Flyte); wait for it to finish,"
                " or if it is dead, close it: update etl.runs set status = 'failed' where run_id ="
                f" {open_steps[0]}"
            )
        for run_id, stage in ctl.execute(
            "update etl.runs set status = 'failed', finished_at = now(),"
            " error = 'interrupted during stage ' || coalesce(stage, 'start') || '; a later load redid the work'"
            " where status = 'running' returning run_id, stage"
        ).fetchall():
            log.warning("run %s was interrupted during stage %s; this load takes its place", run_id, stage)

    def already_loaded(self, ctl: psycopg.Connection, files: dict[str, DeliveryFile]) -> dict[str, int]:
        """Files whose exact bytes an earlier successful run loaded (hashed only when one of the
        same size exists, so a new delivery costs no extra read)."""
        out: dict[str, int] = {}
        for key, f in files.items():
            earlier = ctl.execute(
                "select f.sha256, max(f.run_id) from etl.run_files as f join etl.runs as r using (run_id)"
                " where r.status = 'ok' and f.file_key = %s and f.size_bytes = %s group by f.sha256",
                (key, f.size),
            ).fetchall()
            if earlier:
                run_by_digest: dict[str, int] = dict(earlier)  # one row per digest
                digest = sha256_of(f.path)
                if digest in run_by_digest:
                    out[key] = run_by_digest[digest]
        return out

    def _contract(self, ctl: psycopg.Connection) -> dict[str, list[tuple[str, bool]]]:
        contract: dict[str, list[tuple[str, bool]]] = {}
        for key, name, required in ctl.execute(
            "select file_key, column_name, is_required from etl.contract_columns order by file_key, position"
        ):
            contract.setdefault(key, []).append((name, required))
        return contract

    def specs(self, ctl: psycopg.Connection, headers: dict[str, tuple[str, list[str]]]) -> dict[str, FileSpec]:
        """Staging columns per file from its header; refuses the batch when a required column is
        missing. ``headers``: key -> (file name, header)."""
        contract = self._contract(ctl)
        specs: dict[str, FileSpec] = {}
        problems: list[str] = []
        for key in FILE_KEYS:
            names = [n for n, _ in contract[key]]
            if key not in headers:
                specs[key] = FileSpec(key, f"{key}.csv", names, [])
                continue
            file_name, header = headers[key]
            problems += [f"{file_name} has no column '{n}' (line 1)" for n, req in contract[key] if req and n not in header]
            for n in header:
                if n not in names:
                    log.warning("%s: column '%s' is not in the data contract; it is ignored", file_name, n)
            columns = staging_columns(header, names)
            specs[key] = FileSpec(key, file_name, columns, [n for n in names if n not in columns])
        if problems:
            raise RefusedInput(
                "refused: " + "; ".join(problems) + ". A required column is missing, so nothing of this batch"
                " was loaded: fix the export and deliver the folder again."
            )
        return specs

    def run_info(self, ctl: psycopg.Connection, run_id: int) -> Run:
        row = ctl.execute("select folder, started_at from etl.runs where run_id = %s", (run_id,)).fetchone()
        if row is None:
            raise ShopetlError(f"no run {run_id} in etl.runs (see `shopetl runs`)")
        folder = Path(row[0])
        taken = {k: (n, h) for k, n, h in ctl.execute(
            "select file_key, file_name, header from etl.run_files where run_id = %s", (run_id,))}
        found = discover(folder) if taken else {}
        files = {k: f for k, f in found.items() if k in taken}
        return Run(run_id, folder, row[1], self.specs(ctl, taken), files)

    # -- the steps --------------------------------------------------------------------------
    def begin(
        self, ctl: psycopg.Connection, folder: Path, *, force: bool = False, orchestrated_by: str = "cli"
    ) -> tuple[int | None, dict[str, int]]:
        """Open a run for ``folder`` (caller holds the lock). Returns (run id, skipped files);
        run id None when every file was loaded before. Raises RefusedInput (recorded)."""
        self.check_migrated(ctl)
        files = discover(folder)
        self.close_interrupted_runs(ctl)
        skipped = {} if force else self.already_loaded(ctl, files)
        for key, earlier in skipped.items():
            log.warning("%s was loaded already by run %s (same sha256); skipped (--force loads it again)",
                        files.pop(key).name, earlier)
        if not files:
            log.warning("nothing to load in %s: every file was loaded before", folder)
            return None, skipped
        run_id = int(ctl.execute(
            "insert into etl.runs (folder, orchestrated_by) values (%s, %s) returning run_id",
            (str(folder.resolve()), orchestrated_by),
        ).fetchone()[0])  # type: ignore[index]
        log.info("run %s: loading %s (%s)", run_id, folder, ", ".join(f.name for f in files.values()))
        try:
            headers = {k: (f.name, read_header(f)) for k, f in files.items()}
            self.specs(ctl, headers)
        except RefusedInput as exc:
            self.finish(ctl, run_id, "refused", error=str(exc))
            raise
        for key, f in files.items():
            ctl.execute(
                "insert into etl.run_files (run_id, file_key, file_name, size_bytes, header) values (%s, %s, %s, %s, %s)",
                (run_id, key, f.name, f.size, headers[key][1]),
            )
        return run_id, skipped

    def stage(self, ctl: psycopg.Connection, run_id: int) -> None:
        run = self.run_info(ctl, run_id)
        # a step may be retried (by a scheduler): forget what an earlier attempt recorded
        ctl.execute("delete from etl.rejects where run_id = %s", (run_id,))
        with self._timed(ctl, run_id, "stage_tables"):
            ctl.execute(self.renderer.render("stage_tables", **run.context(self.settings.reject_threshold)))  # type: ignore[arg-type]
        staged: list[StagedFile] = []
        with self._timed(ctl, run_id, "copy") as box, FileProgress(enabled=self.show_progress) as progress:
            tasks = {key: progress.add(f.name, f.size) for key, f in run.files.items()}
            with ThreadPoolExecutor(max_workers=self.settings.parallel_files) as pool:
                failpoint = (lambda: self._failpoint("copy")) if self.settings.failpoint == "copy" else None
                futures = [
                    pool.submit(stage_file, self.url, run_id, f, run.specs[key].columns, self.renderer,
                                tasks[key].advance, tasks[key].reset, failpoint)
                    for key, f in run.files.items()
                ]
                for fut in futures:
                    s = fut.result()
                    tasks[s.key].done(s.records)
                    staged.append(s)
            box["rows"] = sum(s.records for s in staged)
        for s in staged:
            self.timings[f"stage:{s.key}"] = s.seconds
            ctl.execute(
                "update etl.run_files set sha256 = %s, staged_rows = %s, physical_lines = %s"
                " where run_id = %s and file_key = %s",
                (s.sha256, s.records, s.physical_lines, run_id, s.key),
            )
            log.info("staged %-24s %10d records %8.2f s%s", s.file_name, s.records, s.seconds,
                     " (salvaged record by record)" if s.salvaged else "")

    def validate(self, ctl: psycopg.Connection, run_id: int) -> str | None:
        """Validation stages and the reject gate; returns why the batch may not be applied, or None."""
        run = self.run_info(ctl, run_id)
        ctx = run.context(self.settings.reject_threshold)
        # malformed lines are recorded while staging; the rest is this step's (it may be retried)
        ctl.execute("delete from etl.rejects where run_id = %s and reason <> 'malformed'", (run_id,))
        staged_rows = {k: int(n or 0) for k, n in ctl.execute(
            "select file_key, staged_rows from etl.run_files where run_id = %s", (run_id,))}
        with self._work() as conn:
            for name in VALIDATE:
                parts = self._parts(name, staged_rows)
                if parts > 1:
                    log.info("%s: %s staged rows, validated in %s parts at once", name, staged_rows.get(
                        SPLIT_STAGES[name], 0), parts)
                self._run_stage(conn, ctl, run_id, name, ctx, parts)
                conn.commit()
            over = self._run_stage(conn, ctl, run_id, "reject_gate", ctx).fetchall()
            conn.commit()
        if not over:
            return None
        detail = ", ".join(f"{k}: {r} of {n} rows rejected ({float(s):.1%})" for k, n, r, s in over)
        return (
            f"batch not applied: rejects exceed {self.settings.reject_threshold:.0%} of a file ({detail});"
            f" the rejects are recorded (shopetl rejects --run {run_id})"
        )

    def publish(self, ctl: psycopg.Connection, run_id: int) -> tuple[str | None, list[Any]]:
        """Apply the batch in one transaction, gated by the `error` data-quality checks.
        Returns (why it was not applied or None, check results)."""
        run = self.run_info(ctl, run_id)
        with self._work() as conn:
            bulk = conn.execute("select not exists (select 1 from core.order_keys)").fetchone()[0]  # type: ignore[index]
            ctx = {**run.context(self.settings.reject_threshold), "bulk": bulk}
            # recorded for the ledger (pipelineRuns' isFullLoad) and for refresh(), which vacuums
            # after a first load
            ctl.execute("update etl.runs set is_full_load = %s where run_id = %s", (bulk, run_id))
            if bulk:
                log.info("first load into empty order tables: their indexes and keys are built after the insert")
                conn.execute("set work_mem = '1GB'")
            failed: str | None = None
            results: list[Any] = []
            with conn.transaction() as tx:
                for name in PUBLISH:
                    if (name in BULK_ONLY and not bulk) or (name in BULK_SKIPS and bulk):
                        continue
                    self._run_stage(conn, ctl, run_id, name, ctx)
                failed, results = self._gate_checks(conn, ctl, run_id, ctx)
                if failed:
                    raise _Rollback(tx)
            # the deferred foreign-key checks of the batch's rows fire here, and a first load's
            # unlogged-until-commit files are synced: timed like a stage (a batch that was not
            # applied only ends the transaction its rolled-back savepoint was in)
            with nullcontext() if failed else self._timed(ctl, run_id, "commit"):
                conn.commit()
        self._record_checks(ctl, run_id, results)
        return failed, results

    def _gate_checks(
        self, conn: psycopg.Connection, ctl: psycopg.Connection, run_id: int, ctx: dict[str, Any]
    ) -> tuple[str | None, list[Any]]:
        """The data-quality checks scoped to this batch, inside its publish transaction."""
        from . import checks

        with self._timed(ctl, run_id, "checks") as box:
            results = checks.run_checks(
                conn, Renderer(self.settings.sql_dir / "checks"), run_id=run_id, scope="batch", context=ctx
            )
            box["rows"] = sum(1 for r in results if r.status != "pass")
        for r in results:
            if r.status != "pass":
                log.warning("check %s (%s): %s, %s violating rows%s", r.name, r.severity, r.status,
                            r.violating_rows, f" ({r.error})" if r.error else "")
        stop = checks.blocking(results)
        if stop:
            names = ", ".join(f"{r.name} ({r.status})" for r in stop)
            return f"batch not applied: data-quality check failed: {names} (see shopetl check --run {run_id})", results
        return None, results

    def _record_checks(self, ctl: psycopg.Connection, run_id: int, results: list[Any]) -> None:
        if results:
            from . import checks

            checks.record_results(ctl, run_id, results)

    def refresh(self, ctl: psycopg.Connection, run_id: int) -> None:
        run = self.run_info(ctl, run_id)
        ctx = run.context(self.settings.reject_threshold)
        with self._work() as conn:
            conn.autocommit = True
            self._run_stage(conn, ctl, run_id, "refresh_views", ctx)
            full = ctl.execute("select is_full_load from etl.runs where run_id = %s", (run_id,)).fetchone()
            if full and full[0]:
                self._run_stage(conn, ctl, run_id, "vacuum", ctx)
            self._run_stage(conn, ctl, run_id, "analyze", {**ctx, "bulk": bool(full and full[0])})

    def finish(
        self, ctl: psycopg.Connection, run_id: int, status: str, *, error: str | None = None,
        started: float | None = None, checks: list[dict[str, Any]] | None = None,
    ) -> LoadResult:
        files, revenue = ctl.execute(
            self.renderer.render("summary", run_id=run_id)).fetchone()  # type: ignore[misc, arg-type]
        if checks is None:
            checks = [
                {"check": c, "severity": sev, "status": st, "violating_rows": n}
                for c, sev, st, n in ctl.execute(
                    "select check_name, severity, status, violating_rows from etl.check_results"
                    " where run_id = %s order by check_name", (run_id,))
            ]
        order = {k: i for i, k in enumerate(FILE_KEYS)}
        result = LoadResult(
            run_id=run_id, status=status, files=dict(sorted(files.items(), key=lambda kv: order[kv[0]])),
            revenue_total=revenue, error=error, stages=dict(self.timings), checks=checks or [],
        )
        if started is not None:
            result.duration_s = time.monotonic() - started
        else:
            took = ctl.execute("select extract(epoch from now() - started_at) from etl.runs where run_id = %s",
                               (run_id,)).fetchone()
            result.duration_s = float(took[0]) if took else 0.0  # type: ignore[index]
        ctl.execute(
            "update etl.runs set status = %s, finished_at = now(), summary = %s, error = %s where run_id = %s",
            (status, json.dumps(result.to_json()), error, run_id),
        )
        return result

    # -- all steps, in one process ----------------------------------------------------------
    def run(self, folder: Path, *, force: bool = False, wait: bool = False) -> LoadResult:
        t0 = time.monotonic()
        with self._ctl() as ctl:
            self.check_migrated(ctl)
            self.lock(ctl, wait)
            run_id, skipped = self.begin(ctl, folder, force=force)
            if run_id is None:
                return LoadResult(run_id=None, status="ok", skipped=skipped, duration_s=time.monotonic() - t0)
            try:
                self.stage(ctl, run_id)
                why = self.validate(ctl, run_id)
                results: list[Any] = []
                if why is None:
                    why, results = self.publish(ctl, run_id)
                if why is None:
                    self.refresh(ctl, run_id)
                summary = [{"check": r.name, "severity": r.severity, "status": r.status,
                            "violating_rows": r.violating_rows} for r in results]
                result = self.finish(ctl, run_id, "ok" if why is None else "failed", error=why, started=t0,
                                     checks=summary)
            except BaseException as exc:
                ctl.execute(
                    "update etl.runs set status = %s, finished_at = now(), error = %s where run_id = %s",
                    ("refused" if isinstance(exc, RefusedInput) else "failed", str(exc) or type(exc).__name__, run_id),
                )
                raise
            result.skipped = skipped
            return result


class _Rollback(psycopg.Rollback):
    """Roll the publish transaction back (a failed `error` check)."""


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def load(
    settings: Settings, folder: Path, *, show_progress: bool | None = None, force: bool = False, wait: bool = False
) -> LoadResult:
    """Load one delivery folder. Raises RefusedInput (nothing loaded) or ConcurrentRun; returns a
    result with status "failed" when the batch was processed but not applied."""
    if show_progress is None:
        show_progress = sys.stderr.isatty()
    return Pipeline(settings, show_progress=show_progress).run(folder, force=force, wait=wait)


__all__ = ["load", "LoadResult", "Pipeline", "BatchFailed", "FileSpec", "Run"]
