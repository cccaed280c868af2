"""The Flyte workflow (flyte/workflows.py), run by flytekit's local execution against real
PostgreSQL: the sample delivery then a second batch, the two gates (reject share, a failing
`error` check) stopping before anything is published, one load at a time, the incremental
workflow over an inbox, and serialization for a cluster with `pyflyte package`."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
import tarfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest

pytest.importorskip("flytekit")

from flytekit.exceptions.user import FlyteRecoverableException

from shopetl import config as config_mod
from shopetl import steps
from shopetl.errors import BatchFailed, ConcurrentRun
from shopetl_flyte import report
from shopetl_flyte.workflows import begin_run, etl_pipeline, incremental, stage_files

from .conftest import ROOT, SQL_DIR
from .etl_helpers import BASE, query, write_delivery
from .test_incremental import snapshot

pytestmark = pytest.mark.flyte

SAMPLE = ROOT / "data" / "sample"

SMALL_BATCH = {
    **BASE,
    "orders": """
        100,1,2024-01-01 10:00:00,Delivered,,,,,,,,,,
        101,2,2024-01-15 10:00:00,Shipped,,,,,,,,,,
    """,
    "order_items": """
        1000,100,10,2,100.00,,200.00
        1001,101,11,1,1000.00,,1000.00
    """,
}


@pytest.fixture
def flyte_env(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The tasks find the test database through DATABASE_URL (no secret set)."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    for name in ("SHOPETL_DATABASE_URL", "_FSEC_SHOPETL_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return db_url


@pytest.fixture
def sql_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of sql/ that the tasks use (Settings.sql_dir defaults to PROJECT_ROOT/sql)."""
    root = tmp_path / "project"
    shutil.copytree(SQL_DIR, root / "sql")
    monkeypatch.setattr(config_mod, "PROJECT_ROOT", root)
    return root / "sql"


def _records(key: str) -> int:
    with open(SAMPLE / f"sample_{key}.csv", newline="", encoding="utf-8") as f:
        return sum(1 for _ in csv.DictReader(f))


def _order_line(order_id: int) -> str:
    for line in (SAMPLE / "sample_orders.csv").read_text(encoding="utf-8").splitlines()[1:]:
        if line.split(",", 1)[0] == str(order_id):
            return line
    raise AssertionError(f"order {order_id} is not in the sample")


def test_the_sample_then_a_second_batch(flyte_env: str, tmp_path: Path) -> None:
    url = flyte_env
    first = json.loads(etl_pipeline(delivery=str(SAMPLE)))
    run_id = first["run_id"]
    assert first["status"] == "ok", first
    orders, items = _records("orders"), _records("order_items")
    assert first["files"]["orders"] == {"rows": orders, "accepted": orders, "rejected": {}}
    assert query(url, "select count(*)::int from core.orders") == [(orders,)]
    assert query(url, "select count(*)::int from core.order_items") == [(items,)]
    assert query(url, "select status, error, summary->>'run_id' from etl.runs") == [("ok", None, str(run_id))]
    stages = {s for (s,) in query(url, "select stage from etl.run_stages where run_id = %s", run_id)}
    assert {"stage_tables", "validate_orders", "reject_gate", "publish_orders", "checks",
            "refresh_views", "analyze"} <= stages
    assert query(url, "select count(*)::int from etl.check_results where run_id = %s and severity = 'error'"
                      " and status <> 'pass'", run_id) == [(0,)]
    assert query(url, "select count(*) > 0 from etl.check_results where run_id = %s", run_id) == [(True,)]
    decks = report.decks(config_mod.Settings(database_url=url), run_id)
    assert "publish_orders" in decks["Stages"] and "order_items" in decks["Rows"]
    assert "order_revenue_is_sum_of_lines" in decks["Checks"]

    # the same folder again: every file was loaded before, no run is opened
    assert json.loads(etl_pipeline(delivery=str(SAMPLE)))["run_id"] is None
    assert query(url, "select count(*)::int from etl.runs") == [(1,)]

    # a second batch: order 1 comes back returned, so it leaves the sales figures
    (revenue_1,) = query(url, "select revenue from core.orders where order_id = 1")[0]
    (total_before,) = query(url, "select sum(revenue) from marts.daily_sales")[0]
    line = _order_line(1).replace(",Delivered,", ",Returned,")
    second = json.loads(etl_pipeline(delivery=str(write_delivery(tmp_path / "second", {"orders": line}))))
    assert second["status"] == "ok" and second["run_id"] == run_id + 1, second
    assert second["files"] == {"orders": {"rows": 1, "accepted": 1, "rejected": {}}}
    assert query(url, "select status::text, batch_id from core.orders where order_id = 1") == [("Returned", run_id + 1)]
    assert revenue_1 > 0
    assert query(url, "select sum(revenue) from marts.daily_sales") == [(total_before - revenue_1,)]
    assert query(url, "select status from etl.runs order by run_id") == [("ok",), ("ok",)]


