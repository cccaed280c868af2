"""One test per rule of the data contract's "Bad rows" section, each asserting the exact
reject rows (file, physical line, reason) and that the good rows around them still load."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from shopetl.config import Settings

from .etl_helpers import load_rows, query, rejects

# -- malformed ---------------------------------------------------------------------------------


def test_malformed_wrong_number_of_fields(settings: Settings, db_url: str, tmp_path: Path) -> None:
    result = load_rows(settings, tmp_path, {"customers": """
        1,ann@example.com,Ann,A,,,,,,,,
        2,bob@example.com,Bob
        3,cy@example.com,Cy,C,,,,,,,,,extra
        4,dee@example.com,Dee,D,,,,,,,,
    """})
    assert rejects(db_url) == [("customers", 3, "malformed"), ("customers", 4, "malformed")]
    assert query(db_url, "select customer_id from core.customers order by 1") == [(1,), (4,)]
    assert result.files["customers"] == {"rows": 4, "accepted": 2, "rejected": {"malformed": 2}}


def test_malformed_invalid_utf8_keeps_line_and_raw_text(settings: Settings, db_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    from .etl_helpers import HEADERS

    (folder / "customers.csv").write_bytes(
        (HEADERS["customers"] + "\n1,ann@example.com,Ann,A,,,,,,,,\n").encode()
        + b"2,b\xffb@example.com,Bob,B,,,,,,,,\n"
        + b'3,cy@example.com,"Cy\nWith a line break",C,,,,,,,,\n'
        + b"4,dee@example.com,Dee,D,,,,,,,,\n"
    )
    from .etl_helpers import run_load

    run_load(settings, folder)
    assert rejects(db_url) == [("customers", 3, "malformed")]
    (raw,) = query(db_url, "select raw from etl.rejects")[0]
    assert raw.startswith("2,b\\xffb@example.com")
    assert query(db_url, "select customer_id from core.customers order by 1") == [(1,), (3,), (4,)]


def test_malformed_unterminated_quote_loses_only_its_line(settings: Settings, db_url: str, tmp_path: Path) -> None:
    load_rows(settings, tmp_path, {"customers": """
        1,ann@example.com,Ann,A,,,,,,,,
        2,bob@example.com,"Bob,B,,,,,,,,
        3,cy@example.com,Cy,C,,,,,,,,
        4,dee@example.com,Dee,D,,,,,,,,
    """})
    assert rejects(db_url) == [("customers", 3, "malformed")]
    assert query(db_url, "select customer_id from core.customers order by 1") == [(1,), (3,), (4,)]


# -- missing_required --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "row"),
    [
        ("product_categories", "5,,,1,"),
        ("product_categories", ",Name,,1,"),
        ("products", "12,,,1.00,,2,S,,,,"),
        ("products", "12,P,,,,2,S,,,,"),
        ("products", "12,P,,1.00,,,S,,,,"),
        ("products", "12,P,,1.00,,2,,,,,"),
        ("customers", "5,,A,B,,,,,,,,"),
        ("customers", ",x@y.z,A,B,,,,,,,,"),
        ("orders", ",1,2024-01-01 00:00:00,Pending,,,,,,,,,,"),
        ("orders", "100,,2024-01-01 00:00:00,Pending,,,,,,,,,,"),
        ("orders", "100,1,,Pending,,,,,,,,,,"),
        ("orders", "100,1,2024-01-01 00:00:00,  ,,,,,,,,,,"),
        ("order_items", "1000,,10,1,100.00,,"),
        ("order_items", "1000,100,,1,100.00,,"),
        ("order_items", "1000,100,10,,100.00,,"),
        ("order_items", "1000,100,10,1,,,"),
        ("order_items", ",100,10,1,100.00,,"),
    ],
)
def test_missing_required(settings: Settings, db_url: str, tmp_path: Path, key: str, row: str) -> None:
    files, line = _with_base(key, row)
    if key == "order_items":
        files["orders"] = "100,1,2024-01-01 00:00:00,Pending,,,,,,,,,,"
    load_rows(settings, tmp_path, files)
    assert rejects(db_url) == [(key, line, "missing_required")]


# -- bad_type ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "row"),
    [
        ("product_categories", "abc,Name,,,"),
        ("product_categories", "5,Name,,x,"),
        ("products", "12,P,,1.001,,2,S,,,,"),
        ("products", "12,P,,1.00,,2,S,many,,,"),
        ("products", "12,P,,1.00,,2,S,,,,yes"),
        ("products", "12,P,,1.00,,2,S,,heavy,,"),
        ("customers", "5,x@y.z,A,B,,,,,,,2024-02-30 10:00:00,"),
        ("customers", "5,x@y.z,A,B,,,,,,,,yesterday"),
        ("orders", "100,1,2024-13-01 00:00:00,Pending,,,,,,,,,,"),
        ("orders", "100,1,2024-01-01 25:00:00,Pending,,,,,,,,,,"),
        ("orders", "1e3,1,2024-01-01 00:00:00,Pending,,,,,,,,,,"),
        ("orders", "100,1,2024-01-01 00:00:00,Pending,,,,,,,,,,12.345"),
        ("order_items", "1000,100,10,1.5,100.00,,"),
        ("order_items", "1000,100,10,1,100.00,abc,"),
    ],
)
def test_bad_type(settings: Settings, db_url: str, tmp_path: Path, key: str, row: str) -> None:
    files, line = _with_base(key, row)
    if key == "order_items":
        files["orders"] = "100,1,2024-01-01 00:00:00,Pending,,,,,,,,,,"
    load_rows(settings, tmp_path, files)
    assert rejects(db_url) == [(key, line, "bad_type")]


def _with_base(key: str, row: str) -> tuple[dict[str, str], int]:
    """The row under test after the base rows of its file; returns the files and its line."""
    import textwrap

    from .etl_helpers import BASE

    base_rows = [r for r in textwrap.dedent(BASE.get(key, "")).splitlines() if r.strip()]
    files = {key: "\n".join([*base_rows, row])}
    return files, 2 + len(base_rows)


def test_accepted_forms_of_types(settings: Settings, db_url: str, tmp_path: Path) -> None:
    load_rows(settings, tmp_path, {
        "products": """
            10,Phone,,100,60.5,2,SKU-10,5,0.2,2023-01-01 00:00:00,true
            11,Laptop,,1000.00,,3,SKU-11,,,2023-01-01T00:00:00Z,0
            12,Cable,,.50,,3,SKU-12,,,2023-01-01T02:00:00+02:00,f
            13,Case,,5.00,,3,SKU-13,,,,
        """,
    })
    assert rejects(db_url) == []
    assert query(db_url, "select product_id, price, cost, is_active, created_at::text from core.products order by 1") == [
        (10, Decimal("100.00"), Decimal("60.50"), True, "2023-01-01 00:00:00+00"),
        (11, Decimal("1000.00"), None, False, "2023-01-01 00:00:00+00"),
        (12, Decimal("0.50"), None, False, "2023-01-01 00:00:00+00"),
        (13, Decimal("5.00"), None, True, None),
    ]


# -- out_of_range ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "row"),
    [
        ("order_items", "1000,100,10,0,100.00,,"),
        ("order_items", "1000,100,10,-1,100.00,,"),
        ("order_items", "1000,100,10,1,-1.00,,"),
        ("order_items", "1000,100,10,1,100.00,-0.01,"),
        ("order_items", "1000,100,10,2,100.00,200.01,"),
        ("products", "12,P,,-0.01,,2,S,,,,"),
        ("orders", "101,1,1999-12-31 23:59:59,Pending,,,,,,,,,,"),
        ("orders", "101,1,2000-01-01 01:00:00+02:00,Pending,,,,,,,,,,"),
        ("orders", "101,1,2999-01-01 00:00:00,Pending,,,,,,,,,,"),
    ],
)
def test_out_of_range(settings: Settings, db_url: str, tmp_path: Path, key: str, row: str) -> None:
    files = {key: row}
    if key == "order_items":
        files["orders"] = "100,1,2024-01-01 00:00:00,Pending,,,,,,,,,,"
    load_rows(settings, tmp_path, files)
    assert rejects(db_url) == [(key, 2, "out_of_range")]


def test_order_date_limits_are_inclusive(settings: Settings, db_url: str, tmp_path: Path) -> None:
    (started,) = query(db_url, "select now() + interval '23 hours'")[0]
    load_rows(settings, tmp_path, {"orders": f"""
        100,1,2000-01-01 00:00:00,Pending,,,,,,,,,,
        101,1,{started:%Y-%m-%d %H:%M:%S},Pending,,,,,,,,,,
    """})
    assert rejects(db_url) == []


def test_discount_equal_to_the_line_is_allowed(settings: Settings, db_url: str, tmp_path: Path) -> None:
    load_rows(settings, tmp_path, {
        "orders": "100,1,2024-01-01 00:00:00,Pending,,,,,,,,,,",
        "order_items": "1000,100,10,2,100.00,200.00,0.00",
    })
    assert rejects(db_url) == []
    assert query(db_url, "select revenue from core.order_items") == [(Decimal("0.00"),)]


# -- bad_value ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "row"),
    [
        ("orders", "100,1,2024-01-01 00:00:00,Lost,,,,,,,,,,"),
        ("orders", "100,1,2024-01-01 00:00:00,Deliver ed,,,,,,,,,,"),
        ("customers", "5,no-at-sign.example.com,A,B,,,,,,,,"),
        ("customers", "5,two@@example.com,A,B,,,,,,,,"),
        ("customers", "5,a@b@example.com,A,B,,,,,,,,"),
        ("customers", "5,nodot@example,A,B,,,,,,,,"),
        ("customers", "5,dot.before@example,A,B,,,,,,,,"),
    ],
)
def test_bad_value(settings: Settings, db_url: str, tmp_path: Path, key: str, row: str) -> None:
    load_rows(settings, tmp_path, {key: row})
    assert rejects(db_url) == [(key, 2, "bad_value")]


def test_status_is_matched_without_case_or_spaces(settings: Settings, db_url: str, tmp_path: Path) -> None:
    load_rows(settings, tmp_path, {"orders": """
        100,1,2024-01-01 00:00:00,  in TRANSIT ,,,,,,,,,,
        101,1,2024-01-01 00:00:00,delivered,,,,,,,,,,
        102,1,2024-01-01 00:00:00,CANCELLED,,,,,,,,,,
    """})
    assert query(db_url, "select order_id, status::text from core.orders order by 1") == [
        (100, "In Transit"), (101, "Delivered"), (102, "Cancelled"),
    ]


# -- inconsistent ------------------------------------------------------------------------------


def test_inconsistent_total(settings: Settings, db_url: str, tmp_path: Path) -> None:
    load_rows(settings, tmp_path, {
        "orders": "100,1,2024-01-01 00:00:00,Pending,,,,,,,,,,",
        "order_items": """
            1000,100,10,2,100.00,10.00,190.01
            1001,100,10,2,100.00,10.00,190.02
            1002,100,10,2,100.00,10.00,189.99
            1003,100,10,2,100.00,10.00,189.98
            1004,100,10,2,100.00,10.00,
        """,
    })
    assert rejects(db_url) == [("order_items", 3, "inconsistent"), ("order_items", 5, "inconsistent")]
    assert query(db_url, "select order_item_id from core.order_items order by 1") == [(1000,), (1002,), (1004,)]


# -- orphan ------------------------------------------------------------------------------------


def test_orphans_of_every_reference(settings: Settings, db_url: str, tmp_path: Path) -> None:
    load_rows(settings, tmp_path, {
        "product_categories": """
            1,Electronics,,,
            2,Phones,,1,
            9,Lost,,77,
        """,
        "products": """
            10,Phone,,100.00,,2,S10,,,,
            12,Nowhere,,1.00,,77,S12,,,,
        """,
        "orders": """
            100,1,2024-01-01 00:00:00,Pending,,,,,,,,,,
            101,99,2024-01-01 00:00:00,Pending,,,,,,,,,,
        """,
        "order_items": """
            1000,100,10,1,100.00,,
            1001,555,10,1,100.00,,
            1002,100,999,1,100.00,,
            1003,101,10,1,100.00,,
        """,
    })
    assert rejects(db_url) == [
        ("order_items", 3, "orphan"),
        ("order_items", 4, "orphan"),
        ("order_items", 5, "orphan"),  # its order was rejected: it is no accepted row
        ("orders", 3, "orphan"),
        ("product_categories", 4, "orphan"),
        ("products", 3, "orphan"),
    ]


def test_references_to_rows_loaded_by_an_earlier_batch(settings: Settings, db_url: str, tmp_path: Path) -> None:
    load_rows(settings, tmp_path, {}, name="first")
    load_rows(settings, tmp_path, {
        "orders": "100,2,2024-01-01 00:00:00,Pending,,,,,,,,,,",
        "order_items": "1000,100,11,1,1000.00,,",
    }, base=False, name="second")
    assert rejects(db_url) == []
    assert query(db_url, "select count(*) from core.order_items") == [(1,)]


def test_a_line_takes_its_order_date_from_the_batch_first(settings: Settings, db_url: str, tmp_path: Path) -> None:
    """A line's order is the batch's own order when the batch delivers it (its order_date may
    have moved), else the order an earlier batch loaded."""
    load_rows(settings, tmp_path, {
        "orders": """
            100,1,2024-01-01 00:00:00,Pending,,,,,,,,,,
            101,1,2024-01-05 00:00:00,Pending,,,,,,,,,,
        """,
        "order_items": "1000,100,10,1,100.00,,",
    }, name="first")
    load_rows(settings, tmp_path, {
        "orders": "100,1,2024-02-01 00:00:00,Pending,,,,,,,,,,",
        "order_items": """
            1001,100,11,1,1000.00,,
            1002,101,10,1,100.00,,
        """,
    }, base=False, name="second")
    assert rejects(db_url) == []
    assert query(db_url, "select order_item_id, order_id, order_date::date::text from core.order_items order by 1") == [
        (1000, 100, "2024-02-01"),  # moved with its order
        (1001, 100, "2024-02-01"),  # the delivered order's new date, not the loaded one's
        (1002, 101, "2024-01-05"),  # an order only an earlier batch delivered
    ]


def test_category_cycles_and_chains(settings: Settings, db_url: str, tmp_path: Path) -> None:
    load_rows(settings, tmp_path, {"product_categories": """
        1,Root,,,
        5,Child of a later line,,6,
        6,Child of root,,1,
        7,Cycle A,,8,
        8,Cycle B,,7,
        9,Below an orphan,,7,
    """, "products": "", "customers": ""})
    assert rejects(db_url) == [
        ("product_categories", 5, "orphan"), ("product_categories", 6, "orphan"), ("product_categories", 7, "orphan"),
    ]
    assert query(db_url, "select category_id from core.product_categories order by 1") == [(1,), (5,), (6,)]


# -- duplicate ---------------------------------------------------------------------------------


def test_duplicate_email_first_holder_keeps_it(settings: Settings, db_url: str, tmp_path: Path) -> None:
    load_rows(settings, tmp_path, {"customers": """
        1,ann@example.com,Ann,A,,,,,,,,
        2,bob@example.com,Bob,B,,,,,,,,
        3, ANN@example.com ,Imposter,I,,,,,,,,
    """}, name="first")
    load_rows(settings, tmp_path, {"customers": """
        4,cy@example.com,Cy,C,,,,,,,,
        5,bob@example.com,Bob again,B,,,,,,,,
        6,cy@example.com,Cy again,C,,,,,,,,
    """}, base=False, name="second")
    # batch 1 line 4 (ann taken by 1), batch 2 line 3 (bob held by 2), batch 2 line 4 (cy: line 2 first)
    assert sorted(rejects(db_url)) == [("customers", 3, "duplicate"), ("customers", 4, "duplicate"), ("customers", 4, "duplicate")]
    assert query(db_url, "select customer_id, email from core.customers order by 1") == [
        (1, "ann@example.com"), (2, "bob@example.com"), (4, "cy@example.com"),
    ]


def test_a_customer_may_take_an_email_another_gives_up_in_the_same_batch(
    settings: Settings, db_url: str, tmp_path: Path
) -> None:
    load_rows(settings, tmp_path, {}, name="first")
    load_rows(settings, tmp_path, {"customers": """
        1,bob@example.com,Ann,A,,,,,,,,
        2,ann@example.com,Bob,B,,,,,,,,
    """}, base=False, name="second")
    assert rejects(db_url) == []
    assert query(db_url, "select customer_id, email from core.customers order by 1") == [
        (1, "bob@example.com"), (2, "ann@example.com"),
    ]
