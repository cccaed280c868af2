"""The run report shown as Flyte Decks: what the ledger holds about one run, as HTML tables.

Every figure is read from the database (etl.runs, etl.run_stages, etl.rejects,
etl.check_results), so the Deck shows exactly what stays queryable there after the pod is gone.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from typing import Any

from shopetl import db
from shopetl.config import Settings

STYLE = """<style>
table.shopetl { border-collapse: collapse; font: 13px system-ui, sans-serif; margin: 0 0 1.5em 0; }
table.shopetl th, table.shopetl td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; }
table.shopetl td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.shopetl tr.bad td { background: #fde8e8; }
table.shopetl tr.warn td { background: #fff6db; }
</style>"""


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], row_class: Sequence[str] | None = None) -> str:
    """An HTML table; numbers right-aligned, every value escaped, None shown empty."""
    classes = list(row_class or [])
    out = ['<table class="shopetl"><thead><tr>']
    out += [f"<th>{html.escape(h)}</th>" for h in headers]
    out.append("</tr></thead><tbody>")
    for i, row in enumerate(rows):
        cls = classes[i] if i < len(classes) and classes[i] else ""
        out.append(f'<tr class="{cls}">' if cls else "<tr>")
        for v in row:
            num = isinstance(v, (int, float)) and not isinstance(v, bool)
            text = "" if v is None else html.escape(str(v))
            out.append(f'<td class="num">{text}</td>' if num else f"<td>{text}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def decks(settings: Settings, run_id: int) -> dict[str, str]:
    """Deck title -> HTML for run ``run_id``: the run, its stage timings, rows accepted and
    rejected per file and reason, and its data-quality check results."""
    with db.connect(db.database_url(settings), autocommit=True, application_name="shopetl flyte report") as conn:
        run = conn.execute(
            "select run_id, folder, status, stage, started_at, finished_at,"
            " round(extract(epoch from coalesce(finished_at, now()) - started_at)::numeric, 1)::float,"
            " summary, error from etl.runs where run_id = %s",
            (run_id,),
        ).fetchone()
        if run is None:
            return {"Run": f"<p>no run {run_id} in etl.runs</p>"}
        stages = conn.execute(
            "select stage, started_at, duration_ms, row_count from etl.run_stages where run_id = %s"
            " order by started_at, stage",
            (run_id,),
        ).fetchall()
        rejects = conn.execute(
            "select file_key, file_name, reason, count(*)::int from etl.rejects where run_id = %s"
            " group by 1, 2, 3 order by 1, 3",
            (run_id,),
        ).fetchall()
        checks = conn.execute(
            "select check_name, severity, scope, status, violating_rows, duration_ms, error"
            " from etl.check_results where run_id = %s"
            " order by status = 'pass', severity <> 'error', check_name",
            (run_id,),
        ).fetchall()
    summary: dict[str, Any] = run[7] or {}
    return {
        "Run": _run(run, summary),
        "Stages": _stages(stages),
        "Rows": _rows(summary.get("files") or {}, rejects),
        "Checks": _checks(checks),
    }


def _run(run: Sequence[Any], summary: dict[str, Any]) -> str:
    run_id, folder, status, stage, started, finished, seconds, _, error = run
    rows = [
        ("run id", run_id), ("delivery", folder), ("status", status), ("last stage", stage),
        ("started (UTC)", f"{started:%Y-%m-%d %H:%M:%S}"),
        ("finished (UTC)", f"{finished:%Y-%m-%d %H:%M:%S}" if finished else None),
        ("duration (s)", seconds), ("revenue total after the run", summary.get("revenue_total")),
        ("error", error),
    ]
    note = (f"<p>Ledger: <code>select * from etl.runs where run_id = {run_id}</code>;"
            f" rejects: <code>shopetl rejects --run {run_id}</code>.</p>")
    return STYLE + table(("", "value"), rows, ["bad" if k == "error" and v else "" for k, v in rows]) + note


def _stages(stages: Sequence[Sequence[Any]]) -> str:
    total = sum(int(ms) for _, _, ms, _ in stages)
    rows = [(name, f"{started:%H:%M:%S}", int(ms), None if n is None else int(n)) for name, started, ms, n in stages]
    return (STYLE + f"<p>{len(rows)} stages, {total / 1000:.1f} s in all (etl.run_stages).</p>"
            + table(("stage", "started (UTC)", "duration (ms)", "rows"), rows))


def _rows(files: dict[str, Any], rejects: Sequence[Sequence[Any]]) -> str:
    per_file = [
        (key, c.get("rows"), c.get("accepted"), sum((c.get("rejected") or {}).values()))
        for key, c in files.items()
    ]
    by_reason = [(key, name, reason, n) for key, name, reason, n in rejects]
    return (
        STYLE + "<h4>Rows per file</h4>"
        + table(("file", "rows staged", "accepted", "rejected"), per_file,
                ["warn" if r[3] else "" for r in per_file])
        + "<h4>Rejected rows per file and reason</h4>"
        + (table(("file", "file name", "reason", "rows"), by_reason) if by_reason else "<p>none</p>")
    )


def _checks(checks: Sequence[Sequence[Any]]) -> str:
    if not checks:
        return STYLE + "<p>no data-quality check ran for this run (the batch did not reach publishing).</p>"
    failing = sum(1 for c in checks if c[3] != "pass")
    cls = ["" if c[3] == "pass" else ("bad" if c[1] == "error" else "warn") for c in checks]
    return (
        STYLE + f"<p>{len(checks)} checks, {failing} not passing (etl.check_results).</p>"
        + table(("check", "severity", "scope", "status", "violating rows", "duration (ms)", "error"),
                [(n, sev, sc, st, None if v is None else int(v), int(ms), err) for n, sev, sc, st, v, ms, err in checks],
                cls)
    )
