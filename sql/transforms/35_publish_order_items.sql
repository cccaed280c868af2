-- Stage 35: replace the order lines this batch changes. A replaced line is replaced whole:
-- its old version is deleted wherever it was (found through core.order_item_keys) and the new
-- one inserted into its order's month.
drop table if exists staging.order_items_changed;
create unlogged table staging.order_items_changed as
select
    n.*,
    k.order_id as old_order_id,
    k.order_date as old_order_date
from staging.order_items_valid as n
left join core.order_item_keys as k on n.order_item_id = k.order_item_id
left join core.order_items as i on k.order_item_id = i.order_item_id and k.order_date = i.order_date
where
    k.order_item_id is null
    or (i.order_id, i.order_date, i.product_id, i.quantity, i.price, i.discount, i.total)
    is distinct from (n.order_id, n.order_date, n.product_id, n.quantity, n.price, n.discount, n.total);

delete from core.order_items as i
using staging.order_items_changed as c
where i.order_item_id = c.order_item_id and i.order_date = c.old_order_date;

insert into core.order_items (
    order_item_id, order_id, order_date, product_id, quantity, price, discount, total, batch_id
)
select
    order_item_id,
    order_id,
    order_date,
    product_id,
    quantity,
    price,
    discount,
    total,
    {{ run_id }}
from staging.order_items_changed;

insert into core.order_item_keys as k (order_item_id, order_id, order_date)
select
    order_item_id,
    order_id,
    order_date
from staging.order_items_changed
on conflict (order_item_id) do update
    set order_id = excluded.order_id, order_date = excluded.order_date;

-- Orders that lost or gained a line: their revenue and their sales day and customer move.
insert into staging.touched_orders (order_id, order_date, customer_id)
select
    o.order_id,
    o.order_date,
    o.customer_id
from (
    select old_order_id as order_id from staging.order_items_changed
    where old_order_id is not null
    union
    select order_id from staging.order_items_changed
) as affected
inner join core.order_keys as k on affected.order_id = k.order_id
inner join core.orders as o on k.order_id = o.order_id and k.order_date = o.order_date
where not exists (
    select 1 from staging.touched_orders as t
    where t.order_id = o.order_id
);
