"""``shopetl load``: run the pipeline's stages over one delivery folder.

The order is the data's: stage (COPY) -> validate (stages 20-24) -> reject gate (29) ->
publish (30-45, one transaction: the batch is all-or-nothing) -> refresh views (50) ->
analyze (60) -> summary (70). Each stage is one rendered SQL file; this module only decides
which to run, times them and keeps the ledger (etl.runs, etl.run_files, etl.run_stages).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

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
           "publish_products", "publish_orders", "publish_order_items", "order_revenue", "category_closure",
           "sales_after", "daily_product_sales", "daily_category_sales", "daily_sales", "customer_lifetime",
           "dim_date")
LOCK_KEY = "shopetl.load"


@dataclass
class LoadResult:
    run_id: int | None
    status: str
    files: dict[str, Any] = field(default_factory=dict)
    revenue_total: str | None = None
    duration_s: float = 0.0
    error: str | None = None
    stages: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "run_id": self.run_id,
            "status": self.status,
            "files": self.files,
            "revenue_total": self.revenue_total,
            "duration_s": round(self.duration_s, 3),
        }
        if self.error:
            out["error"] = self.error
        return out


@dataclass(frozen=True)
class _FileSpec:
    key: str
    file_name: str
    #: staging column of each header column, in file order (unknown ones are _extra_N)
    columns: list[str]
    #: the contract's columns the header lacks (optional ones: they stage as NULL)
    absent: list[str]

    @property
    def table_columns(self) -> list[str]:
        return self.columns + self.absent


class Pipeline:
    """One run over one folder against one database."""

    def __init__(self, settings: Settings, folder: Path, *, show_progress: bool = True) -> None:
        self.settings = settings
        self.folder = folder
        self.renderer = Renderer(settings.sql_dir / "transforms")
        self.show_progress = show_progress
        self.url = db.database_url(settings)
        self.run_id: int | None = None
        self.started_at: dt.datetime | None = None
        self.timings: dict[str, float] = {}

    # -- the ledger -------------------------------------------------------------------------
    def _ledger(self, ctl: psycopg.Connection, sql: str, params: tuple[Any, ...]) -> None:
        ctl.execute(sql, params)  # type: ignore[arg-type]

    @contextmanager
    def _timed(self, ctl: psycopg.Connection, stage: str) -> Iterator[dict[str, int | None]]:
        box: dict[str, int | None] = {"rows": None}
        started = dt.datetime.now(dt.timezone.utc)
        t0 = time.monotonic()
        self._ledger(ctl, "update etl.runs set stage = %s where run_id = %s", (stage, self.run_id))
        yield box
        seconds = time.monotonic() - t0
        self.timings[stage] = seconds
        self._ledger(
            ctl,
            "insert into etl.run_stages (run_id, stage, started_at, duration_ms, row_count) values (%s, %s, %s, %s, %s)"
            " on conflict (run_id, stage) do update set duration_ms = excluded.duration_ms,"
            " row_count = excluded.row_count",
            (self.run_id, stage, started, int(seconds * 1000), box["rows"]),
        )
        log.info("stage %-28s %8.2f s%s", stage, seconds, "" if box["rows"] is None else f"  rows={box['rows']}")

    def context(self, specs: dict[str, _FileSpec]) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "started_at": self.started_at,
            "threshold": self.settings.reject_threshold,
            "files": specs,
        }

    def _run_stage(self, conn: psycopg.Connection, ctl: psycopg.Connection, name: str, ctx: dict[str, Any]) -> Any:
        with self._timed(ctl, name) as box:
            cur = conn.execute(self.renderer.render(name, **ctx))  # type: ignore[arg-type]
            while cur.nextset():  # a stage is a script: report its last statement's row count
                pass
            box["rows"] = cur.rowcount if cur.rowcount >= 0 else None
            return cur

    # -- the run ----------------------------------------------------------------------------
    def run(self) -> LoadResult:
        t0 = time.monotonic()
        files = discover(self.folder)
        with db.connect(self.url, autocommit=True, application_name="shopetl load") as ctl:
            self._check_migrated(ctl)
            if not ctl.execute("select pg_try_advisory_lock(hashtext(%s))", (LOCK_KEY,)).fetchone()[0]:  # type: ignore[index]
                holder = ctl.execute(
                    "select a.pid, a.application_name, a.backend_start from pg_locks as l"
                    " join pg_stat_activity as a using (pid)"
                    " where l.locktype = 'advisory' and l.objid = hashtext(%s)::oid and l.granted",
                    (LOCK_KEY,),
                ).fetchone()
                raise ConcurrentRun(
                    "refused: another shopetl load is running on this database"
                    + (f" (backend pid {holder[0]}, since {holder[2]:%Y-%m-%d %H:%M:%S})" if holder else "")
                    + "; wait for it to finish and run this load again"
                )
            row = ctl.execute(
                "insert into etl.runs (folder) values (%s) returning run_id, started_at", (str(self.folder),)
            ).fetchone()
            assert row is not None
            self.run_id, self.started_at = int(row[0]), row[1]
            log.info("run %s: loading %s (%s)", self.run_id, self.folder, ", ".join(f.name for f in files.values()))
            try:
                result = self._run(ctl, files)
            except RefusedInput as exc:
                self._finish(ctl, "refused", error=str(exc))
                raise
            except BaseException as exc:
                self._finish(ctl, "failed", error=str(exc) or type(exc).__name__)
                raise
            result.duration_s = time.monotonic() - t0
            result.stages = dict(self.timings)
            self._finish(ctl, result.status, summary=result.to_json(), error=result.error)
            return result

    def _check_migrated(self, ctl: psycopg.Connection) -> None:
        if ctl.execute("select to_regclass('etl.contract_columns')").fetchone() == (None,):
            raise ShopetlError("this database has no shopetl schema yet: run `shopetl migrate` first")

    def _finish(self, ctl: psycopg.Connection, status: str, summary: Any = None, error: str | None = None) -> None:
        ctl.execute(
            "update etl.runs set status = %s, finished_at = now(), summary = %s, error = %s where run_id = %s",
            (status, None if summary is None else json.dumps(summary), error, self.run_id),
        )

    def _headers(self, ctl: psycopg.Connection, files: dict[str, DeliveryFile]) -> dict[str, _FileSpec]:
        contract: dict[str, list[tuple[str, bool]]] = {}
        for key, name, required in ctl.execute(
            "select file_key, column_name, is_required from etl.contract_columns order by file_key, position"
        ):
            contract.setdefault(key, []).append((name, required))
        specs: dict[str, _FileSpec] = {}
        problems: list[str] = []
        for key in FILE_KEYS:
            names = [n for n, _ in contract[key]]
            f = files.get(key)
            if f is None:
                specs[key] = _FileSpec(key, f"{key}.csv", names, [])
                continue
            header = read_header(f)
            missing = [n for n, required in contract[key] if required and n not in header]
            for n in missing:
                problems.append(f"{f.name} has no column '{n}' (line 1)")
            for n in header:
                if n not in names:
                    log.warning("%s: column '%s' is not in the data contract; it is ignored", f.name, n)
            columns = staging_columns(header, names)
            specs[key] = _FileSpec(key, f.name, columns, [n for n in names if n not in columns])
        if problems:
            raise RefusedInput(
                "refused: " + "; ".join(problems) + ". A required column is missing, so nothing of this batch"
                " was loaded: fix the export and deliver the folder again."
            )
        return specs

    def _stage(self, ctl: psycopg.Connection, files: dict[str, DeliveryFile], specs: dict[str, _FileSpec]) -> None:
        with self._timed(ctl, "stage_tables"):
            ctl.execute(self.renderer.render("stage_tables", **self.context(specs)))  # type: ignore[arg-type]
        staged: list[StagedFile] = []
        t0 = time.monotonic()
        with FileProgress(enabled=self.show_progress) as progress:
            tasks = {key: progress.add(f.name, f.size) for key, f in files.items()}
            with ThreadPoolExecutor(max_workers=self.settings.parallel_files) as pool:
                futures = [
                    pool.submit(
                        stage_file,
                        self.url,
                        int(self.run_id),  # type: ignore[arg-type]
                        f,
                        read_header(f),
                        specs[key].columns,
                        self.renderer,
                        tasks[key].advance,
                        tasks[key].reset,
                    )
                    for key, f in files.items()
                ]
                for fut in futures:
                    s = fut.result()
                    tasks[s.key].done(s.records)
                    staged.append(s)
        for s in staged:
            self.timings[f"stage:{s.key}"] = s.seconds
            ctl.execute(
                "insert into etl.run_files (run_id, file_key, file_name, size_bytes, sha256, header, staged_rows,"
                " physical_lines) values (%s, %s, %s, %s, %s, %s, %s, %s)",
                (self.run_id, s.key, s.file_name, s.size_bytes, s.sha256, s.header, s.records, s.physical_lines),
            )
            log.info(
                "staged %-24s %10d records %8.2f s%s", s.file_name, s.records, s.seconds,
                " (salvaged record by record)" if s.salvaged else "",
            )
        self.timings["stage"] = time.monotonic() - t0

    def _run(self, ctl: psycopg.Connection, files: dict[str, DeliveryFile]) -> LoadResult:
        specs = self._headers(ctl, files)
        ctx = self.context(specs)
        self._stage(ctl, files, specs)
        with db.connect(self.url, application_name="shopetl load") as conn:
            conn.execute("set work_mem = '256MB'")
            for name in VALIDATE:
                self._run_stage(conn, ctl, name, ctx)
                conn.commit()
            over = self._run_stage(conn, ctl, "reject_gate", ctx).fetchall()
            conn.commit()
            if over:
                detail = ", ".join(f"{k}: {r} of {n} rows rejected ({float(s):.1%})" for k, n, r, s in over)
                result = self._summary(conn, ctx, "failed")
                result.error = (
                    f"batch not applied: rejects exceed {self.settings.reject_threshold:.0%} of a file ({detail});"
                    " the rejects are recorded (shopetl rejects --run {0})".format(self.run_id)
                )
                return result
            # The batch is all-or-nothing for the core tables and the marts.
            with conn.transaction():
                for name in PUBLISH:
                    self._run_stage(conn, ctl, name, ctx)
            conn.commit()
            conn.autocommit = True
            first = conn.execute(
                "select not ispopulated from pg_matviews where schemaname = 'marts' and matviewname = 'product_sales_totals'"
            ).fetchone()
            self._run_stage(conn, ctl, "refresh_views", {**ctx, "first_refresh": bool(first and first[0])})
            self._run_stage(conn, ctl, "analyze", ctx)
            return self._summary(conn, ctx, "ok")

    def _summary(self, conn: psycopg.Connection, ctx: dict[str, Any], status: str) -> LoadResult:
        files, revenue = conn.execute(self.renderer.render("summary", **ctx)).fetchone()  # type: ignore[misc, arg-type]
        return LoadResult(run_id=self.run_id, status=status, files=files, revenue_total=revenue)


def load(settings: Settings, folder: Path, *, show_progress: bool | None = None) -> LoadResult:
    """Load one delivery folder; raises RefusedInput / ConcurrentRun, returns a failed result
    when the batch was processed but not applied."""
    if show_progress is None:
        show_progress = sys.stderr.isatty()
    return Pipeline(settings, folder, show_progress=show_progress).run()


__all__ = ["load", "LoadResult", "Pipeline", "BatchFailed"]
