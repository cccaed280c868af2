"""Data-quality checks: the SQL files of ``sql/checks``, run on a given connection.

A check is one file ``NN_name.sql`` holding one query that returns the violating rows (no row =
pass). Its header comment says what it guards and carries two machine-readable lines::

    -- severity: error      (error: a failure stops the batch; warn: reported only)
    -- scope: batch         (batch: reads only what the batch touched when run with
                             scope="batch"; table: always reads whole, small tables)

A file may compute further checks in the same pass over the same rows: a header line
``-- also: name severity description`` adds check ``name`` (same scope), and the query then
returns a column ``check_name`` naming the check each violating row belongs to. Each check keeps
its own result (status, count, sample without ``check_name``); the one query's time is split
between them.

The templates are rendered with ``run_id``, ``scope`` ("batch" or "all"), ``whole`` (the check
reads whole tables: scope "all", or a batch that touched every order, i.e. a first load into empty
order tables, ``bulk`` in the load's context) and the thresholds of ``DEFAULT_CONTEXT``. A line
``-- set: name = value`` of the rendered SQL is a planner setting for that one statement (applied
with ``set_config(..., true)`` inside the check's savepoint and restored after it).
``run_checks`` runs every check in its own savepoint on the connection it is given, so it works
inside the load's open publish transaction: a check that fails to run is reported as ``error``
and leaves the transaction usable; nothing is committed.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import jinja2
import psycopg
from psycopg.types.json import Jsonb

from .render import Renderer

Severity = Literal["error", "warn"]
CheckScope = Literal["batch", "table"]
RunScope = Literal["batch", "all"]
Status = Literal["pass", "fail", "error"]

#: Values the templates receive unless the caller's context overrides them.
DEFAULT_CONTEXT: dict[str, Any] = {
    "warn_reject_share": 0.01,  # 42_reject_share: warn above 1% rejected rows in a file
    "freshness_hours": 48,  # 50_newest_order_freshness: newest order at most 48 h old
    "last_run_max_hours": 26,  # 51_last_run_age: a successful load at least every 26 h
    "bulk": False,  # the load's flag: a first load into empty order tables (its batch touched every order)
}

#: The key sets of a batch that the batch-scoped checks filter by. The load creates them in the
#: publish transaction without statistics; a planner that takes 100,000 touched customers for
#: 200 may probe the customer index of all 42 partitions once per customer instead of hashing
#: them (likely the 11.8 s of customer_lifetime_reconcile in a 1 % batch at full scale).
#: ``run_checks`` analyzes them first (a few ms: they hold keys only).
SCOPE_TABLES = ("staging.touched_orders", "staging.touched_days", "staging.touched_customers")

#: Violating rows kept in a result (and stored as etl.check_results.sample).
SAMPLE_ROWS = 20

_FILE = re.compile(r"^(\d{2})_([a-z0-9_]+)\.sql$")
_TAG = re.compile(r"^--\s*(severity|scope):\s*(\S+)\s*$")
_ALSO = re.compile(r"^--\s*also:\s*([a-z0-9_]+)\s+(error|warn)\s+(\S.*)$")
#: A planner setting in the rendered SQL: ``-- set: enable_hashjoin = off``
_SET = re.compile(r"^\s*--\s*set:\s*([a-z_]+)\s*=\s*([A-Za-z0-9_.]+)\s*$", re.MULTILINE)
_ALLOWED = {"severity": ("error", "warn"), "scope": ("batch", "table")}


class CheckDefinitionError(ValueError):
    """A check file whose header lacks or misstates its severity or scope."""


@dataclass(frozen=True)
class Check:
    name: str
    severity: Severity
    scope: CheckScope
    description: str
    path: Path
    #: every check the file's one query computes (itself first); () for a file of one check
    shared: tuple[str, ...] = ()

    def effective_scope(self, scope: RunScope) -> RunScope:
        """What the check reads when run with ``scope``: only a batch-scoped check narrows."""
        return "batch" if scope == "batch" and self.scope == "batch" else "all"


@dataclass(frozen=True)
class CheckResult:
    check: Check
    scope: RunScope
    status: Status
    violating_rows: int | None
    duration_ms: int
    sample: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None

    @property
    def name(self) -> str:
        return self.check.name

    @property
    def severity(self) -> Severity:
        return self.check.severity

    @property
    def blocking(self) -> bool:
        """An error-severity check that failed or could not run: the batch must not be published."""
        return self.check.severity == "error" and self.status != "pass"


def parse_header(path: Path) -> Check:
    """The check defined by ``path``: name from the file name, the rest from the header comment."""
    m = _FILE.match(path.name)
    if not m:
        raise CheckDefinitionError(f"{path}: a check file is named NN_lower_snake.sql")
    tags: dict[str, str] = {}
    text: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("--"):
            break
        tag = _TAG.match(line)
        if tag:
            key, value = tag.groups()
            if value not in _ALLOWED[key]:
                raise CheckDefinitionError(
                    f"{path.name}: '-- {key}: {value}' is not one of {', '.join(_ALLOWED[key])}"
                )
            tags[key] = value
        else:
            text.append(line[2:].strip())
    missing = [k for k in ("severity", "scope") if k not in tags]
    if missing:
        raise CheckDefinitionError(
            f"{path.name}: the header comment lacks " + " and ".join(f"'-- {k}: ...'" for k in missing)
        )
    return Check(
        name=m.group(2),
        severity=tags["severity"],  # type: ignore[arg-type]
        scope=tags["scope"],  # type: ignore[arg-type]
        description=" ".join(t for t in text if t),
        path=path,
    )


def parse_file(path: Path) -> list[Check]:
    """The checks ``path`` defines: the one its name says, then those of its ``-- also:`` lines."""
    main = parse_header(path)
    also: list[tuple[str, str, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("--"):
            break
        hit = _ALSO.match(line)
        if hit:
            also.append(hit.groups())  # type: ignore[arg-type]
    if not also:
        return [main]
    shared = (main.name, *(name for name, _, _ in also))
    main = Check(main.name, main.severity, main.scope, main.description, path, shared)
    return [main, *(Check(name, sev, main.scope, text.strip(), path, shared)  # type: ignore[arg-type]
                    for name, sev, text in also)]


def discover(checks_dir: Path) -> list[Check]:
    """The checks of ``checks_dir`` (normally ``sql/checks``) in file order; ``_*.sql`` are not checks."""
    files = [p for p in sorted(checks_dir.glob("*.sql")) if not p.name.startswith("_")]
    checks = [c for p in files for c in parse_file(p)]
    seen: dict[str, Path] = {}
    for c in checks:
        if c.name in seen:
            raise CheckDefinitionError(
                f"{c.path.name} and {seen[c.name].name} define the same check {c.name!r}")
        seen[c.name] = c.path
    return checks


def render(renderer: Renderer, check: Check, *, run_id: int | None, scope: RunScope,
           context: Mapping[str, Any] | None = None) -> str:
    """The SQL of ``check`` as it runs (``shopetl check --show NAME`` prints it)."""
    ctx = {**DEFAULT_CONTEXT, **(context or {}), "run_id": run_id, "scope": scope}
    ctx["whole"] = scope == "all" or bool(ctx["bulk"])
    return renderer.render(check.path.name, **ctx)


def settings(sql: str) -> dict[str, str]:
    """The planner settings a rendered check asks for (its ``-- set: name = value`` lines)."""
    return dict(_SET.findall(sql))


@contextmanager
def planner_settings(conn: psycopg.Connection, sql: str) -> Iterator[None]:
    """A savepoint with the planner settings of the rendered check ``sql``, and the caller's
    values back afterwards. ``set_config(..., true)`` outlives the release of a savepoint, so
    without the second step one check's settings would stay for the next ones (e.g. a check
    that turns merge joins off, before one that has turned hash joins and sorts off)."""
    with conn.transaction():
        before = [
            conn.execute("select %s, current_setting(%s), set_config(%s, %s, true)",
                         (name, name, name, value)).fetchone()
            for name, value in settings(sql).items()
        ]
        yield
        for name, old, _ in before:  # type: ignore[misc]
            conn.execute("select set_config(%s, %s, true)", (name, old))


def run_checks(
    conn: psycopg.Connection,
    renderer: Renderer,
    *,
    run_id: int | None,
    scope: RunScope,
    context: Mapping[str, Any] | None = None,
    only: Iterable[str] | None = None,
) -> list[CheckResult]:
    """Run the checks of ``renderer.folder`` on ``conn`` and return one result per check.

    ``scope="batch"`` needs ``run_id`` and the load's staging tables (staging.touched_* and
    staging.*_changed of that run); ``scope="all"`` reads whole tables. Each check runs in its own
    savepoint (or its own transaction when ``conn`` has none open); nothing is written and
    nothing is committed, so the caller's transaction decides. ``only`` selects checks by name.
    """
    if scope not in ("batch", "all"):
        raise ValueError(f"scope is 'batch' or 'all', not {scope!r}")
    if scope == "batch" and run_id is None:
        raise ValueError("scope 'batch' judges one run: give its run_id")
    checks = select(discover(renderer.folder), only)
    if scope == "batch" and not (context or {}).get("bulk"):
        _analyze_scope(conn)
    results: list[CheckResult] = []
    for together in by_query(checks):
        results += _run_shared(conn, renderer, together, run_id=run_id, scope=scope, context=context)
    return results


def select(checks: list[Check], only: Iterable[str] | None) -> list[Check]:
    """The checks named in ``only`` (all when None); ValueError names an unknown one."""
    if only is None:
        return checks
    wanted = set(only)
    unknown = wanted - {c.name for c in checks}
    if unknown:
        known = ", ".join(c.name for c in checks)
        raise ValueError(f"no check named {', '.join(sorted(unknown))} (known: {known})")
    return [c for c in checks if c.name in wanted]


def by_query(checks: list[Check]) -> list[list[Check]]:
    """The checks grouped by the one query that judges them (their file), in order."""
    groups: dict[Path, list[Check]] = {}
    for c in checks:
        groups.setdefault(c.path, []).append(c)
    return list(groups.values())


def _analyze_scope(conn: psycopg.Connection) -> None:
    """Planner statistics for the batch's key sets (SCOPE_TABLES), inside the caller's transaction.
    Skipped where that cannot be (a read-only transaction, as `shopetl check` opens; no such table)."""
    for table in SCOPE_TABLES:
        try:
            with conn.transaction():
                conn.execute(f"analyze {table}")  # type: ignore[arg-type]
        except psycopg.Error:
            pass


def _run_shared(conn: psycopg.Connection, renderer: Renderer, checks: list[Check], *, run_id: int | None,
                scope: RunScope, context: Mapping[str, Any] | None) -> list[CheckResult]:
    """Run the query of ``checks[0].path`` once; one result per check of ``checks`` (all of one
    file). A file of several checks names each violating row's check in column check_name."""
    t0 = time.monotonic()
    try:
        sql = render(renderer, checks[0], run_id=run_id, scope=scope, context=context)
        body = "with violations as materialized (\n" + sql.rstrip().rstrip(";") + "\n)\n"
        if checks[0].shared:
            # per check: the count of its violating rows and the first SAMPLE_ROWS of them
            wrapped = body + (
                "select (select count(*) from violations as v where v.check_name = c.name),"
                " (select coalesce(jsonb_agg(to_jsonb(v) - 'check_name'), '[]') from"
                f" (select * from violations as v where v.check_name = c.name limit {SAMPLE_ROWS}) as v)"
                " from unnest(%s::text[]) with ordinality as c (name, n) order by c.n"
            )
            params: tuple[Any, ...] | None = ([c.name for c in checks],)
        else:
            # one statement: the count of all violating rows and the first SAMPLE_ROWS of them
            wrapped = body + (
                "select (select count(*) from violations),"
                " (select coalesce(jsonb_agg(to_jsonb(v)), '[]')"
                f" from (select * from violations limit {SAMPLE_ROWS}) as v)"
            )
            params = None
        with planner_settings(conn, sql):
            rows = conn.execute(wrapped, params).fetchall()  # type: ignore[arg-type]
    except jinja2.TemplateError as exc:
        return _errors(checks, scope, t0, f"template: {exc}")
    except psycopg.Error as exc:
        return _errors(checks, scope, t0, _message(exc))
    ms = _ms(t0) // len(checks)  # the one query's time, shared
    out = []
    for check, (count, sample) in zip(checks, rows, strict=True):
        n = int(count)
        status: Status = "pass" if n == 0 else "fail"
        out.append(CheckResult(check, check.effective_scope(scope), status, n, ms, list(sample)))
    return out


