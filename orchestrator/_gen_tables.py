"""The synthetic shop: what the data generator writes into each file, chunk by chunk.

Every chunk draws from its own random generator, seeded by (seed, file, chunk number), so the output
depends on the seed and the scale only. Values that other files refer to (category tree, product
prices and creation times, customer sign-up times and addresses) are kept in small arrays; the big
files (customers, orders, order items) are produced in chunks of fields ready for ``render``.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from . import _gen_vocab as V
from ._gen_format import (
    BoolArray,
    Field,
    IntArray,
    Tables,
    Vocab,
    bool_field,
    compose,
    const,
    epoch_seconds,
    fixed_int_field,
    hstack,
    int_field,
    money_field,
    nullify,
    ts_field,
)

# Row counts at scale 1.0 (the contract's "full size"); order items are exactly 4 per order on average.
BASE_ROWS = {"product_categories": 500, "products": 100_000, "customers": 1_000_000, "orders": 5_000_000}
ITEMS_PER_ORDER = 4
MAX_ITEMS_PER_ORDER = 8
MIN_CATEGORIES = 10
FILE_NUMBER = {"product_categories": 1, "products": 2, "customers": 3, "orders": 4, "order_items": 5}

PRODUCT_CHUNK = 100_000
CUSTOMER_CHUNK = 250_000
ORDER_CHUNK = 250_000

NOW = "2026-06-30 23:59:59"  # the fixed reference "now": nothing is generated after it
ORDERS_FROM = "2023-01-01 00:00:00"
CUSTOMERS_FROM = "2021-01-01 00:00:00"
PRODUCTS_FROM = "2019-01-01 00:00:00"
CATEGORIES_FROM = "2018-01-01 00:00:00"
HOUR, DAY = 3600, 86400


@dataclass(frozen=True)
class Sizes:
    """Clean row counts per file for a scale."""

    categories: int
    products: int
    customers: int
    orders: int

    @property
    def items(self) -> int:
        """Order items: exactly ``ITEMS_PER_ORDER`` per order on average."""
        return ITEMS_PER_ORDER * self.orders

    @classmethod
    def for_scale(cls, scale: float) -> Sizes:
        """Scale the full-size counts, keeping at least one row (and ``MIN_CATEGORIES`` categories)."""
        def rows(key: str) -> int:
            return max(1, round(BASE_ROWS[key] * scale))
        return cls(max(MIN_CATEGORIES, rows("product_categories")), rows("products"),
                   rows("customers"), rows("orders"))

    def as_dict(self) -> dict[str, int]:
        """Rows per file key."""
        return {"product_categories": self.categories, "products": self.products,
                "customers": self.customers, "orders": self.orders, "order_items": self.items}


def ascii_local(text: str) -> str:
    """Fold a name to the lower-case ASCII letters an e-mail local part would use (``Zoë`` -> ``zoe``)."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in folded.lower() if c.isalnum())


def zip_variants(pattern: str, count: int) -> list[str]:
    """``count`` postal codes shaped like ``pattern``: its last two digits replaced by 00..count-1."""
    digits = [i for i, c in enumerate(pattern) if c.isdigit()][-2:]
    out = []
    for i in range(count):
        chars = list(pattern)
        for pos, d in zip(digits, f"{i:02d}"[-len(digits):], strict=False):
            chars[pos] = d
        out.append("".join(chars))
    return out


