-- The data is fresh: the newest order_date is no more than freshness_hours (default 48) before
-- the reference time: the run's start, or now() without a run. No order at all also warns.
-- Reads only the newest partitions: the newest counted day of marts.daily_sales (its primary
-- key) bounds the scan of core.orders from below, pruning the older partitions at run time.
-- severity: warn
-- scope: table
with
judged_run as (
    select r.started_at
    from etl.runs as r
    where r.run_id = {{ run_id | lit }}
),

reference as (
    select coalesce((select j.started_at from judged_run as j), now()) as at_time
),

newest_day as (
    select coalesce(max(s.sales_date)::timestamp at time zone 'UTC', '-infinity') as lower_bound
    from marts.daily_sales as s
),

newest as (
    select max(o.order_date) as newest_order_date
    from core.orders as o
    where o.order_date >= (select d.lower_bound from newest_day as d)
)

select
    n.newest_order_date,
    r.at_time as reference_time,
    r.at_time - n.newest_order_date as age,
    {{ freshness_hours | lit }} as freshness_hours
from newest as n
cross join reference as r
where
    n.newest_order_date is null
    or n.newest_order_date < r.at_time - interval '1 hour' * {{ freshness_hours | lit }}
