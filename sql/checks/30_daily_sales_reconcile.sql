-- marts.daily_sales agrees with core: for every UTC day, its units, orders and revenue are those
-- of the counted orders placed that day (status not Cancelled/Returned; revenue = the sum of
-- the orders' revenue, units = the sum of their lines' quantity); a day with a counted order
-- has a row, a day without has none.
-- Batch scope: the days the batch touched (staging.touched_days). core.orders and
-- core.order_items are read one month partition per touched month: the lateral subquery runs
-- once per month and its order_date bounds prune every other partition at run time.
-- severity: error
-- scope: batch
{% from "_scope.sql" import month_ranges, in_range, on_touched_days with context %}
{% if whole -%}
-- set: enable_partitionwise_join = on
-- set: enable_partitionwise_aggregate = on
{% endif -%}
with
months as (
    {{ month_ranges() }}
),

-- one pass per month: each counted order with the units of its lines, then per day
expected as (
    select c.*
    from months as m
    cross join lateral (  -- noqa: ST05
        select
            d.sales_date,
            coalesce(sum(d.units), 0) as units,
            count(*) as orders,
            sum(d.revenue) as revenue
        from (
            select
                (o.order_date at time zone 'UTC')::date as sales_date,
                o.revenue,
                sum(i.quantity) as units
            from core.orders as o
            left join core.order_items as i
                on o.order_id = i.order_id and o.order_date = i.order_date and {{ in_range("i") }}
            where
                {{ in_range("o") }}
                and core.counts_in_sales(o.status)
            group by o.order_id, o.order_date, o.revenue
        ) as d
        {% if not whole %}
        where d.sales_date in (select t.sales_date from staging.touched_days as t)
        {% endif %}
        group by d.sales_date
    ) as c
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
