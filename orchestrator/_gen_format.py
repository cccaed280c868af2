"""Vectorised CSV formatting for the data generator.

A column of ``n`` values is a *field*: an ``(n, width)`` uint8 matrix of UTF-8 bytes in which 0 bytes
are padding (the generated text never holds NUL). ``render`` lays the fields of a chunk side by side
with commas and newlines and drops the padding, which turns fixed-width numpy work into variable-width
CSV rows without a Python loop per row. A field may also be ``(1, width)``: a constant broadcast to
every row.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

Field = npt.NDArray[np.uint8]
IntArray = npt.NDArray[np.integer[Any]]
BoolArray = npt.NDArray[np.bool_]

_COMMA, _NEWLINE, _QUOTE = 44, 10, 34
_EPOCH_DAY0 = np.datetime64("1970-01-01", "D")
_LAST_DAY = np.datetime64("2100-01-01", "D")


def epoch_seconds(text: str) -> int:
    """Seconds since 1970-01-01 UTC of a ``YYYY-MM-DD HH:MM:SS`` UTC timestamp."""
    stamp = dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=dt.UTC)
    return int(stamp.timestamp())


def _u32_table(rows: list[bytes]) -> npt.NDArray[np.uint32]:
    """Pack 4-byte strings into a uint32 lookup table (byte order kept in memory)."""
    return np.frombuffer(b"".join(rows), dtype=np.uint32).copy()


@dataclass(frozen=True)
class Tables:
    """Lookup tables shared by the formatters; build once per run with ``Tables.build()``."""

    digits4: npt.NDArray[np.uint32]  # 20000 entries: "0000".."9999", then the same with zeros blanked
    digits4_last: npt.NDArray[np.uint32]  # 20000 entries: "0000".."9999", then "   0".."9999" blanked
    digits2: Field  # (100, 2): "00".."99"
    dates: Field  # (days since 1970-01-01 until 2100, 10): "YYYY-MM-DD"
    times: Field  # (86400, 8): "HH:MM:SS"

    @classmethod
    def build(cls) -> Tables:
        """Compute the tables (a few milliseconds)."""
        padded = [f"{i:04d}".encode() for i in range(10000)]
        blank = [f"{i:d}".encode().rjust(4, b"\0") if i else b"\0\0\0\0" for i in range(10000)]
        blank_last = [f"{i:d}".encode().rjust(4, b"\0") for i in range(10000)]
        digits2 = np.frombuffer(b"".join(f"{i:02d}".encode() for i in range(100)), np.uint8)
        days = np.arange(_EPOCH_DAY0, _LAST_DAY, dtype="M8[D]").astype("S10")
        d2 = digits2.reshape(100, 2)
        secs = np.arange(86400)
        times = np.empty((86400, 8), np.uint8)
        times[:, 0:2] = d2[secs // 3600]
        times[:, 3:5] = d2[secs // 60 % 60]
        times[:, 6:8] = d2[secs % 60]
        times[:, [2, 5]] = ord(":")
        return cls(
            digits4=_u32_table(padded + blank),
            digits4_last=_u32_table(padded + blank_last),
            digits2=d2,
            dates=days.view(np.uint8).reshape(-1, 10),
            times=times,
        )


def const(text: str) -> Field:
    """A constant field, broadcast to every row."""
    return np.frombuffer(text.encode(), np.uint8).reshape(1, -1)


def int_field(t: Tables, values: npt.ArrayLike) -> Field:
    """Non-negative integers in decimal, without leading zeros."""
    values = np.asarray(values, dtype=np.int64)
    top = int(values.max(initial=0))
    if int(values.min(initial=0)) < 0:
        raise ValueError("int_field formats non-negative integers only")
    groups = max(1, (len(str(top)) + 3) // 4)
    n = values.shape[0]
    out = np.empty((n, groups), np.uint32)
    leading = np.ones(n, np.bool_)
    for g in range(groups):
        power = 10 ** (4 * (groups - 1 - g))
        quad = (values // power) % 10000 if power > 1 else values % 10000
        table = t.digits4_last if g == groups - 1 else t.digits4
        out[:, g] = table[quad + 10000 * leading]
        leading &= quad == 0
    return out.view(np.uint8).reshape(n, 4 * groups)


def fixed_int_field(t: Tables, values: npt.ArrayLike, width: int) -> Field:
    """Non-negative integers zero-padded to exactly ``width`` digits (e.g. zip codes, SKUs)."""
    values = np.asarray(values, dtype=np.int64)
    groups = (width + 3) // 4
    n = values.shape[0]
    out = np.empty((n, groups), np.uint32)
    for g in range(groups):
        power = 10 ** (4 * (groups - 1 - g))
        out[:, g] = t.digits4[(values // power) % 10000]
    return out.view(np.uint8).reshape(n, 4 * groups)[:, 4 * groups - width:]


def money_field(t: Tables, cents: npt.ArrayLike) -> Field:
    """Non-negative amounts in cents as ``123.45`` (always two decimals)."""
    cents = np.asarray(cents, dtype=np.int64)
    whole = int_field(t, cents // 100)
    out = np.empty((cents.shape[0], whole.shape[1] + 3), np.uint8)
    out[:, : whole.shape[1]] = whole
    out[:, whole.shape[1]] = ord(".")
    out[:, whole.shape[1] + 1:] = t.digits2[cents % 100]
    return out


def ts_field(t: Tables, seconds: npt.ArrayLike) -> Field:
    """Epoch seconds (UTC) as ``YYYY-MM-DD HH:MM:SS``."""
    seconds = np.asarray(seconds, dtype=np.int64)
    out = np.empty((seconds.shape[0], 19), np.uint8)
    out[:, :10] = t.dates[seconds // 86400]
    out[:, 10] = ord(" ")
    out[:, 11:] = t.times[seconds % 86400]
    return out


def bool_field(values: BoolArray) -> Field:
    """Booleans as ``True``/``False`` (pandas style)."""
    table = np.frombuffer(b"False" + b"True\0", np.uint8).reshape(2, 5)
    return table[np.asarray(values, dtype=np.intp)]


def nullify(field: Field, null: BoolArray | None) -> Field:
    """Blank the rows where ``null`` is true (an empty CSV field is NULL). Modifies ``field``."""
    if null is not None and null.any():
        field[null] = 0
    return field


def escape(text: str) -> tuple[str, bool]:
    """CSV-escape ``text`` (double the quotes); also say whether the field must be quoted."""
    needs = any(c in text for c in ',"\n\r')
    return text.replace('"', '""'), needs


@dataclass(frozen=True)
class Vocab:
    """Words as byte matrices: ``cells`` ready to use as a CSV field, ``parts`` to compose one."""

    words: tuple[str, ...]
    cells: Field  # escaped and, where needed, quoted
    parts: Field  # escaped, never quoted: for use inside ``compose``
    needs_quote: BoolArray

    @classmethod
    def of(cls, words: Sequence[str]) -> Vocab:
        """Build the matrices for ``words``."""
        escaped = [escape(w) for w in words]
        cells = [(f'"{e}"' if q else e).encode() for e, q in escaped]
        parts = [e.encode() for e, _ in escaped]
        return cls(
            words=tuple(words),
            cells=_pad(cells),
            parts=_pad(parts),
            needs_quote=np.array([q for _, q in escaped], dtype=np.bool_),
        )

    def __len__(self) -> int:
        return len(self.words)

    def field(self, idx: npt.NDArray[np.integer]) -> Field:
        """The CSV field of each chosen word."""
        return self.cells[idx]


def _pad(rows: list[bytes]) -> Field:
    """Stack byte strings into a zero-padded matrix."""
    width = max(1, max(len(r) for r in rows))
    return np.frombuffer(b"".join(r.ljust(width, b"\0") for r in rows), np.uint8).reshape(-1, width)


def hstack(parts: Sequence[Field], n: int) -> Field:
    """Concatenate fields (or constants) column-wise into one ``(n, sum of widths)`` field."""
    width = sum(p.shape[1] for p in parts)
    out = np.empty((n, width), np.uint8)
    at = 0
    for p in parts:
        out[:, at: at + p.shape[1]] = p
        at += p.shape[1]
    return out


def compose(parts: Sequence[Field], needs_quote: BoolArray, n: int) -> Field:
    """Concatenate escaped parts into one field, quoted on the rows where ``needs_quote``."""
    quote = np.where(needs_quote, _QUOTE, 0).astype(np.uint8).reshape(n, 1)
    return hstack([quote, *parts, quote], n)


def render(fields: Sequence[Field], n: int, with_lengths: bool = False
           ) -> tuple[Field, IntArray | None]:
    """Lay out ``n`` CSV rows: fields joined by commas, each row ended by a newline.

    Returns the row bytes (padding dropped) and, if asked, the byte length of every row.
    """
    width = sum(f.shape[1] for f in fields) + len(fields)
    mat = np.empty((n, width), np.uint8)
    at = 0
    for i, f in enumerate(fields):
        mat[:, at: at + f.shape[1]] = f
        at += f.shape[1]
        mat[:, at] = _NEWLINE if i == len(fields) - 1 else _COMMA
        at += 1
    flat = mat.reshape(-1)
    keep = flat != 0
    lengths = np.count_nonzero(keep.reshape(n, width), axis=1).astype(np.int64) if with_lengths else None
    return flat[keep], lengths


def csv_line(values: Sequence[str]) -> bytes:
    """One RFC 4180 record ending in ``\\n`` (the csv module quotes minimally, as pandas does)."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(values)
    return buf.getvalue().encode()


def parse_line(line: bytes) -> list[str]:
    """The fields of one CSV record (the inverse of ``csv_line``)."""
    return next(csv.reader(io.StringIO(line.decode(), newline="")))
