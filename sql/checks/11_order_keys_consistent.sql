-- core.order_keys agrees with the partitioned core.orders: every order row has a key naming
-- the row's own order_date (so no order_id sits in two partitions, and an order the batch moved
-- to another day left no copy behind), and every key names an existing row.
-- Batch scope: the touched orders, in the months the batch touched (one partition at a time).
-- severity: error
-- scope: batch
{% from "_scope.sql" import month_ranges, in_range, touched with context %}
with
months as (
    {{ month_ranges() }}
),

-- materialized: the key lookups below join the rows once, not once per month
orders_in_scope as materialized (
    select r.*
    from months as m
    cross join lateral (
        select
            o.order_id,
            o.order_date
        from core.orders as o
        where {{ in_range("o") }} and {{ touched("o") }}
        -- offset 0 fences the subquery: it runs once per range and is never flattened
        offset 0  -- noqa: AM09
    ) as r
),

order_rows as (
    select
        o.order_id,
        k.order_date as key_order_date,
        o.order_date
    from orders_in_scope as o
    left join core.order_keys as k on o.order_id = k.order_id
),

keys as (
    select
        k.order_id,
        k.order_date
    from core.order_keys as k
    {% if scope == 'batch' %}
    where k.order_id in (select t.order_id from staging.touched_orders as t)
    {% endif %}
)

select
    order_id,
    key_order_date,
    order_date,
    case
        when key_order_date is null then 'no row in core.order_keys'
        else 'the key names another order_date (a copy left behind, or a stale key)'
    end as problem
from order_rows
where key_order_date is distinct from order_date
union all
select
    k.order_id,
    k.order_date as key_order_date,
    null::timestamptz as order_date,
    'no order at the order_date its key names' as problem
from keys as k
where not exists (
    select 1 from orders_in_scope as o
    where o.order_id = k.order_id and o.order_date = k.order_date
)