def test_a_failing_error_check_stops_before_publishing(flyte_env: str, sql_copy: Path, tmp_path: Path) -> None:
    url = flyte_env
    assert json.loads(etl_pipeline(delivery=str(write_delivery(tmp_path / "first", SMALL_BATCH))))["status"] == "ok"
    before = snapshot(url)
    (sql_copy / "checks" / "99_always_fails.sql").write_text(
        "-- A stand-in for a rule the batch breaks: one violating row, always.\n"
        "-- severity: error\n-- scope: table\nselect 1 as violation\n",
        encoding="utf-8",
    )
    second = write_delivery(tmp_path / "second", {
        "orders": "102,1,2024-02-01 10:00:00,Delivered,,,,,,,,,,",
        "order_items": "1002,102,10,1,100.00,,100.00",
    })
    with pytest.raises(BatchFailed, match=r"run 2: batch not applied: data-quality check failed: always_fails \(fail\)"):
        etl_pipeline(delivery=str(second))
    assert snapshot(url) == before
    assert query(url, "select count(*)::int from core.orders where order_id = 102") == [(0,)]
    (status, error), = query(url, "select status, error from etl.runs where run_id = 2")
    assert status == "failed" and "always_fails" in error
    assert query(url, "select status, violating_rows::int from etl.check_results"
                      " where run_id = 2 and check_name = 'always_fails'") == [("fail", 1)]
    # refresh never ran for the refused batch
    assert query(url, "select count(*)::int from etl.run_stages where run_id = 2 and stage = 'refresh_views'") == [(0,)]
    checks = report.decks(config_mod.Settings(database_url=url), 2)["Checks"]
    assert '<tr class="bad"><td>always_fails</td>' in checks


def test_too_many_rejects_stop_at_the_reject_gate(flyte_env: str, tmp_path: Path) -> None:
    url = flyte_env
    bad = {**SMALL_BATCH, "order_items": """
        1000,100,10,2,100.00,,200.00
        1001,101,99,1,1000.00,,1000.00
    """}  # product 99 does not exist: half the file rejected, over the 5% threshold
    with pytest.raises(BatchFailed, match=r"run 1: batch not applied: rejects exceed 5% of a file \(order_items"):
        etl_pipeline(delivery=str(write_delivery(tmp_path / "bad", bad)))
    assert query(url, "select count(*)::int from core.orders") == [(0,)]
    assert query(url, "select status from etl.runs") == [("failed",)]
    assert query(url, "select count(*)::int from etl.run_stages where stage like 'publish%%'") == [(0,)]


def test_one_load_at_a_time(flyte_env: str, tmp_path: Path) -> None:
    url = flyte_env
    query(url, "insert into etl.runs (folder, stage) values ('/elsewhere', 'validate_orders') returning run_id")
    delivery = write_delivery(tmp_path / "inbox" / "2024-01-01", SMALL_BATCH)
    with pytest.raises(ConcurrentRun, match=r"run 1 \(/elsewhere\) is still running \(stage validate_orders"):
        etl_pipeline(delivery=str(delivery))
    # the hourly tick waits for the next one instead of failing
    assert incremental(inbox=str(tmp_path / "inbox")) == []
    # ... unless the run is older than any execution can be: then a person must look
    query(url, "update etl.runs set started_at = now() - interval '1 day' where run_id = 1 returning 1")
    with pytest.raises(ConcurrentRun):
        incremental(inbox=str(tmp_path / "inbox"))
    assert query(url, "select count(*)::int from etl.runs") == [(1,)]


