-- marts.customer_lifetime agrees with core: per customer, lifetime_value = the sum of the revenue
-- of their counted orders, order_count = their number, first/last_order_at = their first and
-- last order_date, average_order_value = lifetime_value / order_count (2 places). A customer
-- with a counted order has a row; one without has none or a row of zeros.
-- Batch scope: the customers the batch touched (staging.touched_customers: new customers and the
-- old and new customer of every touched order). A customer's orders span all months, so no
-- partition is pruned: every partition is scanned once, on both cores, for the orders of these
-- customers (at full size ~0.5M of 4.7M), which are then summed per customer. Whole tables
-- (scope all, a first load): one aggregate of the counted orders per customer, full joined with
-- the mart.
-- severity: error
-- scope: batch
{% if not whole %}
-- The scan and the semi-join run in parallel workers once the planner counts a worker's rows
-- as cheap to hand over (by itself it hashed 4.7M orders on one core: 2.2-2.6 s against
-- 1.4-1.8 s at full size).
-- set: parallel_setup_cost = 0
-- set: parallel_tuple_cost = 0.01
{% endif %}
with
-- the counted orders per customer (of the touched customers in a batch) in one aggregate
counted_orders as (
    select
        o.customer_id,
        sum(o.revenue) as revenue,
        count(*) as orders,
        min(o.order_date) as first_order_at,
        max(o.order_date) as last_order_at
    from core.orders as o
    {% if whole %}
    where core.counts_in_sales(o.status)
    {% else %}
    where
        core.counts_in_sales(o.status)
        and o.customer_id in (select t.customer_id from staging.touched_customers as t)
    {% endif %}
    group by o.customer_id
),

-- whole tables: full joined with the mart below (a mart row without counted orders must be
-- zeros); a batch: every touched customer, with or without counted orders
expected as (
    select
        {{ "s" if whole else "c" }}.customer_id,
        coalesce(s.revenue, 0) as lifetime_value,
        coalesce(s.orders, 0) as order_count,
        s.first_order_at,
        s.last_order_at,
        round(s.revenue / s.orders, 2) as average_order_value
    {% if whole %}
    from counted_orders as s
    {% else %}
    from (select distinct t.customer_id from staging.touched_customers as t) as c
    left join counted_orders as s on c.customer_id = s.customer_id
    {% endif %}
)

select
    coalesce(e.customer_id, p.customer_id) as customer_id,
    coalesce(e.lifetime_value, 0) as expected_lifetime_value,
    p.lifetime_value as published_lifetime_value,
    coalesce(e.order_count, 0) as expected_order_count,
    p.order_count as published_order_count,
    e.first_order_at as expected_first_order_at,
    p.first_order_at as published_first_order_at,
    e.last_order_at as expected_last_order_at,
    p.last_order_at as published_last_order_at,
    e.average_order_value as expected_average_order_value,
    p.average_order_value as published_average_order_value
from expected as e
{{ "full" if whole else "left" }} join marts.customer_lifetime as p on e.customer_id = p.customer_id
where
    (p.customer_id is null and e.order_count > 0)
    or (
        p.customer_id is not null
        and (
            coalesce(e.lifetime_value, 0), coalesce(e.order_count, 0), e.first_order_at, e.last_order_at,
            e.average_order_value
        )
        is distinct from
        (p.lifetime_value, p.order_count, p.first_order_at, p.last_order_at, p.average_order_value)
    )
