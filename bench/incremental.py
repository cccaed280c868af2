"""Incremental benchmark: a 1 % batch on top of a full load, as a ratio to the full load's time.

    python bench/incremental.py --database bench_shopetl            # after bench/load.py
    python bench/incremental.py --database bench_shopetl --batches 3 --full-seconds 812

A batch is what the shop's hourly/daily export would send after the full snapshot, written
deterministically (numpy, seed per batch) from the loaded database itself:

* new orders: 1 % of the loaded orders (50,000 at full size), ids after the highest loaded one,
  placed over the days after the newest loaded order (as many days as 1 % of the history
  spans: 13 at full size), by existing customers (shipping to their address), with their items
  (1 to 10 lines, about the loaded average of 4 per order: ~200,000 at full size) of existing
  products at their list price, 10 % of lines with a discount; statuses by age like the
  generator's (Pending the last day ... Delivered after a week, 4 % Cancelled);
* status changes: as many existing orders again (1 %), each re-sent whole with its status one
  step further (Pending -> Processing -> Shipped -> In Transit -> Delivered) and the matching
  date set; every still open order of the last 60 days first, the rest Delivered -> Returned
  (orders of the last 60 days, a seeded pseudo-random choice).

Each batch is loaded with `shopetl load` (timed as a process, like the full load); its stage
times come from etl.run_stages. The full load's time is --full-seconds (bench/run.py passes the
time it measured in the same command) or, by default, the ledger's duration of the database's
first run. Batches are loaded one after another (medians over --batches).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common
from common import fmt_s, log, median, table
from load import phases_of, shopetl_load

NEXT_STATUS = {"Pending": "Processing", "Processing": "Shipped", "Shipped": "In Transit",
               "In Transit": "Delivered", "Delivered": "Returned"}
ORDER_COLUMNS = ("order_id", "customer_id", "order_date", "status", "payment_method", "shipping_address",
                 "shipping_city", "shipping_state", "shipping_zip", "shipping_country", "processing_date",
                 "shipping_date", "delivery_date", "total_amount")
ITEM_COLUMNS = ("order_item_id", "order_id", "product_id", "quantity", "price", "discount", "total")
PAYMENT_METHODS = (("Credit Card", 45), ("PayPal", 20), ("Debit Card", 15), ("Apple Pay", 7), ("Google Pay", 5),
                   ("Bank Transfer", 4), ("Gift Card", 2), ("Cash on Delivery", 2))
TS = "YYYY-MM-DD HH24:MI:SS"

STATUS_CHANGES_SQL = f"""
copy (
    with newest as (select max(order_date) as at from core.order_keys),
    picked as (
        select o.*, (o.status = 'Delivered') as late
        from core.orders as o, newest
        where o.order_date > newest.at - interval '60 days'
            and o.status not in ('Cancelled', 'Returned')
        order by (o.status = 'Delivered'), md5(o.order_id::text || ':' || %(seed)s::text)
        limit %(n)s
    ),
    moved as (
        select
            p.*,
            case p.status::text
                when 'Pending' then 'Processing' when 'Processing' then 'Shipped' when 'Shipped' then 'In Transit'
                when 'In Transit' then 'Delivered' else 'Returned'
            end as new_status
        from picked as p
    )
    select
        order_id, customer_id, to_char(order_date at time zone 'UTC', '{TS}'), new_status, payment_method,
        shipping_address, shipping_city, shipping_state, shipping_zip, shipping_country,
        to_char(coalesce(processing_date, order_date + interval '6 hours') at time zone 'UTC', '{TS}'),
        to_char(case when new_status in ('Processing') then shipping_date
                     else coalesce(shipping_date, order_date + interval '1 day') end at time zone 'UTC', '{TS}'),
        to_char(case when new_status in ('Delivered', 'Returned')
                     then coalesce(delivery_date, order_date + interval '4 days') else delivery_date end
                at time zone 'UTC', '{TS}'),
        total_amount
    from moved
    order by order_id
) to stdout with (format csv)
"""


def _money(cents: np.ndarray) -> list[str]:
    return [f"{c // 100}.{c % 100:02d}" for c in cents.tolist()]


def make_batch(url: str, out: Path, seed: int, share: float = 0.01) -> dict[str, Any]:
    """Write orders.csv and order_items.csv of one batch into ``out``; returns what it holds."""
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    with psycopg.connect(url) as conn:
        n_orders, max_order, first_at, newest_at = conn.execute(
            "select count(*), max(order_id), min(order_date), max(order_date) from core.order_keys").fetchone()  # type: ignore[misc]
        n_items, max_item = conn.execute("select count(*), max(order_item_id) from core.order_item_keys").fetchone()  # type: ignore[misc]
        products = np.array(conn.execute("select product_id, (price * 100)::bigint from core.products"
                                         " order by product_id").fetchall(), dtype=np.int64)
        customer_ids = np.array([r[0] for r in conn.execute("select customer_id from core.customers order by 1")],
                                dtype=np.int64)
        n_new = max(1, round(share * n_orders))
        history_days = max(1.0, (newest_at - first_at).total_seconds() / 86400)
        span_s = max(3600.0, n_new / (n_orders / history_days) * 86400)
        now = dt.datetime.now(dt.UTC)
        end_at = min(newest_at + dt.timedelta(seconds=span_s), now + dt.timedelta(hours=12))
        span_s = max(1.0, (end_at - newest_at).total_seconds())
        offsets = np.sort(rng.uniform(1, span_s, n_new))
        order_ids = max_order + 1 + np.arange(n_new, dtype=np.int64)
        customers = rng.choice(customer_ids, n_new)
        addresses = {r[0]: r[1:] for r in conn.execute(
            "select customer_id, street_address, city, state, zip_code, country from core.customers"
            " where customer_id = any(%s)", (sorted(set(customers.tolist())),))}
        # status changes: COPY straight from the database (rows exactly as loaded, status moved on)
        changes_path = out / ".status_changes.csv"
        statement = STATUS_CHANGES_SQL.replace("%(seed)s", str(int(seed))).replace("%(n)s", str(n_new))
        with open(changes_path, "wb") as f, conn.cursor() as cur, cur.copy(statement) as cp:
            f.writelines(cp)
        moved = conn.execute(
            "with newest as (select max(order_date) as at from core.order_keys) select o.status::text, count(*)"
            " from (select o.* from core.orders as o, newest where o.order_date > newest.at - interval '60 days'"
            " and o.status not in ('Cancelled', 'Returned') order by (o.status = 'Delivered'),"
            " md5(o.order_id::text || ':' || %s::text) limit %s) as o group by 1", (str(int(seed)), n_new)).fetchall()

    # items: 1..10 lines per order, mean as loaded
    mean_lines = n_items / n_orders
    lines = np.clip(1 + rng.poisson(max(0.0, mean_lines - 1), n_new), 1, 10)
    n_lines = int(lines.sum())
    line_order = np.repeat(order_ids, lines)
    pick = rng.integers(0, len(products), n_lines)
    product_ids, price = products[pick, 0], products[pick, 1]
    quantity = rng.choice([1, 1, 1, 1, 1, 2, 2, 3], n_lines)
    gross = price * quantity
    discount = np.where(rng.random(n_lines) < 0.1, gross // 10, 0)
    total = gross - discount
    order_total = np.zeros(n_new, dtype=np.int64)
    np.add.at(order_total, np.repeat(np.arange(n_new), lines), total)

    # statuses and dates of the new orders by their age at the end of the batch
    age_days = (span_s - offsets) / 86400
    status = np.select([age_days < 1, age_days < 2, age_days < 3, age_days < 7],
                       ["Pending", "Processing", "Shipped", "In Transit"], "Delivered").astype(object)
    status[rng.random(n_new) < 0.04] = "Cancelled"
    methods, weights = zip(*PAYMENT_METHODS, strict=True)
    payment = rng.choice(np.array(methods, dtype=object), n_new, p=np.array(weights) / sum(weights))

    def ts(base: dt.datetime, seconds: float) -> str:
        return (base + dt.timedelta(seconds=float(seconds))).strftime("%Y-%m-%d %H:%M:%S")

    with open(out / "orders.csv", "w", newline="", encoding="utf-8") as text_out:
        w = csv.writer(text_out, lineterminator="\n")
        w.writerow(ORDER_COLUMNS)
        for i in range(n_new):
            s, off = status[i], offsets[i]
            street, city, state, zip_code, country = addresses.get(int(customers[i]), (None,) * 5)
            reached = {"Pending": 0, "Cancelled": 1, "Processing": 1, "Shipped": 2, "In Transit": 2,
                       "Delivered": 3}[s]
            w.writerow([
                int(order_ids[i]), int(customers[i]), ts(newest_at, off), s, payment[i], street, city, state,
                zip_code, country,
                ts(newest_at, off + 6 * 3600) if reached >= 1 else "",
                ts(newest_at, off + 86400) if reached >= 2 else "",
                ts(newest_at, off + 4 * 86400) if reached >= 3 else "",
                _money(order_total[i:i + 1])[0],
            ])
        with open(changes_path, encoding="utf-8") as changes:
            text_out.write(changes.read())  # later lines: the status changes (other order ids)
    changes_path.unlink()
    item_ids = max_item + 1 + np.arange(n_lines, dtype=np.int64)
    with open(out / "order_items.csv", "w", newline="", encoding="utf-8") as items_out:
        w = csv.writer(items_out, lineterminator="\n")
        w.writerow(ITEM_COLUMNS)
        w.writerows(zip(item_ids.tolist(), line_order.tolist(), product_ids.tolist(), quantity.tolist(),
                        _money(price), _money(discount), _money(total), strict=True))
    return {
        "seed": seed, "new_orders": n_new, "new_items": n_lines, "status_changes": sum(n for _, n in moved),
        "status_changes_from": dict(moved), "loaded_orders_before": n_orders,
        "new_order_dates": [newest_at.isoformat(), end_at.isoformat()],
        "size_mb": common.folder_size_mb(out, ("orders", "order_items")),
    }


def run_incremental_bench(url: str, work: Path, *, full_load_s: float | None = None, batches: int = 1,
                          seed: int = 1000) -> dict[str, Any]:
    if full_load_s is None:
        with psycopg.connect(url) as conn:
            row = conn.execute("select extract(epoch from finished_at - started_at) from etl.runs"
                               " where status = 'ok' order by run_id limit 1").fetchone()
        if not row:
            raise SystemExit("no successful full load in this database: run bench/load.py first")
        full_load_s = float(row[0])
    runs = []
    for k in range(batches):
        folder = work / f"batch-{k + 1}"
        made = make_batch(url, folder, seed + k)
        log(f"batch {k + 1}: {made['new_orders']:,} new orders, {made['new_items']:,} items,"
            f" {made['status_changes']:,} status changes ({made['size_mb']:.1f} MB)")
        s = shopetl_load(url, folder, migrate=False)
        rejected = {k2: f["rejected"] for k2, f in s["summary"]["files"].items() if f["rejected"]}
        log(f"batch {k + 1}: shopetl load {s['wall_s']:.1f} s"
            + (f" (REJECTED: {rejected})" if rejected else ""))
        runs.append({**s, "batch": made, "rejected": rejected})
    inc_s = median(r["wall_s"] for r in runs)
    names = [st["stage"] for st in runs[-1]["stages"]]
    stage_s = {n: median(next((x["seconds"] for x in r["stages"] if x["stage"] == n), 0.0) for r in runs)
               for n in names}
    stage_rows = {st["stage"]: st["rows"] for st in runs[-1]["stages"]}
    phases = phases_of(runs, stage_s)
    return {
        "database": common.libpq_parts(url).get("dbname"), "batches": batches, "full_load_s": full_load_s,
        "incremental_s": inc_s, "ratio": inc_s / full_load_s, "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
        "new_orders": runs[0]["batch"]["new_orders"], "new_items": runs[0]["batch"]["new_items"],
        "status_changes": runs[0]["batch"]["status_changes"], "stages": stage_s, "stage_rows": stage_rows,
        "phases": phases, "runs": runs,
    }


def incremental_markdown(r: dict[str, Any]) -> str:
    b = r["runs"][0]["batch"]
    out = [table(
        ["batch", "new orders", "new items", "status changes", "full load", "batch load (median)",
         "ratio (target <= 5%)", "peak RSS", "batches"],
        [["1 %", f"{r['new_orders']:,}", f"{r['new_items']:,}", f"{r['status_changes']:,}", fmt_s(r["full_load_s"]),
          fmt_s(r["incremental_s"]), f"**{r['ratio']:.1%}**", f"{r['peak_rss_mb']:.0f} MB", str(r["batches"])]])]
    out.append("")
    out.append("Status changes of the first batch, by old status: " + ", ".join(
        f"{k} {v:,}" for k, v in sorted(b["status_changes_from"].items())) + ".")
    out.append("")
    out.append("Each batch: " + "; ".join(
        f"{k + 1}. {run['wall_s']:.1f} s" + (
            f", {run['wal']['bytes'] / 1e6:,.0f} MB of WAL with {run['wal']['fpi']:,.0f} full-page images"
            if run.get("wal") else "")
        for k, run in enumerate(r["runs"])) + " (WAL server-wide while the batch ran, pg_stat_wal).")
    total = r["incremental_s"]
    out.append("")
    out.append(table(["phase", "seconds", "share"],
                     [[p, fmt_s(v), f"{v / total:.0%}"] for p, v in r["phases"].items()]))
    out.append("")
    out.append(table(["stage (1 % batch)", "seconds (median)", "share of the batch", "rows"],
                     [[n, fmt_s(v), f"{v / total:.1%}", "" if r["stage_rows"].get(n) is None
                       else f"{r['stage_rows'][n]:,}"] for n, v in r["stages"].items()]))
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database", default="bench_shopetl", help="fully loaded database on the server (default bench_shopetl)")
    ap.add_argument("--work", type=Path, default=Path("/tmp/shopetl-bench-incremental"), help="where batches are written")
    ap.add_argument("--batches", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1000)
    ap.add_argument("--full-seconds", type=float, help="the full load's time (default: from the ledger)")
    args = ap.parse_args()
    url = common.db_url(common.admin_url(), args.database)
    report = run_incremental_bench(url, args.work, full_load_s=args.full_seconds, batches=args.batches, seed=args.seed)
    path = common.write_json("incremental", 0, report)
    print(incremental_markdown(report))
    log(f"wrote {path}")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
