-- core.orders.revenue is the sum of its lines' revenue (price * quantity - discount), 0 for an
-- order without lines: every sales figure (daily marts, lifetime value) is built from it.
-- Batch scope: the orders the batch touched, each with its lines, in its own partition.
-- severity: error
-- scope: batch
with
scoped_orders as (
    {% if scope == 'batch' %}
    select
        o.order_id,
        o.order_date,
        o.revenue
    from (select distinct order_id from staging.touched_orders) as t
    inner join core.order_keys as k on t.order_id = k.order_id
    inner join core.orders as o on k.order_id = o.order_id and k.order_date = o.order_date
    {% else %}
    select
        o.order_id,
        o.order_date,
        o.revenue
    from core.orders as o
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
    o.revenue as order_revenue,
    coalesce(l.revenue, 0) as lines_revenue
from scoped_orders as o
left join line_revenue as l on o.order_id = l.order_id and o.order_date = l.order_date
where o.revenue is distinct from coalesce(l.revenue, 0)
