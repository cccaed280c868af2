"""``shopetl serve``: run the GraphQL API (registered by shopetl.commands)."""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import signal
import sys
from typing import Any

log = logging.getLogger("shopetl_graphql")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("serve", help="serve the GraphQL API (POST /graphql; GraphiQL on GET /graphql)")
    p.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8080, help="TCP port (default 8080)")
    p.add_argument("--workers", type=int, default=1, help="worker processes sharing the port (default 1)")
    p.add_argument(
        "--long-statements", type=int, default=None,
        help="long statements (functions averaging over 50 ms) run at once per worker (default: this"
        " machine's cores shared by the workers, at least 2; for a database elsewhere, its cores)",
    )
    p.add_argument(
        "--pool-size", type=int, default=None,
        help="database connections per worker, i.e. statements run at once (default: 4 per long statement)",
    )
    p.add_argument(
        "--statement-timeout-ms", type=int, default=5000, help="statement timeout of each query (default 5000)"
    )
    p.add_argument(
        "--no-access-log", dest="access_log", action="store_false",
        help="no log line per request (logger shopetl_graphql.access); on by default",
    )
    p.set_defaults(func=cmd_serve)


def _serve(url: str, host: str, port: int, options: dict[str, Any], reuse_port: bool) -> None:
    from aiohttp import web

    from .app import create_app

    try:  # uvloop's event loop: less per-request overhead in aiohttp's transport and the pool
        import asyncio

        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    except ImportError:
        pass
    web.run_app(
        create_app(url, **options), host=host, port=port, reuse_port=reuse_port, print=None, access_log=None
    )


def cmd_serve(args: argparse.Namespace, settings: Any) -> int:
    from shopetl import db

    from .app import default_long_statements, default_pool_size

    url = db.database_url(settings)
    workers = max(1, args.workers)
    long_statements = default_long_statements(workers) if args.long_statements is None else max(1, args.long_statements)
    options = {
        "long_statements": long_statements,
        "pool_max_size": default_pool_size(long_statements) if args.pool_size is None else max(1, args.pool_size),
        "statement_timeout_ms": args.statement_timeout_ms,
        "access_log": args.access_log,
    }
    base = f"http://{args.host}:{args.port}"
    print(f"serving GraphQL on {base}/graphql (GraphiQL in a browser), {workers} worker(s),"
          f" {options['pool_max_size']} database connection(s) each, at most {long_statements} long statements at once\n"
          f"dashboard:          {base}/dashboard", flush=True)
    if workers == 1:
        _serve(url, args.host, args.port, options, reuse_port=False)
        return 0
    processes = [
        multiprocessing.Process(target=_serve, args=(url, args.host, args.port, options, True), daemon=True)
        for _ in range(workers)
    ]
    for process in processes:
        process.start()

    def stop(signum: int, frame: Any) -> None:
        for process in processes:
            if process.is_alive():
                process.terminate()

    signal.signal(signal.SIGTERM, stop)
    try:
        for process in processes:
            process.join()
    except KeyboardInterrupt:
        stop(signal.SIGINT, None)
        for process in processes:
            process.join()
    failed = [p.exitcode for p in processes if p.exitcode not in (0, -signal.SIGTERM)]
    if failed:
        print(f"serve: {len(failed)} worker(s) failed (exit codes {failed})", file=sys.stderr)
        return 1
    return 0
