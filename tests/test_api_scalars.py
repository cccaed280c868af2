"""The custom scalars' output: Money always as a decimal string with exactly 2 places."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from shopetl_graphql.scalars import format_money


@pytest.mark.parametrize("value", [
    "12.50", "-0.00", "0.05", "-1307867.98", "1234567890123456.99",   # as the api functions write it
    "007.50", "12.5", "12", "+1.00", "1e2", "12.505", "-0.5", "00.00",  # anything else is rounded to cents
    "12345678901234567.99", 5, -3, Decimal("1100.5"), Decimal("2.345"),
])
def test_money_is_written_with_two_places_as_decimal_rounds_it(value: Any) -> None:
    assert format_money(value) == str(Decimal(str(value)).quantize(Decimal("0.01")))


@pytest.mark.parametrize("value", ["abc", "", "1.2.3", None])
def test_money_refuses_what_is_no_number(value: Any) -> None:
    with pytest.raises(TypeError):
        format_money(value)
