"""Helpers shared by the benchmark scripts: the server, fresh databases, timed subprocesses,
the machine description and Markdown tables.

Every benchmark database lives on the same server as the pipeline's (the embedded PostgreSQL,
or the server of DATABASE_URL) and is named ``<prefix>_<what>``, so that two benchmark runs
(e.g. the CI smoke test beside a full run) never touch each other's databases.
"""

from __future__ import annotations

import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
FILES = ("product_categories", "products", "customers", "orders", "order_items")
SHOPETL = [sys.executable, "-m", "shopetl"]


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def folder_at(commit: str, folder: str, into: Path) -> Path:
    """``folder`` of the repository as it was at ``commit`` (`git archive`), extracted under ``into``."""
    archive = into / f"{folder}.tar"
    with open(archive, "wb") as out:
        subprocess.run(["git", "-C", str(ROOT), "archive", commit, folder], stdout=out, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return into / folder


# -- the server and its databases ----------------------------------------------------------------
def admin_url() -> str:
    """URL of the server's maintenance database (`postgres`); starts the embedded server if needed."""
    import warnings

    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    from shopetl import config, db

    settings = config.from_env()
    if settings.database_url:
        return psycopg.conninfo.make_conninfo(settings.database_url, dbname="postgres")
    return db.database_url(settings.with_(database_name="postgres"))


def db_url(admin: str, name: str) -> str:
    return psycopg.conninfo.make_conninfo(admin, dbname=name)


def fresh_db(admin: str, name: str) -> str:
    drop_db(admin, name)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    return db_url(admin, name)


def drop_db(admin: str, name: str) -> None:
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'drop database if exists "{name}" with (force)')


def psql_binary() -> str:
    """$PSQL, else the psql shipped with the embedded server (any server version), else psql on PATH."""
    if os.environ.get("PSQL"):
        return os.environ["PSQL"]
    try:
        from shopetl import embedded

        path = embedded.psql_path()
        if path.exists():
            return str(path)
    except ImportError:
        pass
    return "psql"


def libpq_parts(url: str) -> dict[str, str]:
    return {k: str(v) for k, v in psycopg.conninfo.conninfo_to_dict(url).items() if v is not None}


# -- timed subprocesses ----------------------------------------------------------------------------
@dataclass
class Timed:
    returncode: int
    wall_s: float
    peak_rss_mb: float
    user_s: float
    sys_s: float
    stdout: str
    stderr: str


