"""Staging: stream each delivered file into its UNLOGGED staging table with COPY.

This is the only place Python touches the data, and it does not parse rows: the file's bytes
go to ``COPY ... FROM STDIN (FORMAT csv)`` in chunks, and PostgreSQL parses them. When COPY
refuses the file (a record with the wrong number of fields, invalid UTF-8, broken quoting),
the file is staged again through the salvage path: Python only frames records (by line breaks
and quote balance) and SQL (stage ``salvage``) splits them, rejecting the unparseable ones as
``malformed`` with their line number and raw text.
"""

from __future__ import annotations

import hashlib
import io
import logging
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg

from .delivery import DeliveryFile
from .render import Renderer, sql_ident

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

log = logging.getLogger(__name__)

CHUNK = 1 << 20
#: A quoted field may span lines; a record still open after this many lines is taken to be
#: a stray quote: its first line is rejected as malformed and framing resumes on the next one.
MAX_RECORD_LINES = 1000

ProgressFn = Callable[[int], None]


@dataclass
class StagedFile:
    key: str
    file_name: str
    size_bytes: int
    sha256: str
    records: int
    physical_lines: int
    salvaged: bool
    seconds: float


class _CountingReader(io.RawIOBase):
    """Reads a file while hashing its bytes (as delivered) and reporting progress."""

    def __init__(self, path: Path, progress: ProgressFn | None) -> None:
        self._f = open(path, "rb")
        self.sha = hashlib.sha256()
        self._progress = progress

    def readable(self) -> bool:
        return True

    def readinto(self, b: WriteableBuffer) -> int:
        n = self._f.readinto(b)
        if n:
            self.sha.update(memoryview(b)[:n])
            if self._progress:
                self._progress(n)
        return n or 0

    def close(self) -> None:
        self._f.close()
        super().close()


def _open(f: DeliveryFile, progress: ProgressFn | None) -> tuple[_CountingReader, io.BufferedIOBase]:
    raw = _CountingReader(f.path, progress)
    if f.gzipped:
        import gzip

        return raw, gzip.GzipFile(fileobj=io.BufferedReader(raw, CHUNK), mode="rb")  # type: ignore[return-value]
    return raw, io.BufferedReader(raw, CHUNK)


def staging_columns(header: list[str], contract: list[str]) -> list[str]:
    """Staging column for each header column: its own name, or ``_extra_N`` for unknown ones."""
    out: list[str] = []
    seen: set[str] = set()
    for i, name in enumerate(header, start=1):
        if name in contract and name not in seen:
            out.append(name)
            seen.add(name)
        else:
            out.append(f"_extra_{i}")
    return out


def copy_file(
    conn: psycopg.Connection,
    f: DeliveryFile,
    staging_cols: list[str],
    progress: ProgressFn | None = None,
    after_first_chunk: Callable[[], None] | None = None,
) -> tuple[int, int, str]:
    """COPY the file (after its header) into staging.<key>; returns (records, physical lines, sha256).

    Raises psycopg.errors.DataError (or a subclass) when COPY refuses a record.
    """
    cols = ", ".join(sql_ident(c) for c in staging_cols)
    raw, stream = _open(f, progress)
    newlines = 0
    last = b"\n"
    with raw, stream:
        stream.readline()  # the header, checked before
        newlines_in_header = 1
        with conn.cursor() as cur:
            with cur.copy(f"copy staging.{f.key} ({cols}) from stdin (format csv, header false)") as copy:
                while chunk := stream.read(CHUNK):
                    newlines += chunk.count(b"\n")
                    last = chunk[-1:]
                    copy.write(chunk)
                    if after_first_chunk:
                        after_first_chunk()
            records = cur.rowcount
        sha = raw.sha.hexdigest()
    lines = newlines_in_header + newlines + (0 if last == b"\n" else 1)
    return records, lines, sha


