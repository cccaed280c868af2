"""The one generic resolver: every root field calls its function ``api.<snake_case>``.

At start-up the functions of schema ``api`` are read from the catalog and checked against the
SDL (``check``): a missing function, a parameter mismatch or an unbound function stops the
server. A call is ``select api.f(p_a => $1::type, ...)`` with the types from the catalog;
only the arguments the request gave are passed (the others take the function's defaults).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb
from tartiflette.coercers.arguments import coerce_arguments
from tartiflette.language.ast import FieldNode, FragmentSpreadNode, InlineFragmentNode

from .errors import ApiError
from .sdl import API_SCHEMA, ROOT_TYPES, RootField

CATALOG_QUERY = """
select
    p.proname,
    p.provolatile,
    coalesce(p.proargnames, '{}'),
    array(select pg_catalog.format_type(t, null) from unnest(p.proargtypes::oid[]) with ordinality as a (t, n)
          order by a.n),
    pg_catalog.obj_description(p.oid, 'pg_proc')
from pg_catalog.pg_proc as p
where p.pronamespace = %s::regnamespace
order by p.proname
"""


class BindingError(RuntimeError):
    """The SDL and the api functions have drifted apart."""


@dataclass(frozen=True)
class ApiFunction:
    """A function of schema ``api`` as the catalog describes it."""

    name: str
    volatility: str
    parameters: tuple[str, ...]
    types: tuple[str, ...]
    comment: str | None

    def type_of(self, parameter: str) -> str:
        return self.types[self.parameters.index(parameter)]


async def read_catalog(conn: psycopg.AsyncConnection[Any]) -> dict[str, ApiFunction]:
    cur = await conn.execute(CATALOG_QUERY, (API_SCHEMA,))
    functions: dict[str, ApiFunction] = {}
    for name, volatility, names, types, comment in await cur.fetchall():
        if name in functions:
            raise BindingError(f"api.{name} is overloaded; every root field needs exactly one function")
        functions[name] = ApiFunction(name, volatility, tuple(names), tuple(types), comment)
    return functions


def check(fields: list[RootField], functions: dict[str, ApiFunction]) -> list[str]:
    """Every way the SDL and the api functions disagree (empty when they match)."""
    problems: list[str] = []
    bound = set()
    for f in fields:
        fn = functions.get(f.function)
        if fn is None:
            problems.append(f"{f.operation}.{f.name}: no function {API_SCHEMA}.{f.function}")
            continue
        bound.add(fn.name)
        if set(fn.parameters) != set(f.parameters):
            problems.append(
                f"{f.operation}.{f.name}: {API_SCHEMA}.{fn.name} has parameters {sorted(fn.parameters)}, "
                f"the SDL needs {sorted(f.parameters)}"
            )
        if fn.volatility != ROOT_TYPES[f.operation]:
            wanted = "STABLE" if f.operation == "Query" else "VOLATILE"
            problems.append(f"{f.operation}.{f.name}: {API_SCHEMA}.{fn.name} must be {wanted}")
    for name in sorted(set(functions) - bound):
        problems.append(f"{API_SCHEMA}.{name} is bound to no root field of the SDL")
    return problems


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"cannot send {type(value).__name__} as JSON")


def _dumps(value: Any) -> str:
    return json.dumps(value, default=_json_default)


def to_sql_value(value: Any, sql_type: str) -> Any:
    """A coerced GraphQL argument as a query parameter of the function's type."""
    if value is None:
        return None
    if sql_type == "jsonb":
        return Jsonb(value, dumps=_dumps)
    return value


