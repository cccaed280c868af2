"""Request limits checked before anything runs: query depth and number of root fields.

Each root field costs one SQL statement, so the number of root fields of the operation is
bounded too. Introspection (``__schema``, ``__type``) does not count towards the depth.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from tartiflette.language.ast import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
)
from tartiflette.language.parsers.libgraphqlparser import parse_to_document


@dataclass(frozen=True)
class Shape:
    """What the limits look at in a request's document."""

    operation_name: str | None
    operation_type: str | None
    depth: int
    root_fields: int


def _depth(selection_set: Any, fragments: dict[str, Any], seen: frozenset[str]) -> int:
    deepest = 0
    for selection in selection_set.selections if selection_set else []:
        if isinstance(selection, FieldNode):
            if selection.name.value.startswith("__"):
                continue
            deepest = max(deepest, 1 + _depth(selection.selection_set, fragments, seen))
        elif isinstance(selection, InlineFragmentNode):
            deepest = max(deepest, _depth(selection.selection_set, fragments, seen))
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name not in seen and name in fragments:
                deepest = max(deepest, _depth(fragments[name].selection_set, fragments, seen | {name}))
    return deepest


def _root_fields(selection_set: Any, fragments: dict[str, Any], seen: frozenset[str]) -> int:
    count = 0
    for selection in selection_set.selections if selection_set else []:
        if isinstance(selection, FieldNode):
            count += 0 if selection.name.value.startswith("__") else 1
        elif isinstance(selection, InlineFragmentNode):
            count += _root_fields(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name not in seen and name in fragments:
                count += _root_fields(fragments[name].selection_set, fragments, seen | {name})
    return count


def shape(query: str, operation_name: str | None, schema: Any) -> Shape | None:
    """The shape of the operation that will run; None when the query does not parse (the
    engine then reports the syntax or validation error itself)."""
    return _shape(query, operation_name, schema)


@lru_cache(maxsize=512)
def _shape(query: str, operation_name: str | None, schema: Any) -> Shape | None:
    try:
        document = parse_to_document(query, schema)
    except Exception:  # noqa: BLE001 - reported by the engine with its own message
        return None
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    if len(operations) != 1:
        return None
    operation = operations[0]
    return Shape(
        operation_name=operation.name.value if operation.name else None,
        operation_type=operation.operation_type,
        depth=_depth(operation.selection_set, fragments, frozenset()),
        root_fields=_root_fields(operation.selection_set, fragments, frozenset()),
    )
