"""Custom scalars: Date, DateTime, Money (exact, a string with 2 places) and BigInt."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from tartiflette import Scalar
from tartiflette.constants import UNDEFINED_VALUE
from tartiflette.language.ast import FloatValueNode, IntValueNode, StringValueNode

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONEY = re.compile(r"^-?\d{1,13}(\.\d{1,2})?$")
_CENT = Decimal("0.01")


def parse_date(value: Any) -> date:
    if isinstance(value, str) and _DATE.match(value):
        return date.fromisoformat(value)
    raise ValueError(f"Date must be YYYY-MM-DD, got {value!r}")


def parse_datetime(value: Any) -> datetime:
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise ValueError(f"DateTime must be ISO-8601 such as 2024-01-31T12:00:00Z, got {value!r}")


def parse_money(value: Any) -> Decimal:
    """A decimal with at most 2 places, from a string, an integer or an exact JSON decimal."""
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        text: str | None = str(value)
    else:
        text = value if isinstance(value, str) else None  # floats are refused: not exact
    if text is not None and _MONEY.match(text):
        return Decimal(text)
    raise ValueError(f"Money must be a decimal with at most 2 places such as \"12.50\", got {value!r}")


#: a decimal as format_money writes it: no plus sign, no leading zero, exactly 2 places
_MONEY_OUT = re.compile(r"-?(?:0|[1-9]\d{0,15})\.\d\d")
#: a match (not None) when format_money answers ``value`` unchanged, given a string
money_kept = _MONEY_OUT.fullmatch


def format_money(value: Any) -> str:
    # the api functions write money as such strings already (api_internal.money): kept as they
    # are, which saves a Decimal per value (a quarter of this function's time)
    if type(value) is str and money_kept(value):
        return value
    try:
        return str(Decimal(str(value)).quantize(_CENT))
    except (InvalidOperation, ValueError) as exc:
        raise TypeError(f"Money cannot represent {value!r}") from exc


def parse_bigint(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63:
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d{1,19}", value):
        return parse_bigint(int(value))
    raise ValueError(f"BigInt must be a 64-bit integer, got {value!r}")


class DateScalar:
    def coerce_output(self, value: Any) -> str:
        return value.isoformat() if isinstance(value, date) else str(value)

    def coerce_input(self, value: Any) -> date:
        return parse_date(value)

    def parse_literal(self, ast: Any) -> Any:
        if isinstance(ast, StringValueNode):
            try:
                return parse_date(ast.value)
            except ValueError:
                pass
        return UNDEFINED_VALUE


class DateTimeScalar:
    def coerce_output(self, value: Any) -> str:
        if isinstance(value, datetime):
            return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
        return str(value)

    def coerce_input(self, value: Any) -> datetime:
        return parse_datetime(value)

    def parse_literal(self, ast: Any) -> Any:
        if isinstance(ast, StringValueNode):
            try:
                return parse_datetime(ast.value)
            except ValueError:
                pass
        return UNDEFINED_VALUE


class MoneyScalar:
    def coerce_output(self, value: Any) -> str:
        return format_money(value)

    def coerce_input(self, value: Any) -> Decimal:
        return parse_money(value)

    def parse_literal(self, ast: Any) -> Any:
        if isinstance(ast, (StringValueNode, IntValueNode, FloatValueNode)):
            try:
                return parse_money(ast.value)
            except ValueError:
                pass
        return UNDEFINED_VALUE


class BigIntScalar:
    def coerce_output(self, value: Any) -> int:
        return int(value)

    def coerce_input(self, value: Any) -> int:
        return parse_bigint(value)

    def parse_literal(self, ast: Any) -> Any:
        if isinstance(ast, (IntValueNode, StringValueNode)):
            try:
                return parse_bigint(ast.value if isinstance(ast, StringValueNode) else int(ast.value))
            except ValueError:
                pass
        return UNDEFINED_VALUE


def register(schema_name: str) -> None:
    """Register the scalars for one engine (before the built-in Date/DateTime would be)."""
    Scalar("Date", schema_name=schema_name)(DateScalar())
    Scalar("DateTime", schema_name=schema_name)(DateTimeScalar())
    Scalar("Money", schema_name=schema_name)(MoneyScalar())
    Scalar("BigInt", schema_name=schema_name)(BigIntScalar())
