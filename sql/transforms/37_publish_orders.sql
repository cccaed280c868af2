{% from "_partitions.sql" import within_dates with context %}
-- Stage 37: replace the changed orders. An order's date is its partition key, so an order that
-- moves to another date is deleted and inserted again (into its month, whose partition stage 30
-- created), and the lines it keeps from earlier batches move with it; an order that keeps its
-- date (a new status, say) is updated where it is, through the insert's conflict on its key.
-- Kept in place, the row keeps its key: its lines' foreign keys to it are not checked again at
-- commit, nor its own to the customer unless that changed (a deleted and inserted row has both
-- checked, one by one, at commit). Its revenue is the sum of the revenue of its lines after this
-- batch: the batch's new and changed lines plus the loaded lines the batch does not replace
-- (stage 39 does the same for orders that did not change).
delete from core.orders as o
using staging.orders_changed as c
where
    o.order_id = c.order_id and o.order_date = c.old_order_date
    and c.old_order_date <> c.order_date
    and {{ within_dates("o.order_date", "changed_orders_old") }};

-- Lines kept from earlier batches follow their order into its new month.
update core.order_items as i
set order_date = c.order_date
from staging.orders_changed as c
where
    i.order_id = c.order_id
    and i.order_date = c.old_order_date
    and c.old_order_date <> c.order_date
    and {{ within_dates("i.order_date", "changed_orders_old") }};

update core.order_item_keys as k
set order_date = c.order_date
from staging.orders_changed as c
where k.order_id = c.order_id and c.old_order_date <> c.order_date;

insert into core.orders (
    order_id, customer_id, order_date, status, payment_method, shipping_address, shipping_city,
    shipping_state, shipping_zip, shipping_country, processing_date, shipping_date, delivery_date,
    total_amount, revenue, batch_id
)
with
final_lines as (
    select
        n.order_id,
        n.price * n.quantity - n.discount as revenue
    from staging.order_items_changed as n
    union all
    -- the loaded lines, looked up by order_id in the one partition of the order's date (pruned at
    -- run time, offset 0) for these orders only: the planner hashed them after reading every line
    -- of the changed orders' dates (1.3M for a bench batch, whose relined orders are all new)
    select
        i.order_id,
        i.revenue
    from staging.orders_changed as c
    cross join
        lateral (
            select
                x.order_item_id,
                x.order_id,
                x.revenue
            from core.order_items as x
            where x.order_id = c.order_id and x.order_date = c.order_date
            offset 0  -- noqa: AM09
        ) as i
    where
        c.old_order_date is not null
        -- (a loaded order none of whose lines changes keeps its revenue: stage 31)
        and c.order_id in (select r.order_id from staging.relined_orders as r)
        and not exists (
            select 1 from staging.order_items_changed as n
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
    case
        when c.old_order_date is null or c.order_id in (select l.order_id from staging.relined_orders as l)
            then coalesce(r.revenue, 0)
        else c.old_revenue
    end,
    {{ run_id }}
from staging.orders_changed as c
left join order_revenue as r on c.order_id = r.order_id
{%- if not bulk %}
on conflict (order_id, order_date) do update
    set
        customer_id = excluded.customer_id,
        status = excluded.status,
        payment_method = excluded.payment_method,
        shipping_address = excluded.shipping_address,
        shipping_city = excluded.shipping_city,
        shipping_state = excluded.shipping_state,
        shipping_zip = excluded.shipping_zip,
        shipping_country = excluded.shipping_country,
        processing_date = excluded.processing_date,
        shipping_date = excluded.shipping_date,
        delivery_date = excluded.delivery_date,
        total_amount = excluded.total_amount,
        revenue = excluded.revenue,
        batch_id = excluded.batch_id
{%- endif %};

-- A loaded order that moved has its key updated; a new order's key is inserted, plainly: it
-- has none yet, so there is no conflict to look for (a first load inserts into the empty
-- table, whose primary key stage 49 builds).
{%- if not bulk %}
update core.order_keys as k
set order_date = c.order_date
from staging.orders_changed as c
where c.old_order_date is not null and k.order_id = c.order_id and k.order_date <> c.order_date;
{%- endif %}

insert into core.order_keys (order_id, order_date)
select
    order_id,
    order_date
from staging.orders_changed
{%- if not bulk %}
where old_order_date is null
{%- endif %};
