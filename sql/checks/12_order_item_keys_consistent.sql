-- core.order_item_keys agrees with the partitioned core.order_items: every line has a key naming
-- the line's own order and order_date (so no order_item_id sits in two partitions, and a line
-- that moved left no copy behind), and every key names an existing line.
-- One pass: the lines full join their keys on order_item_id; a line without key, a key without
-- line and a line at another order or date than its key each come out as one violating row.
-- Batch scope: the lines of the orders whose lines the batch wrote (orders_with_written_lines in
-- _scope.sql: an order whose status alone changes keeps its lines and their keys), in the months
-- the batch touched, and the keys of these lines and of the lines the batch delivered, looked up
-- one by one through the primary key (never a scan of the whole key table). For the bench's 1 %
-- batch, whose 50,000 status changes keep their dates: 1.11 -> 0.77 s (bench/batch_ab.py).
-- A first load (every line delivered) reads both tables whole: a merge full join of the two
-- primary keys (order_item_id first), which neither hashes nor sorts 20 million rows.
-- severity: error
-- scope: batch
{% from "_scope.sql" import month_ranges, in_range, orders_with_written_lines with context %}
{% if whole -%}
-- set: enable_hashjoin = off
with
lines_in_scope as (
    select
        i.order_item_id,
        i.order_id,
        i.order_date
    from core.order_items as i
),

keys as (
    select
        ik.order_item_id,
        ik.order_id,
        ik.order_date
    from core.order_item_keys as ik
)
{%- else %}
with
months as (
    {{ month_ranges() }}
),

-- the orders whose lines the batch wrote (see _scope.sql)
written_orders as (
    {{ orders_with_written_lines() }}
),

-- materialized: the keys are joined with the lines once, not once per month
lines_in_scope as materialized (
    select r.*
    from months as m
    cross join lateral (
        select
            i.order_item_id,
            i.order_id,
            i.order_date
        from core.order_items as i
        where
            {{ in_range("i") }}
            and i.order_id in (select w.order_id from written_orders as w)
        -- offset 0 fences the subquery: it runs once per range and is never flattened
        offset 0  -- noqa: AM09
    ) as r
),

-- in key order, so that the lookups below walk the primary key of the keys from one end to
-- the other instead of jumping around it
line_ids as (
    select l.order_item_id from lines_in_scope as l
    union
    select c.order_item_id from staging.order_items_changed as c
    order by order_item_id
),

-- one primary-key lookup per line (offset 0: never a hash of the whole key table)
keys as materialized (
    select k.*
    from line_ids as l
    cross join lateral (
        select
            ik.order_item_id,
            ik.order_id,
            ik.order_date
        from core.order_item_keys as ik
        where ik.order_item_id = l.order_item_id
        offset 0  -- noqa: AM09
    ) as k
)
{%- endif %}

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
from lines_in_scope as i
full join keys as k on i.order_item_id = k.order_item_id
where (k.order_id, k.order_date) is distinct from (i.order_id, i.order_date)
