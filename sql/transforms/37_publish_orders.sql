-- Stage 37: replace the changed orders. An order's date is its partition key, so a changed
-- order is deleted and inserted again (into its month, whose partition stage 30 created),
-- and the lines it keeps from earlier batches move with it. Its revenue is set in stage 39.
delete from core.orders as o
using staging.orders_changed as c
where o.order_id = c.order_id and o.order_date = c.old_order_date;

-- Lines kept from earlier batches follow their order into its new month.
update core.order_items as i
set order_date = c.order_date
from staging.orders_changed as c
where
    i.order_id = c.order_id
    and i.order_date = c.old_order_date
    and c.old_order_date <> c.order_date;

update core.order_item_keys as k
set order_date = c.order_date
from staging.orders_changed as c
where k.order_id = c.order_id and c.old_order_date <> c.order_date;

insert into core.orders (
    order_id, customer_id, order_date, status, payment_method, shipping_address, shipping_city,
    shipping_state, shipping_zip, shipping_country, processing_date, shipping_date, delivery_date,
    total_amount, batch_id
)
select
    order_id,
    customer_id,
    order_date,
    status,
    payment_method,
    shipping_address,
    shipping_city,
    shipping_state,
    shipping_zip,
    shipping_country,
    processing_date,
    shipping_date,
    delivery_date,
    total_amount,
    {{ run_id }}
from staging.orders_changed;

insert into core.order_keys as k (order_id, order_date)
select
    order_id,
    order_date
from staging.orders_changed
on conflict (
    order_id) do update set order_date = excluded.order_date
where k.order_date <> excluded.order_date;
