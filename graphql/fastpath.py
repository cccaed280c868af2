"""The fast path of a query: Tartiflette parses, validates and coerces, the projection is ours.

Each root field's function returns its whole result as JSON, so below the root fields there is
nothing to resolve, only to pick: for every field of the selection, its key of the JSON object,
renamed to its alias, with the scalar's output coercion. Tartiflette does the same through one
coroutine (and often one task) per field and list item, which cost 55-60 % of a request's CPU
for a customer's purchase history (~1,000 fields). Here a document is compiled once into
a plan (cached per query text and operation name) and each request walks the JSON once. The
function's jsonb arrives as text and is read by orjson, two to three times faster than the
standard library reading numbers exactly as Decimal; a value orjson may have rounded (a float)
sends the request to Tartiflette's path, which reads it exactly.

What the fast path takes: a query (not a mutation: it is never run twice) whose document is
valid, without directives (@skip/@include) and without introspection other than
``__typename``. Everything else, and any request whose answer would need what the fast path
does not do (a null where the SDL says non-null, a value a scalar or enum refuses), goes
through ``Engine.execute`` unchanged, which then answers exactly as before (a query's
function is STABLE, so calling it once more changes nothing). Errors of the root fields are
recorded and formatted by Tartiflette's own execution context.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from tartiflette.coercers.arguments import coerce_arguments
from tartiflette.coercers.common import Path
from tartiflette.execution.collect import collect_executable_variable_definitions
from tartiflette.execution.context import ExecutionContext
from tartiflette.language.ast import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    VariableNode,
)
from tartiflette.scalar.builtins.boolean import ScalarBoolean
from tartiflette.scalar.builtins.id import ScalarID
from tartiflette.scalar.builtins.int import ScalarInt
from tartiflette.scalar.builtins.string import ScalarString
from tartiflette.utils.errors import located_error
from tartiflette.utils.values import is_invalid_value

from . import scalars
from .binding import Binding, nested_arguments
from .sdl import RootField


def _exact(value: Any) -> Any:
    """``value`` unless it is a float, which orjson may have rounded (see ``FastPath._scalar``)."""
    if type(value) is float:
        raise Unsupported("an inexact number")
    return value


class Unsupported(Exception):
    """The fast path cannot answer this request; Tartiflette's execution will."""


#: a compiled selection of an object type: (response key, JSON key or None for __typename, value
#: converter, the condition under which the converter would answer its value unchanged or None)
Selection = tuple[tuple[str, str | None, Callable[[Any], Any] | None, str | None], ...]

#: For a non-null value ``x``, a condition (Python source) under which the scalar's output
#: coercion answers ``x`` itself, by the class that implements the scalar (Money's format_money
#: keeps a string already written with 2 places); tests/test_api_scalars.py holds each condition
#: to its scalar's coerce_output.
KEPT: dict[type, str] = {
    ScalarString: "type(x) is str", ScalarID: "type(x) is str", ScalarBoolean: "type(x) is bool",
    ScalarInt: "type(x) is int and -2147483648 <= x <= 2147483647",
    scalars.DateScalar: "type(x) is str", scalars.DateTimeScalar: "type(x) is str",
    scalars.MoneyScalar: "type(x) is str and _money(x) is not None", scalars.BigIntScalar: "type(x) is int",
}


def _object(type_name: str, selection: Selection) -> Callable[[Any], Any]:
    """The projection of a JSON object onto a selection, compiled to one Python function.

    Calling each field's converter (a closure, two for a non-null field) cost 215 µs of a
    90-day salesTrends answer's ~600 µs of server CPU, 270 µs of a customer's; here the scalars'
    common values are tested inline in one dict display (113 and 128 µs), and a value that fails
    its test goes to its field's converter, which answers as before or raises Unsupported.
    """
    namespace: dict[str, Any] = {"Unsupported": Unsupported, "_money": scalars.money_kept}
    items = []
    for i, (key, name, convert, kept) in enumerate(selection):
        if name is None:
            items.append(f"{key!r}: {type_name!r}")
            continue
        namespace[f"c{i}"] = convert
        if kept is None:
            items.append(f"{key!r}: c{i}(g({name!r}))")
        else:  # a nullable field's test starts "x is None or", a non-null field's does not
            items.append(f"{key!r}: (x if ({kept.format(get=f'(x := g({name!r}))')}) else c{i}(x))")
    source = (
        "def project(v):\n"
        "    if v is None:\n"
        "        return None\n"
        "    if not isinstance(v, dict):\n"
        "        raise Unsupported('not an object')\n"
        "    g = v.get\n"
        f"    return {{{', '.join(items)}}}\n"
    )
    return _compiled(source, "project", f"<projection of {type_name}>", namespace)


