-- Stage 55 (a first load only, after its commit): vacuum and freeze every table the load filled.
-- A first load writes 26M rows that no transaction has yet seen committed. Left as they are,
-- autovacuum vacuums them in the minutes after the load, throttled, and with data checksums (the
-- default since PostgreSQL 18) writes a full-page image of nearly every page it marks visible,
-- while the next batch or the API runs beside it (docs/benchmarks.md measures it). Done here,
-- unthrottled, while the pages are still in memory: the visibility map is set (index-only scans,
-- cheaper scans), the rows are frozen (no anti-wraparound vacuum of the whole history later), and
-- autovacuum then only sees what later batches change. A batch leaves vacuum to autovacuum.
-- One statement: VACUUM cannot run in a transaction block, so it cannot be split into a script.
-- The list is every table and materialized view of core and marts (a test keeps it complete);
-- the partitioned orders and their lines are vacuumed partition by partition.
vacuum (freeze)
core.product_categories,
core.products,
core.customers,
core.orders,
core.order_items,
core.order_keys,
core.order_item_keys,
marts.category_closure,
marts.daily_product_sales,
marts.monthly_product_sales,
marts.daily_category_sales,
marts.daily_sales,
marts.customer_lifetime,
marts.dim_date,
marts.product_sales_totals,
marts.monthly_category_sales;
