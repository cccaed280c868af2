-- core.order_item_keys agrees with the partitioned core.order_items: every line has a key naming
-- the line's own order and order_date (so no order_item_id sits in two partitions, and a line
-- that moved left no copy behind), and every key names an existing line.
-- Batch scope: the lines of the touched orders in the months the batch touched, and the keys of
-- the lines the batch delivered. A first load (every line delivered) reads
-- both tables whole in one pass: a merge full join of the two primary keys (order_item_id
-- first), which neither hashes nor sorts 20 million rows.
-- severity: error
-- scope: batch
{% from "_scope.sql" import month_ranges, in_range, touched with context %}
{% if whole -%}
-- set: enable_hashjoin = off
select
    coalesce(i.order_item_id, k.order_item_id) as order_item_id,
    k.order_id as key_order_id,
    k.order_date as key_order_date,
    i.order_id,
    i.order_date,
    case
        when k.order_item_id is null then 'no row in core.order_item_keys'
        when i.order_item_id is null then 'no line at the order_date its key names'
        when k.order_id <> i.order_id then 'the key names another order'
        else 'the key names another order_date (a copy left behind, or a stale key)'
    end as problem
from core.order_items as i
full join core.order_item_keys as k on i.order_item_id = k.order_item_id
where (k.order_id, k.order_date) is distinct from (i.order_id, i.order_date)
{% else %}
with
months as (
    {{ month_ranges() }}
),

-- materialized: the key lookups below join the rows once, not once per month
lines_in_scope as materialized (
    select r.*
    from months as m
    cross join lateral (
        select
            i.order_item_id,
            i.order_id,
            i.order_date
        from core.order_items as i
        where {{ in_range("i") }} and {{ touched("i") }}
        -- offset 0 fences the subquery: it runs once per range and is never flattened
        offset 0  -- noqa: AM09
    ) as r
),

line_rows as (
    select
        i.order_item_id,
        ik.order_id as key_order_id,
        ik.order_date as key_order_date,
        i.order_id,
        i.order_date
    from lines_in_scope as i
    left join core.order_item_keys as ik on i.order_item_id = ik.order_item_id
),

keys as (
    select
        ik.order_item_id,
        ik.order_id,
        ik.order_date
    from core.order_item_keys as ik
    where ik.order_item_id in (select c.order_item_id from staging.order_items_changed as c)
)

select
    order_item_id,
    key_order_id,
    key_order_date,
    order_id,
    order_date,
    case
        when key_order_id is null then 'no row in core.order_item_keys'
        when key_order_id <> order_id then 'the key names another order'
        else 'the key names another order_date (a copy left behind, or a stale key)'
    end as problem
from line_rows
where (key_order_id, key_order_date) is distinct from (order_id, order_date)
union all
select
    k.order_item_id,
    k.order_id as key_order_id,
    k.order_date as key_order_date,
    null::bigint as order_id,
    null::timestamptz as order_date,
    'no line at the order_date its key names' as problem
from keys as k
where
    not exists (
        select 1 from lines_in_scope as i
        where i.order_item_id = k.order_item_id and i.order_date = k.order_date
    )
{% endif %}
