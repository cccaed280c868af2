-- Every order references a customer of core.customers (the contract's orphan rule, and the
-- deferred foreign key, which only fires at commit: this check runs before it).
-- Batch scope: the orders the batch touched, each looked up in its own partition.
-- severity: error
-- scope: batch
with
scoped_orders as (
    {% if scope == 'batch' %}
    select
        o.order_id,
        o.order_date,
        o.customer_id
    from (select distinct order_id from staging.touched_orders) as t
    inner join core.order_keys as k on t.order_id = k.order_id
    inner join core.orders as o on k.order_id = o.order_id and k.order_date = o.order_date
    {% else %}
    select
        o.order_id,
        o.order_date,
        o.customer_id
    from core.orders as o
    {% endif %}
)

select
    o.order_id,
    o.order_date,
    o.customer_id
from scoped_orders as o
left join core.customers as c on o.customer_id = c.customer_id
where c.customer_id is null
