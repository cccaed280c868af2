"""The shopetl load as a Flyte workflow, run locally with

    pyflyte run flyte/workflows.py etl_pipeline --delivery data/sample

Each task runs one step of the load through ``shopetl.steps``, the same code ``shopetl load``
runs; the data stays in PostgreSQL and the tasks pass only the run id (the batch id of the
ledger, etl.runs) and short texts. Read top to bottom: the tasks, the workflow ``etl_pipeline``
with its two gates (the reject gate before publishing, the data-quality gate inside the publish
transaction), the ``incremental`` workflow over an inbox of delivery folders, and the launch
plans with their schedule and notifications. docs/orchestration.md says how to register, run
and watch them on a cluster.

Tasks are never cached: every one changes the database. Each retries transient database errors
(connection lost, server restarting); any other error fails the task at once, and the run is
closed as failed in the ledger.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

from flytekit import (
    CronSchedule,
    Deck,
    Email,
    LaunchPlan,
    Resources,
    Slack,
    WorkflowExecutionPhase,
    conditional,
    dynamic,
    task,
    workflow,
)
from flytekit.deck import DeckField

from shopetl import steps
from shopetl.errors import BatchFailed
from shopetl_flyte import report
from shopetl_flyte.runtime import (
    DATABASE_SECRET,
    begin_alone,
    deliveries,
    in_progress,
    run_step,
    settings,
    transient_db_errors,
)

#: begin_run's answer when every file of the delivery was loaded before (run ids start at 1).
NOTHING_NEW = 0
#: The folder the hourly schedule scans: one sub-folder per delivery, loaded in name order.
INBOX = "/mnt/shopetl/inbox"
#: The Kubernetes PodTemplate (in the execution's namespace) that mounts the deliveries at INBOX
#: in the pods of every task reading them; docs/orchestration.md has its manifest.
DELIVERIES = "shopetl-deliveries"
#: Who hears about a failed or timed-out execution (Slack: the channel's e-mail address).
ON_CALL = ["data-oncall@example.com"]
SLACK_CHANNEL = ["shopetl-alerts-aaaabbbbcccc@example.slack.com"]

log = logging.getLogger(__name__)

#: The tasks are thin clients: PostgreSQL does the work. Staging streams files with COPY, a
#: connection and a thread per file (SHOPETL_PARALLEL_FILES, default 2).
CLIENT = Resources(cpu="500m", mem="512Mi")
STAGING = Resources(cpu="2", mem="1Gi")


# -- the tasks: one step of the load each ---------------------------------------------------------


@task(cache=False, retries=3, timeout=timedelta(minutes=10), requests=CLIENT, limits=CLIENT,
      secret_requests=[DATABASE_SECRET], pod_template_name=DELIVERIES)
def begin_run(delivery: str, force: bool) -> int:
    """Open a run for the delivery folder and return its id; NOTHING_NEW when every file in it
    was loaded before (``force`` loads them again). Fails when a file lacks a required column
    (the run is recorded as refused) or while another load is in progress."""
    with transient_db_errors(f"begin {delivery}"):
        return begin_alone(settings(), delivery, force=force) or NOTHING_NEW


@task(cache=False, retries=0, timeout=timedelta(minutes=1), requests=CLIENT, limits=CLIENT)
def nothing_new(delivery: str) -> str:
    """The summary of a delivery whose files were all loaded before: no run was opened."""
    return json.dumps({"run_id": None, "status": "ok", "delivery": delivery,
                       "note": "every file was loaded before by a successful run; force=True loads it again"})


@task(cache=False, retries=3, timeout=timedelta(hours=1), requests=STAGING, limits=STAGING,
      secret_requests=[DATABASE_SECRET], pod_template_name=DELIVERIES)
def stage_files(run_id: int) -> int:
    """COPY the run's files into their staging tables (stages 10-12)."""
    with run_step(run_id, "stage") as s:
        steps.stage(s, run_id)
    return run_id


@task(cache=False, retries=3, timeout=timedelta(hours=1), requests=CLIENT, limits=CLIENT,
      secret_requests=[DATABASE_SECRET], pod_template_name=DELIVERIES)
def validate_batch(run_id: int) -> str:
    """Validate every staged row (stages 20-24, rejects recorded) and apply the reject gate (29):
    "" when the batch may be published, else why not."""
    with run_step(run_id, "validate") as s:
        return steps.validate(s, run_id) or ""


@task(cache=False, retries=3, timeout=timedelta(hours=2), requests=CLIENT, limits=CLIENT,
      secret_requests=[DATABASE_SECRET], pod_template_name=DELIVERIES)
def publish_batch(run_id: int) -> str:
    """Publish the batch in one transaction (stages 30-47) with the data-quality checks of
    severity ``error`` inside it: "" when it was committed, else which checks failed (the
    transaction was rolled back). Every check result is kept in etl.check_results."""
    with run_step(run_id, "publish") as s:
        why, _results = steps.publish(s, run_id)
        return why or ""


@task(cache=False, retries=3, timeout=timedelta(hours=1), requests=CLIENT, limits=CLIENT,
      secret_requests=[DATABASE_SECRET], pod_template_name=DELIVERIES)
def refresh_views(run_id: int) -> int:
    """Refresh the materialized views (stage 50) and ANALYZE (60)."""
    with run_step(run_id, "refresh") as s:
        steps.refresh(s, run_id)
    return run_id


@task(cache=False, retries=3, timeout=timedelta(minutes=10), requests=CLIENT, limits=CLIENT,
      secret_requests=[DATABASE_SECRET], enable_deck=True, deck_fields=(DeckField.INPUT, DeckField.OUTPUT))