def test_a_step_error_closes_the_run_and_a_transient_one_is_left_to_the_retries(
    flyte_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = flyte_env
    delivery = write_delivery(tmp_path / "gone", SMALL_BATCH)
    run_id = begin_run(delivery=str(delivery), force=False)
    assert run_id == 1

    def unreachable(*_: object) -> None:
        raise psycopg.OperationalError("connection to server was lost")

    with monkeypatch.context() as m:
        m.setattr(steps, "stage", unreachable)
        with pytest.raises(FlyteRecoverableException, match=r"run 1, step stage: transient database error"):
            stage_files(run_id=run_id)
    assert query(url, "select status from etl.runs") == [("running",)]  # Flyte retries the task

    shutil.rmtree(delivery)
    with pytest.raises(Exception, match="is not a folder"):
        stage_files(run_id=run_id)
    (status, error), = query(url, "select status, error from etl.runs")
    assert status == "failed" and error.startswith("step stage failed: refused:") and "is not a folder" in error


def test_incremental_loads_pending_deliveries_in_order(flyte_env: str, tmp_path: Path) -> None:
    url = flyte_env
    inbox = tmp_path / "inbox"
    write_delivery(inbox / "2024-01-01", SMALL_BATCH)
    write_delivery(inbox / "2024-01-02", {"orders": "101,2,2024-01-15 10:00:00,Cancelled,,,,,,,,,,"})
    (inbox / "not-a-delivery").mkdir()
    summaries = [json.loads(s) for s in incremental(inbox=str(inbox))]
    assert [(s["run_id"], s["status"]) for s in summaries] == [(1, "ok"), (2, "ok")]
    assert query(url, "select folder from etl.runs order by run_id") == [
        (str((inbox / "2024-01-01").resolve()),), (str((inbox / "2024-01-02").resolve()),)]
    assert query(url, "select sum(revenue) from marts.daily_sales") == [(Decimal("200.00"),)]
    assert incremental(inbox=str(inbox)) == []  # nothing pending any more
    # a full reload takes every delivery again, in order
    assert [json.loads(s)["run_id"] for s in incremental(inbox=str(inbox), force=True)] == [3, 4]
    assert query(url, "select sum(revenue) from marts.daily_sales") == [(Decimal("200.00"),)]


def test_the_database_url_comes_from_the_flyte_secret_else_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from flytekit.core.context_manager import ExecutionState, FlyteContextManager

    from shopetl_flyte.runtime import MissingDatabase, settings

    for name in ("DATABASE_URL", "SHOPETL_DATABASE_URL", "_FSEC_SHOPETL_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql:///from_env")
    assert settings().database_url == "postgresql:///from_env"
    monkeypatch.setenv("_FSEC_SHOPETL_DATABASE_URL", "postgresql:///from_secret")
    assert settings().database_url == "postgresql:///from_secret"
    # on a cluster, neither: refused rather than an empty embedded server in the pod
    monkeypatch.delenv("_FSEC_SHOPETL_DATABASE_URL")
    monkeypatch.delenv("DATABASE_URL")
    ctx = FlyteContextManager.current_context()
    state = ctx.new_execution_state().with_params(mode=ExecutionState.Mode.TASK_EXECUTION)
    with (
        FlyteContextManager.with_context(ctx.with_execution_state(state)),
        pytest.raises(MissingDatabase, match="create the Kubernetes secret 'shopetl' with the key 'database_url'"),
    ):
        settings()


def _package(tmp_path: Path) -> tarfile.TarFile:
    out = tmp_path / "flyte-package.tgz"
    pyflyte = Path(sys.executable).with_name("pyflyte")
    done = subprocess.run(
        [str(pyflyte), "--pkgs", "shopetl_flyte", "package", "--image", "ghcr.io/example/shopetl:latest",
         "--output", str(out), "--force"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return tarfile.open(out)


def test_pyflyte_package_serializes_the_workflows_and_launch_plans(tmp_path: Path) -> None:
    from flyteidl.admin import launch_plan_pb2, task_pb2, workflow_pb2
    from flyteidl.core import execution_pb2

    with _package(tmp_path) as tar:
        names = tar.getnames()

        def entity(suffix: str, message: Any) -> Any:
            """The entity whose file name ends with ``suffix`` (_1 task, _2 workflow, _3 launch plan)."""
            found = [n for n in names if re.fullmatch(r"\d+_" + re.escape(suffix), n)]
            assert len(found) == 1, f"{suffix} not in {names}"
            member = tar.extractfile(found[0])
            assert member is not None
            message.ParseFromString(member.read())
            return message

        for name in ("etl_pipeline", "load_run", "complete_run", "incremental"):
            entity(f"shopetl_flyte.workflows.{name}_2.pb", workflow_pb2.WorkflowSpec())

        gates = entity("shopetl_flyte.workflows.load_run_2.pb", workflow_pb2.WorkflowSpec()).template.nodes
        assert [(n.metadata.name, n.WhichOneof("target")) for n in gates] == [
            ("stage_files", "task_node"), ("validate_batch", "task_node"),
            ("reject_gate", "branch_node"), ("quality_gate", "branch_node"),
        ]

        for name in ("begin_run", "stage_files", "validate_batch", "publish_batch", "refresh_views", "finish_run"):
            t = entity(f"shopetl_flyte.workflows.{name}_1.pb", task_pb2.TaskSpec()).template
            assert t.metadata.retries.retries == 3 and t.metadata.timeout.seconds > 0, name
            assert {r.name for r in t.container.resources.requests} >= {1, 3}, name  # CPU, MEMORY
            assert [(s.group, s.key) for s in t.security_context.secrets] == [("shopetl", "database_url")], name
            assert t.container.image == "ghcr.io/example/shopetl:latest"
            assert t.container.args[-4:] == ["task-module", "shopetl_flyte.workflows", "task-name", name]

        hourly = entity("shopetl_hourly_3.pb", launch_plan_pb2.LaunchPlan()).spec
        assert hourly.entity_metadata.schedule.cron_schedule.schedule == "0 * * * *"
        assert hourly.fixed_inputs.literals["force"].scalar.primitive.boolean is False
        assert "inbox" in hourly.default_inputs.parameters
        reload_ = entity("shopetl_full_reload_3.pb", launch_plan_pb2.LaunchPlan()).spec
        assert reload_.fixed_inputs.literals["force"].scalar.primitive.boolean is True
        assert not reload_.entity_metadata.HasField("schedule")
        for spec in (hourly, reload_):
            assert spec.workflow_id.name == "shopetl_flyte.workflows.incremental"
            alerts = {n.WhichOneof("type"): set(n.phases) for n in spec.entity_metadata.notifications}
            assert alerts == {
                "email": {execution_pb2.WorkflowExecution.FAILED, execution_pb2.WorkflowExecution.TIMED_OUT},
                "slack": {execution_pb2.WorkflowExecution.FAILED, execution_pb2.WorkflowExecution.TIMED_OUT},
            }


def _compile_on_cluster(dynamic_task: Any, **inputs: Any) -> Any:
    """What a dynamic task's pod does with its body: compile it into a workflow (DynamicJobSpec)."""
    from flytekit.configuration import ImageConfig, SerializationSettings
    from flytekit.core.context_manager import ExecutionState, FlyteContextManager

    ss = SerializationSettings(image_config=ImageConfig.auto(img_name="ghcr.io/example/shopetl:latest"))
    ctx = FlyteContextManager.current_context()
    state = ctx.new_execution_state().with_params(mode=ExecutionState.Mode.TASK_EXECUTION)
    with FlyteContextManager.with_context(ctx.with_serialization_settings(ss).with_execution_state(state)) as ctx:
        dynamic_task._wf = None  # a pod compiles once; flytekit keeps that workflow on the task
        try:
            return dynamic_task.compile_into_workflow(ctx, dynamic_task._task_function, **inputs)
        finally:
            dynamic_task._wf = None


def test_on_a_cluster_the_dynamic_tasks_chain_deliveries_and_branch_on_nothing_new(
    flyte_env: str, tmp_path: Path
) -> None:
    from shopetl_flyte.workflows import load_deliveries, load_if_new

    inbox = tmp_path / "inbox"
    for day in ("2024-01-01", "2024-01-02", "2024-01-03"):
        write_delivery(inbox / day, BASE)
    spec = _compile_on_cluster(load_deliveries, inbox=str(inbox), force=False)
    nodes = [(n.id, list(n.upstream_node_ids), n.inputs[0].binding.scalar.primitive.string_value) for n in spec.nodes]
    assert nodes == [  # one after another, in name order
        ("dn0", [], str(inbox / "2024-01-01")),
        ("dn1", ["dn0"], str(inbox / "2024-01-02")),
        ("dn2", ["dn1"], str(inbox / "2024-01-03")),
    ]
    assert {n.workflow_node.sub_workflow_ref.name for n in spec.nodes} == {"shopetl_flyte.workflows.etl_pipeline"}

    nothing = _compile_on_cluster(load_if_new, delivery="/x", run_id=0)
    assert [n.task_node.reference_id.name for n in nothing.nodes] == ["shopetl_flyte.workflows.nothing_new"]
    loading = _compile_on_cluster(load_if_new, delivery="/x", run_id=7)
    assert [n.workflow_node.sub_workflow_ref.name for n in loading.nodes] == ["shopetl_flyte.workflows.load_run"]
