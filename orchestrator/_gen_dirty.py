"""Dirty mode of the data generator: rows that break the data contract, and valid replays.

Each bad row is a copy of an earlier clean row of the same file with a fresh key (so it never hides
or replaces a good row, and nothing refers to it) and exactly one rule of the contract's "Bad rows"
section broken. The kinds of a file are used in turn, so a file with at least as many bad rows as
kinds holds every kind. Replays repeat an existing key later in the file with changed but valid
values, written in the contract's alternative forms (ISO timestamps with ``Z`` or an offset,
``true``/``1`` booleans, statuses in other letter case with spaces).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from ._gen_format import IntArray, csv_line, parse_line
from ._gen_vocab import COLUMNS, PAYMENT_METHODS

Row = dict[str, str]
BAD_TS = "2024-13-45 10:00:00"
_UTF8_MARK = "\x01invalid-utf8\x01"
_INVALID_BYTES = b"Caf\xe9 \xff\xfe"  # latin-1 text and bytes that are never valid UTF-8


@dataclass(frozen=True)
class Ctx:
    """What a mutation may use: random numbers, the row's global bad-row number, the file sizes."""

    rng: np.random.Generator
    j: int
    sizes: dict[str, int]

    def orphan(self, key: str) -> str:
        """An id that no row of file ``key`` has, clean or dirty."""
        return str(2 * self.sizes[key] + 1000 + self.j)

    def pick(self, options: Sequence[str]) -> str:
        """One of ``options``."""
        return options[int(self.rng.integers(len(options)))]


Mutation = Callable[[Row, Ctx], "Row | bytes"]


@dataclass(frozen=True)
class Kind:
    """One way to break the contract: the expected reject reason and what is changed."""

    reason: str
    detail: str
    mutate: Mutation


def serialize(key: str, row: Row) -> bytes:
    """The CSV record of ``row`` in the file's column order."""
    return csv_line([row[c] for c in COLUMNS[key]])


def setter(column: str, value: str) -> Mutation:
    """A mutation that sets one field."""
    return lambda row, ctx: {**row, column: value}


def malformed(key: str, text_column: str) -> tuple[Kind, ...]:
    """Rows that cannot be parsed: one field too many, one too few, invalid UTF-8."""
    def extra(row: Row, ctx: Ctx) -> bytes:
        return serialize(key, row)[:-1] + b",surplus\n"

    def missing(row: Row, ctx: Ctx) -> bytes:
        return csv_line([row[c] for c in COLUMNS[key][:-1]])

    def bad_utf8(row: Row, ctx: Ctx) -> bytes:
        line = serialize(key, {**row, text_column: "x" + _UTF8_MARK})
        return line.replace(_UTF8_MARK.encode(), _INVALID_BYTES)

    return (Kind("malformed", "one field too many", extra), Kind("malformed", "one field too few", missing),
            Kind("malformed", f"invalid UTF-8 in {text_column}", bad_utf8))


def cents(text: str) -> int:
    """Money text (empty: 0) in cents."""
    return int(Decimal(text or "0") * 100)


def money(amount: int) -> str:
    """Cents as money text with two decimals (may be negative)."""
    sign = "-" if amount < 0 else ""
    return f"{sign}{abs(amount) // 100}.{abs(amount) % 100:02d}"


def item_with(row: Row, quantity: int | None = None, price: int | None = None,
              discount: int | None = None) -> Row:
    """An item row with some of quantity/price/discount changed and its total recomputed."""
    q = int(row["quantity"]) if quantity is None else quantity
    p = cents(row["price"]) if price is None else price
    d = cents(row["discount"]) if discount is None else discount
    out = {**row, "quantity": str(q), "price": money(p), "total": money(p * q - d)}
    if discount is not None:
        out["discount"] = money(d)
    return out