def run_timed(cmd: Sequence[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> Timed:
    """Run ``cmd`` and measure its wall time, CPU time and peak resident set size.

    The peak RSS comes from /usr/bin/time (GNU time's %M), which forks the command from its own
    small process: the rusage of a child forked from this (larger) Python process would count the
    parent's pages the child held between fork and exec (Linux keeps the pre-exec high-water mark
    in ru_maxrss). Without /usr/bin/time, ``wait4``'s rusage is used: an upper bound."""
    gnu_time = Path("/usr/bin/time")
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err, \
            tempfile.NamedTemporaryFile("w+", suffix=".time") as tf:
        full = [str(gnu_time), "-f", "%M %U %S", "-o", tf.name, *cmd] if gnu_time.exists() else list(cmd)
        t0 = time.monotonic()
        proc = subprocess.Popen(full, stdout=out, stderr=err, env=env, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        rss_mb, user_s, sys_s = usage.ru_maxrss / 1024, usage.ru_utime, usage.ru_stime
        if gnu_time.exists():
            fields = tf.read().split()[-3:]  # "Command exited with non-zero status N" may come first
            if len(fields) == 3:
                rss_mb, user_s, sys_s = int(fields[0]) / 1024, float(fields[1]), float(fields[2])
        out.seek(0)
        err.seek(0)
        return Timed(proc.returncode, wall, rss_mb, user_s, sys_s, out.read(), err.read())


# -- the machine -------------------------------------------------------------------------------------
def machine(url: str) -> dict[str, Any]:
    cpu = "?"
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout.splitlines():
            if line.startswith("Model name:"):
                cpu = line.split(":", 1)[1].strip()
    except OSError:
        pass
    mem_gb = 0.0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gb = int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    with psycopg.connect(url) as conn:
        version = conn.execute("select version()").fetchone()[0]  # type: ignore[index]
        settings: dict[str, str] = dict(conn.execute(
            "select name, current_setting(name) from pg_settings where name in"
            " ('shared_buffers', 'max_parallel_workers_per_gather', 'max_worker_processes',"
            " 'effective_io_concurrency', 'max_wal_size', 'io_method')").fetchall())
    import numpy

    return {
        "nproc": os.cpu_count(), "cpu": cpu, "ram_gb": round(mem_gb, 1), "postgres": version,
        "postgres_settings": settings, "python": platform.python_version(), "numpy": numpy.__version__,
        "kernel": platform.release(), "loadavg_at_start": os.getloadavg(),
    }


def git_state() -> str:
    """The commit the benchmark ran (and whether sql/, orchestrator/ or graphql/ had local changes)."""
    try:
        head = subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%h %cd %s", "--date=format:%Y-%m-%d %H:%M"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "sql", "orchestrator", "graphql"],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (no git)"
    return f"commit {head}" + (" with local changes in sql/, orchestrator/ or graphql/" if dirty else "")


def machine_markdown(m: dict[str, Any]) -> str:
    pg = m["postgres"].split(" on ")[0]
    s = ", ".join(f"{k} {v}" for k, v in sorted(m["postgres_settings"].items()))
    la = ", ".join(f"{x:.1f}" for x in m["loadavg_at_start"])
    return (f"{m['nproc']} cores ({m['cpu']}), {m['ram_gb']:.0f} GB RAM, Linux {m['kernel']}; {pg} ({s});"
            f" Python {m['python']}; load average at start {la}")


# -- figures and tables ------------------------------------------------------------------------------
def median(xs: Iterable[float]) -> float:
    values = list(xs)
    return statistics.median(values) if values else float("nan")


def percentile(xs: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty sample."""
    if not xs:
        return float("nan")
    s = sorted(xs)
    k = max(0, min(len(s) - 1, int(-(-p * len(s) // 100)) - 1))
    return s[k]


def table(header: Sequence[str], rows: Iterable[Sequence[object]], align: str | None = None) -> str:
    """A Markdown table; ``align`` one letter per column (l/r), default: first left, rest right."""
    align = align or "l" + "r" * (len(header) - 1)
    sep = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(sep) + "|"]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def fmt_s(x: float) -> str:
    if math.isnan(x):
        return "-"
    return f"{x:.2f} s" if x < 10 else f"{x:.1f} s"


def write_json(kind: str, scale: float, report: dict[str, Any], out: Path = RESULTS) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{kind}-{scale:g}-{time.strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps(report, indent=2, default=str))
    return path


def ensure_generated(folder: Path, scale: float, seed: int = 42) -> Path:
    """The delivery folder of the generator at ``scale`` (generated once; a marker file records
    scale and seed, so a folder of another scale is regenerated)."""
    marker = folder / ".bench-generated"
    want = f"scale={scale:g} seed={seed}\n"
    if marker.exists() and marker.read_text() == want and all((folder / f"{k}.csv").exists() for k in FILES):
        return folder
    log(f"generating scale {scale:g} (seed {seed}) into {folder}")
    proc = subprocess.run([*SHOPETL, "generate", str(folder), "--scale", f"{scale:g}", "--seed", str(seed)],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"shopetl generate failed:\n{proc.stderr[-3000:]}")
    marker.write_text(want)
    return folder


def delivery_folder(data: Path | None, scale: float, work: Path | None = None) -> Path:
    """``--data`` as given (never regenerated: it may be someone else's), else the generator's
    output for ``scale`` under ``work`` (default /tmp), generated once."""
    if data is not None:
        missing = [k for k in FILES if not (data / f"{k}.csv").exists()]
        if missing:
            raise SystemExit(f"{data} lacks {', '.join(k + '.csv' for k in missing)}")
        return data
    return ensure_generated((work or Path("/tmp")) / f"shopetl-bench-{scale:g}", scale)


def folder_size_mb(folder: Path, keys: Iterable[str] = FILES) -> float:
    return sum((folder / f"{k}.csv").stat().st_size for k in keys if (folder / f"{k}.csv").exists()) / 1e6
