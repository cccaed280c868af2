-- core.order_keys agrees with the partitioned core.orders: every order has exactly one key,
-- the key holds the order's current order_date (its partition), no order_id appears in two
-- partitions, and an order that the batch moved to another day left no copy behind.
-- Batch scope: the orders the batch touched, each looked up in the partition its key names.
-- severity: error
-- scope: batch
{% if scope == 'batch' -%}
with
touched as (
    select distinct order_id from staging.touched_orders
),

located as (
    select
        t.order_id,
        k.order_date as key_order_date,
        o.order_date
    from touched as t
    left join core.order_keys as k on t.order_id = k.order_id
    left join core.orders as o on k.order_id = o.order_id and k.order_date = o.order_date
),

left_behind as (
    select
        c.order_id,
        k.order_date as key_order_date,
        o.order_date
    from staging.orders_changed as c
    inner join core.order_keys as k on c.order_id = k.order_id
    inner join core.orders as o on c.order_id = o.order_id and c.old_order_date = o.order_date
    where c.old_order_date <> k.order_date
)

select
    order_id,
    key_order_date,
    order_date,
    case
        when key_order_date is null then 'no row in core.order_keys'
        else 'no order in the partition its key names'
    end as problem
from located
where order_date is null
union all
select
    order_id,
    key_order_date,
    order_date,
    'a copy remains at the order''s previous order_date' as problem
from left_behind
{%- else -%}
with
paired as (
    select
        coalesce(k.order_id, o.order_id) as order_id,
        k.order_date as key_order_date,
        o.order_date
    from core.order_keys as k
    full join core.orders as o on k.order_id = o.order_id and k.order_date = o.order_date
),

copies as (
    select
        order_id,
        count(*) as partitions
    from core.orders
    group by order_id
    having count(*) > 1
)

select
    order_id,
    key_order_date,
    order_date,
    case
        when key_order_date is null then 'no key at this order_date'
        else 'no order in the partition its key names'
    end as problem
from paired
where key_order_date is null or order_date is null
union all
select
    order_id,
    null::timestamptz as key_order_date,
    null::timestamptz as order_date,
    'order_id is in ' || partitions || ' partitions' as problem
from copies
{%- endif %}
