"""A delivery folder: which of the five files it holds, and their headers.

Reading the header is the only parsing Python does, and only of line 1.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import RefusedInput

#: Files in the order their rows may reference each other (a parent before its children).
FILE_KEYS = ("product_categories", "customers", "products", "orders", "order_items")

_NAME = re.compile(r"^(?:sample_)?(" + "|".join(FILE_KEYS) + r")\.csv(\.gz)?$")


@dataclass(frozen=True)
class DeliveryFile:
    key: str
    path: Path
    size: int

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def gzipped(self) -> bool:
        return self.path.suffix == ".gz"


def discover(folder: Path) -> dict[str, DeliveryFile]:
    """The delivery files in ``folder`` by key (``orders.csv``, ``sample_orders.csv.gz``, ...)."""
    if not folder.is_dir():
        raise RefusedInput(f"refused: {folder} is not a folder; pass the folder that holds the CSV files")
    found: dict[str, DeliveryFile] = {}
    for path in sorted(folder.iterdir()):
        m = _NAME.match(path.name)
        if not m or not path.is_file():
            continue
        key = m.group(1)
        if key in found:
            raise RefusedInput(
                f"refused: {folder} holds two files for {key} ({found[key].name} and {path.name}); keep one"
            )
        found[key] = DeliveryFile(key, path, path.stat().st_size)
    if not found:
        names = ", ".join(f"{k}.csv" for k in FILE_KEYS)
        raise RefusedInput(f"refused: {folder} holds none of the delivery files ({names}, optionally .gz or sample_)")
    return {k: found[k] for k in FILE_KEYS if k in found}


def open_binary(path: Path) -> io.BufferedIOBase:
    """The file's decompressed bytes."""
    if path.suffix == ".gz":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def parse_header(line: bytes, file_name: str) -> list[str]:
    """Column names of a header line (BOM and surrounding spaces removed, lower case)."""
    try:
        text = line.decode("utf-8").lstrip("\ufeff").rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise RefusedInput(f"refused: {file_name} line 1: the header is not valid UTF-8 ({exc.reason})") from exc
    if not text.strip():
        raise RefusedInput(f"refused: {file_name} line 1: the header line is empty")
    return [name.strip().lower() for name in next(csv.reader([text]))]


def read_header(f: DeliveryFile) -> list[str]:
    with open_binary(f.path) as stream:
        try:
            return parse_header(stream.readline(), f.name)
        except (OSError, EOFError) as exc:
            raise RefusedInput(f"refused: {f.name} cannot be read: {exc}") from exc