def alt_timestamp(text: str, ctx: Ctx) -> str:
    """The same instant as ISO 8601 with ``Z`` or with a ``+02:00`` offset."""
    if not text:
        return text
    stamp = dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
    if ctx.rng.random() < 0.5:
        return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    return (stamp + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S+02:00")


def alt_status(status: str, ctx: Ctx) -> str:
    """The same status in another letter case, with surrounding spaces."""
    return ctx.pick([f" {status.lower()}", f"{status.upper()} ", f"  {status.swapcase()}  "])


def alt_bool(text: str, ctx: Ctx) -> str:
    """The same boolean (empty means true) as ``true``/``1``/``t`` or ``false``/``0``/``f``."""
    return ctx.pick(["false", "0", "f"] if text == "False" else ["true", "1", "t"])


# ------------------------------------------------------------------------------------ per file

def category_kinds() -> tuple[Kind, ...]:
    """Bad rows of product_categories."""
    return (
        *malformed("product_categories", "name"),
        Kind("missing_required", "name", setter("name", "")),
        Kind("missing_required", "category_id", setter("category_id", "")),
        Kind("bad_type", "category_id", setter("category_id", "abc")),
        Kind("bad_type", "parent_id", setter("parent_id", "x7")),
        Kind("bad_type", "created_at", setter("created_at", BAD_TS)),
        Kind("orphan", "parent_id", lambda r, c: {**r, "parent_id": c.orphan("product_categories")}),
    )


def product_kinds() -> tuple[Kind, ...]:
    """Bad rows of products."""
    return (
        *malformed("products", "name"),
        *(Kind("missing_required", col, setter(col, "")) for col in ("name", "price", "category_id", "sku")),
        Kind("bad_type", "product_id", setter("product_id", "P-12")),
        Kind("bad_type", "price", setter("price", "12.345")),
        Kind("bad_type", "cost", setter("cost", "n/a")),
        Kind("bad_type", "inventory_count", setter("inventory_count", "abc")),
        Kind("bad_type", "weight", setter("weight", "heavy")),
        Kind("bad_type", "created_at", setter("created_at", BAD_TS)),
        Kind("bad_type", "is_active", setter("is_active", "maybe")),
        Kind("out_of_range", "negative price", setter("price", "-5.00")),
        Kind("orphan", "category_id", lambda r, c: {**r, "category_id": c.orphan("product_categories")}),
    )


def customer_kinds() -> tuple[Kind, ...]:
    """Bad rows of customers (the row already has a fresh, unique e-mail)."""
    def base_email(variant: bool) -> Mutation:
        def mutate(row: Row, ctx: Ctx) -> Row:
            email = row["_base_email"]
            return {**row, "email": f"  {email.upper()} " if variant else email}
        return mutate

    return (
        *malformed("customers", "last_name"),
        Kind("missing_required", "email", setter("email", "")),
        Kind("missing_required", "customer_id", setter("customer_id", "")),
        Kind("bad_type", "customer_id", setter("customer_id", "abc")),
        Kind("bad_type", "registration_date", setter("registration_date", BAD_TS)),
        Kind("bad_type", "last_login", setter("last_login", "2024-02-30 25:61:00")),
        Kind("bad_value", "email without @", lambda r, c: {**r, "email": r["email"].replace("@", "")}),
        Kind("bad_value", "email with two @", lambda r, c: {**r, "email": r["email"].replace("@", "@x@")}),
        Kind("bad_value", "email without a dot after @",
             lambda r, c: {**r, "email": r["email"].split("@")[0] + "@localhost"}),
        Kind("duplicate", "another customer's email", base_email(False)),
        Kind("duplicate", "another customer's email in upper case with spaces", base_email(True)),
    )


def order_kinds() -> tuple[Kind, ...]:
    """Bad rows of orders."""
    return (
        *malformed("orders", "shipping_city"),
        *(Kind("missing_required", col, setter(col, ""))
          for col in ("order_id", "customer_id", "order_date", "status")),
        Kind("bad_type", "order_id", setter("order_id", "abc")),
        Kind("bad_type", "customer_id", setter("customer_id", "12.5")),
        Kind("bad_type", "order_date", setter("order_date", BAD_TS)),
        Kind("bad_type", "delivery_date", setter("delivery_date", "soon")),
        Kind("bad_type", "total_amount", setter("total_amount", "12.345")),
        Kind("out_of_range", "order_date in 1999", setter("order_date", "1999-12-31 23:00:00")),
        Kind("out_of_range", "order_date in the far future", setter("order_date", "2099-01-01 00:00:00")),
        Kind("bad_value", "unknown status", setter("status", "Lost")),
        Kind("bad_value", "misspelt status", setter("status", "Shiped")),
        Kind("orphan", "customer_id", lambda r, c: {**r, "customer_id": c.orphan("customers")}),
    )


def item_kinds() -> tuple[Kind, ...]:
    """Bad rows of order_items (each breaks one rule: totals stay consistent unless that is the rule)."""
    def line(row: Row) -> int:
        return int(row["quantity"]) * cents(row["price"])

    return (
        *malformed("order_items", "discount"),
        *(Kind("missing_required", col, setter(col, ""))
          for col in ("order_item_id", "order_id", "product_id", "quantity", "price")),
        Kind("bad_type", "order_item_id", setter("order_item_id", "x1")),
        Kind("bad_type", "quantity", setter("quantity", "abc")),
        Kind("bad_type", "fractional quantity", setter("quantity", "2.5")),
        Kind("bad_type", "price with 3 decimals", setter("price", "12.345")),
        Kind("bad_type", "discount", setter("discount", "ten")),
        Kind("bad_type", "total", setter("total", "12.345")),
        Kind("out_of_range", "quantity 0", lambda r, c: item_with(r, quantity=0, discount=0)),
        Kind("out_of_range", "negative quantity", lambda r, c: item_with(r, quantity=-2, discount=0)),
        Kind("out_of_range", "negative price",
             lambda r, c: item_with(r, price=-cents(r["price"]), discount=0)),
        Kind("out_of_range", "negative discount", lambda r, c: item_with(r, discount=-100)),
        Kind("out_of_range", "discount above price * quantity",
             lambda r, c: item_with(r, discount=line(r) + 500)),
        Kind("inconsistent", "total off by 1.00",
             lambda r, c: {**r, "total": money(cents(r["total"]) + 100)}),
        Kind("orphan", "order_id", lambda r, c: {**r, "order_id": c.orphan("orders")}),
        Kind("orphan", "product_id", lambda r, c: {**r, "product_id": c.orphan("products")}),
    )


def freshen(key: str, row: Row, fresh_key: int, ctx: Ctx) -> Row:
    """Give a copied row a new key (and, for customers, a new unique e-mail; products a new sku)."""
    out = {**row, COLUMNS[key][0]: str(fresh_key)}
    if key == "customers":
        out["_base_email"] = row["email"]
        out["email"] = f"dirty{ctx.j}.{row['email']}"
    if key == "products":
        out["sku"] = f"DIRTY-{ctx.j:07d}"
    return out


def replay(key: str, row: Row, ctx: Ctx) -> Row:
    """A valid later version of ``row``: same key, some values changed, alternative forms used."""
    ts = {c: alt_timestamp(row[c], ctx) for c in COLUMNS[key] if c.endswith(("_at", "_date", "_login"))}
    if key == "product_categories":
        return {**row, **ts, "description": f'Updated: {row["name"]}, now with more "choice".'}
    if key == "products":
        return {**row, **ts, "inventory_count": str(int(ctx.rng.integers(0, 500))),
                "is_active": alt_bool(row["is_active"], ctx)}
    if key == "customers":
        return {**row, **ts, "email": f" {row['email'].upper()}",
                "phone": f"+1 555-010-{1000 + ctx.j % 9000}"}
    if key == "orders":
        return {**row, **ts, "status": alt_status(row["status"], ctx),
                "payment_method": ctx.pick([p for p, _ in PAYMENT_METHODS])}
    return item_with(row, quantity=int(row["quantity"]) + 1)


KINDS: dict[str, Callable[[], tuple[Kind, ...]]] = {
    "product_categories": category_kinds, "products": product_kinds, "customers": customer_kinds,
    "orders": order_kinds, "order_items": item_kinds,
}


@dataclass(frozen=True)
class DirtyPlan:
    """How many bad rows and replays one file gets, and how they are made."""

    key: str
    kinds: tuple[Kind, ...]
    n_rows: int  # clean rows of the file
    n_bad: int
    n_replays: int
    sizes: dict[str, int]

    @classmethod
    def for_file(cls, key: str, rate: float, sizes: dict[str, int]) -> DirtyPlan:
        """About ``rate`` bad rows per clean row, but at least one of every kind."""
        kinds = KINDS[key]()
        n = sizes[key]
        return cls(key, kinds, n, max(round(rate * n), len(kinds)), max(2, round(rate * n / 10)), sizes)

    def span(self, total: int, first: int, count: int) -> range:
        """The global numbers of the extra rows that fall into rows first..first+count."""
        return range(total * first // self.n_rows, total * (first + count) // self.n_rows)

    def bad_line(self, rng: np.random.Generator, j: int, base: Row) -> bytes:
        """Bad row number ``j`` made from the clean row ``base``."""
        ctx = Ctx(rng, j, self.sizes)
        kind = self.kinds[j % len(self.kinds)]
        out = kind.mutate(freshen(self.key, base, self.n_rows + 1 + j, ctx), ctx)
        return out if isinstance(out, bytes) else serialize(self.key, out)

    def inject(self, rng: np.random.Generator, buf: npt.NDArray[np.uint8], lengths: IntArray,
               first: int) -> tuple[list[bytes | memoryview], int]:
        """Split a rendered chunk (rows first..) and insert its share of bad rows and replays.

        Bad rows go to random places, each after the row it was copied from; replays follow the chunk.
        Returns the pieces to write in order and the number of rows added.
        """
        m = lengths.shape[0]
        offsets = np.concatenate(([0], np.cumsum(lengths)))
        data = memoryview(buf.data).cast("B")

        def row(i: int) -> Row:
            return dict(zip(COLUMNS[self.key], parse_line(bytes(data[offsets[i]: offsets[i + 1]])), strict=True))

        bad = self.span(self.n_bad, first, m)
        places = np.sort(rng.integers(1, m + 1, len(bad)))
        bases = (rng.random(len(bad)) * places).astype(np.int64)
        pieces: list[bytes | memoryview] = []
        done = 0
        for j, place, base in zip(bad, places, bases, strict=True):
            pieces += [data[offsets[done]: offsets[place]], self.bad_line(rng, j, row(int(base)))]
            done = int(place)
        pieces.append(data[offsets[done]:])
        replays = self.span(self.n_replays, first, m)
        for j in replays:
            ctx = Ctx(rng, j, self.sizes)
            pieces.append(serialize(self.key, replay(self.key, row(int(rng.integers(m))), ctx)))
        return pieces, len(bad) + len(replays)
