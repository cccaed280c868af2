{#- Macros for joins of staged rows with the monthly partitions of core.orders and
    core.order_items (not a stage itself: no NN_ prefix). -#}

{#- The order_dates a stage's join can reach, by name: the current dates of the loaded
    orders and lines the batch delivered (stage 31 looks their keys up once) and of the
    touched orders before and after (stages 32 and 42 look them up once); the old dates of
    the changed orders; and for the old versions of the changed lines, after stage
    37 moved the lines of changed orders, their date in stage 31 or their order's new date. -#}
{% set DATES = {
    "delivered_orders": "select k.order_date from staging.orders_known as k",
    "delivered_lines": "select k.order_date from staging.order_items_known as k",
    "changed_lines": "select c.old_order_date as order_date from staging.order_items_changed as c"
        ~ " union all select c.order_date from staging.orders_changed as c",
    "touched_before": "select k.order_date from staging.touched_order_keys_before as k",
    "touched_after": "select k.order_date from staging.touched_order_keys_after as k",
    "changed_orders_old": "select c.old_order_date as order_date from staging.orders_changed as c",
} %}

{#- `column` (the order_date of a partitioned core table) between the earliest and the latest
    of the order_dates DATES[dates]. A join of staged rows on (key, order_date) names no
    month, so the planner, which cannot tell which partitions an index probe per row would
    reach, scans every partition; bounds computed before the scan (init plans) let the
    executor skip each partition outside them, and a batch reads only the months it touches.
    No date: no row. A first load (bulk) joins with empty order tables: no bounds (`true`).
    Import with context. -#}
{% macro within_dates(column, dates) -%}
{%- if bulk -%}
true
{%- else -%}
{{ column }} between (select min(d.order_date) from ({{ DATES[dates] }}) as d)
and (select max(d.order_date) from ({{ DATES[dates] }}) as d)
{%- endif -%}
{%- endmacro %}
