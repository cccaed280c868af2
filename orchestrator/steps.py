"""The load's steps as plain functions of (settings, run id), for schedulers that run each step
in its own process (the Flyte tasks in ``flyte/``). They are the same code ``shopetl load``
runs in one process; each takes the pipeline's advisory lock for its duration (waiting for it),
so two steps never interleave on one database.

    run_id = begin(settings, "/deliveries/2024-06-01")   # None: nothing new in the folder
    stage(settings, run_id)
    why = validate(settings, run_id)                     # None, or why the batch is refused
    why, checks = publish(settings, run_id)              # None, or which error check failed
    refresh(settings, run_id)
    summary = finish(settings, run_id, "ok" if why is None else "failed", error=why)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

from .config import Settings
from .load import LoadResult, Pipeline


@contextmanager
def _locked(settings: Settings) -> Iterator[tuple[Pipeline, psycopg.Connection]]:
    p = Pipeline(settings)
    with p._ctl() as ctl:
        p.check_migrated(ctl)
        p.lock(ctl, wait=True)
        yield p, ctl


def begin(settings: Settings, folder: str | Path, *, force: bool = False) -> int | None:
    """Open a run for the delivery folder; None when every file in it was loaded before.
    Raises RefusedInput when a file lacks a required column (the run is recorded as refused)."""
    with _locked(settings) as (p, ctl):
        run_id, _ = p.begin(ctl, Path(folder), force=force, orchestrated_by="steps")
        return run_id


def stage(settings: Settings, run_id: int) -> dict[str, float]:
    with _locked(settings) as (p, ctl):
        p.stage(ctl, run_id)
        return dict(p.timings)


def validate(settings: Settings, run_id: int) -> str | None:
    with _locked(settings) as (p, ctl):
        return p.validate(ctl, run_id)


def publish(settings: Settings, run_id: int) -> tuple[str | None, list[dict[str, Any]]]:
    with _locked(settings) as (p, ctl):
        why, results = p.publish(ctl, run_id)
        return why, [
            {"check": r.name, "severity": r.severity, "status": r.status, "violating_rows": r.violating_rows}
            for r in results
        ]


def refresh(settings: Settings, run_id: int) -> None:
    with _locked(settings) as (p, ctl):
        p.refresh(ctl, run_id)


def finish(settings: Settings, run_id: int, status: str, *, error: str | None = None) -> LoadResult:
    with _locked(settings) as (p, ctl):
        return p.finish(ctl, run_id, status, error=error)


def pending_deliveries(settings: Settings, inbox: str | Path) -> list[Path]:
    """Sub-folders of ``inbox`` (in name order) holding at least one file no successful run has
    loaded (by size and sha256): what a scheduled run should pick up next."""
    from .delivery import discover
    from .errors import RefusedInput

    p = Pipeline(settings)
    out: list[Path] = []
    with p._ctl() as ctl:
        p.check_migrated(ctl)
        for folder in sorted(x for x in Path(inbox).iterdir() if x.is_dir()):
            try:
                files = discover(folder)
            except RefusedInput:
                continue
            if set(files) - set(p.already_loaded(ctl, files)):
                out.append(folder)
    return out
