-- core.orders.revenue is the sum of its lines' revenue (price * quantity - discount), 0 for an
-- order without lines: every sales figure (daily marts, lifetime value) is built from it.
-- The same pass over the orders and their lines also judges order_total_mismatch (warn): the
-- delivered total_amount may differ from the lines' revenue by 0.01 at most (suspicious but
-- loadable, per the data contract: the revenue is always computed from the lines; total_amount
-- is only cross-checked; orders without total_amount are not judged).
-- Batch scope: the touched orders and their lines, in the months the batch touched.
-- severity: error
-- scope: batch
-- also: order_total_mismatch warn Orders whose total_amount is more than 0.01 off their lines' revenue (reported only).
{% from "_scope.sql" import month_ranges, in_range, touched with context %}
{% if whole -%}
-- set: enable_partitionwise_join = on
-- set: enable_partitionwise_aggregate = on
{% endif -%}
with
months as (
    {{ month_ranges() }}
),

orders_with_lines as (
    select r.*
    from months as m
    cross join lateral (
        select
            o.order_id,
            o.order_date,
            o.revenue as order_revenue,
            o.total_amount,
            coalesce(sum(i.revenue), 0) as lines_revenue
        from core.orders as o
        left join core.order_items as i
            on o.order_id = i.order_id and o.order_date = i.order_date and {{ in_range("i") }}
        where {{ in_range("o") }} and {{ touched("o") }}
        group by o.order_id, o.order_date, o.revenue, o.total_amount
    ) as r
)

-- each order once, with the checks it fails (none for almost all of them)
select
    c.check_name,
    o.order_id,
    o.order_date,
    o.order_revenue,
    o.total_amount,
    o.lines_revenue,
    o.total_amount - o.lines_revenue as difference
from orders_with_lines as o
cross join lateral (  -- noqa: ST05
    select 'order_revenue_is_sum_of_lines' as check_name
    where o.order_revenue is distinct from o.lines_revenue
    union all
    select 'order_total_mismatch' as check_name
    where abs(o.total_amount - o.lines_revenue) > 0.01
) as c
