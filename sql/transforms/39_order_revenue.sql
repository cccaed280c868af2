-- Stage 39: order revenue = the sum of its lines' revenue (line revenue = price * quantity -
-- discount), for the orders that gained or lost a line in this batch while the order itself did
-- not change (changed orders got theirs in stage 37); an order without lines has revenue 0.
update core.orders as o
set revenue = coalesce(lines.revenue, 0)
from (
    select
        t.order_id,
        k.order_date
    from staging.touched_orders as t
    inner join core.order_keys as k on t.order_id = k.order_id
    where not exists (
        select 1 from staging.orders_changed as c
        where c.order_id = t.order_id
    )
) as unchanged
left join (
    select
        i.order_id,
        sum(i.revenue) as revenue
    from staging.touched_orders as touched
    inner join core.order_keys as tk on touched.order_id = tk.order_id
    inner join core.order_items as i on tk.order_id = i.order_id and tk.order_date = i.order_date
    where
        not exists (
            select 1 from staging.orders_changed as c2
            where c2.order_id = touched.order_id
        )
    group by i.order_id
) as lines on unchanged.order_id = lines.order_id
where
    o.order_id = unchanged.order_id
    and o.order_date = unchanged.order_date
    and o.revenue is distinct from coalesce(lines.revenue, 0);
