-- Stage 47: customer lifetime value (sum of the revenue of counted orders), counted orders,
-- first and last counted order, average order value, for the customers the batch touched
-- (new customers, and the old and new customer of every touched order); a customer without a
-- counted order has lifetime value 0. A first load aggregates every counted order; a later
-- batch moves each figure by the touched orders' difference (stages 32 and 42), and looks up
-- the customer's orders only for a first or last counted order the batch took away (the
-- nearest counted one, month by month: bound_walk).
insert into marts.customer_lifetime as t (
    customer_id, lifetime_value, order_count, first_order_at, last_order_at, average_order_value
)
{%- if bulk %}
select
    k.customer_id,
    coalesce(sum(o.revenue), 0) as lifetime_value,
    count(o.order_id) as order_count,
    min(o.order_date) as first_order_at,
    max(o.order_date) as last_order_at,
    round(sum(o.revenue) / nullif(count(o.order_id), 0), 2) as average_order_value
from core.customers as k
left join staging.touched_counted_orders_after as o on k.customer_id = o.customer_id
where k.customer_id in (select tc.customer_id from staging.touched_customers as tc)
group by k.customer_id
{%- else %}
with recursive
before_orders as (
    select
        customer_id,
        sum(revenue) as revenue,
        count(*) as orders
    from staging.touched_counted_orders_before
    group by customer_id
),

after_orders as (
    select
        customer_id,
        sum(revenue) as revenue,
        count(*) as orders,
        min(order_date) as first_at,
        max(order_date) as last_at
    from staging.touched_counted_orders_after
    group by customer_id
),

-- counted orders the batch took away (cancelled, moved to another day or customer, ...)
removed as (
    select
        b.customer_id,
        b.order_date
    from staging.touched_counted_orders_before as b
    where not exists (
        select 1 from staging.touched_counted_orders_after as a
        where a.order_id = b.order_id and a.order_date = b.order_date and a.customer_id = b.customer_id
    )
),

-- the customers whose figures can move: those of a counted touched order, before or after, and
-- the new ones (who get their first row); not every touched customer (an order whose sales
-- cannot move, stage 31, leaves its customer as it was): half of a bench batch's 110k
current_figures as (
    select
        c.customer_id,
        m.customer_id is null as is_new,
        coalesce(m.lifetime_value, 0) as lifetime_value,
        coalesce(m.order_count, 0) as order_count,
        m.first_order_at,
        m.last_order_at
    from (
        select b.customer_id from staging.touched_counted_orders_before as b
        union
        select a.customer_id from staging.touched_counted_orders_after as a
        union
        select n.customer_id from staging.customers_changed as n
    ) as c
    inner join core.customers as k on c.customer_id = k.customer_id
    left join marts.customer_lifetime as m on c.customer_id = m.customer_id
),

lost_a_bound as (
    select
        cf.customer_id,
        bool_or(r.order_date = cf.first_order_at) as lost_first,
        bool_or(r.order_date = cf.last_order_at) as lost_last
    from current_figures as cf
    inner join removed as r
        on cf.customer_id = r.customer_id and r.order_date in (cf.first_order_at, cf.last_order_at)
    group by cf.customer_id
),

-- only the customers whose figures move (or who have no row yet): a status change between two
-- counted statuses leaves its customer as it was, and rewriting that row would only lock it,
-- write a new version of it and its index entry (a customer's first counted order moves the
-- count, so it needs no test of its own)
moved as (
    select
        cf.customer_id,
        cf.lifetime_value + coalesce(a.revenue, 0) - coalesce(b.revenue, 0) as lifetime_value,
        cf.order_count + coalesce(a.orders, 0) - coalesce(b.orders, 0) as order_count,
        least(cf.first_order_at, a.first_at) as first_order_at,
        greatest(cf.last_order_at, a.last_at) as last_order_at
    from current_figures as cf
    left join before_orders as b on cf.customer_id = b.customer_id
    left join after_orders as a on cf.customer_id = a.customer_id
    where
        not exists (
            select 1 from lost_a_bound as l
            where l.customer_id = cf.customer_id
        )
        and (
            cf.is_new
            or coalesce(a.revenue, 0) <> coalesce(b.revenue, 0)
            or coalesce(a.orders, 0) <> coalesce(b.orders, 0)
            or a.first_at < cf.first_order_at
            or a.last_at > cf.last_order_at
        )
),

