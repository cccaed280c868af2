-- Orders whose delivered total_amount differs from the sum of their lines' revenue by more than
-- 0.01 (suspicious but loadable, per the data contract: the revenue is always computed from the
-- lines; total_amount is only cross-checked). Orders without total_amount are not judged.
-- Batch scope: the touched orders and their lines, in the months the batch touched.
-- severity: warn
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
            o.total_amount,
            coalesce(sum(i.revenue), 0) as lines_revenue
        from core.orders as o
        left join core.order_items as i
            on o.order_id = i.order_id and o.order_date = i.order_date and {{ in_range("i") }}
        where {{ in_range("o") }} and {{ touched("o") }} and o.total_amount is not null
        group by o.order_id, o.order_date, o.total_amount
    ) as r
)

select
    order_id,
    order_date,
    total_amount,
    lines_revenue,
    total_amount - lines_revenue as difference
from orders_with_lines
where abs(total_amount - lines_revenue) > 0.01