def finish_run(run_id: int, why: str) -> str:
    """Close the run in the ledger, ok or (with ``why``) failed; show its report as Decks (stage
    timings, rows accepted and rejected per file and reason, check results); and fail the
    execution with ``why`` when the batch was not applied. Returns the run summary (JSON)."""
    s = settings()
    with transient_db_errors(f"finish run {run_id}"):
        result = steps.finish(s, run_id, "failed" if why else "ok", error=why or None)
        for title, html in report.decks(s, run_id).items():
            Deck(title, html)
    if why:
        raise BatchFailed(f"run {run_id}: {why}")
    return json.dumps(result.to_json())


# -- the workflow: from its last part to its entry point (a sub-workflow comes before its use) -----
#
# The two gates are sequential conditionals in one workflow, not nested ones: flytekit's local
# execution runs both branches of a conditional that sits in a sub-workflow called from another
# conditional's branch (flyteorg/flyte#6426), and a refused batch must never reach publish_batch.


@workflow
def complete_run(run_id: int) -> str:
    """The batch is published: refresh the views, then close the run as ok."""
    return finish_run(run_id=refresh_views(run_id=run_id), why="")


@workflow
def load_run(run_id: int) -> str:
    """The steps of an open run, with two gates that close it as failed and fail the execution
    naming the run and the reason: the reject gate (too many rejected rows: nothing is
    published) and the data-quality gate (a failing ``error`` check: the publish transaction
    was rolled back, nothing is refreshed)."""
    refused = validate_batch(run_id=stage_files(run_id=run_id))
    failed_checks = (
        conditional("reject_gate")
        .if_(refused == "").then(publish_batch(run_id=run_id))
        .else_().then(finish_run(run_id=run_id, why=refused))
    )
    return (
        conditional("quality_gate")
        .if_(failed_checks == "").then(complete_run(run_id=run_id))
        .else_().then(finish_run(run_id=run_id, why=failed_checks))
    )


@dynamic(cache=False, retries=3, timeout=timedelta(minutes=5), requests=CLIENT, limits=CLIENT)
def load_if_new(delivery: str, run_id: int) -> str:
    """``load_run`` when begin_run opened a run; when the delivery held nothing new, its summary."""
    if run_id == NOTHING_NEW:
        return nothing_new(delivery=delivery)
    return load_run(run_id=run_id)


@workflow
def etl_pipeline(delivery: str, force: bool = False) -> str:
    """Load one delivery folder (a path the tasks can read) into the database, as
    ``shopetl load DELIVERY`` does; returns the run summary (JSON) that etl.runs also keeps."""
    run_id = begin_run(delivery=delivery, force=force)
    return load_if_new(delivery=delivery, run_id=run_id)


# -- incremental operation: every delivery of an inbox not yet loaded, one after another ----------


@dynamic(cache=False, retries=3, timeout=timedelta(minutes=10), requests=CLIENT, limits=CLIENT,
         secret_requests=[DATABASE_SECRET], pod_template_name=DELIVERIES)
def load_deliveries(inbox: str, force: bool) -> list[str]:
    """One ``etl_pipeline`` per delivery folder of ``inbox``, in name order and one after another
    (a later delivery wins over an earlier one; a failure stops the rest until it is fixed):
    the folders with files no successful run loaded, or every folder when ``force`` (a full
    reload). While another run is in progress this tick does nothing (the next one catches up);
    a run in progress for longer than any execution lasts fails it, for a person to look at."""
    s = settings()
    with transient_db_errors(f"list {inbox}"):
        busy = in_progress(s)
        if busy is not None and not busy.stale:
            log.warning("skipped: %s; the next scheduled run picks the deliveries up", busy.describe())
            return []
        folders = deliveries(s, inbox, every=force)
    summaries: list[Any] = []  # promises of the nodes, or their values when run locally
    for folder in folders:
        summary = etl_pipeline(delivery=str(folder), force=force)
        if summaries:
            summaries[-1] >> summary
        summaries.append(summary)
    return summaries


@workflow
def incremental(inbox: str = INBOX, force: bool = False) -> list[str]:
    """Load the deliveries of ``inbox`` not loaded yet (``force``: all of them again, in order)."""
    return load_deliveries(inbox=inbox, force=force)


# -- launch plans -----------------------------------------------------------------------------------

ALERTS = [
    Email(phases=[WorkflowExecutionPhase.FAILED, WorkflowExecutionPhase.TIMED_OUT], recipients_email=ON_CALL),
    Slack(phases=[WorkflowExecutionPhase.FAILED, WorkflowExecutionPhase.TIMED_OUT], recipients_email=SLACK_CHANNEL),
]

#: Every hour, the deliveries that arrived in the inbox. Activate it after registering
#: (flytectl update launchplan --activate shopetl_hourly ...).
hourly = LaunchPlan.get_or_create(
    workflow=incremental,
    name="shopetl_hourly",
    default_inputs={"inbox": INBOX},
    fixed_inputs={"force": False},
    schedule=CronSchedule(schedule="0 * * * *"),
    notifications=ALERTS,
)

#: Launched by hand: every delivery of the inbox again, in name order (e.g. after restoring the
#: database or fixing a transform). Deactivate shopetl_hourly while it runs.
full_reload = LaunchPlan.get_or_create(
    workflow=incremental,
    name="shopetl_full_reload",
    default_inputs={"inbox": INBOX},
    fixed_inputs={"force": True},
    notifications=ALERTS,
)
