-- marts.customer_lifetime agrees with core: per customer, lifetime_value = the sum of the revenue
-- of their counted orders, order_count = their number, first/last_order_at = their first and
-- last order_date, average_order_value = lifetime_value / order_count (2 places). A customer
-- with a counted order has a row; one without has none or a row of zeros.
-- Batch scope: the customers the batch touched (staging.touched_customers: new customers and the
-- old and new customer of every touched order); their orders are found through the customer
-- index of each partition or by one scan, as the planner judges (a customer's orders span all
-- months, so no partition is pruned). Whole tables (scope all, a first load): one aggregate of
-- the counted orders per customer, full joined with the mart.
-- severity: error
-- scope: batch
{% if whole %}
-- whole tables: the counted orders per customer in one aggregate, full joined with the mart (a
-- mart row without counted orders must be zeros)
with
expected as (
    select
        o.customer_id,
        sum(o.revenue) as lifetime_value,
        count(*) as order_count,
        min(o.order_date) as first_order_at,
        max(o.order_date) as last_order_at,
        round(sum(o.revenue) / count(*), 2) as average_order_value
    from core.orders as o
    where core.counts_in_sales(o.status)
    group by o.customer_id
)
{% else %}
with
customers as (
    select distinct t.customer_id from staging.touched_customers as t
),

expected as (
    select
        c.customer_id,
        coalesce(sum(o.revenue), 0) as lifetime_value,
        count(o.order_id) as order_count,
        min(o.order_date) as first_order_at,
        max(o.order_date) as last_order_at,
        round(sum(o.revenue) / nullif(count(o.order_id), 0), 2) as average_order_value
    from customers as c
    left join core.orders as o on c.customer_id = o.customer_id and core.counts_in_sales(o.status)
    group by c.customer_id
)
{% endif %}

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
