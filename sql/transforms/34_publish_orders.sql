-- Stage 34: replace the orders this batch changes. An order's date is its partition key, so
-- a changed order is deleted and inserted again (into its new month, whose partition stage 30
-- created), and the lines it keeps from earlier batches move with it. Its revenue is the sum
-- of the revenue of its lines after this batch: the batch's lines plus the loaded lines the
-- batch does not replace.
drop table if exists staging.orders_changed;
create unlogged table staging.orders_changed as
select
    n.*,
    o.order_date as old_order_date,
    o.customer_id as old_customer_id
from staging.orders_valid as n
left join core.order_keys as k on n.order_id = k.order_id
left join core.orders as o on k.order_id = o.order_id and k.order_date = o.order_date
where
    k.order_id is null
    or (
        o.customer_id, o.order_date, o.status, o.payment_method, o.shipping_address, o.shipping_city,
        o.shipping_state, o.shipping_zip, o.shipping_country, o.processing_date, o.shipping_date,
        o.delivery_date, o.total_amount
    ) is distinct from (
        n.customer_id, n.order_date, n.status, n.payment_method, n.shipping_address, n.shipping_city,
        n.shipping_state, n.shipping_zip, n.shipping_country, n.processing_date, n.shipping_date,
        n.delivery_date, n.total_amount
    );
create unique index on staging.orders_changed (order_id);

-- Every order whose sales may move: its old and its new version (day and customer).
drop table if exists staging.touched_orders;
create unlogged table staging.touched_orders as
select
    order_id,
    old_order_date as order_date,
    old_customer_id as customer_id
from staging.orders_changed
where old_order_date is not null
union
select
    order_id,
    order_date,
    customer_id
from staging.orders_changed;

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

with
final_lines as (
    select
        order_id,
        price * quantity - discount as revenue
    from staging.order_items_valid
    union all
    select
        i.order_id,
        i.revenue
    from core.order_items as i
    inner join staging.orders_changed as c on i.order_id = c.order_id and i.order_date = c.order_date
    where not exists (
        select 1 from staging.order_items_valid as n
        where n.order_item_id = i.order_item_id
    )
),

order_revenue as (
    select
        order_id,
        sum(revenue) as revenue
    from final_lines
    group by order_id
)

insert into core.orders (
    order_id, customer_id, order_date, status, payment_method, shipping_address, shipping_city,
    shipping_state, shipping_zip, shipping_country, processing_date, shipping_date, delivery_date,
    total_amount, revenue, batch_id
)
select
    c.order_id,
    c.customer_id,
    c.order_date,
    c.status,
    c.payment_method,
    c.shipping_address,
    c.shipping_city,
    c.shipping_state,
    c.shipping_zip,
    c.shipping_country,
    c.processing_date,
    c.shipping_date,
    c.delivery_date,
    c.total_amount,
    coalesce(r.revenue, 0),
    {{ run_id }}
from staging.orders_changed as c
left join order_revenue as r on c.order_id = r.order_id;

insert into core.order_keys as k (order_id, order_date)
select
    order_id,
    order_date
from staging.orders_changed
on conflict (
    order_id) do update set order_date = excluded.order_date
where k.order_date <> excluded.order_date;
