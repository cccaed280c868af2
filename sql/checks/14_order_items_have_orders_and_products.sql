-- Every order line references an order at the line's own (order_id, order_date), i.e. in the
-- same partition, and a product of core.products (the deferred foreign keys fire only at
-- commit: this check runs before it).
-- Batch scope: the lines the batch delivered and the lines of the orders it touched.
-- severity: error
-- scope: batch
with
scoped_lines as (
    {% if scope == 'batch' %}
    select
        i.order_item_id,
        i.order_id,
        i.order_date,
        i.product_id
    from staging.order_items_changed as c
    inner join core.order_item_keys as ik on c.order_item_id = ik.order_item_id
    inner join core.order_items as i on ik.order_item_id = i.order_item_id and ik.order_date = i.order_date
    union
    select
        i.order_item_id,
        i.order_id,
        i.order_date,
        i.product_id
    from (select distinct order_id from staging.touched_orders) as t
    inner join core.order_keys as k on t.order_id = k.order_id
    inner join core.order_items as i on k.order_id = i.order_id and k.order_date = i.order_date
    {% else %}
    select
        i.order_item_id,
        i.order_id,
        i.order_date,
        i.product_id
    from core.order_items as i
    {% endif %}
)

select
    i.order_item_id,
    i.order_id,
    i.order_date,
    i.product_id,
    case
        when o.order_id is null then 'no order at (order_id, order_date)'
        else 'product_id is no product'
    end as problem
from scoped_lines as i
left join core.orders as o on i.order_id = o.order_id and i.order_date = o.order_date
left join core.products as p on i.product_id = p.product_id
where o.order_id is null or p.product_id is null
