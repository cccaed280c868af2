"""The scalars' output: Money always as a decimal string with exactly 2 places; the values the
fast path's projection passes through unchanged are those their scalar answers unchanged."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from shopetl_graphql.fastpath import KEPT
from shopetl_graphql.scalars import format_money, money_kept


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


SAMPLES = ["", "abc", "2024-01-31", "2024-01-31T12:00:00Z", "12.50", "-0.01", "0.00", "012.50", "1.5", "1e3",
           0, 1, -2147483648, 2147483647, 2**31, -(2**63), True, False, 1.5, Decimal("12.50")]


@pytest.mark.parametrize("implementation", list(KEPT), ids=lambda c: c.__name__)
def test_a_value_the_projection_keeps_is_what_its_scalar_answers(implementation: type) -> None:
    """The compiled projection answers a value unchanged when its scalar's condition in KEPT
    holds: each condition must hold only for values the scalar's coerce_output answers as they are."""
    kept = [x for x in SAMPLES if eval(KEPT[implementation], {"_money": money_kept}, {"x": x})]  # noqa: S307
    assert kept, "the condition keeps none of the samples"
    for x in kept:
        answer = implementation().coerce_output(x)
        assert answer == x and type(answer) is type(x), (x, answer)
