"""A big file's validation (stages 21, 23, 24) may run in parts, one per block range of its
staged table, on connections of their own (split_table in sql/transforms/_macros.sql). The
parts must give exactly what one statement gives: the same validated rows, the same rejects
(with their physical lines) and the same core tables; and the stage printed for psql (no
`section`) is still the whole stage."""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest

from shopetl.config import Settings, from_env
from shopetl.load import SPLIT_STAGES, VALIDATE, Pipeline

from .conftest import SQL_DIR
from .etl_helpers import BASE, HEADERS, query, rejects, run_load
from .test_incremental import snapshot

#: The tables a split stage writes, and the order that makes their rows comparable.
VALIDATED = {
    "staging.customers_checked": "rec_no",
    "staging.customers_valid": "customer_id",
    "staging.orders_valid": "order_id",
    "staging.order_items_valid": "order_item_id",
}
STREET = "Long Street Name Avenue - Building With A Long Name - Floor 12"


@dataclass
class CsvFile:
    """Records of one CSV file, with the physical line each starts on and the expected rejects."""

    key: str
    records: list[str] = field(default_factory=list)
    expected: list[tuple[str, int, str]] = field(default_factory=list)
    next_line: int = 2  # line 1 is the header

    def add(self, *fields: str, reason: str | None = None) -> None:
        record = ",".join(fields)
        if reason:
            self.expected.append((self.key, self.next_line, reason))
        self.records.append(record)
        self.next_line += 1 + record.count("\n")

    def write(self, folder: Path) -> None:
        text = HEADERS[self.key] + "\n" + "".join(r + "\n" for r in self.records)
        (folder / f"{self.key}.csv").write_text(text, encoding="utf-8")