@dataclass
class Binding:
    """A root field bound to its function: builds and caches the call statements."""

    field: RootField
    function: ApiFunction
    _statements: dict[tuple[str, ...], str] = dataclass_field(default_factory=dict)

    def statement(self, parameters: tuple[str, ...], *, with_request_user: bool, as_text: bool = False) -> str:
        """The call with these parameters; ``as_text``: its jsonb as text, for the caller to decode."""
        key = (*parameters, "+user" if with_request_user else "", "text" if as_text else "")
        cached = self._statements.get(key)
        if cached is not None:
            return cached
        args = sql.SQL(", ").join(
            sql.SQL("{} => {}::{}").format(
                sql.Identifier(p), sql.Placeholder(p), sql.SQL(self.function.type_of(p))
            )
            for p in parameters
        )
        call = sql.SQL("select {}({}){}").format(
            sql.Identifier(API_SCHEMA, self.function.name), args, sql.SQL("::text" if as_text else "")
        )
        if with_request_user:
            # one statement: the CTE sets who is asking (for the audit) before the call runs
            call = sql.SQL(
                "with request as materialized "
                "(select pg_catalog.set_config('shopetl.request_user', {}, true) as user_name) "
                "{} from request"
            ).format(sql.Placeholder("request_user"), call)
        # kept as text: psycopg caches the conversion of a query string, whereas a Composed is
        # rendered again (its identifiers escaped) on every execute
        text = call.as_string(None)
        self._statements[key] = text
        return text


def _collect(selection_set: Any, name: str, fragments: dict[str, Any], seen: set[str]) -> list[FieldNode]:
    found: list[FieldNode] = []
    for selection in selection_set.selections if selection_set else []:
        if isinstance(selection, FieldNode):
            if selection.name.value == name:
                found.append(selection)
        elif isinstance(selection, InlineFragmentNode):
            found += _collect(selection.selection_set, name, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            fragment = selection.name.value
            if fragment not in seen and fragment in fragments:
                found += _collect(fragments[fragment].selection_set, name, fragments, seen | {fragment})
    return found


async def nested_arguments(binding: Binding, ctx: Any, info: Any) -> dict[str, Any]:
    """The arguments of the nested fields (e.g. Customer.orders) as ``p_<field>_<arg>`` values."""
    values: dict[str, Any] = {}
    result_type = info.schema.find_type(binding.field.result_type)
    for nested in binding.field.nested:
        definition = result_type.find_field(nested.name)
        nodes = [
            n
            for root in info.field_nodes
            for n in _collect(root.selection_set, nested.name, info.fragments or {}, set())
        ]
        seen: list[dict[str, Any]] = []
        for node in nodes:
            args = await coerce_arguments(
                definition.arguments, node, info.variable_values or {}, ctx,
                coercer=definition.arguments_coercer,
            )
            if args not in seen:
                seen.append(args)
        if len(seen) > 1:
            raise ApiError(
                f"{binding.field.result_type}.{nested.name} is selected with different arguments; "
                f"select it once per {binding.field.name} field (use two {binding.field.name} fields instead)",
                "GRAPHQL_VALIDATION_FAILED",
            )
        for argument, value in (seen[0] if seen else {}).items():
            values[nested.parameter(argument)] = value
    return values


Caller = Callable[[Binding, dict[str, Any]], Awaitable[Any]]


def make_resolver(bindings: dict[tuple[str, str], Binding]) -> Callable[..., Awaitable[Any]]:
    """The resolver shared by every root field (bound with tartiflette's Resolver per field)."""

    async def resolve_root_field(parent: Any, args: dict[str, Any], ctx: Any, info: Any) -> Any:
        binding = bindings[(info.parent_type.name, info.field_name)]
        params = {RootField.parameter(name): value for name, value in args.items()}
        params.update(await nested_arguments(binding, ctx, info))
        return await ctx.call(binding, params)

    return resolve_root_field


async def resolve_from_json(parent: Any, args: dict[str, Any], ctx: Any, info: Any) -> Any:
    """Every other field: its value in the jsonb the root field's function returned."""
    if isinstance(parent, dict):
        return parent.get(info.field_name)
    return getattr(parent, info.field_name, None)
