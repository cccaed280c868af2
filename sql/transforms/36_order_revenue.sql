-- Stage 36: order revenue = the sum of its lines' revenue, for the orders whose lines changed
-- in this batch while the order itself did not (changed orders got theirs in stage 34).
update core.orders as o
set revenue = coalesce(lines.revenue, 0)
from (
    select
        t.order_id,
        t.order_date
    from staging.touched_orders as t
    where not exists (
        select 1 from staging.orders_changed as c
        where c.order_id = t.order_id
    )
) as unchanged
left join (
    select
        i.order_id,
        i.order_date,
        sum(i.revenue) as revenue
    from core.order_items as i
    inner join staging.touched_orders as touched
        on i.order_id = touched.order_id and i.order_date = touched.order_date
    group by i.order_id, i.order_date
) as lines on unchanged.order_id = lines.order_id and unchanged.order_date = lines.order_date
where
    o.order_id = unchanged.order_id
    and o.order_date = unchanged.order_date
    and o.revenue is distinct from coalesce(lines.revenue, 0);