def frame_records(stream: io.BufferedIOBase, first_line: int = 2) -> Iterator[tuple[int, bytes]]:
    """(line where the record starts, record bytes) for each CSV record of the stream.

    Only framing: a record ends at a line break outside double quotes.
    """
    pending: deque[tuple[int, bytes]] = deque()
    line_no = first_line - 1

    def next_line() -> tuple[int, bytes] | None:
        nonlocal line_no
        if pending:
            return pending.popleft()
        line = stream.readline()
        if not line:
            return None
        line_no += 1
        return line_no, line

    def give_back_all_but_first(buf: list[tuple[int, bytes]]) -> tuple[int, bytes]:
        # a stray quote: the first line is a record of its own (it will be malformed),
        # and framing resumes on the line after it
        pending.extendleft(reversed(buf[1:]))
        return buf[0][0], buf[0][1].rstrip(b"\r\n")

    buf: list[tuple[int, bytes]] = []
    quotes = 0
    while True:
        item = next_line()
        if item is None:
            if not buf:
                return
            if quotes % 2 and len(buf) > 1:
                yield give_back_all_but_first(buf)
                buf, quotes = [], 0
                continue
            yield buf[0][0], b"".join(b for _, b in buf).rstrip(b"\r\n")
            return
        buf.append(item)
        quotes += item[1].count(b'"')
        if quotes % 2 == 0:
            yield buf[0][0], b"".join(b for _, b in buf).removesuffix(b"\n").removesuffix(b"\r")
            buf, quotes = [], 0
        elif len(buf) >= MAX_RECORD_LINES:
            yield give_back_all_but_first(buf)
            buf, quotes = [], 0


def salvage_file(
    conn: psycopg.Connection, f: DeliveryFile, progress: ProgressFn | None = None
) -> tuple[int, int, str]:
    """Stage the file's records as raw text into staging.<key>_raw; returns (records, lines, sha256)."""
    raw, stream = _open(f, progress)
    records = 0
    last_line = 1
    with raw, stream:
        stream.readline()
        with conn.cursor() as cur:
            with cur.copy(f"copy staging.{f.key}_raw (line_no, utf8_ok, raw) from stdin") as copy:
                for line_no, record in frame_records(stream):
                    try:
                        text, ok = record.decode("utf-8"), True
                    except UnicodeDecodeError:
                        text, ok = record.decode("utf-8", "backslashreplace"), False
                    if "\x00" in text:
                        text, ok = text.replace("\x00", "\\x00"), False
                    copy.write_row((line_no, ok, text))
                    records += 1
                    last_line = line_no + record.count(b"\n")
        sha = raw.sha.hexdigest()
    return records, last_line, sha


def stage_file(
    url: str,
    run_id: int,
    f: DeliveryFile,
    staging_cols: list[str],
    renderer: Renderer,
    progress: ProgressFn | None = None,
    reset_progress: Callable[[], None] | None = None,
    failpoint: Callable[[], None] | None = None,
) -> StagedFile:
    """Stage one file: COPY it whole, or salvage it record by record when COPY refuses it."""
    from .db import connect

    t0 = time.monotonic()
    salvaged = False
    with connect(url, application_name=f"shopetl stage {f.key}") as conn:
        try:
            records, lines, sha = copy_file(conn, f, staging_cols, progress, failpoint)
            conn.commit()
            if lines - 1 != records:
                # some quoted fields hold line breaks: number the records by physical line
                conn.execute(renderer.render("line_numbers", key=f.key, columns=staging_cols))  # type: ignore[arg-type]
                conn.commit()
        except psycopg.errors.DataError as exc:
            conn.rollback()
            log.warning("%s: COPY refused a record (%s); staging it record by record", f.name, _first_line(exc))
            if reset_progress:
                reset_progress()
            salvaged = True
            records, lines, sha = salvage_file(conn, f, progress)
            sql = renderer.render("salvage", key=f.key, run_id=run_id, file_name=f.name, header=staging_cols)
            conn.execute(sql)  # type: ignore[arg-type]
            conn.commit()
        # staging tables are never autovacuumed: give the planner their size (a sample, cheap),
        # so that a small batch is joined to the core tables by index, a full one by hash. Only
        # rec_no (the key the rejects are joined back on): the fields are text that the
        # validation reads whole and parses, and their statistics were most of the time (100k
        # orders: 267 -> 24 ms, docs/benchmarks.md); the table's size comes with any column.
        conn.execute(f"analyze staging.{f.key} (rec_no)")  # type: ignore[arg-type]
        conn.commit()
    return StagedFile(
        key=f.key,
        file_name=f.name,
        size_bytes=f.size,
        sha256=sha,
        records=records,
        physical_lines=lines,
        salvaged=salvaged,
        seconds=time.monotonic() - t0,
    )


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
