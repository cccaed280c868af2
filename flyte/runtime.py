"""What the Flyte tasks need around the load's steps: settings from a Flyte secret (or the
environment), transient database errors turned into retries, and one load at a time.

The steps (``shopetl.steps``) take the pipeline's advisory lock only while each runs; between
two tasks of an execution no lock is held. So that two executions (an hourly run and a backfill,
or a ``shopetl load`` in a shell) never interleave their steps on the shared staging tables,
``begin_alone`` opens a run only when no other run is ``running`` in the ledger.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from flytekit import FlyteContextManager, Secret, current_context
from flytekit.exceptions.user import FlyteRecoverableException

from shopetl import db, steps
from shopetl.config import Settings, from_env
from shopetl.delivery import discover
from shopetl.errors import ConcurrentRun, RefusedInput, ShopetlError

log = logging.getLogger(__name__)

#: The database URL as a Flyte secret: the Kubernetes secret ``shopetl`` with the key
#: ``database_url``. Tasks read it as ``_FSEC_SHOPETL_DATABASE_URL`` or from
#: ``/etc/secrets/shopetl/database_url``; a local run also from ``SHOPETL_DATABASE_URL``.
DATABASE_SECRET = Secret(group="shopetl", key="database_url")

#: Serialises ``begin_alone`` between executions (not the pipeline's own lock, which the steps take).
BEGIN_LOCK = "shopetl.flyte.begin"

#: A run ``running`` for longer than this outlived any execution (the tasks' timeouts and retries
#: add up to less): its execution was killed, and the run waits for a person (see the runbook).
STALE_AFTER = dt.timedelta(hours=12)


class MissingDatabase(ShopetlError):
    """A task on a cluster found neither the secret nor DATABASE_URL."""


def settings() -> Settings:
    """The settings of this task: ``SHOPETL_*`` variables, and the database URL from the Flyte
    secret, else from ``DATABASE_URL``. Locally, without either, the embedded server (as
    ``shopetl load``); on a cluster that would be an empty database in the pod, so it is refused."""
    base = from_env()
    url = _secret_url() or base.database_url
    if url:
        return base.with_(database_url=url)
    if not _local():
        raise MissingDatabase(
            "no database: create the Kubernetes secret 'shopetl' with the key 'database_url' (a libpq URL)"
            " in the execution's namespace, or set DATABASE_URL in the task's environment"
        )
    return base


def _secret_url() -> str | None:
    try:
        return current_context().secrets.get(DATABASE_SECRET.group, DATABASE_SECRET.key) or None
    except ValueError:  # flytekit's "secret not found"
        return None


def _local() -> bool:
    state = FlyteContextManager.current_context().execution_state
    return state is None or state.is_local_execution()


@contextmanager
def transient_db_errors(what: str) -> Iterator[None]:
    """Let Flyte retry ``what`` when the database was unreachable, restarted or cancelled the
    statement: flytekit retries only recoverable errors, so every other error fails at once."""
    try:
        yield
    except psycopg.OperationalError as exc:
        raise FlyteRecoverableException(
            f"{what}: transient database error ({type(exc).__name__}: {str(exc).strip()}); the task is retried"
        ) from exc


@contextmanager
def run_step(run_id: int, name: str) -> Iterator[Settings]:
    """Run one step of ``run_id``: transient errors are retried; any other error closes the run as
    failed in the ledger (as ``shopetl load`` does) before the task fails with it."""
    s = settings()
    try:
        with transient_db_errors(f"run {run_id}, step {name}"):
            yield s
    except FlyteRecoverableException:
        raise
    except Exception as exc:
        try:
            steps.finish(s, run_id, "failed", error=f"step {name} failed: {exc}")
        except Exception:  # the original error is what matters
            log.exception("run %s: could not record the failure of step %s in etl.runs", run_id, name)
        raise


@dataclass(frozen=True)
class RunningRun:
    run_id: int
    folder: str
    stage: str | None
    started_at: dt.datetime

    @property
    def stale(self) -> bool:
        return dt.datetime.now(dt.UTC) - self.started_at > STALE_AFTER

    def describe(self) -> str:
        return (f"run {self.run_id} ({self.folder}) is still running (stage {self.stage or 'begin'},"
                f" since {self.started_at:%Y-%m-%d %H:%M} UTC)")


def running_run(conn: psycopg.Connection) -> RunningRun | None:
    """The oldest run the ledger still shows as ``running``."""
    row = conn.execute(
        "select run_id, folder, stage, started_at from etl.runs where status = 'running' order by run_id limit 1"
    ).fetchone()
    return RunningRun(*row) if row else None


def in_progress(settings: Settings) -> RunningRun | None:
    with db.connect(db.database_url(settings), autocommit=True, application_name="shopetl flyte") as conn:
        return running_run(conn)


def begin_alone(settings: Settings, delivery: str, *, force: bool) -> int | None:
    """``steps.begin``, refused while another run is in progress (two executions must not
    interleave their steps). None: every file of the delivery was loaded before."""
    with db.connect(db.database_url(settings), autocommit=True, application_name="shopetl flyte") as conn:
        conn.execute("select pg_advisory_lock(hashtext(%s))", (BEGIN_LOCK,))  # until the connection closes
        other = running_run(conn)
        if other is not None:
            raise ConcurrentRun(
                f"refused to start a load of {delivery}: {other.describe()}. Another Flyte execution or"
                " `shopetl load` is loading this database and two loads must not interleave: wait for it."
                " If none is running any more, its run was interrupted: close it as docs/orchestration.md"
                " (runbook) says and launch again."
            )
        return steps.begin(settings, delivery, force=force)


def deliveries(settings: Settings, inbox: str, *, every: bool) -> list[Path]:
    """Delivery folders of ``inbox`` in name order: those with files not yet loaded (the ledger
    decides), or ``every`` one of them (a full reload)."""
    if not every:
        return steps.pending_deliveries(settings, inbox)
    out: list[Path] = []
    for folder in sorted(p for p in Path(inbox).iterdir() if p.is_dir()):
        try:
            discover(folder)
        except RefusedInput:
            continue
        out.append(folder)
    return out
