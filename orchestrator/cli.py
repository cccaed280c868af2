"""The ``shopetl`` command line: the thin orchestrator's only entry point."""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import warnings
from pathlib import Path

from . import config as config_mod
from . import db, embedded, logs

log = logging.getLogger("shopetl")

#: Exit codes for schedulers.
EXIT_OK, EXIT_FAILED, EXIT_REFUSED, EXIT_INTERNAL, EXIT_USAGE = 0, 1, 3, 4, 2


def _settings(args: argparse.Namespace) -> config_mod.Settings:
    s = config_mod.from_env()
    if getattr(args, "data_dir", None):
        s = s.with_(data_dir=Path(args.data_dir).resolve())
    if getattr(args, "log_format", None):
        s = s.with_(log_format=args.log_format)
    return s


def cmd_db(args: argparse.Namespace, s: config_mod.Settings) -> int:
    if args.action == "start":
        url = db.database_url(s)
        print(url)
        if not s.database_url:
            print(f"connect with: {embedded.psql_path()} '{url}'", file=sys.stderr)
        return EXIT_OK
    if args.action == "stop":
        if s.database_url:
            print("DATABASE_URL points at an external server; nothing to stop", file=sys.stderr)
            return EXIT_OK
        stopped = embedded.stop(s.data_dir)
        print("embedded server stopped" if stopped else "embedded server was not running", file=sys.stderr)
        return EXIT_OK
    if args.action == "url":
        print(db.database_url(s))
        return EXIT_OK
    if args.action == "psql":
        url = db.database_url(s)
        # the embedded server's psql ships with the wheel, so there is always one
        psql = os.environ.get("PSQL") or str(embedded.psql_path())
        return subprocess.call([psql, url, *args.psql_args])
    raise AssertionError(args.action)


def cmd_migrate(args: argparse.Namespace, s: config_mod.Settings) -> int:
    from .migrate import MigrationError, migrate

    with db.connect(db.database_url(s), autocommit=True) as conn:
        try:
            ran = migrate(conn, s.sql_dir / "ddl")
        except MigrationError as exc:
            log.error("%s", exc)
            return EXIT_FAILED
    print(f"applied {len(ran)} migration(s)" + (": " + ", ".join(ran) if ran else " (up to date)"))
    return EXIT_OK


def cmd_generate(args: argparse.Namespace, s: config_mod.Settings) -> int:
    from .generate import generate

    counts = generate(
        Path(args.out), scale=args.scale, seed=args.seed, dirty=args.dirty, prefix=args.prefix, gzip=args.gzip
    )
    for key, n in counts.items():
        print(f"{key:<20} {n:>12,} rows")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="shopetl", description=__doc__)
    p.add_argument("--data-dir", help="embedded server data folder (default .shopetl/pgdata; env SHOPETL_DATA_DIR)")
    p.add_argument("--log-format", choices=["text", "json"], help="log output format (env SHOPETL_LOG_FORMAT)")
    p.add_argument("--log-level", default=os.environ.get("SHOPETL_LOG_LEVEL", "INFO"))
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser("db", help="the database: start/stop the embedded server, print its URL, open psql")
    d.add_argument("action", choices=["start", "stop", "url", "psql"])
    d.add_argument("psql_args", nargs=argparse.REMAINDER, help="extra arguments for psql")
    d.set_defaults(func=cmd_db)

    m = sub.add_parser("migrate", help="apply pending migrations from sql/ddl")
    m.set_defaults(func=cmd_migrate)

    g = sub.add_parser("generate", help="write a synthetic delivery (the five CSVs) into OUT")
    g.add_argument("out")
    g.add_argument("--scale", type=float, default=0.001, help="1.0 = 500/100k/1M/5M/20M rows")
    g.add_argument("--seed", type=int, default=42)
    g.add_argument("--dirty", type=float, default=0.0, help="share of rows that break a contract rule")
    g.add_argument("--prefix", default="", help="file name prefix, e.g. sample_")
    g.add_argument("--gzip", action="store_true", help="write .csv.gz files")
    g.set_defaults(func=cmd_generate)

    _add_pipeline_commands(sub)
    return p


def _add_pipeline_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Commands of the later stages register here (load, render, serve, ...)."""
    try:
        from . import commands
    except ImportError:  # pragma: no cover - during bootstrap only
        return
    commands.register(sub)


def main(argv: list[str] | None = None) -> int:
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    args = build_parser().parse_args(argv)
    s = _settings(args)
    logs.setup(args.log_level, s.log_format)
    try:
        return int(args.func(args, s))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # the edge: one readable line, details with --log-level DEBUG
        from .errors import ShopetlError

        if isinstance(exc, ShopetlError):
            log.error("%s", exc)
            return exc.exit_code
        log.error("internal error: %s", exc, exc_info=log.isEnabledFor(logging.DEBUG))
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
