-- No order is dated more than one day after the load that wrote it started (the contract's
-- out_of_range rule, checked again on what was published; an order whose batch is unknown is
-- judged against now()).
-- Batch scope: the touched orders, in the months the batch touched.
-- severity: error
-- scope: batch
{% from "_scope.sql" import month_ranges, in_range, touched with context %}
with
months as (
    {{ month_ranges() }}
)

select r.*
from months as m
cross join lateral (
    select
        o.order_id,
        o.order_date,
        o.batch_id,
        runs.started_at as batch_started_at
    from core.orders as o
    left join etl.runs as runs on o.batch_id = runs.run_id
    where
        {{ in_range("o") }}
        and {{ touched("o") }}
        and o.order_date > coalesce(runs.started_at, now()) + interval '1 day'
    -- offset 0 fences the subquery: it runs once per range and is never flattened
    offset 0  -- noqa: AM09
) as r
