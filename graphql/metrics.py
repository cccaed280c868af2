"""Prometheus metrics of one application (its own registry: no process-global state)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")

#: Distinct operation labels kept before further names are counted as "other".
MAX_OPERATIONS = 200


class PoolCollector(Collector):
    """Connection pool usage, read from psycopg-pool at scrape time."""

    def __init__(self, stats: Callable[[], dict[str, int]]) -> None:
        self._stats = stats

    def collect(self) -> Iterator[Any]:
        stats = self._stats()
        gauge = GaugeMetricFamily(
            "shopetl_graphql_pool_connections", "Database connections of the pool by state", labels=["state"]
        )
        size = stats.get("pool_size", 0)
        available = stats.get("pool_available", 0)
        gauge.add_metric(["open"], size)
        gauge.add_metric(["idle"], available)
        gauge.add_metric(["in_use"], max(size - available, 0))
        yield gauge
        waiting = GaugeMetricFamily(
            "shopetl_graphql_pool_requests_waiting", "Requests waiting for a database connection"
        )
        waiting.add_metric([], stats.get("requests_waiting", 0))
        yield waiting


class ApiMetrics:
    def __init__(self, pool_stats: Callable[[], dict[str, int]]) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "shopetl_graphql_requests", "GraphQL requests by operation and outcome",
            ["operation", "outcome"], registry=self.registry,
        )
        self.latency = Histogram(
            "shopetl_graphql_request_duration_seconds", "GraphQL request latency by operation",
            ["operation"], registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )
        self.errors = Counter(
            "shopetl_graphql_errors", "GraphQL errors by operation and code",
            ["operation", "code"], registry=self.registry,
        )
        self.statements = Counter(
            "shopetl_graphql_sql_statements", "SQL statements (api function calls) by function",
            ["function"], registry=self.registry,
        )
        self.registry.register(PoolCollector(pool_stats))
        self._operations: set[str] = set()

    def operation_label(self, name: str | None) -> str:
        """A bounded label for a client-chosen operation name."""
        if not name or not _NAME.match(name):
            return "anonymous"
        if name not in self._operations:
            if len(self._operations) >= MAX_OPERATIONS:
                return "other"
            self._operations.add(name)
        return name