def _kept_condition(scalar: Any) -> str | None:
    """KEPT's condition for the class that implements ``scalar``'s output coercion, if any."""
    return KEPT.get(type(getattr(scalar.coerce_output, "__self__", None)))


def _compiled(source: str, name: str, filename: str, namespace: dict[str, Any]) -> Callable[[Any], Any]:
    """The function ``name`` that ``source`` defines, compiled with ``namespace`` as its globals."""
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - our own source
    function: Callable[[Any], Any] = namespace[name]
    return function


def _arguments_of(field: Any, node: FieldNode) -> tuple[tuple[str, str, bool, bool], ...] | None:
    """A root field's arguments when each is given as a variable or left out without a default
    (Tartiflette's argument_coercer then answers the variable's coerced value or nothing), none
    of them with directives; else None."""
    if node.arguments is None or not field.arguments:
        return None
    given = {a.name.value: a for a in node.arguments}
    compiled = []
    for definition in field.arguments.values():
        if definition.coercer.keywords.get("directives") is not None:
            return None
        argument = given.get(definition.name)
        non_null = definition.graphql_type.is_non_null_type
        if argument is None:
            if definition.default_value is not None or non_null:
                return None
            continue
        if not isinstance(argument.value, VariableNode):
            return None
        compiled.append((definition.name, argument.value.name.value, non_null, definition.default_value is not None))
    return tuple(compiled)


@dataclass(frozen=True)
class RootPlan:
    key: str                     # response key (alias or name)
    node: FieldNode              # first node (arguments, location)
    nodes: tuple[FieldNode, ...]  # every node merged under the key (nested arguments)
    binding: Binding | None      # None: __typename
    field: Any                   # tartiflette GraphQLField
    convert: Callable[[Any], Any]
    non_null: bool
    #: each argument given as a variable: (argument, variable, argument non-null, has a default);
    #: None: Tartiflette coerces them (a literal, a missing argument with a default, directives)
    arguments: tuple[tuple[str, str, bool, bool], ...] | None = None


#: a variable's input coercion compiled: (its scalar's coerce_input, the variable is non-null);
#: None: Tartiflette's coercer (enums, lists, input objects, a scalar with directives)
VariableCoercion = tuple[Callable[[Any], Any], bool] | None


@dataclass(frozen=True)
class Plan:
    roots: tuple[RootPlan, ...]
    operation: Any                     # the OperationDefinitionNode
    fragments: dict[str, Any]          # FragmentDefinitionNode by name
    variables: tuple[Any, ...]         # Tartiflette's ExecutableVariableDefinition of each
    coercions: tuple[VariableCoercion, ...]  # of each variable, in the same order


