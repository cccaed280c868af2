"""Connections: one place that turns Settings into a libpq URL and psycopg connections."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from . import embedded
from .config import Settings

#: Every session the pipeline opens works in UTC: a "day" is a UTC calendar day.
SESSION_OPTIONS = "-c TimeZone=UTC -c DateStyle=ISO,YMD -c client_encoding=UTF8"


def database_url(settings: Settings) -> str:
    """The URL of the configured server, starting the embedded one when needed."""
    if settings.database_url:
        return settings.database_url
    return embedded.ensure_running(settings.data_dir, settings.database_name)


@contextmanager
def connect(url: str, *, autocommit: bool = False, application_name: str = "shopetl") -> Iterator[psycopg.Connection]:
    conn = psycopg.connect(url, autocommit=autocommit, options=SESSION_OPTIONS, application_name=application_name)
    try:
        yield conn
    finally:
        conn.close()
