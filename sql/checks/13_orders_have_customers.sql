-- Every order references a customer of core.customers (the contract's orphan rule, and the
-- deferred foreign key, which only fires at commit: this check runs before it).
-- Batch scope: the touched orders, in the months the batch touched (one partition at a time).
-- severity: error
-- scope: batch
{% from "_scope.sql" import month_ranges, in_range, touched with context %}
with
months as (
    {{ month_ranges() }}
),

-- materialized: the customer lookup below joins the rows once, not once per month
orders_in_scope as {{ "" if whole else "materialized" }} (
    select r.*
    from months as m
    cross join lateral (
        select
            o.order_id,
            o.order_date,
            o.customer_id
        from core.orders as o
        where {{ in_range("o") }} and {{ touched("o") }}
        -- offset 0 fences the subquery: it runs once per range and is never flattened
        offset 0  -- noqa: AM09
    ) as r
)

select
    o.order_id,
    o.order_date,
    o.customer_id
from orders_in_scope as o
left join core.customers as c on o.customer_id = c.customer_id
where c.customer_id is null