class FastPath:
    """Compiled plans for one engine; ``execute`` answers a request or raises Unsupported."""

    def __init__(self, engine: Any, bindings: dict[tuple[str, str], Binding], size: int = 512) -> None:
        self.engine = engine
        self.schema = engine._schema
        self.bindings = bindings
        self.size = size
        self._plans: OrderedDict[tuple[str, str | None], Plan | None] = OrderedDict()
        self._scalars: dict[str, Callable[[Any], Any]] = {}

    # -- compiling -----------------------------------------------------------------------------
    def plan(self, query: str, operation_name: str | None) -> Plan | None:
        key = (query, operation_name)
        try:
            found = self._plans[key]
            self._plans.move_to_end(key)
            return found
        except KeyError:
            pass
        try:
            found = self._compile(query, operation_name)
        except Unsupported:
            found = None
        self._plans[key] = found
        if len(self._plans) > self.size:
            self._plans.popitem(last=False)
        return found

    def _compile(self, query: str, operation_name: str | None) -> Plan:
        document, errors = self.engine._cached_parse_and_validate_query(query, self.schema)
        if errors or document is None:
            raise Unsupported("invalid document")
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        if operation_name is not None:
            operations = [o for o in operations if o.name and o.name.value == operation_name]
        if len(operations) != 1 or operations[0].operation_type != "query":
            raise Unsupported("not one query operation")
        operation = operations[0]
        if operation.directives:
            raise Unsupported("directives")
        query_type = self.schema.find_type(self.schema.query_operation_name)
        roots = []
        for key, nodes in self._collect(operation.selection_set, query_type.name, fragments).items():
            name = nodes[0].name.value
            if name == "__typename":
                roots.append(RootPlan(key, nodes[0], tuple(nodes), None, None, lambda _v: query_type.name, True))
                continue
            if name.startswith("__"):
                raise Unsupported("introspection at the root")
            binding = self.bindings.get(("Query", name))
            if binding is None:
                raise Unsupported(f"unbound root field {name}")
            field = query_type.find_field(name)
            convert, non_null = self._converter(field.graphql_type, nodes, fragments)
            roots.append(RootPlan(key, nodes[0], tuple(nodes), binding, field, convert, non_null,
                                  _arguments_of(field, nodes[0])))
        variables = tuple(collect_executable_variable_definitions(self.schema, operation))
        return Plan(tuple(roots), operation, fragments, variables,
                    tuple(self._coercion(v.graphql_type) for v in variables))

    def _coercion(self, graphql_type: Any) -> VariableCoercion:
        """A variable of a scalar type (or non-null scalar) without directives: coerced by its
        scalar's coerce_input here, as Tartiflette's scalar coercer does; else None."""
        scalar, non_null = self._scalar_type(graphql_type)
        if scalar is None or scalar.directives:
            return None
        return scalar.coerce_input, non_null

    def _scalar_type(self, graphql_type: Any) -> tuple[Any, bool]:
        """The scalar type of a scalar or non-null scalar type (None for any other type), and
        whether it is non-null."""
        non_null = graphql_type.is_non_null_type
        named = graphql_type.wrapped_type if non_null else graphql_type
        if named.is_wrapping_type or not hasattr(named, "name"):
            return None, non_null
        scalar = self.schema.find_type(named.name)
        return (scalar if type(scalar).__name__ == "GraphQLScalarType" else None), non_null

    def _collect(self, selection_set: Any, type_name: str, fragments: dict[str, Any],
                 out: OrderedDict[str, list[FieldNode]] | None = None,
                 seen: frozenset[str] = frozenset()) -> OrderedDict[str, list[FieldNode]]:
        """The spec's CollectFields for an object type, without directives."""
        out = OrderedDict() if out is None else out
        for selection in selection_set.selections if selection_set else []:
            if selection.directives:
                raise Unsupported("directives")
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                out.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is not None and condition.name.value != type_name:
                    raise Unsupported("type condition")
                self._collect(selection.selection_set, type_name, fragments, out, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = fragments.get(name)
                if name in seen or fragment is None:
                    raise Unsupported("fragment")
                if fragment.directives or fragment.type_condition.name.value != type_name:
                    raise Unsupported("type condition")
                self._collect(fragment.selection_set, type_name, fragments, out, seen | {name})
        return out

    def _converter(self, graphql_type: Any, nodes: list[FieldNode], fragments: dict[str, Any]
                   ) -> tuple[Callable[[Any], Any], bool]:
        """A function from the JSON value to the answer's value for a field of this type, and
        whether the type is non-null."""
        if graphql_type.is_non_null_type:
            inner, _ = self._converter(graphql_type.wrapped_type, nodes, fragments)

            def non_null(value: Any) -> Any:
                if value is None:
                    raise Unsupported("null in a non-null field")
                return inner(value)

            return non_null, True
        if graphql_type.is_list_type:
            item, _ = self._converter(graphql_type.wrapped_type, nodes, fragments)

            def listed(value: Any) -> Any:
                if value is None:
                    return None
                if not isinstance(value, list):
                    raise Unsupported("not a list")
                return [item(v) for v in value]

            return listed, False
        named = self.schema.find_type(graphql_type.name) if hasattr(graphql_type, "name") else graphql_type
        kind = type(named).__name__
        if kind == "GraphQLObjectType":
            merged: OrderedDict[str, list[FieldNode]] = OrderedDict()
            for node in nodes:
                self._collect(node.selection_set, named.name, fragments, merged)
            selection: list[tuple[str, str | None, Callable[[Any], Any] | None, str | None]] = []
            for key, sub in merged.items():
                name = sub[0].name.value
                if name == "__typename":
                    selection.append((key, None, None, None))
                    continue
                if name.startswith("__"):
                    raise Unsupported("introspection")
                field = named.find_field(name)
                convert, _ = self._converter(field.graphql_type, sub, fragments)
                selection.append((key, name, convert, self._kept(field.graphql_type)))
            return _object(named.name, tuple(selection)), False
        if kind == "GraphQLScalarType":
            return self._scalar(named), False
        if kind == "GraphQLEnumType":
            names = frozenset(v.name for v in named.values)

            def enum(value: Any) -> Any:
                if value is None:
                    return None
                if value not in names:
                    raise Unsupported("not an enum value")
                return value

            return enum, False
        raise Unsupported(f"type {kind}")

    def _kept(self, graphql_type: Any) -> str | None:
        """For a scalar field, the condition under which its converter answers the JSON value
        unchanged, as a template whose ``{get}`` reads the value into ``x``; None otherwise."""
        scalar, non_null = self._scalar_type(graphql_type)
        kept = None if scalar is None else _kept_condition(scalar)
        if kept is None:
            return None
        return ("{get} is not None and " if non_null else "{get} is None or ") + f"({kept})"

    @staticmethod
    def _scalar(scalar: Any) -> Callable[[Any], Any]:
        """The scalar's output coercion, with the values KEPT holds for it passed through as they
        are (the same conditions the object projections test inline). A float is refused
        (Unsupported): orjson reads a number with a fraction or an exponent, or an integer beyond
        64 bits, as a float, which need not be the number the function wrote; Tartiflette's path
        reads it exactly, as a Decimal."""
        namespace = {"coerce": scalar.coerce_output, "_exact": _exact, "_money": scalars.money_kept}
        kept = _kept_condition(scalar)
        test = "x is None" if kept is None else f"x is None or ({kept})"
        source = f"def output(x):\n    return x if {test} else coerce(_exact(x))\n"
        return _compiled(source, "output", f"<output of {scalar.name}>", namespace)

    # -- executing -----------------------------------------------------------------------------
    async def execute(self, plan: Plan, variables: dict[str, Any] | None, ctx: Any) -> dict[str, Any]:
        ec = ExecutionContext(self.schema, plan.fragments, plan.operation, ctx, None,
                              await self._variable_values(plan, variables or {}, ctx))
        results: list[Any]
        if len(plan.roots) == 1:  # the usual request: awaited as it is, no task to schedule
            try:
                results = [await self._root(plan.roots[0], ec, ctx)]
            except Exception as exc:  # noqa: BLE001 - judged below, as gather's results are
                results = [exc]
        else:
            results = await asyncio.gather(*(self._root(root, ec, ctx) for root in plan.roots),
                                           return_exceptions=True)
        for result in results:
            if isinstance(result, Unsupported) or (
                isinstance(result, BaseException) and not isinstance(result, Exception)
            ):
                raise result  # Unsupported: Tartiflette answers; CancelledError & co: as they are
        data: dict[str, Any] | None = {}
        for root, result in zip(plan.roots, results, strict=True):
            if isinstance(result, Exception):
                # as Tartiflette's complete_value_catching_error: located at the field; a
                # non-null root field's error makes `data` null
                error = located_error(result, list(root.nodes), Path(None, root.key).as_list())
                ec.add_error(error)
                if root.non_null:
                    data = None
                    continue
                result = None
            if data is not None:
                data[root.key] = result
        return await self.engine._build_response(data=data, errors=ec.errors)

    @staticmethod
    async def _variable_values(plan: Plan, raw: dict[str, Any], ctx: Any) -> dict[str, Any]:
        """The coerced variables, as Tartiflette's build_execution_context has them, from the
        variable definitions compiled with the plan. A scalar variable is coerced here as
        Tartiflette's variable and scalar coercers would (the value or its absence checked
        against the type, then the scalar's coerce_input); any other, or a scalar variable left
        out that has a default, by Tartiflette's coercer, awaited in turn (its coerce_variables
        gathers them, a task per variable, though they wait on nothing). A variable in error:
        Unsupported (Tartiflette's execution words the error)."""
        values: dict[str, Any] = {}
        for definition, coercion in zip(plan.variables, plan.coercions, strict=True):
            name = definition.name
            if coercion is not None:
                coerce, non_null = coercion
                if name in raw:
                    value = raw[name]
                    if value is None:
                        if non_null:
                            raise Unsupported("variables")
                        values[name] = None
                        continue
                    try:
                        value = coerce(value)
                    except Exception as exc:  # noqa: BLE001 - Tartiflette's to word
                        raise Unsupported("variables") from exc
                    if is_invalid_value(value):
                        raise Unsupported("variables")
                    values[name] = value
                    continue
                if is_invalid_value(definition.default_value):  # left out, no default
                    if non_null:
                        raise Unsupported("variables")
                    continue
            try:
                result = await definition.coercer(raw, ctx)
            except Exception as exc:  # noqa: BLE001 - gather's return_exceptions: Tartiflette's to judge
                raise Unsupported("variables") from exc
            if is_invalid_value(result):
                continue
            value, errors = result
            if errors:
                raise Unsupported("variables")
            values[name] = value
        return values

    @staticmethod
    def _arguments(root: RootPlan, variable_values: dict[str, Any]) -> dict[str, Any] | None:
        """The root field's coerced arguments from the variables, as Tartiflette's
        argument_coercer answers them; None when Tartiflette must (a null for a non-null
        argument, a variable left out where the argument has a default or is non-null)."""
        if root.arguments is None:
            return None
        args = {}
        for name, variable, non_null, has_default in root.arguments:
            if variable in variable_values:
                value = variable_values[variable]
                if value is None and non_null:
                    return None
                args[name] = value
            elif has_default or non_null:
                return None
        return args

    async def _root(self, root: RootPlan, ec: Any, ctx: Any) -> Any:
        if root.binding is None:
            return root.convert(None)
        args = self._arguments(root, ec.variable_values)
        if args is None:
            args = await coerce_arguments(root.field.arguments, root.node, ec.variable_values, ctx,
                                          coercer=root.field.arguments_coercer)
        params = {RootField.parameter(name): value for name, value in args.items()}
        info = _Info(self.schema, root.nodes, ec.fragments, ec.variable_values)
        params.update(await nested_arguments(root.binding, ctx, info))
        text = await ctx.call(root.binding, params, as_text=True)
        try:
            value = None if text is None else orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise Unsupported(f"not JSON orjson reads: {exc}") from exc
        try:
            return root.convert(value)
        except Unsupported:
            raise
        except Exception as exc:  # a scalar refused a value: Tartiflette locates that error in the answer
            raise Unsupported(f"output coercion: {exc}") from exc


@dataclass
class _Info:
    """What ``binding.nested_arguments`` reads of Tartiflette's ResolveInfo."""

    schema: Any
    field_nodes: tuple[FieldNode, ...]
    fragments: dict[str, Any]
    variable_values: dict[str, Any]
