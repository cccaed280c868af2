-- marts.daily_sales agrees with core: for every UTC day, its orders and revenue are those of the
-- counted orders placed that day (status not Cancelled/Returned; revenue = the sum of the orders'
-- revenue); a day with a counted order has a row, a day without has none. Its units are the
-- day's units in marts.daily_product_sales, which daily_product_sales_reconcile holds to the
-- quantities of core's lines in the same run: the lines are read once, by that check, not by
-- both (a bench batch: 0.77 -> 0.33 s, docs/benchmarks.md).
-- Batch scope: the days the batch touched (staging.touched_days). core.orders is read one month
-- partition per touched month: the lateral subquery runs once per month and its order_date
-- bounds prune every other partition at run time.
-- severity: error
-- scope: batch
{% from "_scope.sql" import month_ranges, in_range, on_touched_days with context %}
{% if whole -%}
-- set: enable_partitionwise_aggregate = on
{% endif -%}
with
months as (
    {{ month_ranges() }}
),

-- the counted orders per day, one pass per month
counted as (
    select c.*
    from months as m
    cross join lateral (
        select
            (o.order_date at time zone 'UTC')::date as sales_date,
            count(*) as orders,
            sum(o.revenue) as revenue
        from core.orders as o
        where
            {{ in_range("o") }}
            and core.counts_in_sales(o.status)
            {% if not whole %}
            and (o.order_date at time zone 'UTC')::date in (select t.sales_date from staging.touched_days as t)
            {% endif %}
        group by (o.order_date at time zone 'UTC')::date
    ) as c
),

units as (
    select
        s.sales_date,
        sum(s.units) as units
    from marts.daily_product_sales as s
    where {{ on_touched_days("s.sales_date") }}
    group by s.sales_date
),

-- a counted order without lines adds to the day's orders, not to its units
expected as (
    select
        c.sales_date,
        coalesce(u.units, 0) as units,
        c.orders,
        c.revenue
    from counted as c
    left join units as u on c.sales_date = u.sales_date
),

published as (
    select
        s.sales_date,
        s.units,
        s.orders,
        s.revenue
    from marts.daily_sales as s
    where {{ on_touched_days("s.sales_date") }}
)

select
    coalesce(e.sales_date, p.sales_date) as sales_date,
    e.units as expected_units,
    p.units as published_units,
    e.orders as expected_orders,
    p.orders as published_orders,
    e.revenue as expected_revenue,
    p.revenue as published_revenue
from expected as e
full join published as p on e.sales_date = p.sales_date
where (e.units, e.orders, e.revenue) is distinct from (p.units, p.orders, p.revenue)
