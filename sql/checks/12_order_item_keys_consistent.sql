-- core.order_item_keys agrees with the partitioned core.order_items: every line has exactly one
-- key naming its order and its partition (the order's current order_date), the order's own key
-- names that same date (a line travels with its order), no order_item_id is in two partitions,
-- and a line the batch moved left no copy behind.
-- Batch scope: the lines the batch delivered and the lines of the orders it touched, each
-- looked up in the partition its key names.
-- severity: error
-- scope: batch
{% if scope == 'batch' -%}
with
touched as (
    select c.order_item_id
    from staging.order_items_changed as c
    union
    select i.order_item_id
    from (select distinct order_id from staging.touched_orders) as t
    inner join core.order_keys as k on t.order_id = k.order_id
    inner join core.order_items as i on k.order_id = i.order_id and k.order_date = i.order_date
),

located as (
    select
        t.order_item_id,
        ik.order_id as key_order_id,
        ik.order_date as key_order_date,
        i.order_id,
        i.order_date,
        ok.order_date as order_key_date
    from touched as t
    left join core.order_item_keys as ik on t.order_item_id = ik.order_item_id
    left join core.order_items as i on ik.order_item_id = i.order_item_id and ik.order_date = i.order_date
    left join core.order_keys as ok on ik.order_id = ok.order_id
),

left_behind as (
    select
        c.order_item_id,
        ik.order_id as key_order_id,
        ik.order_date as key_order_date,
        i.order_id,
        i.order_date
    from staging.order_items_changed as c
    inner join core.order_item_keys as ik on c.order_item_id = ik.order_item_id
    inner join core.order_items as i on c.order_item_id = i.order_item_id and c.old_order_date = i.order_date
    where c.old_order_date <> ik.order_date
)

select
    order_item_id,
    key_order_id,
    key_order_date,
    order_id,
    order_date,
    case
        when key_order_id is null then 'no row in core.order_item_keys'
        when order_id is null then 'no line in the partition its key names'
        when order_id <> key_order_id then 'the line belongs to another order than its key says'
        else 'the line is not in its order''s partition (order key: ' || coalesce(order_key_date::text, 'none') || ')'
    end as problem
from located
where
    order_id is null
    or order_id <> key_order_id
    or order_key_date is distinct from key_order_date
union all
select
    order_item_id,
    key_order_id,
    key_order_date,
    order_id,
    order_date,
    'a copy remains at the line''s previous order_date' as problem
from left_behind
{%- else -%}
with
paired as (
    select
        coalesce(ik.order_item_id, i.order_item_id) as order_item_id,
        ik.order_id as key_order_id,
        ik.order_date as key_order_date,
        i.order_id,
        i.order_date
    from core.order_item_keys as ik
    full join core.order_items as i on ik.order_item_id = i.order_item_id and ik.order_date = i.order_date
),

copies as (
    select
        order_item_id,
        count(*) as partitions
    from core.order_items
    group by order_item_id
    having count(*) > 1
)

select
    p.order_item_id,
    p.key_order_id,
    p.key_order_date,
    p.order_id,
    p.order_date,
    case
        when p.key_order_id is null then 'no key at this order_date'
        when p.order_id is null then 'no line in the partition its key names'
        when p.order_id <> p.key_order_id then 'the line belongs to another order than its key says'
        else 'the line is not in its order''s partition'
    end as problem
from paired as p
left join core.order_keys as ok on p.key_order_id = ok.order_id
where
    p.key_order_id is null
    or p.order_id is null
    or p.order_id <> p.key_order_id
    or ok.order_date is distinct from p.key_order_date
union all
select
    order_item_id,
    null::bigint as key_order_id,
    null::timestamptz as key_order_date,
    null::bigint as order_id,
    null::timestamptz as order_date,
    'order_item_id is in ' || partitions || ' partitions' as problem
from copies
{%- endif %}
