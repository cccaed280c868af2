-- No order is dated more than one day after the load that wrote it started (the contract's
-- out_of_range rule, checked again on what was published; an order whose batch is unknown is
-- judged against now()).
-- Batch scope: the orders the batch touched.
-- severity: error
-- scope: batch
with
scoped_orders as (
    {% if scope == 'batch' %}
    select
        o.order_id,
        o.order_date,
        o.batch_id
    from (select distinct order_id from staging.touched_orders) as t
    inner join core.order_keys as k on t.order_id = k.order_id
    inner join core.orders as o on k.order_id = o.order_id and k.order_date = o.order_date
    {% else %}
    select
        o.order_id,
        o.order_date,
        o.batch_id
    from core.orders as o
    {% endif %}
)

select
    o.order_id,
    o.order_date,
    o.batch_id,
    r.started_at as batch_started_at
from scoped_orders as o
left join etl.runs as r on o.batch_id = r.run_id
where o.order_date > coalesce(r.started_at, now()) + interval '1 day'
