"""The HTTP side: ``POST /graphql``, GraphiQL on ``GET /graphql``, ``/dashboard``, ``/healthz``, ``/metrics``.

The server holds no business logic: it parses the request, checks the limits, lets
Tartiflette execute it with the generic resolver of ``binding`` and answers per the GraphQL
specification. Each root field is one ``select api.<function>(...)`` on a pooled connection
that works as role ``shopetl_api`` with a statement timeout.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import os
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import orjson
import psycopg
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from psycopg import sql
from psycopg.types.json import set_json_loads
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from tartiflette import Engine, Resolver
from tartiflette.resolver.default import sync_arguments_coercer

from . import scalars
from .admission import Admission
from .binding import (
    Binding,
    BindingError,
    check,
    make_resolver,
    read_catalog,
    resolve_from_json,
    to_sql_value,
)
from .errors import ApiError, from_database, internal
from .fastpath import FastPath, Unsupported
from .limits import shape
from .metrics import ApiMetrics
from .sdl import SCHEMA_PATH, RootField, root_fields

log = logging.getLogger("shopetl_graphql")
access_log = logging.getLogger("shopetl_graphql.access")

STATIC_DIR = Path(__file__).resolve().parent / "static"
#: The dashboard: static HTML, CSS and JS that read everything through POST /graphql.
DASHBOARD_DIR = STATIC_DIR / "dashboard"

#: Every session works in UTC, as the pipeline's do (see shopetl.db).
SESSION_OPTIONS = "-c TimeZone=UTC -c DateStyle=ISO,YMD -c client_encoding=UTF8"

_engine_ids = itertools.count(1)


def default_long_statements(workers: int = 1, cpus: int | None = None) -> int:
    """Long statements run at once per worker when none is asked for (``admission``): the cores
    of this machine shared by the workers, and at least 2.

    On a database with as many cores, queries that take CPU (a year of productSales) each run
    at full speed and the others wait their turn, instead of all sharing the cores: at 8 clients
    on the 2-core bench machine, 2 at a time against 10 halved productSales' p95 and raised its
    requests/s (docs/benchmarks.md, "What changed since the seventeenth run"). Against a
    database on another machine, give ``--long-statements`` its number of cores.
    """
    if cpus is None:
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 2)
    return max(2, math.ceil(cpus / max(1, workers)))


#: connections per long statement slot: the short statements' room in the pool
CONNECTIONS_PER_LONG_STATEMENT = 4


def default_pool_size(long_statements: int) -> int:
    """Database connections per worker when none is asked for: ``CONNECTIONS_PER_LONG_STATEMENT``
    times the long statements' slots, so that short statements always find a connection the
    long ones cannot take (8 on a 2-core machine; PostGraphile's default is 10)."""
    return CONNECTIONS_PER_LONG_STATEMENT * long_statements


#: Per-request values for the access log (plain string keys before aiohttp 3.12).
OPERATION_KEY: Any = web.RequestKey("graphql_operation", str) if hasattr(web, "RequestKey") else "graphql_operation"
STATEMENTS_KEY: Any = web.RequestKey("graphql_statements", int) if hasattr(web, "RequestKey") else "graphql_statements"

CONFIG: web.AppKey[ApiConfig] = web.AppKey("config", object)  # type: ignore[arg-type]
STATE: web.AppKey[ApiState] = web.AppKey("state", object)  # type: ignore[arg-type]


@dataclass(frozen=True)
class ApiConfig:
    database_url: str
    role: str | None = "shopetl_api"
    pool_min_size: int = 1
    #: None: default_pool_size() of the long statements' slots
    pool_max_size: int | None = None
    #: long statements (admission.py) run at once; None: default_long_statements(), this
    #: machine's cores
    long_statements: int | None = None
    pool_timeout: float = 10.0
    statement_timeout_ms: int = 5000
    max_depth: int = 10
    max_root_fields: int = 20
    user_header: str = "X-Shopetl-User"
    schema_path: Path = SCHEMA_PATH
    application_name: str = "shopetl-api"
    #: answer plain queries by projecting the functions' JSON (fastpath); False: Tartiflette only
    fast_path: bool = True


@dataclass
class ApiState:
    pool: AsyncConnectionPool
    engine: Engine
    bindings: dict[tuple[str, str], Binding]
    metrics: ApiMetrics
    fast: FastPath
    admission: Admission


class RequestContext:
    """What the generic resolver needs for one request: a connection per call, who asks."""

    def __init__(self, state: ApiState, config: ApiConfig, request_user: str) -> None:
        self.state = state
        self.config = config
        self.request_user = request_user
        self.statements = 0

    async def call(self, binding: Binding, params: dict[str, Any], *, as_text: bool = False) -> Any:
        """The function's result: its jsonb decoded exactly (numbers with a fraction as Decimal),
        or with ``as_text`` the jsonb as text, left to the caller to decode (the fast path)."""
        fn = binding.function
        unknown = set(params) - set(fn.parameters)
        if unknown:  # cannot happen once check() passed; never send SQL for it
            raise ApiError(f"api.{fn.name} has no parameter {sorted(unknown)}", "INTERNAL")
        names = tuple(sorted(params))
        mutation = binding.field.operation == "Mutation"
        statement = binding.statement(names, with_request_user=mutation, as_text=as_text)
        values = {p: to_sql_value(params[p], fn.type_of(p)) for p in names}
        if mutation:
            values["request_user"] = self.request_user
        self.statements += 1
        self.state.metrics.statements.labels(fn.name).inc()
        pool, admission = self.state.pool, self.state.admission
        took_slot, seconds = False, None
        try:
            took_slot = await admission.enter(fn.name, timeout=self.config.pool_timeout)
            # getconn/putconn rather than pool.connection(): its connection context would
            # commit, a lock and a round of psycopg's waiting for nothing on an autocommit
            # connection (docs/benchmarks.md, "The API on 2026-12-07"); putconn still discards
            # a connection left broken or busy
            conn = await pool.getconn(timeout=self.config.pool_timeout)
            started = time.perf_counter()
            try:
                cur = await conn.execute(statement, values)
                row = await cur.fetchone()
            finally:
                seconds = time.perf_counter() - started
                await pool.putconn(conn)
        except (PoolTimeout, TimeoutError):  # no connection, or no slot for a long statement, in time
            raise ApiError("the server is busy (no database connection free); retry", "POOL_TIMEOUT") from None
        except psycopg.Error as exc:
            raise from_database(exc, fn.name) from None
        except ApiError:
            raise
        except Exception as exc:  # noqa: BLE001 - a bug: never leak its text
            raise internal(exc, f"api.{fn.name}") from None
        finally:
            admission.leave(fn.name, took_slot, seconds)
        return row[0] if row else None


def _default(value: Any) -> str:
    return str(value) if isinstance(value, Decimal) else repr(value)


def _dumps(value: Any) -> str:
    return json.dumps(value, default=_default)


def _json_answer(value: Any) -> web.Response:
    """The answer as JSON (orjson: UTF-8, ~5x faster than json.dumps for a purchase history)."""
    try:
        body = orjson.dumps(value, default=_default)
    except TypeError:  # e.g. an integer beyond 64 bits: as json.dumps writes it
        body = _dumps(value).encode()
    return web.Response(body=body, content_type="application/json", charset="utf-8")


def _has_float(value: Any) -> bool:
    if type(value) is float:
        return True
    if type(value) is dict:
        return any(_has_float(v) for v in value.values())
    if type(value) is list:
        return any(_has_float(v) for v in value)
    return False


def _read_body(raw: bytes) -> Any:
    """The request's JSON, its numbers exact: read by orjson (several times faster), and again
    by the standard library with numbers with a fraction as Decimal when orjson found a float
    (it may have rounded a Money variable) or could not read it (the standard library's error,
    a ValueError, is the one answered)."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw, parse_float=Decimal)
    return json.loads(raw, parse_float=Decimal) if _has_float(body) else body


def _error_response(message: str, status: int, code: str) -> web.Response:
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return web.json_response(body, status=status, dumps=_dumps)


async def _error_coercer(exception: Exception, error: dict[str, Any]) -> dict[str, Any]:
    return error


async def _build_engine(config: ApiConfig, bindings_out: dict[tuple[str, str], Binding],
                        fields: list[RootField]) -> Engine:
    schema_name = f"shopetl-{next(_engine_ids)}"
    scalars.register(schema_name)
    resolver = make_resolver(bindings_out)
    for f in fields:
        Resolver(f"{f.operation}.{f.name}", schema_name=schema_name)(resolver)
    engine = Engine()
    await engine.cook(
        sdl=config.schema_path.read_text(encoding="utf-8"),
        schema_name=schema_name,
        custom_default_resolver=resolve_from_json,
        # a field's arguments coerced one after the other: the default coercer gathers them,
        # one asyncio task per argument, though none of them waits on anything
        custom_default_arguments_coercer=sync_arguments_coercer,
        error_coercer=_error_coercer,  # type: ignore[arg-type] # tartiflette's hint omits async
    )
    return engine


async def _configure(conn: psycopg.AsyncConnection[Any], role: str | None) -> None:
    set_json_loads(partial(json.loads, parse_float=Decimal), conn)
    if role:
        await conn.execute(sql.SQL("set role {}").format(sql.Identifier(role)))


def _lifecycle(config: ApiConfig):  # type: ignore[no-untyped-def]
    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        slots = default_long_statements() if config.long_statements is None else config.long_statements
        pool = AsyncConnectionPool(
            config.database_url,
            min_size=config.pool_min_size,
            max_size=default_pool_size(slots) if config.pool_max_size is None else config.pool_max_size,
            kwargs={
                "autocommit": True,
                "application_name": config.application_name,
                "options": f"{SESSION_OPTIONS} -c statement_timeout={int(config.statement_timeout_ms)}",
            },
            configure=partial(_configure, role=config.role),
            open=False,
            name="shopetl-api",
        )
        await pool.open(wait=True, timeout=30)
        try:
            async with pool.connection() as conn:
                functions = await read_catalog(conn)
            fields = root_fields(config.schema_path.read_text(encoding="utf-8"))
            problems = check(fields, functions)
            if problems:
                raise BindingError("the SDL and the api functions disagree:\n  " + "\n  ".join(problems))
            bindings = {(f.operation, f.name): Binding(f, functions[f.function]) for f in fields}
            engine = await _build_engine(config, bindings, fields)
            app[STATE] = ApiState(pool, engine, bindings, ApiMetrics(pool.get_stats), FastPath(engine, bindings),
                                  Admission(slots))
            log.info("GraphQL API ready: %d root fields bound to api functions", len(bindings))
            yield
        finally:
            await pool.close()

    return lifecycle


async def graphql_post(request: web.Request) -> web.Response:
    state, config = request.app[STATE], request.app[CONFIG]
    started = time.perf_counter()
    try:
        body = _read_body(await request.read())
    except (ValueError, UnicodeDecodeError):
        return _error_response("the body must be JSON: {query, variables, operationName}", 400, "BAD_REQUEST")
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        return _error_response("the JSON body must have a string 'query'", 400, "BAD_REQUEST")
    query: str = body["query"]
    variables = body.get("variables")
    operation_name = body.get("operationName")
    if variables is not None and not isinstance(variables, dict):
        return _error_response("'variables' must be an object", 400, "BAD_REQUEST")
    if operation_name is not None and not isinstance(operation_name, str):
        return _error_response("'operationName' must be a string", 400, "BAD_REQUEST")

    found = shape(query, operation_name, state.engine._schema)
    label = state.metrics.operation_label(operation_name or (found.operation_name if found else None))
    request[OPERATION_KEY] = label
    errors: list[dict[str, Any]]
    if found and found.depth > config.max_depth:
        result: dict[str, Any] = {"errors": [{
            "message": f"the query is {found.depth} levels deep; at most {config.max_depth} are allowed",
            "extensions": {"code": "QUERY_TOO_DEEP"},
        }]}
    elif found and found.root_fields > config.max_root_fields:
        result = {"errors": [{
            "message": f"the query has {found.root_fields} root fields; at most {config.max_root_fields} "
                       "are allowed (each costs one SQL statement)",
            "extensions": {"code": "TOO_MANY_ROOT_FIELDS"},
        }]}
    else:
        user = (request.headers.get(config.user_header) or "anonymous")[:200]
        ctx = RequestContext(state, config, user)
        plan = state.fast.plan(query, operation_name) if found and config.fast_path else None
        try:
            if plan is None:
                raise Unsupported("not a plain query")
            result = await state.fast.execute(plan, variables, ctx)
        except Unsupported:
            result = await state.engine.execute(
                query, operation_name=operation_name, variables=variables, context=ctx
            )
        request[STATEMENTS_KEY] = ctx.statements
    errors = result.get("errors") or []
    for error in errors:
        code = (error.get("extensions") or {}).get("code") or "GRAPHQL"
        state.metrics.errors.labels(label, str(code)).inc()
    state.metrics.requests.labels(label, "error" if errors else "ok").inc()
    state.metrics.latency.labels(label).observe(time.perf_counter() - started)
    return _json_answer(result)


async def graphiql(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(STATIC_DIR / "graphiql.html", headers={"Content-Type": "text/html; charset=utf-8"})


async def dashboard(request: web.Request) -> web.StreamResponse:
    return web.FileResponse(DASHBOARD_DIR / "index.html", headers={"Content-Type": "text/html; charset=utf-8"})


async def healthz(request: web.Request) -> web.Response:
    # a connection of its own: the pool holds only as many connections as the database has
    # cores, and a server busy with long queries is not down
    config = request.app[CONFIG]
    try:
        async with await psycopg.AsyncConnection.connect(
            config.database_url, autocommit=True, connect_timeout=2,
            application_name=f"{config.application_name} healthz", options="-c statement_timeout=2000",
        ) as conn:
            await conn.execute("select 1")
    except Exception as exc:  # noqa: BLE001 - health reports, never raises
        log.warning("health check failed: %s", exc)
        return web.json_response({"status": "unavailable"}, status=503)
    return web.json_response({"status": "ok"})


async def metrics(request: web.Request) -> web.Response:
    payload = generate_latest(request.app[STATE].metrics.registry)
    return web.Response(body=payload, headers={"Content-Type": CONTENT_TYPE_LATEST})


@web.middleware
async def access_log_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        access_log.info(
            '%s "%s %s" %s %.1fms op=%s statements=%s',
            request.remote, request.method, request.path, status,
            (time.perf_counter() - started) * 1000,
            request.get(OPERATION_KEY, "-"), request.get(STATEMENTS_KEY, "-"),
        )


def create_app(
    database_url: str,
    *,
    role: str | None = "shopetl_api",
    pool_min_size: int = 1,
    pool_max_size: int | None = None,
    long_statements: int | None = None,
    pool_timeout: float = 10.0,
    statement_timeout_ms: int = 5000,
    max_depth: int = 10,
    max_root_fields: int = 20,
    user_header: str = "X-Shopetl-User",
    schema_path: Path | None = None,
    fast_path: bool = True,
    access_log: bool = True,
) -> web.Application:
    """The GraphQL application for the database at ``database_url`` (a libpq URL).

    The pool opens, the SDL is checked against the api functions and the engine is built
    when the application starts (``aiohttp.web.run_app`` or a test client); a mismatch
    between SDL and functions stops it with a BindingError. ``long_statements`` None: as many
    long statements at once as this machine has cores (``default_long_statements``, see
    ``admission``); ``pool_max_size`` None: ``default_pool_size`` of those. ``access_log=False``
    leaves out the line per request (logger ``shopetl_graphql.access``).
    """
    config = ApiConfig(
        database_url=database_url,
        role=role,
        pool_min_size=pool_min_size,
        pool_max_size=pool_max_size,
        long_statements=long_statements,
        pool_timeout=pool_timeout,
        statement_timeout_ms=statement_timeout_ms,
        max_depth=max_depth,
        max_root_fields=max_root_fields,
        user_header=user_header,
        schema_path=schema_path or SCHEMA_PATH,
        fast_path=fast_path,
    )
    app = web.Application(middlewares=[access_log_middleware] if access_log else [])
    app[CONFIG] = config
    app.cleanup_ctx.append(_lifecycle(config))
    app.router.add_post("/graphql", graphql_post)
    app.router.add_get("/graphql", graphiql)
    app.router.add_static("/graphql/static", STATIC_DIR)
    app.router.add_get("/dashboard", dashboard)
    app.router.add_get("/dashboard/", dashboard)
    app.router.add_static("/dashboard/static", DASHBOARD_DIR)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    return app
