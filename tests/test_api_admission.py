"""Admission (graphql/admission.py): long statements run at most ``slots`` at once, first come
first served; short ones never wait for a slot. The statements here are asyncio sleeps."""

from __future__ import annotations

import asyncio

import pytest

from shopetl_graphql.admission import LONG_SECONDS, Admission

pytestmark = pytest.mark.asyncio


async def run(admission: Admission, function: str, seconds: float, log: list[tuple[str, str, float]]) -> None:
    """One call as RequestContext.call makes it: a slot if long, the statement, its time."""
    took = await admission.enter(function)
    loop = asyncio.get_running_loop()
    log.append(("start", function, loop.time()))
    started = loop.time()
    try:
        await asyncio.sleep(seconds)
    finally:
        log.append(("end", function, loop.time()))
        admission.leave(function, took, loop.time() - started)


def most_at_once(log: list[tuple[str, str, float]], function: str) -> int:
    running = most = 0
    for event, name, _ in log:
        if name == function:
            running += 1 if event == "start" else -1
            most = max(most, running)
    return most


async def test_a_function_is_long_once_its_calls_average_over_the_limit() -> None:
    admission = Admission(2)
    assert not admission.is_long("product_sales")  # unknown: short until measured
    admission.leave("product_sales", False, 0.3)
    assert admission.is_long("product_sales")
    for _ in range(30):  # its calls get quick: the mean follows
        admission.leave("product_sales", False, 0.001)
    assert not admission.is_long("product_sales")
    admission.leave("sales_trends", False, LONG_SECONDS / 2)
    assert not admission.is_long("sales_trends")


async def test_long_statements_run_at_most_slots_at_once_and_short_ones_do_not_wait() -> None:
    admission = Admission(2)
    admission.leave("product_sales", False, 0.2)  # learned: long
    log: list[tuple[str, str, float]] = []
    long_calls = [run(admission, "product_sales", 0.06, log) for _ in range(6)]
    short_calls = [run(admission, "sales_trends", 0.001, log) for _ in range(6)]
    await asyncio.gather(*long_calls, *short_calls)
    assert most_at_once(log, "product_sales") == 2
    assert most_at_once(log, "sales_trends") > 2  # all six at once: none waited for a slot
    short_ends = [t for event, name, t in log if event == "end" and name == "sales_trends"]
    long_ends = sorted(t for event, name, t in log if event == "end" and name == "product_sales")
    assert max(short_ends) < long_ends[0]  # the short ones finished before the first long one


async def test_a_slot_is_given_back_when_the_statement_fails() -> None:
    admission = Admission(1)
    admission.leave("product_sales", False, 1.0)
    took = await admission.enter("product_sales")
    assert took
    admission.leave("product_sales", took, None)  # e.g. no connection: no time to learn
    assert await asyncio.wait_for(admission.enter("product_sales"), 1) is True


async def test_there_is_at_least_one_slot() -> None:
    with pytest.raises(ValueError, match="at least one"):
        Admission(0)


async def test_a_long_statement_waits_for_a_slot_at_most_the_timeout() -> None:
    # as long as a request waits for a pooled connection (the server answers POOL_TIMEOUT)
    admission = Admission(1)
    admission.leave("product_sales", False, 1.0)
    assert await admission.enter("product_sales", timeout=1) is True
    with pytest.raises(TimeoutError):
        await admission.enter("product_sales", timeout=0.05)
    assert await admission.enter("sales_trends", timeout=0.05) is False  # short: no slot needed
