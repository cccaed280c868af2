"""Jinja context for sqlfluff: the same filters the orchestrator renders with, and sample values
for the variables the stages receive (so the linter sees SQL shaped like a real run)."""

from types import SimpleNamespace

from shopetl.render import sql_ident, sql_literal

SQLFLUFF_JINJA_FILTERS = {"lit": sql_literal, "ident": sql_ident}

_CONTRACT = {
    "product_categories": ["category_id", "name", "description", "parent_id", "created_at"],
    "products": ["product_id", "name", "description", "price", "cost", "category_id", "sku", "inventory_count",
                 "weight", "created_at", "is_active"],
    "customers": ["customer_id", "email", "first_name", "last_name", "street_address", "city", "state", "zip_code",
                  "country", "phone", "registration_date", "last_login"],
    "orders": ["order_id", "customer_id", "order_date", "status", "payment_method", "shipping_address",
               "shipping_city", "shipping_state", "shipping_zip", "shipping_country", "processing_date",
               "shipping_date", "delivery_date", "total_amount"],
    "order_items": ["order_item_id", "order_id", "product_id", "quantity", "price", "discount", "total"],
}

files = {
    k: SimpleNamespace(key=k, file_name=f"{k}.csv", columns=v, table_columns=v, absent=[])
    for k, v in _CONTRACT.items()
}
header = _CONTRACT["orders"]
columns = _CONTRACT["orders"]

# sql/checks: the data-quality checks are linted as they run inside a load (scope "batch");
# tests render them with scope "all" too.
scope = "batch"
warn_reject_share = 0.01
freshness_hours = 48
last_run_max_hours = 26

bulk = False
