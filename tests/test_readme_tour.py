"""The README's tour, command by command, against a real database (every command it shows runs
in a test; `make demo` and `make test` run in CI; pyflyte in tests/test_flyte.py)."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def shopetl(url: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url}
    done = subprocess.run([sys.executable, "-m", "shopetl", *args], capture_output=True, text=True, env=env,
                          timeout=300)
    if check:
        assert done.returncode == 0, f"shopetl {' '.join(args)}: {done.stderr[-2000:]}"
    return done


def test_the_readme_tour(db_url: str, tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text()
    for command in ("shopetl generate /tmp/delivery --scale 0.01", "shopetl rejects --reason orphan",
                    "shopetl render validate_orders", "shopetl check", "shopetl db psql", "shopetl runs"):
        assert command in readme, f"the README no longer shows {command!r}: update this test"

    delivery, dirty = tmp_path / "delivery", tmp_path / "dirty"
    shopetl(db_url, "generate", str(delivery), "--scale", "0.001")
    shopetl(db_url, "generate", str(dirty), "--scale", "0.001", "--dirty", "0.02", "--seed", "9")
    shopetl(db_url, "migrate")
    assert "run 1: ok" in shopetl(db_url, "load", str(delivery)).stdout
    dirty_run = json.loads(shopetl(db_url, "load", str(dirty), "--threshold", "0.5", "--json").stdout)
    assert dirty_run["status"] == "ok" and dirty_run["files"]["orders"]["rejected"]
    rejects = shopetl(db_url, "rejects", "--reason", "orphan").stdout
    assert re.search(r"run 2 \w+\.csv:\d+: orphan: ", rejects)
    runs = shopetl(db_url, "runs").stdout
    assert re.search(r"^\s+2\s+ok\s", runs, re.M) and re.search(r"^\s+1\s+ok\s", runs, re.M)
    rendered = shopetl(db_url, "render", "validate_orders").stdout
    assert rendered.startswith("-- shopetl stage 23_validate_orders.sql") and "{{" not in rendered
    checked = shopetl(db_url, "check", check=False)
    assert checked.returncode in (0, 1), checked.stderr  # 1 only when an error check fails
    assert "category_rollup" in checked.stdout
    psql = shopetl(db_url, "db", "psql", "-Atc", "select count(*) > 0 from core.orders")
    assert psql.stdout.strip() == "t"


def test_serve_answers_the_readme_query(db_url: str, tmp_path: Path) -> None:
    shopetl(db_url, "load", str(ROOT / "data" / "sample"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": db_url}
    server = subprocess.Popen([sys.executable, "-m", "shopetl", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        query = re.search(r"```graphql\n(.*?)```", (ROOT / "README.md").read_text(), re.S).group(1)  # type: ignore[union-attr]
        body = json.dumps({"query": query}).encode()
        deadline = time.monotonic() + 60
        while True:
            try:
                req = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", body,
                                             {"content-type": "application/json"})
                answer = json.loads(urllib.request.urlopen(req, timeout=10).read())
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("shopetl serve did not answer: " + (server.stdout.read() if server.poll() else ""))
                time.sleep(0.5)
        assert "errors" not in answer, answer
        assert len(answer["data"]["salesTrends"]) == 12
        assert answer["data"]["customers"]["nodes"][0]["lifetimeValue"]
    finally:
        server.terminate()
        server.wait(10)
