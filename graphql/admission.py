"""How many statements the server runs at once: long ones as many as the database has cores,
short ones as many as the pool has connections.

A connection runs one statement at a time, so a pool of N connections runs N statements at
once. A year of productSales sums a million rows on one core for most of a second: eight of
them at once on two cores each run at a quarter speed, and every answer comes four times later
than two at a time would give it. A salesTrends takes a millisecond in the database, and most
of its time on its connection is spent waiting for the server's event loop to read the answer
while it serves other requests: with as few connections as cores, the database sits idle a
quarter of the time (docs/benchmarks.md, "What changed since the nineteenth run").

So the pool is larger than the database's cores, and a function whose calls take longer than
``LONG_SECONDS`` on average (an exponentially weighted mean of its recent calls, learned while
the server runs) takes one of ``slots`` places first: long statements wait their turn, first
come first served, and short ones never wait behind them.
"""

from __future__ import annotations

import asyncio

#: a function whose calls take longer than this on average is long (the 50 ms of a request's
#: p95 the API aims at: such a statement is the database's CPU work, not a lookup)
LONG_SECONDS = 0.05
#: the weight of a call's time in its function's mean
WEIGHT = 0.2


class Admission:
    """The slots of the long statements and the mean time of each function's calls."""

    def __init__(self, slots: int, long_seconds: float = LONG_SECONDS) -> None:
        if slots < 1:
            raise ValueError("at least one long statement must be able to run")
        self.slots = slots
        self.long_seconds = long_seconds
        self._semaphore = asyncio.Semaphore(slots)
        self._mean: dict[str, float] = {}

    def is_long(self, function: str) -> bool:
        return self._mean.get(function, 0.0) > self.long_seconds

    def mean_seconds(self, function: str) -> float | None:
        return self._mean.get(function)

    async def enter(self, function: str, timeout: float | None = None) -> bool:
        """Wait for a slot if ``function`` is long, at most ``timeout`` seconds (then TimeoutError);
        whether a slot was taken (give it to ``leave``)."""
        if not self.is_long(function):
            return False
        await asyncio.wait_for(self._semaphore.acquire(), timeout)
        return True

    def leave(self, function: str, took_slot: bool, seconds: float | None) -> None:
        """A call of ``function`` ended after ``seconds`` (None: it never ran, e.g. no connection)."""
        if took_slot:
            self._semaphore.release()
        if seconds is not None:
            mean = self._mean.get(function)
            self._mean[function] = seconds if mean is None else mean + WEIGHT * (seconds - mean)
