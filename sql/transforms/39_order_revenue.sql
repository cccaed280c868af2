-- Stage 39: order revenue = the sum of its lines' revenue (line revenue = price * quantity -
-- discount), for every touched order; an order without lines has revenue 0.
update core.orders as o
set revenue = coalesce(lines.revenue, 0)
from staging.touched_orders as t
inner join core.order_keys as k on t.order_id = k.order_id
left join (
    select
        i.order_id,
        sum(i.revenue) as revenue
    from staging.touched_orders as touched
    inner join core.order_keys as tk on touched.order_id = tk.order_id
    inner join core.order_items as i on tk.order_id = i.order_id and tk.order_date = i.order_date
    group by i.order_id
) as lines on k.order_id = lines.order_id
where
    o.order_id = k.order_id
    and o.order_date = k.order_date
    and o.revenue is distinct from coalesce(lines.revenue, 0);
