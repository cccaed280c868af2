"""API benchmark: `shopetl serve` against PostGraphile v4 serving the same `api` functions.

    python bench/api.py --database bench_shopetl              # after bench/load.py (+ incremental)
    python bench/api.py --database fullscale --duration 30 --skip-postgraphile

Both servers run on 127.0.0.1 against the same database, one after the other, each measured by
bench/apiclient.py in a separate process. For each of four queries, requests with seeded,
varied arguments drawn from the loaded data (bench/api.py: `arguments`) are sent at 1 and at 8
concurrent clients for --duration seconds each (after a warm-up; longer, up to 6 x, until at
least --min-requests were sent, for the slow queries). A cell's time and requests are split into
--rounds rounds (default 3) in which the two servers take turns to go first, so that a drift of
the machine's speed over the minutes of a run falls on both; a round gives both servers the same
requests, each round other ones. A cell's percentiles are those of all its rounds' latencies,
its requests/s all answers over all measured time. Both get the same requests in the same order: shopetl a GraphQL document selecting
what a client would (`nodes`, not also `edges`), PostGraphile the same function call, whose
result is one JSON scalar holding everything the function returns.

The server's CPU time per request (user + system of its processes, from /proc, over each round)
is reported next to the latencies: at 8 clients both servers share two cores with the database
and the load generator, so requests/s follows it.

    productSales           p_from/p_to a week, calendar month, quarter or 365 days; orderBy by
                           revenue, units or orders; first 20; a third filtered by a category
    customer               purchase history: a random customer, lifetime figures and the 10
                           newest orders with their items and products
    topProductsByCategory  a category (or all root categories), all time / a month / a quarter;
                           first 10
    salesTrends            DAY over 30-90 days, WEEK over a year or MONTH over all the data;
                           shop-wide, a category or a product

Reports p50/p95/p99 latency and requests/s per query, server and concurrency, and with
--explain (default on) EXPLAIN (ANALYZE, BUFFERS) of the statements run inside the function
call of the slowest request found (see `capture_statements`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Self

import psycopg

from shopetl_graphql.app import default_long_statements, default_pool_size

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common
from common import log, percentile, table

QUERIES = ("productSales", "customer", "topProductsByCategory", "salesTrends")
CONCURRENCY = (1, 8)
MAX_REQUESTS = 5000  # per cell (query, server, clients), over all its rounds

PRODUCT = """productId name description sku price cost inventoryCount isActive createdAt
      category { categoryId name parentId }"""
PAGE = "pageInfo { hasNextPage hasPreviousPage startCursor endCursor }"

#: query -> (SQL function, {SQL parameter: (shopetl variable, GraphQL type, SQL type)})
FUNCTIONS: dict[str, tuple[str, dict[str, tuple[str, str, str]]]] = {
    "productSales": ("api.product_sales", {
        "p_from": ("from", "Date!", "date"), "p_to": ("to", "Date!", "date"),
        "p_filter": ("filter", "ProductSalesFilter", "jsonb"), "p_order_by": ("orderBy", "[ProductSalesOrderBy!]", "text[]"),
        "p_first": ("first", "Int", "integer")}),
    "customer": ("api.customer", {
        "p_customer_id": ("customerId", "Int!", "integer"), "p_orders_first": ("ordersFirst", "Int", "integer")}),
    "topProductsByCategory": ("api.top_products_by_category", {
        "p_category_id": ("categoryId", "Int", "integer"), "p_from": ("from", "Date", "date"),
        "p_to": ("to", "Date", "date"), "p_first": ("first", "Int", "integer")}),
    "salesTrends": ("api.sales_trends", {
        "p_from": ("from", "Date!", "date"), "p_to": ("to", "Date!", "date"),
        "p_granularity": ("granularity", "Granularity", "text"), "p_category_id": ("categoryId", "Int", "integer"),
        "p_product_id": ("productId", "Int", "integer")}),
}

SHOPETL_SELECTIONS = {
    "productSales": """productSales(from: $from, to: $to, filter: $filter, orderBy: $orderBy, first: $first) {
    totalCount nodes { product { """ + PRODUCT + """ } units orders revenue } """ + PAGE + """ }""",
    "customer": """customer(customerId: $customerId) {
    customerId email firstName lastName city state zipCode country registrationDate lastLogin
    lifetimeValue orderCount firstOrderAt lastOrderAt averageOrderValue
    orders(first: $ordersFirst) { totalCount nodes { orderId orderDate status countsInSales revenue totalAmount
      paymentMethod shippingCity shippingState shippingCountry shippingDate deliveryDate
      items { orderItemId product { """ + PRODUCT + """ } quantity price discount revenue } } """ + PAGE + """ } }""",
    "topProductsByCategory": """topProductsByCategory(categoryId: $categoryId, from: $from, to: $to, first: $first) {
    rank categoryId product { """ + PRODUCT + """ } units revenue }""",
    "salesTrends": """salesTrends(from: $from, to: $to, granularity: $granularity, categoryId: $categoryId,
    productId: $productId) { periodStart revenue units orders revenueChange unitsChange ordersChange }""",
}


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)


def shopetl_document(query: str) -> str:
    _, params = FUNCTIONS[query]
    decl = ", ".join(f"${var}: {gtype}" for var, gtype, _ in params.values())
    return f"query {query[0].upper() + query[1:]}({decl}) {{\n  {SHOPETL_SELECTIONS[query]}\n}}"


def postgraphile_document(query: str) -> str:
    _, params = FUNCTIONS[query]
    types = {"date": "Date", "jsonb": "JSON", "text[]": "[String]", "integer": "Int", "text": "String"}
    decl = ", ".join(f"${camel(p)}: {types[sql]}" for p, (_, _, sql) in params.items())
    args = ", ".join(f"{camel(p)}: ${camel(p)}" for p in params)
    return f"query {query[0].upper() + query[1:]}({decl}) {{ {query}({args}) }}"


def body(server: str, query: str, args: dict[str, Any]) -> str:
    _, params = FUNCTIONS[query]
    if server == "shopetl":
        doc, variables = shopetl_document(query), {params[p][0]: v for p, v in args.items()}
    else:
        doc, variables = postgraphile_document(query), {camel(p): v for p, v in args.items()}
    return json.dumps({"query": doc, "variables": variables, "operationName": query[0].upper() + query[1:]})


def sql_call(query: str, args: dict[str, Any]) -> tuple[str, list[Any]]:
    fn, params = FUNCTIONS[query]
    parts, values = [], []
    for p, v in args.items():
        parts.append(f"{p} => %s::{params[p][2]}")
        values.append(json.dumps(v) if params[p][2] == "jsonb" else v)
    return f"select {fn}({', '.join(parts)})", values


# -- representative arguments, seeded ------------------------------------------------------------------
def data_ranges(url: str) -> dict[str, Any]:
    with psycopg.connect(url) as conn:
        first, last = conn.execute("select min(sales_date), max(sales_date) from marts.daily_sales").fetchone()  # type: ignore[misc]
        categories = [r[0] for r in conn.execute("select category_id from core.product_categories order by 1")]
        max_product = conn.execute("select max(product_id) from core.products").fetchone()[0]  # type: ignore[index]
        max_customer = conn.execute("select max(customer_id) from core.customers").fetchone()[0]  # type: ignore[index]
    return {"first": first, "last": last, "categories": categories, "max_product": max_product,
            "max_customer": max_customer}


def _period(rng: random.Random, r: dict[str, Any], kind: str) -> tuple[str, str]:
    first, last = r["first"], r["last"]
    if kind in ("month", "quarter"):
        months = 1 if kind == "month" else 3
        span = (last.year - first.year) * 12 + last.month - first.month + 1 - months
        k = rng.randint(0, max(0, span))
        y, m = divmod(first.month - 1 + k, 12)
        start = dt.date(first.year + y, m + 1, 1)
        y2, m2 = divmod(start.month - 1 + months, 12)
        end = dt.date(start.year + y2, m2 + 1, 1) - dt.timedelta(days=1)
        return str(max(start, first)), str(min(end, last))
    days = {"week": 7, "year": 365}.get(kind) or int(kind)
    latest_start = max(first, last - dt.timedelta(days=days - 1))
    start = first + dt.timedelta(days=rng.randint(0, (latest_start - first).days))
    return str(start), str(min(last, start + dt.timedelta(days=days - 1)))


def arguments(query: str, r: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    def pick(options: list[tuple[Any, float]]) -> Any:
        return rng.choices([o for o, _ in options], [w for _, w in options])[0]

    if query == "productSales":
        p_from, p_to = _period(rng, r, pick([("week", 25), ("month", 35), ("quarter", 25), ("year", 15)]))
        args: dict[str, Any] = {"p_from": p_from, "p_to": p_to,
                                "p_order_by": [pick([("REVENUE_DESC", 60), ("UNITS_DESC", 20), ("ORDERS_DESC", 20)])],
                                "p_first": 20}
        if rng.random() < 1 / 3:
            args["p_filter"] = {"categoryId": {"equalTo": rng.choice(r["categories"])}}
        return args
    if query == "customer":
        return {"p_customer_id": rng.randint(1, r["max_customer"]), "p_orders_first": 10}
    if query == "topProductsByCategory":
        args = {"p_first": 10}
        if rng.random() < 0.7:
            args["p_category_id"] = rng.choice(r["categories"])
        kind = pick([("all", 30), ("month", 40), ("quarter", 30)])
        if kind != "all":
            args["p_from"], args["p_to"] = _period(rng, r, kind)
        return args
    if query == "salesTrends":
        kind = pick([("day", 30), ("week", 30), ("month", 40)])
        if kind == "day":
            p_from, p_to = _period(rng, r, str(rng.randint(30, 90)))
        elif kind == "week":
            p_from, p_to = _period(rng, r, "year")
        else:
            p_from, p_to = str(r["first"]), str(r["last"])
        args = {"p_from": p_from, "p_to": p_to, "p_granularity": kind.upper()}
        scope = pick([("shop", 40), ("category", 40), ("product", 20)])
        if scope == "category":
            args["p_category_id"] = rng.choice(r["categories"])
        elif scope == "product":
            args["p_product_id"] = rng.randint(1, r["max_product"])
        return args
    raise KeyError(query)


# -- the servers ---------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def node_url(url: str) -> str:
    """The libpq URL as node-postgres (pg-connection-string) reads it; a socket folder as host is
    percent-encoded (postgres://user@%2Fpath%2Fto%2Fsocket:5432/db)."""
    from urllib.parse import quote

    p = common.libpq_parts(url)
    host = p.get("host", "localhost")
    auth = quote(p.get("user", "postgres"), safe="") + (":" + quote(p["password"], safe="") if p.get("password") else "")
    return f"postgres://{auth}@{quote(host, safe='')}:{p.get('port', '5432')}/{quote(p.get('dbname', 'postgres'), safe='')}"


def wait_ready(endpoint: str, proc: subprocess.Popen[bytes], timeout: float, log_path: Path) -> None:
    deadline = time.monotonic() + timeout
    payload = json.dumps({"query": "{ __typename }"}).encode()
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited ({proc.returncode}):\n{log_path.read_text()[-3000:]}")
        try:
            req = urllib.request.Request(endpoint, payload, {"Content-Type": "application/json"})
            with urllib.request.urlopen(req, timeout=5) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise SystemExit(f"server at {endpoint} not ready after {timeout:.0f} s:\n{log_path.read_text()[-3000:]}")


class Server:
    def __init__(self, name: str, cmd: list[str], port: int, env: dict[str, str], work: Path) -> None:
        self.name, self.cmd, self.port, self.env = name, cmd, port, env
        self.endpoint = f"http://127.0.0.1:{port}/graphql"
        self.log_path = work / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Self:
        log(f"starting {self.name}: {' '.join(self.cmd)}")
        with open(self.log_path, "wb") as out:
            self.proc = subprocess.Popen(self.cmd, stdout=out, stderr=subprocess.STDOUT, env=self.env,
                                         start_new_session=True)
        wait_ready(self.endpoint, self.proc, 300, self.log_path)
        return self

    def _session(self) -> list[tuple[int, list[str]]]:
        """Every process of the server's own session (npx and node, or shopetl and its workers)
        with the fields of its /proc stat after the command name (state, ppid, pgrp, session, ...)."""
        out = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:  # ended meanwhile
                continue
            if self.proc is not None and int(fields[3]) == self.proc.pid:  # session id (field 6)
                out.append((int(pid), fields))
        return out

    def pids(self) -> list[int]:
        """The server's processes (its session's), from /proc."""
        return [pid for pid, _ in self._session()]

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server's processes have used so far, from /proc; nan
        without /proc."""
        if self.proc is None or not Path("/proc/self/stat").exists():
            return float("nan")
        ticks = sum(int(f[11]) + int(f[12]) for _, f in self._session())  # utime, stime (fields 14, 15)
        return ticks / os.sysconf("SC_CLK_TCK")

    def __exit__(self, *exc: object) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # its own session: npx, node and the cluster workers
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def shopetl_server(url: str, workers: int, work: Path, pool_size: int | None = None) -> Server:
    port = free_port()
    cmd = [*common.SHOPETL, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
           "--statement-timeout-ms", "120000", "--no-access-log"]  # as PostGraphile's --disable-query-log
    if pool_size is not None:
        cmd += ["--pool-size", str(pool_size)]
    return Server("shopetl", cmd, port, {**os.environ, "DATABASE_URL": url}, work)


def postgraphile_server(url: str, workers: int, work: Path, package: str, pool_size: int | None = None) -> Server:
    port = free_port()
    cmd = ["npx", "--yes", package, "-c", node_url(url), "-s", "api", "-n", "127.0.0.1", "-p", str(port),
           "--dynamic-json", "--disable-query-log", "--disable-graphiql"]
    if workers > 1:
        cmd += ["--cluster-workers", str(workers)]
    if pool_size is not None:
        cmd += ["--max-pool-size", str(pool_size)]
    return Server("postgraphile", cmd, port, {**os.environ, "NODE_ENV": "production"}, work)


def postgraphile_version(work: Path) -> str:
    text = (work / "postgraphile.log").read_text(errors="replace") if (work / "postgraphile.log").exists() else ""
    m = re.search(r"PostGraphile v([\d.]+)", text)
    return m.group(1) if m else "?"


# -- measuring -----------------------------------------------------------------------------------------
def drive(server: Server, bodies: Path, concurrency: int, duration: float, work: Path, min_requests: int = 0,
          *, start: int = 0, max_requests: int = 5000) -> dict[str, Any]:
    """One round of requests from ``bodies`` (from line ``start`` on) at ``concurrency`` clients: the
    load generator's answer (latencies kept) and the CPU the server used meanwhile."""
    out = work / f"result-{server.name}-{bodies.stem}-{concurrency}.json"
    warmup = max(5, 2 * concurrency)
    cmd = [sys.executable, str(Path(__file__).with_name("apiclient.py")), "--url", server.endpoint,
           "--bodies", str(bodies), "--concurrency", str(concurrency), "--duration", str(duration),
           "--warmup", str(warmup), "--min-requests", str(min_requests), "--start", str(start),
           "--max-requests", str(max_requests), "--max-duration", str(6 * duration), "--out", str(out)]
    cpu_before = server.cpu_seconds()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    cpu_s = server.cpu_seconds() - cpu_before
    if proc.returncode != 0:
        raise SystemExit(f"apiclient failed:\n{proc.stderr[-3000:]}")
    r = json.loads(out.read_text())
    r.update(cpu_s=cpu_s, sent=r["requests"] + r["errors"] + warmup)
    return r


def merge_rounds(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """One cell from its rounds: percentiles of all their latencies together, requests/s as all
    answers over all measured time, the server's CPU per request sent (warm-ups included, as the
    server served them), and each round's own requests/s and p95 for the record."""
    lat = [x for r in rounds for x in r["latencies_ms"]]
    requests = sum(r["requests"] for r in rounds)
    elapsed = sum(r["elapsed_s"] for r in rounds)
    return {
        "concurrency": rounds[0]["concurrency"], "rounds": len(rounds), "requests": requests,
        "errors": sum(r["errors"] for r in rounds),
        "error_samples": [e for r in rounds for e in r["error_samples"]][:3],
        "elapsed_s": elapsed, "rps": requests / elapsed if elapsed > 0 else float("nan"),
        "p50_ms": percentile(lat, 50), "p95_ms": percentile(lat, 95), "p99_ms": percentile(lat, 99),
        "max_ms": max(lat) if lat else float("nan"), "mean_ms": (sum(lat) / len(lat)) if lat else float("nan"),
        "mean_bytes": (sum(r["mean_bytes"] * r["requests"] for r in rounds) / requests) if requests else 0,
        "cpu_ms_per_request": 1000 * sum(r["cpu_s"] for r in rounds) / max(1, sum(r["sent"] for r in rounds)),
        "round_rps": [r["rps"] for r in rounds],
        "round_p95_ms": [percentile(r["latencies_ms"], 95) for r in rounds],
    }


def _matching_paren(text: str, open_at: int) -> int:
    """Index of the parenthesis closing the one at ``open_at`` in PL/pgSQL source, skipping
    '...' literals, "..." identifiers, $tag$...$tag$ strings and -- comments."""
    depth, i = 0, open_at
    while i < len(text):
        c = text[i]
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i
        elif c in "'\"":
            j = i + 1
            while True:
                j = text.index(c, j)
                if text[j + 1:j + 2] == c:
                    j += 2
                    continue
                break
            i = j
        elif c == "-" and text.startswith("--", i):
            i = text.index("\n", i)
        elif c == "$":
            m = re.match(r"\$[A-Za-z_]*\$", text[i:])
            if m:
                i = text.index(m.group(0), i + len(m.group(0))) + len(m.group(0)) - 1
        i += 1
    raise ValueError("unbalanced parentheses")


def _echoing(definition: str) -> str:
    """The function definition with every `execute format(...)` passed through api_internal.bench_echo."""
    out, pos = [], 0
    for m in re.finditer(r"execute\s+format\(", definition, re.IGNORECASE):
        if m.start() < pos:
            continue
        close = _matching_paren(definition, m.end() - 1)
        out += [definition[pos:m.start()], "execute api_internal.bench_echo(", definition[m.end() - 7:close + 1], ")"]
        pos = close + 1
    return "".join(out) + definition[pos:]


def capture_statements(conn: psycopg.Connection[Any], query: str, args: dict[str, Any]) -> list[str]:
    """The dynamic SQL statements (EXECUTE format(...)) a call of the api function runs, exactly as
    run: in a transaction that is rolled back, the api functions that build SQL are replaced by
    copies that pass each statement through a function raising it as a NOTICE.
    (The embedded PostgreSQL ships no auto_explain, so this is how the statements are found.)"""
    sql, values = sql_call(query, args)
    captured: list[str] = []

    def on_notice(d: Any) -> None:
        if (d.message_primary or "").startswith("bench-sql:"):
            captured.append(d.message_primary[len("bench-sql:"):])

    with conn.transaction(force_rollback=True):
        conn.execute(
            "create function api_internal.bench_echo(p_sql text) returns text language plpgsql as"
            " $f$ begin raise notice 'bench-sql:%', p_sql; return p_sql; end $f$")
        for (definition,) in conn.execute(
                "select pg_get_functiondef(p.oid) from pg_proc as p join pg_namespace as n on n.oid = p.pronamespace"
                " where n.nspname in ('api', 'api_internal') and p.prosrc ~* 'execute\\s+format\\('").fetchall():
            conn.execute(_echoing(definition))
        conn.add_notice_handler(on_notice)
        try:
            conn.execute(sql, values)
        finally:
            conn.remove_notice_handler(on_notice)
    return captured


def explain_call(url: str, query: str, args: dict[str, Any]) -> dict[str, Any]:
    """EXPLAIN (ANALYZE, BUFFERS) of each dynamic statement the function call runs (the second
    run of each, so that the cache is as warm as under load), and the call's own time."""
    sql, values = sql_call(query, args)
    with psycopg.connect(url, autocommit=True, options="-c TimeZone=UTC") as conn:
        conn.execute(sql, values)
        t0 = time.perf_counter()
        conn.execute(sql, values)
        took = (time.perf_counter() - t0) * 1000
        statements = capture_statements(conn, query, args)
        # run them with the settings the function runs with (e.g. its work_mem), not the session's
        fn = FUNCTIONS[query][0]
        for (setting,) in conn.execute(
                "select unnest(p.proconfig) from pg_proc as p join pg_namespace as n on n.oid = p.pronamespace"
                " where n.nspname || '.' || p.proname = %s", (fn,)).fetchall():
            name, value = setting.split("=", 1)
            if name != "search_path":
                conn.execute("select set_config(%s, %s, false)", (name, value))
        plans: list[dict[str, Any]] = []
        for stmt in statements:
            params: dict[str, Any] | None = None
            text = stmt
            if "$1" in stmt:  # top_products_by_category's `using p_category_id, v_first`
                params = {"p1": args.get("p_category_id"), "p2": args.get("p_first", 10)}
                text = stmt.replace("%", "%%").replace("$1", "%(p1)s::integer").replace("$2", "%(p2)s::integer")
            explain = "explain (analyze, buffers, settings) " + text
            with conn.cursor() as cur:
                for _ in range(2):  # the second run's plan: cache as warm as under load
                    cur.execute(explain, params)
                plan = "\n".join(r[0] for r in cur.fetchall())
            m = re.search(r"Execution Time: ([\d.]+) ms", plan)
            plans.append({"sql": stmt, "duration_ms": float(m.group(1)) if m else 0.0, "plan": plan})
    heaviest = max(plans, key=lambda p: p["duration_ms"]) if plans else None
    return {"query": query, "args": args, "sql": sql, "values": values, "call_ms": took, "statements": plans,
            "heaviest": heaviest}


def run_api_bench(url: str, work: Path, *, duration: float = 20.0, seed: int = 7, postgraphile: bool = True,
                  workers: int = 1, package: str = "postgraphile@4", explain: bool = True, min_requests: int = 40,
                  queries: tuple[str, ...] = QUERIES, concurrency: tuple[int, ...] = CONCURRENCY,
                  rounds: int = 3, pool_size: int | None = None) -> dict[str, Any]:
    work.mkdir(parents=True, exist_ok=True)
    ranges = data_ranges(url)
    requests: dict[str, list[dict[str, Any]]] = {}
    for q in queries:
        rng = random.Random(f"{seed}:{q}")
        requests[q] = [arguments(q, ranges, rng) for _ in range(5000)]
    servers = ["shopetl"] + (["postgraphile"] if postgraphile else [])
    for s in servers:
        for q in queries:
            (work / f"{s}-{q}.jsonl").write_text("\n".join(body(s, q, a) for a in requests[q]) + "\n")
    results: list[dict[str, Any]] = []
    cells = [(q, c) for q in queries for c in concurrency]
    with shopetl_server(url, workers, work, pool_size) as shop:
        pgl_ctx = postgraphile_server(url, workers, work, package, pool_size) if postgraphile else None
        try:
            pgl = pgl_ctx.__enter__() if pgl_ctx else None
            by_name = {"shopetl": shop, "postgraphile": pgl}
            rounds = max(1, rounds)
            per_round = -(-MAX_REQUESTS // rounds)
            turn = 0
            for q, c in cells:
                measured: dict[str, list[dict[str, Any]]] = {s: [] for s in servers}
                for k in range(rounds):
                    # the servers take turns going first (cache warmth, the machine's drift); in a
                    # round both get the same requests, each round other ones
                    order = servers if turn % 2 == 0 else servers[::-1]
                    turn += 1
                    for s in order:
                        measured[s].append(drive(
                            by_name[s], work / f"{s}-{q}.jsonl", c, duration / rounds, work,  # type: ignore[arg-type]
                            -(-min_requests // rounds), start=k * per_round, max_requests=per_round))
                for s in servers:
                    r = merge_rounds(measured[s])
                    r.update(server=s, query=q)
                    results.append(r)
                    log(f"{q:<22} {s:<12} {c} client(s): p50 {r['p50_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms,"
                        f" {r['rps']:.1f} req/s, {r['requests']} requests, {r['errors']} errors,"
                        f" server CPU {r['cpu_ms_per_request']:.3f} ms/request"
                        + (f" e.g. {r['error_samples'][0][:200]}" if r["errors"] else ""))
        finally:
            if pgl_ctx:
                pgl_ctx.__exit__(None, None, None)
    report: dict[str, Any] = {
        "database": common.libpq_parts(url).get("dbname"), "duration_s": duration, "min_requests": min_requests, "seed": seed,
        "workers": workers, "rounds": max(1, rounds),
        # database connections per server process: the one asked for, else each server's default
        # (PostGraphile v4's --max-pool-size "defaults to 10", its --help)
        "pool_sizes": {"shopetl": pool_size or default_pool_size(default_long_statements(workers)),
                       "postgraphile": pool_size or 10},
        # shopetl's long statements (graphql/admission.py) at once per process, of those connections
        "long_statements": default_long_statements(workers),
        "postgraphile": postgraphile_version(work) if postgraphile else None,
        "data_ranges": {k: (str(v) if isinstance(v, dt.date) else v) for k, v in ranges.items() if k != "categories"},
        "categories": len(ranges["categories"]), "results": results,
        "documents": {q: {"shopetl": shopetl_document(q), "postgraphile": postgraphile_document(q)} for q in queries},
    }
    if explain:
        # the slowest kind of request: the query with the highest p95 at one client (shopetl), and
        # among a sample of its arguments the one whose call takes longest
        one = [r for r in results if r["server"] == "shopetl" and r["concurrency"] == 1]
        slowest_q = str(max(one, key=lambda r: float(r["p95_ms"]))["query"])
        sample = requests[slowest_q][:20]
        timed = []
        with psycopg.connect(url, autocommit=True, options="-c TimeZone=UTC") as conn:
            for a in sample:
                sql, values = sql_call(slowest_q, a)
                t0 = time.perf_counter()
                conn.execute(sql, values)
                timed.append(((time.perf_counter() - t0), a))
        timed.sort(key=lambda t: t[0])
        report["explain"] = explain_call(url, slowest_q, timed[-1][1])
        report["explain"]["sample_ms"] = {"median": timed[len(timed) // 2][0] * 1000, "max": timed[-1][0] * 1000,
                                          "n": len(timed)}
    return report


def api_markdown(r: dict[str, Any]) -> str:
    res = r["results"]

    def find(s: str, q: str, c: int) -> dict[str, Any] | None:
        return next((x for x in res if x["server"] == s and x["query"] == q and x["concurrency"] == c), None)

    rows = []
    for x in res:
        rows.append([x["query"], x["server"], x["concurrency"], f"{x['requests']:,}", x["errors"],
                     f"{x['p50_ms']:.1f}", f"{x['p95_ms']:.1f}", f"{x['p99_ms']:.1f}", f"{x['rps']:.1f}",
                     f"{x['mean_bytes'] / 1024:.1f}", f"{x.get('cpu_ms_per_request', float('nan')):.3f}"])
    rows.sort(key=lambda row: (QUERIES.index(row[0]), row[2], row[1] != "shopetl"))
    out = [table(["query", "server", "clients", "requests", "errors", "p50 ms", "p95 ms", "p99 ms", "req/s",
                  "KiB/answer", "server CPU ms/request"], rows, "lllrrrrrrrr")]
    summary = []
    for q in QUERIES:
        s1, s8, p1, p8 = find("shopetl", q, 1), find("shopetl", q, 8), find("postgraphile", q, 1), find("postgraphile", q, 8)
        if not s1 or not s8:
            continue
        met_1 = s1["p95_ms"] <= 50
        row = [q, f"{s1['p95_ms']:.1f} ms {'met' if met_1 else '**missed**'}"]
        if p8 and p1:
            met_p95 = s8["p95_ms"] <= p8["p95_ms"]
            met_rps = s8["rps"] >= p8["rps"]
            row += [f"{p1['p95_ms']:.1f} ms",
                    (f"{s8['p95_ms']:.0f} / {p8['p95_ms']:.0f} ms = {s8['p95_ms'] / p8['p95_ms']:.2f}x"
                     f" {'met' if met_p95 else '**missed**'}"),
                    f"{s8['rps']:.1f} / {p8['rps']:.1f} = {s8['rps'] / p8['rps']:.2f}x {'met' if met_rps else '**missed**'}"]
        else:
            row += ["-", f"{s8['p95_ms']:.0f} ms", f"{s8['rps']:.1f}"]
        summary.append(row)
    out += ["", table(["query", "shopetl p95, 1 client (target <= 50 ms)", "PostGraphile p95, 1 client",
                       "p95 at 8 clients shopetl / PostGraphile (target <= 1)",
                       "req/s at 8 clients shopetl / PostGraphile (target >= 1)"], summary, "lrrrr")]
    e = r.get("explain")
    if e:
        h = e["heaviest"]
        out += ["", f"Slowest request ({e['query']}, the highest p95 at 1 client; of {e['sample_ms']['n']} of its"
                f" requests called directly, median {e['sample_ms']['median']:.0f} ms, slowest"
                f" {e['sample_ms']['max']:.0f} ms): `{e['sql']}` with {json.dumps(e['values'])}, {e['call_ms']:.0f} ms"
                f" as called; its heaviest statement, run alone ({h['duration_ms']:.0f} ms):" if h else "", "",
                "```", (h["plan"] if h else "(no plan captured)").rstrip(), "```"]
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database", default="bench_shopetl")
    ap.add_argument("--work", type=Path, default=None, help="scratch folder (request files, server logs)")
    ap.add_argument("--duration", type=float, default=20.0, help="seconds measured per query, server and concurrency")
    ap.add_argument("--workers", type=int, default=1, help="server processes (shopetl --workers, PostGraphile --cluster-workers)")
    ap.add_argument("--min-requests", type=int, default=40,
                    help="measure on after --duration until this many requests (at most 6 x --duration)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--rounds", type=int, default=3,
                    help="rounds per cell, the servers taking turns; --duration and the requests are split among them")
    ap.add_argument("--pool-size", type=int, default=None,
                    help="database connections of both servers (shopetl --pool-size, PostGraphile --max-pool-size);"
                         " default: each server's own (shopetl: the cores, PostGraphile: 10)")
    ap.add_argument("--skip-postgraphile", action="store_true")
    ap.add_argument("--postgraphile-package", default="postgraphile@4")
    ap.add_argument("--no-explain", action="store_true")
    ap.add_argument("--queries", default=",".join(QUERIES))
    args = ap.parse_args()
    url = common.db_url(common.admin_url(), args.database)
    work = args.work or Path(tempfile.mkdtemp(prefix="shopetl-bench-api-"))
    report = run_api_bench(url, work, duration=args.duration, seed=args.seed, postgraphile=not args.skip_postgraphile,
                           workers=args.workers, package=args.postgraphile_package, explain=not args.no_explain,
                           min_requests=args.min_requests, rounds=args.rounds, pool_size=args.pool_size,
                           queries=tuple(args.queries.split(",")))
    path = common.write_json("api", 0, report)
    print(api_markdown(report))
    log(f"wrote {path}")


if __name__ == "__main__":
    main()
