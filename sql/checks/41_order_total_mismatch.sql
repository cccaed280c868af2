-- Orders whose delivered total_amount differs from the sum of their lines' revenue by more than
-- 0.01 (suspicious but loadable, per the data contract: the revenue is always computed from the
-- lines; total_amount is only cross-checked). Orders without total_amount are not judged.
-- Batch scope: the orders the batch touched, each with its lines, in its own partition.
-- severity: warn
-- scope: batch
with
scoped_orders as (
    {% if scope == 'batch' %}
    select
        o.order_id,
        o.order_date,
        o.total_amount
    from (select distinct order_id from staging.touched_orders) as t
    inner join core.order_keys as k on t.order_id = k.order_id
    inner join core.orders as o on k.order_id = o.order_id and k.order_date = o.order_date
    where o.total_amount is not null
    {% else %}
    select
        o.order_id,
        o.order_date,
        o.total_amount
    from core.orders as o
    where o.total_amount is not null
    {% endif %}
),

line_revenue as (
    select
        i.order_id,
        i.order_date,
        sum(i.revenue) as revenue
    from scoped_orders as o
    inner join core.order_items as i on o.order_id = i.order_id and o.order_date = i.order_date
    group by i.order_id, i.order_date
)

select
    o.order_id,
    o.order_date,
    o.total_amount,
    coalesce(l.revenue, 0) as lines_revenue,
    o.total_amount - coalesce(l.revenue, 0) as difference
from scoped_orders as o
left join line_revenue as l on o.order_id = l.order_id and o.order_date = l.order_date
where abs(o.total_amount - coalesce(l.revenue, 0)) > 0.01