def _errors(checks: list[Check], scope: RunScope, t0: float, error: str) -> list[CheckResult]:
    ms = _ms(t0) // len(checks)
    return [CheckResult(c, c.effective_scope(scope), "error", None, ms, error=error) for c in checks]


def record_results(conn: psycopg.Connection, run_id: int | None, results: Sequence[CheckResult]) -> None:
    """Store ``results`` in etl.check_results, tied to ``run_id`` (None: an on-demand check).

    Writes in one transaction of ``conn`` (a savepoint when the caller has one open, which it
    then commits). The load records through another connection than the one it checks on, so
    that the results survive the rollback of a refused batch.
    """
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(
            "insert into etl.check_results (run_id, check_name, severity, scope, status, violating_rows,"
            " sample, error, duration_ms) values (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [
                (run_id, r.name, r.severity, r.scope, r.status, r.violating_rows,
                 None if r.status == "error" else Jsonb(r.sample), r.error, r.duration_ms)
                for r in results
            ],
        )


def blocking(results: Iterable[CheckResult]) -> list[CheckResult]:
    """The results that stop a batch: error-severity checks that failed or could not run."""
    return [r for r in results if r.blocking]


def _ms(t0: float) -> int:
    return int((time.monotonic() - t0) * 1000)


def _message(exc: psycopg.Error) -> str:
    diag = exc.diag
    text = diag.message_primary or str(exc).strip()
    return f"{diag.sqlstate}: {text}" if diag.sqlstate else text


__all__ = [
    "Check", "CheckResult", "CheckDefinitionError", "DEFAULT_CONTEXT", "blocking", "discover", "parse_file",
    "parse_header",
    "by_query", "planner_settings", "record_results", "render", "run_checks", "select", "settings",
]