-- a customer who lost their first (last) counted order: the new one is the first (last) counted
-- order of the months from the lost one's forward (backward) to the other bound's, walked a
-- month at a time, one partition's index by customer (0045) per step, up to the first month
-- that has one (the batch's own counted orders, also those outside these months, come from
-- after_orders). A customer's orders are months apart: a walk reads a few of the ~45 partitions
-- where a recount read all of them.
bound_walk (customer_id, forward, month_start, stop_month, found) as (
    -- the start: a step before the lost bound's month, nothing found yet
    select
        cf.customer_id,
        d.forward,
        date_trunc('month', case when d.forward then cf.first_order_at else cf.last_order_at end)
        - d.step as month_start,
        date_trunc('month', case when d.forward then cf.last_order_at else cf.first_order_at end) as stop_month,
        null::timestamptz as found
    from lost_a_bound as l
    inner join current_figures as cf on l.customer_id = cf.customer_id
    inner join (values (true, interval '1 month'), (false, interval '-1 month')) as d (forward, step)
        on (d.forward and l.lost_first) or (not d.forward and l.lost_last)
    union all
    -- a step: the next month, and the first (last) counted order in it
    select
        w.customer_id,
        w.forward,
        w.month_start,
        w.stop_month,
        (
            select case when w.forward then min(o.order_date) else max(o.order_date) end
            from core.orders as o
            where
                o.customer_id = w.customer_id
                and core.counts_in_sales(o.status)
                and o.order_date >= w.month_start
                and o.order_date < w.month_start + interval '1 month'
        )
    from (
        select
            bw.customer_id,
            bw.forward,
            bw.stop_month,
            bw.month_start + case when bw.forward then interval '1 month' else interval '-1 month' end as month_start
        from bound_walk as bw
        where bw.found is null and bw.month_start <> bw.stop_month
    ) as w
),

-- value and count move by the difference, as for the others
recomputed as (
    select
        cf.customer_id,
        cf.lifetime_value + coalesce(a.revenue, 0) - coalesce(b.revenue, 0) as lifetime_value,
        cf.order_count + coalesce(a.orders, 0) - coalesce(b.orders, 0) as order_count,
        least(case when w.lost_first then w.first_found else cf.first_order_at end, a.first_at) as first_order_at,
        greatest(case when w.lost_last then w.last_found else cf.last_order_at end, a.last_at) as last_order_at
    from (
        select
            customer_id,
            bool_or(forward) as lost_first,
            bool_or(not forward) as lost_last,
            min(found) filter (where forward) as first_found,
            max(found) filter (where not forward) as last_found
        from bound_walk
        group by customer_id
    ) as w
    inner join current_figures as cf on w.customer_id = cf.customer_id
    left join before_orders as b on w.customer_id = b.customer_id
    left join after_orders as a on w.customer_id = a.customer_id
),

figures as (
    select * from moved
    union all
    select * from recomputed
)

select
    customer_id,
    lifetime_value,
    order_count,
    case when order_count > 0 then first_order_at end,
    case when order_count > 0 then last_order_at end,
    round(lifetime_value / nullif(order_count, 0), 2)
from figures
{%- endif %}
on conflict (customer_id) do update
    set
        lifetime_value = excluded.lifetime_value,
        order_count = excluded.order_count,
        first_order_at = excluded.first_order_at,
        last_order_at = excluded.last_order_at,
        average_order_value = excluded.average_order_value;
