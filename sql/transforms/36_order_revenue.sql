-- Stage 36: order revenue = the sum of its lines' revenue, for the orders whose lines changed
-- in this batch while the order itself did not (changed orders got theirs in stage 34).
update core.orders as o
set revenue = coalesce(lines.revenue, 0)
from staging.touched_orders as t
left join lateral (
    select sum(i.revenue) as revenue
    from core.order_items as i
    where i.order_id = t.order_id and i.order_date = t.order_date
) as lines on true
where
    o.order_id = t.order_id
    and o.order_date = t.order_date
    and not exists (select 1 from staging.orders_changed as c where c.order_id = t.order_id)
    and o.revenue is distinct from coalesce(lines.revenue, 0);
