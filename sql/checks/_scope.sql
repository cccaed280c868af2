{#- Shared by the checks on orders, order lines and the daily marts (not a check itself: no NN_ prefix).
    Import with context: {% from "_scope.sql" import month_ranges, day_ranges, in_range, mart_days, touched,
    orders_with_written_lines, on_touched_days with context %} -#}

{#- The order_date ranges a check reads: one per UTC month the batch touched (the months of
    staging.touched_days, which holds the current and previous day of every touched order), or
    the whole time line when the check reads whole tables (`whole`: scope all, or a first load,
    whose batch touched every order). A check reads core.orders / core.order_items through a
    lateral subquery over these ranges that the planner cannot flatten (it aggregates, or ends
    with offset 0): it runs once per range and the range's bounds prune every other partition at
    run time, each month being read with hash joins whatever the estimates. -#}
{% macro month_ranges() -%}
{% if not whole -%}
select distinct
        date_trunc('month', d.sales_date::timestamp) at time zone 'UTC' as range_start,
        (date_trunc('month', d.sales_date::timestamp) + interval '1 month') at time zone 'UTC' as range_end
    from staging.touched_days as d
{%- else -%}
select
        '-infinity'::timestamptz as range_start,
        'infinity'::timestamptz as range_end
{%- endif %}
{%- endmacro %}

{#- The order_date ranges of the touched days themselves: one per run of consecutive touched
    days inside one UTC month (so a range never holds more than a month partition's rows), or
    the whole time line as in month_ranges. A check that reads core by these ranges needs no
    further filter on the days, and can read a daily mart by the same range (mart_days). -#}
{% macro day_ranges() -%}
{% if not whole -%}
select
        min(d.sales_date)::timestamp at time zone 'UTC' as range_start,
        (max(d.sales_date) + 1)::timestamp at time zone 'UTC' as range_end
    from (
        select
            t.sales_date,
            -- consecutive days share this date (gaps and islands)
            t.sales_date - (row_number() over (order by t.sales_date))::integer as run_id
        from (select distinct s.sales_date from staging.touched_days as s) as t
    ) as d
    group by d.run_id, date_trunc('month', d.sales_date::timestamp)
{%- else -%}
{{ month_ranges() }}
{%- endif %}
{%- endmacro %}

{#- The rows of a daily mart (keyed by sales_date first) on the days of range m (true when
    reading whole tables). -#}
{% macro mart_days(column) -%}
{% if not whole -%}
{{ column }} >= (m.range_start at time zone 'UTC')::date and {{ column }} < (m.range_end at time zone 'UTC')::date
{%- else -%}
true
{%- endif %}
{%- endmacro %}

{#- The rows of `alias` (core.orders or core.order_items) inside range m. Reading whole tables
    there is one unbounded range, and no condition: the planner then takes each partition's
    size for its rows, where "order_date >= '-infinity' and order_date < 'infinity'" on
    tables without statistics yet (a first load's, before its ANALYZE) made it guess 0.5 % of
    them and probe an index once per row instead of hashing. -#}
{% macro in_range(alias) -%}
{% if not whole -%}
{{ alias }}.order_date >= m.range_start and {{ alias }}.order_date < m.range_end
{%- else -%}
true
{%- endif %}
{%- endmacro %}

{#- The rows of `alias` that belong to an order the batch touched (true when reading whole tables). -#}
{% macro touched(alias) -%}
{% if not whole -%}
{{ alias }}.order_id in (select t.order_id from staging.touched_orders as t)
{%- else -%}
true
{%- endif %}
{%- endmacro %}

{#- The orders whose lines, and the keys of these lines, the batch wrote: an order with a new,
    changed or departed line (stage 38), or one whose order_date moved (stage 37 moves its lines
    and deletes it at its old date). Nothing else writes lines or their keys: an order whose
    status alone changes keeps both as they were, so a check of lines and keys reads only these
    (for the bench's 1 % batch, 50,000 orders instead of 100,000). The first two parts are
    stage 31's staging.relined_orders, derived here again because that table is left empty by a
    first load, whose staging tables `shopetl check --scope batch` may read. A query's own CTE,
    which a batch alone has: whole tables need no list. Not materialized: the planner then knows
    its size and hashes it once for every range. -#}
{% macro orders_with_written_lines() -%}
select c.order_id from staging.order_items_changed as c
    union
    select c.old_order_id from staging.order_items_changed as c
    where c.old_order_id is not null
    union
    select o.order_id from staging.orders_changed as o
    where o.old_order_date <> o.order_date
{%- endmacro %}

{#- The rows of a daily mart (keyed by sales_date first) on the days the batch touched (true when
    reading whole tables). An array rather than a semi join: for the ~1M rows of a bench batch's
    73 days in marts.daily_product_sales (7 % of it) the planner chose a parallel scan of the
    whole table, where the index reads a day's rows, which lie together (correlation 1), four
    times faster (0.6 -> 0.15 s, docs/benchmarks.md). -#}
{% macro on_touched_days(column) -%}
{% if not whole -%}
{{ column }} = any(array(select d.sales_date from staging.touched_days as d))
{%- else -%}
true
{%- endif %}
{%- endmacro %}
