"""The SDL as data: which root fields exist and which SQL function each one is bound to.

The mapping is mechanical (the PostGraphile convention): root field ``productSales`` is the
function ``api.product_sales``; its argument ``orderBy`` is the parameter ``p_order_by``.
Arguments of a field of the root field's result type (``customer { orders(first: 5) }``)
are passed to the same function as ``p_<field>_<argument>`` (``p_orders_first``), so that
one root field is one SQL statement whatever is nested below it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tartiflette.language.ast import (
    ListTypeNode,
    NonNullTypeNode,
    ObjectTypeDefinitionNode,
)
from tartiflette.language.parsers.lark import parse_to_document

#: The SDL shipped with the package.
SCHEMA_PATH = Path(__file__).resolve().parent / "schema.graphql"

#: Root operation types and the volatility their functions must have (pg_proc.provolatile).
ROOT_TYPES = {"Query": "s", "Mutation": "v"}

#: The schema that holds the bound functions.
API_SCHEMA = "api"

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def snake(name: str) -> str:
    """``productSales`` -> ``product_sales``; ``orderBy`` -> ``order_by``."""
    return _CAMEL_BOUNDARY.sub("_", name).lower()


@dataclass(frozen=True)
class NestedField:
    """A field with arguments on the result type of a root field (e.g. Customer.orders)."""

    name: str
    arguments: tuple[str, ...]

    def parameter(self, argument: str) -> str:
        return f"p_{snake(self.name)}_{snake(argument)}"


@dataclass(frozen=True)
class RootField:
    """A Query or Mutation field and the SQL function it is bound to."""

    operation: str
    name: str
    arguments: tuple[str, ...]
    result_type: str
    nested: tuple[NestedField, ...]
    description: str | None

    @property
    def function(self) -> str:
        """Name of the function in schema ``api``."""
        return snake(self.name)

    @staticmethod
    def parameter(argument: str) -> str:
        return f"p_{snake(argument)}"

    @property
    def parameters(self) -> tuple[str, ...]:
        """Every parameter the function must have, in SDL order."""
        own = tuple(self.parameter(a) for a in self.arguments)
        return own + tuple(n.parameter(a) for n in self.nested for a in n.arguments)


def _named_type(node: object) -> str:
    while isinstance(node, (NonNullTypeNode, ListTypeNode)):
        node = node.type
    return node.name.value  # type: ignore[attr-defined]


def root_fields(sdl: str) -> list[RootField]:
    """The root fields of an SDL text, in SDL order (Query first)."""
    document = parse_to_document(sdl)
    objects = {
        d.name.value: d for d in document.definitions if isinstance(d, ObjectTypeDefinitionNode)
    }
    fields: list[RootField] = []
    for operation in ROOT_TYPES:
        definition = objects.get(operation)
        if definition is None:
            continue
        for field in definition.fields or []:
            result_type = _named_type(field.type)
            nested: list[NestedField] = []
            result_definition = objects.get(result_type)
            if result_definition is not None:
                for sub in result_definition.fields or []:
                    if sub.arguments:
                        nested.append(NestedField(sub.name.value, tuple(a.name.value for a in sub.arguments)))
            fields.append(
                RootField(
                    operation=operation,
                    name=field.name.value,
                    arguments=tuple(a.name.value for a in field.arguments or []),
                    result_type=result_type,
                    nested=tuple(nested),
                    description=field.description.value if field.description else None,
                )
            )
    return fields


def fields_with_arguments(sdl: str) -> list[tuple[str, str]]:
    """Every (type, field) of the SDL's object types that takes arguments."""
    document = parse_to_document(sdl)
    return [
        (d.name.value, f.name.value)
        for d in document.definitions
        if isinstance(d, ObjectTypeDefinitionNode)
        for f in d.fields or []
        if f.arguments
    ]


def load_sdl(path: Path | None = None) -> str:
    return (path or SCHEMA_PATH).read_text(encoding="utf-8")