@dataclass(frozen=True)
class Vocabs:
    """The word lists as byte matrices, plus the per-city lookups."""

    first: Vocab
    last: Vocab
    first_email: Vocab
    last_email: Vocab
    email_sep: Vocab
    domains: Vocab
    streets: Vocab
    line2: Vocab
    line2_sep: Vocab
    cities: Vocab
    city_states: Vocab
    city_countries: Vocab
    city_dial: Vocab
    city_weights: npt.NDArray[np.float64]
    zips: Vocab
    zips_per_city: int
    payments: Vocab
    payment_weights: npt.NDArray[np.float64]
    statuses: Vocab
    adjectives: Vocab
    nouns: Vocab
    models: Vocab
    sentences: Vocab
    sentence_sep: Vocab
    sku_codes: Vocab

    @classmethod
    def build(cls) -> Vocabs:
        """Encode all word lists."""
        zips_per_city = 20
        zips = [z for c in V.CITIES for z in zip_variants(c[3], zips_per_city)]
        pay_w = np.array([w for _, w in V.PAYMENT_METHODS], np.float64)
        city_w = np.array([c[4] for c in V.CITIES], np.float64)
        return cls(
            first=Vocab.of(V.FIRST_NAMES), last=Vocab.of(V.LAST_NAMES),
            first_email=Vocab.of([ascii_local(n) for n in V.FIRST_NAMES]),
            last_email=Vocab.of([ascii_local(n) for n in V.LAST_NAMES]),
            email_sep=Vocab.of(V.EMAIL_SEPARATORS), domains=Vocab.of(["@" + d for d in V.EMAIL_DOMAINS]),
            streets=Vocab.of(V.STREET_NAMES), line2=Vocab.of(V.ADDRESS_LINE2),
            line2_sep=Vocab.of(["", ", ", "\n"]),
            cities=Vocab.of([c[0] for c in V.CITIES]), city_states=Vocab.of([c[1] for c in V.CITIES]),
            city_countries=Vocab.of([V.COUNTRIES[c[2]][0] for c in V.CITIES]),
            city_dial=Vocab.of([f"+{V.COUNTRIES[c[2]][1]} " for c in V.CITIES]),
            city_weights=city_w / city_w.sum(), zips=Vocab.of(zips), zips_per_city=zips_per_city,
            payments=Vocab.of([p for p, _ in V.PAYMENT_METHODS]), payment_weights=pay_w / pay_w.sum(),
            statuses=Vocab.of(V.STATUSES), adjectives=Vocab.of(V.PRODUCT_ADJECTIVES),
            nouns=Vocab.of(V.PRODUCT_NOUNS), models=Vocab.of(V.MODEL_CODES),
            sentences=Vocab.of(V.DESCRIPTION_SENTENCES), sentence_sep=Vocab.of([" ", "\n"]),
            sku_codes=Vocab.of([sku_code(r) for r in V.ROOT_CATEGORIES]),
        )


def sku_code(root_name: str) -> str:
    """Three upper-case letters for a root category (``Electronics`` -> ``ELE-``)."""
    return ascii_local(root_name)[:3].upper() + "-"


@dataclass(frozen=True)
class World:
    """Everything a chunk needs besides its own random numbers."""

    seed: int
    sizes: Sizes
    t: Tables
    v: Vocabs
    now: int
    orders_from: int

    @classmethod
    def build(cls, seed: int, sizes: Sizes) -> World:
        """Tables, vocabularies and reference times for one run."""
        return cls(seed, sizes, Tables.build(), Vocabs.build(), epoch_seconds(NOW),
                   epoch_seconds(ORDERS_FROM))

    def rng(self, key: str, chunk: int, stream: int = 0) -> np.random.Generator:
        """The random generator of one chunk of one file (``stream`` separates independent uses)."""
        return np.random.default_rng([self.seed, FILE_NUMBER[key], chunk, stream])


def spread(rng: np.random.Generator, start: int, end: int, first: int, count: int, total: int,
           growth: float) -> IntArray:
    """Ascending epoch seconds in [start, end) for rows first..first+count of total.

    Rows are stratified over the period (so chunks stay in order) and become denser over time: the
    density grows linearly by a factor ``1 + growth`` from start to end.
    """
    p = (first + np.arange(count) + rng.random(count)) / total
    if growth > 0:
        p = (np.sqrt(1.0 + 2.0 * growth * p * (1.0 + growth / 2.0)) - 1.0) / growth
    return (start + np.floor(p * (end - start))).astype(np.int64)


# --------------------------------------------------------------------------------------- categories

@dataclass(frozen=True)
class CategoryTree:
    """The category tree: parents (0 for a root, always a smaller id) and each category's root."""

    parent: IntArray  # index i holds category i + 1's parent id
    root: IntArray  # index into ROOT_CATEGORIES of each category's root

    @property
    def non_roots(self) -> IntArray:
        """Ids of the non-root categories (or all ids when there are only roots)."""
        ids = np.flatnonzero(self.parent != 0) + 1
        return ids if ids.size else np.arange(1, self.parent.size + 1)


