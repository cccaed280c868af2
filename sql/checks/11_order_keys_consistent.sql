-- core.order_keys agrees with the partitioned core.orders: every order row has a key naming
-- the row's own order_date (so no order_id sits in two partitions, and an order the batch moved
-- to another day left no copy behind), and every key names an existing row.
-- One pass: the order rows full join the keys on order_id; a row without key, a key without
-- row, and a row at another date than its key (a copy left behind, or a stale key) each come out
-- as one violating row.
-- Batch scope: the touched orders, in the months the batch touched (one partition at a time),
-- and their keys (by primary key). A first load (every order touched) reads both tables whole.
-- severity: error
-- scope: batch
{% from "_scope.sql" import month_ranges, in_range, touched with context %}
with
{% if whole %}
orders_in_scope as (
    select
        o.order_id,
        o.order_date
    from core.orders as o
),
{% else %}
months as (
    {{ month_ranges() }}
),

-- materialized: the keys are joined with the rows once, not once per month
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
{% endif %}

{% if whole %}
keys as (
    select
        k.order_id,
        k.order_date
    from core.order_keys as k
)
{% else %}
-- one primary-key lookup per touched order (offset 0: never a scan of the whole key table)
keys as (
    select k.*
    from staging.touched_orders as t
    cross join lateral (
        select
            ok.order_id,
            ok.order_date
        from core.order_keys as ok
        where ok.order_id = t.order_id
        offset 0  -- noqa: AM09
    ) as k
)
{% endif %}

select
    coalesce(o.order_id, k.order_id) as order_id,
    k.order_date as key_order_date,
    o.order_date,
    case
        when k.order_id is null then 'no row in core.order_keys'
        when o.order_id is null then 'no order at the order_date its key names'
        else 'the key names another order_date (a copy left behind, or a stale key)'
    end as problem
from orders_in_scope as o
full join keys as k on o.order_id = k.order_id
where o.order_date is distinct from k.order_date