def _customers(first: int) -> CsvFile:
    f = CsvFile("customers")
    bad = [
        (lambda i: [str(1000 + i), ""], "missing_required"),
        (lambda i: [f"x{i}", f"x{i}@example.com"], "bad_type"),
        (lambda i: [str(1000 + i), f"c{1000 + i}example.com"], "bad_value"),
    ]
    for i in range(first, first + 360):
        name = '"Ann\nMarie"' if i % 50 == 7 else f"Name{i}"  # a quoted line break: later lines shift
        f.add(str(i), f"c{i}@example.com", name, "Last", STREET, "City", "", "", "", "", "2023-01-01 00:00:00", "")
        if i % 40 == 3:
            make, reason = bad[(i // 40) % len(bad)]
            f.add(*make(i), "Bad", "Row", STREET, "", "", "", "", "", "2023-01-01 00:00:00", "", reason=reason)
    # the same keys again at the end (another part): the last valid line wins
    f.add(str(first), f"c{first}@example.com", "Renamed", "Last", STREET, "", "", "", "", "", "2023-01-01 00:00:00", "")
    f.add(str(first + 1), f"c{first + 1}@example.com", "Broken", "Last", STREET, "", "", "", "", "",
          "2023-01-01 00:00:00", "never", reason="bad_type")
    # an email held by an earlier line (or by the loaded customer) goes to its first holder
    f.add("2000", f"c{first + 4}@example.com", "Taker", "Last", STREET, "", "", "", "", "", "2023-01-01 00:00:00", "",
          reason="duplicate")
    return f


def _orders(first: int, customers: range) -> CsvFile:
    f = CsvFile("orders")
    bad = [
        (lambda i: [str(5000 + i), "99999", "2024-03-01 10:00:00", "Delivered"], "orphan"),
        (lambda i: [str(5000 + i), str(customers[0]), "2024-03-01 10:00:00", "Lost"], "bad_value"),
        (lambda i: [str(5000 + i), str(customers[0]), "1999-12-31 10:00:00", "Delivered"], "out_of_range"),
        (lambda i: [str(5000 + i), str(customers[0]), "2024-03-01 10:00:00", ""], "missing_required"),
    ]
    for i in range(first, first + 600):
        customer = customers[i % len(customers)]
        address = f'"{STREET}\nsecond line"' if i % 70 == 11 else STREET
        f.add(str(i), str(customer), f"2024-03-{1 + i % 28:02d} 10:00:00", "Delivered", "card", address, "City",
              "", "", "", "", "", "", "100.00")
        if i % 45 == 4:
            make, reason = bad[(i // 45) % len(bad)]
            f.add(*make(i), "card", STREET, "", "", "", "", "", "", "", "100.00", reason=reason)
        if i % 45 == 30:
            f.add(str(5000 + i), str(customer), "2024-03-01 10:00:00", "Delivered", "card", STREET, "", "", "", "",
                  "", "", "", "12.345", reason="bad_type")
    f.add(str(first), str(customers[0]), "2024-03-02 10:00:00", "Shipped", "card", STREET, "", "", "", "", "", "",
          "", "100.00")
    f.add(str(first + 1), str(customers[0]), "never", "Shipped", "card", STREET, "", "", "", "", "", "", "", "100.00",
          reason="bad_type")
    return f


def _order_items(first: int, orders: range) -> CsvFile:
    f = CsvFile("order_items")
    bad = [
        (lambda i: [str(20000 + i), "99999", "10", "1", "100.00", "", "100.00"], "orphan"),
        (lambda i: [str(20000 + i), str(orders[0]), "77", "1", "100.00", "", "100.00"], "orphan"),
        (lambda i: [str(20000 + i), str(orders[0]), "10", "1", "100.00", "", "90.00"], "inconsistent"),
        (lambda i: [str(20000 + i), str(orders[0]), "10", "0", "100.00", "", ""], "out_of_range"),
        (lambda i: [str(20000 + i), str(orders[0]), "10", "1", "", "", ""], "missing_required"),
        (lambda i: [str(20000 + i), str(orders[0]), "10", "1", "100.00", "abc", ""], "bad_type"),
        (lambda i: [str(20000 + i), "5004", "10", "1", "100.00", "", ""], "orphan"),  # a rejected order
    ]
    for i in range(first, first + 1200):
        f.add(str(i), str(orders[i % len(orders)]), str(10 + i % 2), "1", "100.00", "", "100.00")
        if i % 60 == 5:
            make, reason = bad[(i // 60) % len(bad)]
            f.add(*make(i), reason=reason)
    f.add(str(first), str(orders[0]), "10", "2", "100.00", "", "200.00")
    f.add(str(first + 1), str(orders[0]), "10", "1", "-1.00", "", "", reason="out_of_range")
    return f


def delivery(folder: Path, first: int) -> list[tuple[str, int, str]]:
    """A delivery whose customers, orders and items fill several blocks each, with bad rows of
    several reasons all along, keys repeated at both ends, and quoted line breaks. Returns the
    expected rejects (file, line, reason) in file and line order."""
    folder.mkdir(parents=True)
    for key in ("product_categories", "products"):
        (folder / f"{key}.csv").write_text(HEADERS[key] + "\n" + BASE[key].replace("        ", "").strip() + "\n")
    files = [
        _customers(first),
        _orders(first, range(first, first + 300)),
        _order_items(10 * first, range(first, first + 600)),
    ]
    for f in files:
        f.write(folder)
    return sorted(e for f in files for e in f.expected)


def validated(url: str) -> dict[str, list[tuple[Any, ...]]]:
    out = {table: query(url, f"select * from {table} order by {key}") for table, key in VALIDATED.items()}
    out["etl.rejects"] = query(
        url, "select run_id, file_key, file_name, line_no, reason, detail, raw from etl.rejects"
        " order by run_id, file_key, line_no",
    )
    return out


def staged_blocks(url: str) -> dict[str, int]:
    return {key: query(url, f"select pg_relation_size('staging.{key}') / current_setting('block_size')::int")[0][0]
            for key in SPLIT_STAGES.values()}


def load_in_steps(settings: Settings, folder: Path) -> tuple[int, dict[str, list[tuple[Any, ...]]]]:
    """The steps of `shopetl load`, looking at the validated tables before publishing (which
    may take them over)."""
    p = Pipeline(settings)
    url = p.url
    with p._ctl() as ctl:
        run_id, _ = p.begin(ctl, folder)
        assert run_id is not None
        p.stage(ctl, run_id)
        assert p.validate(ctl, run_id) is None
        rows = validated(url)
        why, _ = p.publish(ctl, run_id)
        assert why is None, why
        p.refresh(ctl, run_id)
        p.finish(ctl, run_id, "ok")
    return run_id, rows


@pytest.mark.parametrize("parts", [2, 3])
def test_parts_give_the_same_rows_rejects_and_tables_as_one_statement(
    settings: Settings, db_url: str, second_db_url: str, tmp_path: Path, parts: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    whole = settings.with_(parallel_parts=1, parallel_parts_min_rows=0)
    split = settings.with_(database_url=second_db_url, parallel_parts=parts, parallel_parts_min_rows=0)
    for batch, first in enumerate((1, 200), start=1):  # a first load, then a batch updating half of it
        folder = tmp_path / f"batch{batch}"
        expected = delivery(folder, first)

        caplog.clear()
        with caplog.at_level(logging.INFO, logger="shopetl.load"):
            one, one_rows = load_in_steps(whole, folder)
        assert not [m for m in caplog.messages if "parts at once" in m]
        with caplog.at_level(logging.INFO, logger="shopetl.load"):
            many, many_rows = load_in_steps(split, folder)
        for name in SPLIT_STAGES:
            assert any(m.startswith(f"{name}: ") and f"in {parts} parts at once" in m for m in caplog.messages)
        assert min(staged_blocks(second_db_url).values()) >= 2 * parts  # every part has blocks to read

        assert rejects(db_url, one) == expected
        assert rejects(second_db_url, many) == expected
        assert many_rows == one_rows
        assert snapshot(second_db_url) == snapshot(db_url)


def _render(url: str, stage: str, run_id: int, *options: str) -> str:
    env = {"DATABASE_URL": url, "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    return subprocess.run([sys.executable, "-m", "shopetl", "render", stage, "--run", str(run_id), *options],
                          capture_output=True, text=True, env=env, check=True).stdout


def _psql(url: str, script: str) -> None:
    env = {"DATABASE_URL": url, "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    subprocess.run([sys.executable, "-m", "shopetl", "db", "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1"],
                   input=script, capture_output=True, text=True, env=env, check=True)


def _staged_run(settings: Settings, folder: Path) -> tuple[Pipeline, psycopg.Connection, int]:
    p = Pipeline(settings)
    ctl = p._ctl()
    run_id, _ = p.begin(ctl, folder)
    assert run_id is not None
    p.stage(ctl, run_id)
    return p, ctl, run_id


def test_rendered_stages_run_in_psql_give_what_the_parts_give(
    settings: Settings, db_url: str, second_db_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "d"
    delivery(folder, 1)
    by_hand = settings.with_(parallel_parts=1)
    p, ctl, run_id = _staged_run(by_hand, folder)
    with ctl:
        script = "".join(_render(db_url, name, run_id) for name in VALIDATE)
        assert "where ctid" not in script and "with no data" not in script
        _psql(db_url, script)

    split = settings.with_(database_url=second_db_url, parallel_parts=2, parallel_parts_min_rows=0)
    p, ctl, split_run = _staged_run(split, folder)
    with ctl:
        assert p.validate(ctl, split_run) is None
        ctx = p.run_info(ctl, split_run).context(split.reject_threshold)
    assert split_run == run_id
    assert validated(second_db_url) == validated(db_url)

    # a part reads its blocks only, and its rows flow through the checks as in one statement
    # (no materialized copy of the staged rows)
    with psycopg.connect(second_db_url) as conn:
        for name in SPLIT_STAGES:
            conn.execute(p.renderer.render(name, **ctx, section="setup"))
            sql = p.renderer.render(name, **ctx, section="part", part=1, parts=2)
            insert = sql.index("insert into")
            conn.execute(sql[:insert])
            plan = "\n".join(r[0] for r in conn.execute("explain " + sql[insert:]))  # type: ignore[operator]
            assert "Tid Range Scan" in plan and "CTE Scan" not in plan, plan
            conn.rollback()


def test_a_dba_can_render_and_run_the_pieces_a_big_file_is_validated_in(
    settings: Settings, db_url: str, second_db_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "d"
    delivery(folder, 1)
    p, ctl, run_id = _staged_run(settings.with_(parallel_parts=1), folder)
    with ctl:
        for name in VALIDATE:
            if name not in SPLIT_STAGES:
                _psql(db_url, _render(db_url, name, run_id))
                continue
            setup = _render(db_url, name, run_id, "--section", "setup")
            parts = [_render(db_url, name, run_id, "--part", f"{k}/3") for k in (1, 2, 3)]
            finish = _render(db_url, name, run_id, "--section", "finish")
            assert "with no data" in setup and "insert into" not in setup
            assert all("insert into" in part and "where ctid" in part for part in parts)
            assert "insert into etl.rejects" in finish and "create unique index" in finish
            table = re.search(r"create unlogged table (staging\.\w+)", setup).group(1)  # type: ignore[union-attr]
            assert f"create unlogged table {table}" not in finish and f"insert into {table}" not in finish
            for piece in (setup, *parts, finish):
                _psql(db_url, piece)

    split = settings.with_(database_url=second_db_url, parallel_parts=3, parallel_parts_min_rows=0)
    p, ctl, split_run = _staged_run(split, folder)
    with ctl:
        assert p.validate(ctl, split_run) is None
    assert validated(db_url) == validated(second_db_url)
    assert rejects(db_url, run_id) == rejects(second_db_url, split_run)


@pytest.mark.parametrize(
    ("options", "says"),
    [
        (["validate_products", "--section", "setup"], "rendered whole"),
        (["validate_orders", "--part", "3/2"], "--part takes K/N"),
        (["validate_orders", "--part", "0/2"], "--part takes K/N"),
        (["validate_orders", "--section", "part"], "--part takes K/N"),
    ],
)
def test_render_refuses_a_piece_that_does_not_exist(db_url: str, options: list[str], says: str) -> None:
    env = {"DATABASE_URL": db_url, "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    done = subprocess.run([sys.executable, "-m", "shopetl", "render", *options],
                          capture_output=True, text=True, env=env)
    assert done.returncode != 0
    assert says in done.stderr


def test_a_failing_part_fails_the_load_and_the_next_load_redoes_it(
    settings: Settings, db_url: str, second_db_url: str, tmp_path: Path
) -> None:
    folder = tmp_path / "d"
    delivery(folder, 1)
    split = settings.with_(parallel_parts=2, parallel_parts_min_rows=0)
    p = Pipeline(split)
    render = p.renderer.render

    def broken_part(name: str, **ctx: Any) -> str:
        if name == "validate_orders" and ctx.get("section") == "part" and ctx.get("part") == 1:
            return "select 1 / 0"
        return render(name, **ctx)

    p.renderer.render = broken_part  # type: ignore[method-assign]
    with pytest.raises(psycopg.errors.DivisionByZero):
        p.run(folder)
    assert query(db_url, "select status, stage from etl.runs") == [("failed", "validate_orders")]
    assert query(db_url, "select count(*) from core.orders") == [(0,)]

    again = run_load(split, folder)
    assert again.status == "ok", again.error
    reference = run_load(settings.with_(database_url=second_db_url, parallel_parts=1), folder)
    assert snapshot(db_url) == snapshot(second_db_url)
    assert rejects(db_url, again.run_id) == rejects(second_db_url, reference.run_id)


def test_failpoint_fires_after_a_split_stage(db_url: str, second_db_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "d"
    delivery(folder, 1)
    env = {**os.environ, "DATABASE_URL": db_url, "SHOPETL_PARALLEL_PARTS": "2",
           "SHOPETL_PARALLEL_PARTS_MIN_ROWS": "0", "SHOPETL_FAILPOINT": "validate_order_items"}
    cmd = [sys.executable, "-m", "shopetl", "load", str(folder), "--threshold", "1"]
    killed = subprocess.run(cmd, check=False, capture_output=True, text=True, env=env, timeout=300)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    assert "validate_order_items: " in killed.stderr and "failpoint validate_order_items" in killed.stderr
    env.pop("SHOPETL_FAILPOINT")
    again = subprocess.run(cmd, check=False, capture_output=True, text=True, env=env, timeout=300)
    assert again.returncode == 0, again.stderr[-2000:]
    reference = Settings(database_url=second_db_url, sql_dir=SQL_DIR, parallel_parts=1)
    assert run_load(reference, folder).status == "ok"
    assert snapshot(db_url) == snapshot(second_db_url)


def test_only_big_files_are_split(settings: Settings) -> None:
    env = from_env({"SHOPETL_PARALLEL_PARTS": "3", "SHOPETL_PARALLEL_PARTS_MIN_ROWS": "500"})
    assert (env.parallel_parts, env.parallel_parts_min_rows) == (3, 500)
    assert (Settings().parallel_parts, Settings().parallel_parts_min_rows) == (2, 100_000)
    p = Pipeline(settings)
    assert p._parts("validate_orders", {"orders": 99_999}) == 1
    assert p._parts("validate_orders", {"orders": 100_000}) == 2
    assert p._parts("validate_orders", {}) == 1  # not in this run: nothing staged
    assert p._parts("validate_products", {"products": 10**7}) == 1  # not a split stage
    assert Pipeline(settings.with_(parallel_parts=1))._parts("validate_order_items", {"order_items": 10**7}) == 1
