-- marts.daily_product_sales agrees with core: for every UTC day and product, units = the sum of
-- the quantity, orders = the distinct counted orders, revenue = the sum of the line revenue of
-- that product's lines in the counted orders placed that day; no row without such a line.
-- Batch scope: the days the batch touched, one run of consecutive touched days of one month at a
-- time (day_ranges): its lines summed per day and product come out sorted, and meet the mart's
-- rows of the same days, read in key order, in a merge join (a bench batch's 73 days, 1.07M
-- product-days: 2.4 -> 1.8 s against one hash join of all of them, docs/benchmarks.md).
-- severity: error
-- scope: batch
{% from "_scope.sql" import day_ranges, in_range, mart_days with context %}
{% if whole -%}
-- Whole tables: orders and lines hash-joined month by month on both cores (before a first
-- load's ANALYZE the planner would otherwise merge or loop over index probes, docs/checks.md).
-- set: enable_partitionwise_join = on
-- set: enable_partitionwise_aggregate = on
-- set: enable_mergejoin = off
-- set: enable_nestloop = off
{% endif -%}
with
ranges as (
    {{ day_ranges() }}
)

select c.*
from ranges as m
cross join lateral (  -- noqa: ST05
    select
        coalesce(e.sales_date, p.sales_date) as sales_date,
        coalesce(e.product_id, p.product_id) as product_id,
        e.units as expected_units,
        p.units as published_units,
        e.orders as expected_orders,
        p.orders as published_orders,
        e.revenue as expected_revenue,
        p.revenue as published_revenue
    from (
        select
            (o.order_date at time zone 'UTC')::date as sales_date,
            i.product_id,
            sum(i.quantity) as units,
            count(distinct o.order_id) as orders,
            sum(i.revenue) as revenue
        from core.orders as o
        inner join core.order_items as i on o.order_id = i.order_id and o.order_date = i.order_date
        where
            {{ in_range("o") }}
            and {{ in_range("i") }}
            and core.counts_in_sales(o.status)
        group by (o.order_date at time zone 'UTC')::date, i.product_id
    ) as e
    full join (
        select
            s.sales_date,
            s.product_id,
            s.units,
            s.orders,
            s.revenue
        from marts.daily_product_sales as s
        where {{ mart_days("s.sales_date") }}
    ) as p on e.sales_date = p.sales_date and e.product_id = p.product_id
    where (e.units, e.orders, e.revenue) is distinct from (p.units, p.orders, p.revenue)
) as c
