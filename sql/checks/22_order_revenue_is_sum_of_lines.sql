-- core.orders.revenue is the sum of its lines' revenue (price * quantity - discount), 0 for an
-- order without lines: every sales figure (daily marts, lifetime value) is built from it.
-- Batch scope: the touched orders and their lines, in the months the batch touched.
-- severity: error
-- scope: batch
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
            coalesce(sum(i.revenue), 0) as lines_revenue
        from core.orders as o
        left join core.order_items as i
            on o.order_id = i.order_id and o.order_date = i.order_date and {{ in_range("i") }}
        where {{ in_range("o") }} and {{ touched("o") }}
        group by o.order_id, o.order_date, o.revenue
    ) as r
)

select
    order_id,
    order_date,
    order_revenue,
    lines_revenue
from orders_with_lines
where order_revenue is distinct from lines_revenue