def root_count(n: int) -> int:
    """About 18 roots at full size (500 categories), fewer for small trees."""
    return max(2, min(len(V.ROOT_CATEGORIES), n // 4))


def category_tree(w: World) -> tuple[CategoryTree, list[list[str]]]:
    """The tree and the CSV rows of ``product_categories`` (small: built in plain Python)."""
    rng = w.rng("product_categories", 0)
    n = w.sizes.categories
    roots = root_count(n)
    parent = np.zeros(n, np.int64)
    root = np.zeros(n, np.int64)
    root[:roots] = np.arange(roots) % len(V.ROOT_CATEGORIES)
    by_depth: dict[int, list[int]] = {1: list(range(1, roots + 1)), 2: [], 3: []}
    for i in range(roots, n):
        wanted = rng.choice([1, 2, 3], p=[0.45, 0.4, 0.15])
        level = max(d for d in (1, 2, 3) if d <= wanted and by_depth[d])
        p = by_depth[level][int(rng.integers(len(by_depth[level])))]
        parent[i], root[i] = p, root[p - 1]
        if level + 1 <= 3:
            by_depth[level + 1].append(i + 1)
    created = spread(rng, epoch_seconds(CATEGORIES_FROM), epoch_seconds("2023-06-30 00:00:00"), 0, n, n, 0.0)
    rows = []
    for i in range(n):
        name = category_name(rng, i, roots, int(root[i]))
        rows.append([str(i + 1), name, category_description(rng, name),
                     str(parent[i]) if parent[i] else "", format_ts(int(created[i]))])
    return CategoryTree(parent, root), rows


def category_name(rng: np.random.Generator, i: int, roots: int, root: int) -> str:
    """A root's name from the list, a child's from qualifier + word."""
    if i < roots:
        base = V.ROOT_CATEGORIES[root]
        return base if i < len(V.ROOT_CATEGORIES) else f"{base} {i // len(V.ROOT_CATEGORIES) + 1}"
    qualifier = V.SUBCATEGORY_QUALIFIERS[int(rng.integers(len(V.SUBCATEGORY_QUALIFIERS)))]
    return qualifier + V.SUBCATEGORY_WORDS[int(rng.integers(len(V.SUBCATEGORY_WORDS)))]


def category_description(rng: np.random.Generator, name: str) -> str:
    """A short description, sometimes with quotes or a second line; sometimes empty."""
    roll = rng.random()
    if roll < 0.1:
        return ""
    if roll < 0.2:
        return f'Our "{name}" range, hand-picked.\nNew arrivals every week.'
    return f"Everything in {name}, from basics to bestsellers."


def format_ts(seconds: int) -> str:
    """Epoch seconds as ``YYYY-MM-DD HH:MM:SS`` (for the plain-Python paths)."""
    return str(np.datetime64(seconds, "s")).replace("T", " ")


# ----------------------------------------------------------------------------------------- products

@dataclass(frozen=True)
class Catalog:
    """What orders need of the products: price, creation time and popularity (cumulative)."""

    price: IntArray  # cents, index = product_id - 1
    created: IntArray  # epoch seconds, ascending
    popularity: npt.NDArray[np.float64]  # cumulative weights


def product_arrays(w: World, tree: CategoryTree) -> tuple[Catalog, dict[str, np.ndarray]]:
    """All product attributes (the catalog is small: 100,000 rows at full size)."""
    rng = w.rng("products", 0)
    n = w.sizes.products
    price = np.exp(rng.normal(math.log(2500), 1.0, n)).astype(np.int64).clip(99, 299_999)
    charm = rng.random(n) < 0.6
    price[charm] = price[charm] // 100 * 100 + 99
    start, end, split = epoch_seconds(PRODUCTS_FROM), epoch_seconds("2026-06-01 00:00:00"), w.orders_from
    p = (np.arange(n) + rng.random(n)) / n  # 60% of the catalogue exists before the first order
    created = np.where(p < 0.6, start + p / 0.6 * (split - start),
                       split + (p - 0.6) / 0.4 * (end - split)).astype(np.int64)
    inner = tree.non_roots
    category = np.where(rng.random(n) < 0.03, rng.integers(1, tree.parent.size + 1, n),
                        inner[rng.integers(0, inner.size, n)])
    sku_num = np.arange(1, n + 1, dtype=np.int64)
    sku_root = tree.root[category - 1]
    if n >= 20:  # a few products share a sku (suspicious but loadable)
        dup = rng.choice(np.arange(1, n), size=max(1, n // 10_000), replace=False)
        src = (rng.random(dup.size) * dup).astype(np.int64)
        sku_num[dup], sku_root[dup] = sku_num[src], sku_root[src]
    attrs = {
        "price": price, "created": created, "category": category, "sku_num": sku_num,
        "sku_root": sku_root,
    }
    popularity = np.cumsum(np.exp(rng.normal(0.0, 1.2, n)))
    return Catalog(price, created, popularity), attrs


def product_chunks(w: World, attrs: dict[str, np.ndarray]) -> Iterator[tuple[list[Field], int]]:
    """The products file in chunks of fields."""
    n = w.sizes.products
    v, t = w.v, w.t
    for chunk, a in enumerate(range(0, n, PRODUCT_CHUNK)):
        rng = w.rng("products", chunk, 1)
        m = min(PRODUCT_CHUNK, n - a)
        ids = np.arange(a + 1, a + m + 1)
        price = attrs["price"][a: a + m]
        adj, noun = rng.integers(0, len(v.adjectives), m), rng.integers(0, len(v.nouns), m)
        model = rng.integers(0, len(v.models), m)
        name = compose([v.adjectives.parts[adj], const(" "), v.nouns.parts[noun], const(" "),
                        v.models.parts[model], const("-"), int_field(t, rng.integers(1, 1000, m))],
                       v.adjectives.needs_quote[adj] | v.nouns.needs_quote[noun], m)
        cost = money_field(t, (price * rng.uniform(0.35, 0.75, m)).astype(np.int64))
        sku = hstack([v.sku_codes.parts[attrs["sku_root"][a: a + m]],
                      fixed_int_field(t, attrs["sku_num"][a: a + m], 7)], m)
        stock = np.where(rng.random(m) < 0.05, 0, np.exp(rng.normal(4.0, 1.2, m)).astype(np.int64))
        weight = np.exp(rng.normal(math.log(80), 1.1, m)).astype(np.int64).clip(5, 3000)  # 1/100 kg
        active = rng.random(m) >= 0.06
        yield [
            int_field(t, ids), name, nullify(description(rng, v, m), rng.random(m) < 0.05),
            money_field(t, price), nullify(cost, rng.random(m) < 0.03),
            int_field(t, attrs["category"][a: a + m]), sku,
            nullify(int_field(t, stock.clip(0, 5000)), rng.random(m) < 0.02),
            nullify(money_field(t, weight), rng.random(m) < 0.03),
            ts_field(t, attrs["created"][a: a + m]),
            nullify(bool_field(active), rng.random(m) < 0.01),
        ], m


def description(rng: np.random.Generator, v: Vocabs, m: int) -> Field:
    """Two sentences, on two lines now and then: commas, quotes and newlines to quote."""
    s1, s2 = rng.integers(0, len(v.sentences), m), rng.integers(0, len(v.sentences), m)
    sep = (rng.random(m) < 0.03).astype(np.int64)
    quote = v.sentences.needs_quote[s1] | v.sentences.needs_quote[s2] | (sep == 1)
    return compose([v.sentences.parts[s1], v.sentence_sep.parts[sep], v.sentences.parts[s2]], quote, m)


# ---------------------------------------------------------------------------------------- addresses

@dataclass(frozen=True)
class Addresses:
    """Postal addresses as small index arrays (kept for every customer, reused by orders)."""

    number: IntArray
    street: IntArray
    line2_sep: IntArray  # 0 none, 1 ", ", 2 newline
    line2: IntArray
    line2_num: IntArray
    city: IntArray
    zip: IntArray

    @classmethod
    def random(cls, rng: np.random.Generator, v: Vocabs, n: int) -> Addresses:
        """``n`` random addresses."""
        city = rng.choice(len(v.cities), size=n, p=v.city_weights).astype(np.int16)
        roll = rng.random(n)
        return cls(
            number=rng.integers(1, 9999, n).astype(np.int32),
            street=rng.integers(0, len(v.streets), n).astype(np.int16),
            line2_sep=np.where(roll < 0.004, 2, np.where(roll < 0.25, 1, 0)).astype(np.int8),
            line2=rng.integers(0, len(v.line2), n).astype(np.int8),
            line2_num=rng.integers(1, 400, n).astype(np.int16),
            city=city,
            zip=city.astype(np.int32) * v.zips_per_city + rng.integers(0, v.zips_per_city, n, dtype=np.int32),
        )

    def take(self, idx: npt.NDArray[np.integer]) -> Addresses:
        """The addresses at ``idx``."""
        return Addresses(*(getattr(self, f)[idx] for f in self.__dataclass_fields__))

    def where(self, mask: BoolArray, other: Addresses) -> Addresses:
        """``other``'s address where ``mask``, this one elsewhere."""
        return Addresses(*(np.where(mask, getattr(other, f), getattr(self, f))
                           for f in self.__dataclass_fields__))

    def fields(self, t: Tables, v: Vocabs) -> list[Field]:
        """street_address, city, state, zip, country."""
        n = self.number.shape[0]
        has2 = self.line2_sep != 0
        line2 = nullify(hstack([v.line2.parts[self.line2], int_field(t, self.line2_num)], n), ~has2)
        street = compose([int_field(t, self.number), const(" "), v.streets.parts[self.street],
                          v.line2_sep.parts[self.line2_sep], line2],
                         v.streets.needs_quote[self.street] | has2, n)
        return [street, v.cities.field(self.city), v.city_states.field(self.city), v.zips.field(self.zip),
                v.city_countries.field(self.city)]


# ---------------------------------------------------------------------------------------- customers

@dataclass(frozen=True)
class Clientele:
    """What orders need of the customers: sign-up times (ascending by id) and addresses."""

    registered: IntArray
    address: Addresses


def clientele(w: World) -> Clientele:
    """Sign-up times and addresses of all customers (about 30 bytes per customer)."""
    rng = w.rng("customers", 0)
    n = w.sizes.customers
    registered = spread(rng, epoch_seconds(CUSTOMERS_FROM), w.now - DAY, 0, n, n, 1.0)
    return Clientele(registered, Addresses.random(rng, w.v, n))


def customer_chunks(w: World, c: Clientele) -> Iterator[tuple[list[Field], int]]:
    """The customers file in chunks of fields."""
    n = w.sizes.customers
    v, t = w.v, w.t
    for chunk, a in enumerate(range(0, n, CUSTOMER_CHUNK)):
        rng = w.rng("customers", chunk, 1)
        m = min(CUSTOMER_CHUNK, n - a)
        ids = np.arange(a + 1, a + m + 1)
        first, last = rng.integers(0, len(v.first), m), rng.integers(0, len(v.last), m)
        sep = rng.integers(0, len(v.email_sep), m)
        email = hstack([v.first_email.parts[first], v.email_sep.parts[sep], v.last_email.parts[last],
                        int_field(t, ids), v.domains.parts[rng.integers(0, len(v.domains), m)]], m)
        registered = c.registered[a: a + m]
        login = registered + (np.sqrt(rng.random(m)) * (w.now - registered)).astype(np.int64)
        address = c.address.take(slice(a, a + m))  # type: ignore[arg-type]
        yield [
            int_field(t, ids), email,
            nullify(v.first.field(first), rng.random(m) < 0.005),
            nullify(v.last.field(last), rng.random(m) < 0.005),
            *address.fields(t, v),
            nullify(phone(rng, t, v, address.city), rng.random(m) < 0.08),
            ts_field(t, registered), nullify(ts_field(t, login), rng.random(m) < 0.06),
        ], m


def phone(rng: np.random.Generator, t: Tables, v: Vocabs, city: IntArray) -> Field:
    """``+1 617-555-0142``-style numbers with the country's dialling code."""
    m = city.shape[0]
    return hstack([v.city_dial.parts[city], fixed_int_field(t, rng.integers(200, 1000, m), 3), const("-"),
                   fixed_int_field(t, rng.integers(0, 1000, m), 3), const("-"),
                   fixed_int_field(t, rng.integers(0, 10000, m), 4)], m)


# ------------------------------------------------------------------------------- orders and items

@dataclass(frozen=True)
class OrderChunk:
    """One chunk of orders with their items, as fields of both files."""

    orders: list[Field]
    n_orders: int
    items: list[Field]
    n_items: int


def item_counts(rng: np.random.Generator, m: int) -> IntArray:
    """Items per order, 1..8, summing to exactly ``ITEMS_PER_ORDER * m``."""
    counts = 1 + rng.binomial(MAX_ITEMS_PER_ORDER - 1, (ITEMS_PER_ORDER - 1) / (MAX_ITEMS_PER_ORDER - 1), m)
    excess = int(counts.sum()) - ITEMS_PER_ORDER * m
    if excess:
        movable = np.flatnonzero(counts > 1 if excess > 0 else counts < MAX_ITEMS_PER_ORDER)
        fix = rng.choice(movable, size=abs(excess), replace=False)
        counts[fix] -= int(np.sign(excess))
    return counts


def status_dates(rng: np.random.Generator, w: World, ordered: IntArray
                 ) -> tuple[IntArray, IntArray, IntArray, IntArray, BoolArray, BoolArray, BoolArray]:
    """Status index and processing/shipping/delivery times (with their null masks) of orders.

    Orders move Pending -> Processing -> Shipped/In Transit -> Delivered as time passes, so only the
    last days before "now" hold open orders; some are Cancelled (before shipping) or Returned.
    """
    m = ordered.shape[0]
    processed = ordered + rng.integers(10 * 60, 36 * HOUR, m)
    shipped = processed + rng.integers(4 * HOUR, 72 * HOUR, m)
    delivered = shipped + rng.integers(DAY, 8 * DAY, m)
    s = {name: i for i, name in enumerate(V.STATUSES)}
    status = np.full(m, s["Delivered"], np.int64)
    status[delivered > w.now] = s["In Transit"]
    status[(delivered > w.now) & (shipped > w.now - DAY)] = s["Shipped"]
    status[shipped > w.now] = s["Processing"]
    status[processed > w.now] = s["Pending"]
    status[(status == s["Delivered"]) & (rng.random(m) < 0.035)] = s["Returned"]
    cancelled = rng.random(m) < 0.045
    status[cancelled] = s["Cancelled"]
    no_processing = (status == s["Pending"]) | (cancelled & ((rng.random(m) < 0.5) | (processed > w.now)))
    no_shipping = no_processing | cancelled | (status == s["Processing"])
    no_delivery = ~np.isin(status, [s["Delivered"], s["Returned"]])
    return status, processed, shipped, delivered, no_processing, no_shipping, no_delivery


def order_chunks(w: World, catalog: Catalog, c: Clientele) -> Iterator[OrderChunk]:
    """The orders and order_items files, chunk by chunk (order ids and item ids ascending)."""
    n = w.sizes.orders
    v, t = w.v, w.t
    for chunk, a in enumerate(range(0, n, ORDER_CHUNK)):
        rng = w.rng("orders", chunk, 1)
        m = min(ORDER_CHUNK, n - a)
        ordered = spread(rng, w.orders_from, w.now + 1, a, m, n, 1.5)
        eligible = np.searchsorted(c.registered, ordered, side="right").clip(1, None)
        customer = (rng.random(m) * eligible).astype(np.int64) + 1
        status, processed, shipped, delivered, no_p, no_s, no_d = status_dates(rng, w, ordered)
        own = c.address.take(customer - 1)
        address = own.where(rng.random(m) < 0.12, Addresses.random(rng, v, m))
        items, n_items, totals = item_fields(rng, w, catalog, a, ordered)
        address_fields = address.fields(t, v)
        no_address = rng.random(m) < 0.003
        orders = [
            int_field(t, np.arange(a + 1, a + m + 1)), int_field(t, customer), ts_field(t, ordered),
            v.statuses.field(status),
            nullify(v.payments.field(rng.choice(len(v.payments), size=m, p=v.payment_weights)),
                    rng.random(m) < 0.01),
            *(nullify(f, no_address) for f in address_fields),
            nullify(ts_field(t, np.minimum(processed, w.now)), no_p),
            nullify(ts_field(t, np.minimum(shipped, w.now)), no_s),
            nullify(ts_field(t, np.minimum(delivered, w.now)), no_d),
            money_field(t, totals),
        ]
        yield OrderChunk(orders, m, items, n_items)


def item_fields(rng: np.random.Generator, w: World, catalog: Catalog, first_order: int, ordered: IntArray
                ) -> tuple[list[Field], int, IntArray]:
    """The items of a chunk of orders; also returns each order's total (sum of its lines) in cents."""
    t = w.t
    m = ordered.shape[0]
    counts = item_counts(rng, m)
    k = int(counts.sum())
    order_idx = np.repeat(np.arange(m), counts)
    eligible = np.searchsorted(catalog.created, ordered, side="right").clip(1, None)[order_idx]
    target = rng.random(k) * catalog.popularity[eligible - 1]
    product = np.minimum(np.searchsorted(catalog.popularity, target, side="right"), eligible - 1)
    quantity = np.minimum(rng.geometric(0.62, k), 10).astype(np.int64)
    price = catalog.price[product]
    line = price * quantity
    discounted = rng.random(k) < 0.18
    discount = np.where(discounted, (line * rng.uniform(0.03, 0.35, k)).astype(np.int64), 0)
    total = line - discount
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    first_item = ITEMS_PER_ORDER * first_order
    fields = [
        int_field(t, np.arange(first_item + 1, first_item + k + 1)),
        int_field(t, first_order + 1 + order_idx), int_field(t, product + 1), int_field(t, quantity),
        money_field(t, price),
        nullify(money_field(t, discount), ~discounted & (rng.random(k) < 0.02)),
        money_field(t, total),
    ]
    return fields, k, np.add.reduceat(total, starts)
