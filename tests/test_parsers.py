"""The type parsers of the contract (sql/ddl/0006): what they accept, what they refuse, and
that whatever they accept converts without an error (a stage must never abort on input)."""

from __future__ import annotations

import psycopg
import pytest

TIMESTAMPS_OK = [
    "2024-01-31 23:59:59", "2024-02-29 00:00:00", "2000-01-01 00:00:00", "2024-01-01T10:00:00Z",
    "2024-01-01T10:00:00+02:00", "2024-01-01 10:00:00-0530", "2024-01-01T10:00:00.123456+15:00",
    "2024-01-01T10:00+02", "2024-01-01 10:00",
]
TIMESTAMPS_BAD = [
    "2023-02-29 00:00:00", "2024-04-31 10:00:00", "2024-13-01 00:00:00", "2024-00-10 00:00:00",
    "2024-01-01 24:00:00", "2024-01-01 10:60:00", "2024-01-01 10:00:60", "2024-01-01T10:00:00+16:00",
    "0000-01-01 00:00:00", "2024-01-01", "yesterday", "Jan 1 2024 10:00", "2024/01/01 10:00:00",
    "2024-01-01 10:00:00 PST", "2024-1-1 10:00:00", "١٢٣٤-01-01 10:00:00",
]


@pytest.fixture
def conn(db_url: str) -> psycopg.Connection:
    with psycopg.connect(db_url, autocommit=True) as c:
        yield c  # type: ignore[misc]


def _one(conn: psycopg.Connection, sql: str, value: str) -> object:
    return conn.execute(sql, (value,)).fetchone()[0]  # type: ignore[index]


@pytest.mark.parametrize("value", TIMESTAMPS_OK)
def test_timestamp_accepted_and_converted(conn: psycopg.Connection, value: str) -> None:
    assert _one(conn, "select staging.is_timestamp(%s)", value) is True
    assert _one(conn, "select staging.to_timestamp_utc(%s) is not null", value) is True


@pytest.mark.parametrize("value", TIMESTAMPS_BAD)
def test_timestamp_refused(conn: psycopg.Connection, value: str) -> None:
    assert _one(conn, "select staging.is_timestamp(%s)", value) is False


def test_timestamp_without_offset_is_utc_whatever_the_session_zone(conn: psycopg.Connection) -> None:
    conn.execute("set timezone = 'America/New_York'")
    assert _one(conn, "select staging.to_timestamp_utc(%s) = '2024-01-01 10:00:00+00'", "2024-01-01 10:00:00") is True
    assert _one(conn, "select staging.to_timestamp_utc(%s) = '2024-01-01 08:00:00+00'", "2024-01-01T10:00:00+02:00")


@pytest.mark.parametrize(
    ("value", "ok"),
    [("0", True), ("123", True), ("-5", True), ("+7", True), ("12.0", True), ("2147483647", True),
     ("2147483648", False), ("-2147483648", True), ("1.5", False), ("1e3", False), ("0x1F", False), ("1_000", False),
     ("", False), ("１２", False), ("12 ", False)],
)
def test_int(conn: psycopg.Connection, value: str, ok: bool) -> None:
    assert _one(conn, "select staging.is_int(%s)", value) is ok
    if ok:
        assert _one(conn, "select staging.to_int(%s)::integer is not null", value) is True


@pytest.mark.parametrize(
    ("value", "ok"),
    [("123.45", True), ("0.50", True), (".5", True), ("5", True), ("5.", True), ("-1.00", True),
     ("1.001", False), ("1,00", False), ("1e2", False), ("NaN", False), ("12345678901.00", False),
     ("1234567890.99", True), ("abc.de", False), ("..00", False)],
)
def test_money(conn: psycopg.Connection, value: str, ok: bool) -> None:
    assert _one(conn, "select staging.is_money(%s)", value) is ok
    if ok:
        assert _one(conn, "select %s::numeric(12, 2) is not null", value) is True


@pytest.mark.parametrize(
    ("value", "ok"), [("True", True), ("false", True), ("t", True), ("F", True), ("1", True), ("0", True),
                      ("yes", False), ("on", False), ("2", False)],
)
def test_bool(conn: psycopg.Connection, value: str, ok: bool) -> None:
    assert _one(conn, "select staging.is_bool(%s)", value) is ok


def test_every_status_round_trips(conn: psycopg.Connection) -> None:
    statuses = [r[0] for r in conn.execute("select unnest(enum_range(null::core.order_status))::text")]
    for status in statuses:
        for form in (status, status.lower(), status.upper(), f"  {status}  "):
            assert _one(conn, "select staging.to_status(%s)::text", form) == status
    assert _one(conn, "select staging.to_status(%s)", "Lost") is None


def test_csv_fields(conn: psycopg.Connection) -> None:
    assert _one(conn, "select staging.csv_fields(%s)", '1,"a,""b""",,3') == ["1", 'a,"b"', None, "3"]
    assert _one(conn, "select staging.csv_fields(%s)", '1,"open') is None
