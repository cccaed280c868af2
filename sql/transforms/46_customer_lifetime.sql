-- Stage 46: customer lifetime value and the other derived attributes, recomputed for the
-- customers the batch touched (new customers, and the old and new customer of every touched
-- order). Counted orders only; a customer without one has lifetime value 0.
insert into marts.customer_lifetime as t (
    customer_id, lifetime_value, order_count, first_order_at, last_order_at, average_order_value
)
select
    c.customer_id,
    coalesce(sum(o.revenue), 0) as lifetime_value,
    count(o.order_id) as order_count,
    min(o.order_date) as first_order_at,
    max(o.order_date) as last_order_at,
    round(sum(o.revenue) / nullif(count(o.order_id), 0), 2) as average_order_value
from staging.touched_customers as c
inner join core.customers as k on c.customer_id = k.customer_id
left join core.orders as o on c.customer_id = o.customer_id and core.counts_in_sales(o.status)
group by c.customer_id
on conflict (customer_id) do update
    set
        lifetime_value = excluded.lifetime_value,
        order_count = excluded.order_count,
        first_order_at = excluded.first_order_at,
        last_order_at = excluded.last_order_at,
        average_order_value = excluded.average_order_value;
