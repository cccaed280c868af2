"""Synthetic shop exports: the five CSV files of the data contract, at any scale.

``generate(out_dir, scale=1.0)`` writes 500 categories, 100,000 products, 1,000,000 customers,
5,000,000 orders and 20,000,000 order items (about 2 GB) in the shop's pandas-export format; other
scales multiply the counts. The data is referentially consistent and deterministic: the same seed and
scale give byte-identical files, with "now" fixed at 2026-06-30 23:59:59 UTC. With ``dirty`` > 0, about
that share of rows breaking each rule of the contract's "Bad rows" section is mixed in, plus valid
replays of existing keys (see ``_gen_dirty``).

The big files are built with numpy in chunks (see ``_gen_format``), so memory stays flat whatever the
scale and the full size takes well under a minute.
"""

from __future__ import annotations

import gzip as gzip_module
import logging
import time
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType
from typing import BinaryIO, Self

import numpy as np
import numpy.typing as npt

from ._gen_dirty import DirtyPlan
from ._gen_format import Field, IntArray, csv_line, render
from ._gen_tables import (
    FILE_NUMBER,
    Sizes,
    World,
    category_tree,
    clientele,
    customer_chunks,
    order_chunks,
    product_arrays,
    product_chunks,
)
from ._gen_vocab import COLUMNS

log = logging.getLogger(__name__)

FILE_KEYS: tuple[str, ...] = tuple(FILE_NUMBER)
MAX_DIRTY = 0.5
GZIP_LEVEL = 1  # fast: about 150 MB/s, a third of the plain size


class CsvSink:
    """One output file: the header, then chunks of rendered rows (with dirty rows mixed in if planned).

    Use as a context manager: the file is opened on entry and closed on exit. Chunks are written (and
    compressed) by a background thread while the next chunk is generated; at most one chunk waits.
    """

    def __init__(self, path: Path, key: str, compress: bool, world: World, plan: DirtyPlan | None) -> None:
        self.path, self.key, self.compress, self.world, self.plan = path, key, compress, world, plan
        self.rows = 0  # records written, dirty ones included
        self._clean_rows = 0
        self._chunk = 0
        self._started = time.perf_counter()
        self._stack = ExitStack()
        self._file: BinaryIO | gzip_module.GzipFile | None = None
        self._writer: ThreadPoolExecutor | None = None
        self._pending: Future[None] | None = None

    def __enter__(self) -> Self:
        raw = self._stack.enter_context(open(self.path, "wb"))
        self._file = raw
        if self.compress:  # fixed name and mtime in the gzip header: the bytes depend on the data only
            self._file = self._stack.enter_context(gzip_module.GzipFile(
                filename=self.path.name, mode="wb", fileobj=raw, compresslevel=GZIP_LEVEL, mtime=0))
        self._writer = self._stack.enter_context(ThreadPoolExecutor(1, thread_name_prefix=self.key))
        self._write([csv_line(COLUMNS[self.key])])
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            self._wait()
        finally:
            self._stack.close()
        if exc is None:
            log.info("wrote %s: %d rows in %.1f s", self.path, self.rows,
                     time.perf_counter() - self._started)

    def _wait(self) -> None:
        """Wait for the chunk being written (and raise its error, if any)."""
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()

    def _write(self, pieces: list[bytes | memoryview]) -> None:
        """Hand the pieces of a chunk to the writer thread, after the previous chunk is written."""
        file, writer = self._file, self._writer
        if file is None or writer is None:
            raise RuntimeError(f"{self.path} is not open: use CsvSink as a context manager")
        self._wait()

        def write_all() -> None:
            for piece in pieces:
                file.write(piece)

        self._pending = writer.submit(write_all)

    def write_fields(self, fields: list[Field], n: int) -> None:
        """Render ``n`` rows from their fields and write them."""
        buf, lengths = render(fields, n, with_lengths=self.plan is not None)
        self.write_rendered(buf, n, lengths)

    def write_rendered(self, buf: npt.NDArray[np.uint8], n: int,
                       lengths: IntArray | None = None) -> None:
        """Write ``n`` rendered rows (``lengths``: bytes per row, needed in dirty mode only)."""
        if self.plan is None:
            self._write([buf.data])
        else:
            if lengths is None:
                raise ValueError("dirty mode needs the row lengths of each chunk")
            rng = self.world.rng(self.key, self._chunk, 2)
            pieces, added = self.plan.inject(rng, buf, lengths, self._clean_rows)
            self._write(pieces)
            self.rows += added
        self.rows += n
        self._clean_rows += n
        self._chunk += 1


def generate(out_dir: Path, scale: float = 1.0, seed: int = 42, dirty: float = 0.0,
             prefix: str = "", gzip: bool = False) -> dict[str, int]:
    """Write the five CSVs into out_dir; return rows written per file key
    ('product_categories', 'products', 'customers', 'orders', 'order_items')."""
    if not scale > 0:
        raise ValueError(f"scale must be positive, got {scale}")
    if not 0.0 <= dirty <= MAX_DIRTY:
        raise ValueError(f"dirty must be a share between 0 and {MAX_DIRTY}, got {dirty}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    sizes = Sizes.for_scale(scale)
    world = World.build(seed, sizes)
    log.info("generating %s into %s (scale %s, seed %d, dirty %s)",
             sizes.as_dict(), out_dir, scale, seed, dirty)

    def sink(key: str) -> CsvSink:
        name = f"{prefix}{key}.csv" + (".gz" if gzip else "")
        plan = DirtyPlan.for_file(key, dirty, sizes.as_dict()) if dirty > 0 else None
        return CsvSink(out_dir / name, key, gzip, world, plan)

    counts: dict[str, int] = {}
    tree, category_rows = category_tree(world)
    with sink("product_categories") as out:
        lines = [csv_line(r) for r in category_rows]
        out.write_rendered(np.frombuffer(b"".join(lines), np.uint8), len(lines),
                           np.array([len(x) for x in lines], np.int64))
        counts[out.key] = out.rows
    catalog, attrs = product_arrays(world, tree)
    counts["products"] = _write_chunks(sink("products"), product_chunks(world, attrs))
    people = clientele(world)
    counts["customers"] = _write_chunks(sink("customers"), customer_chunks(world, people))
    with ExitStack() as stack:
        orders, items = stack.enter_context(sink("orders")), stack.enter_context(sink("order_items"))
        for chunk in order_chunks(world, catalog, people):
            orders.write_fields(chunk.orders, chunk.n_orders)
            items.write_fields(chunk.items, chunk.n_items)
    counts["orders"], counts["order_items"] = orders.rows, items.rows
    return counts


def _write_chunks(out: CsvSink, chunks: Iterable[tuple[list[Field], int]]) -> int:
    """Write every chunk into ``out``; return the rows written."""
    with out:
        for fields, n in chunks:
            out.write_fields(fields, n)
    return out.rows


def main(argv: list[str] | None = None) -> int:
    """``python -m shopetl.generate OUT [--scale S] [--seed N] [--dirty RATE] [--prefix P] [--gzip]``."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m shopetl.generate", description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path, help="folder to write the five CSV files into")
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 5,000,000 orders (default)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--dirty", type=float, default=0.0, help="share of bad rows per file, e.g. 0.01")
    parser.add_argument("--prefix", default="", help="file name prefix, e.g. sample_")
    parser.add_argument("--gzip", action="store_true", help="write .csv.gz files")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    counts = generate(args.out, args.scale, args.seed, args.dirty, args.prefix, args.gzip)
    for key, rows in counts.items():
        print(f"{key}\t{rows}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
