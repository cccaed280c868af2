-- Stage 44: shop-wide sales per UTC day for the touched days: counted orders, their units
-- and revenue (an order's revenue is the sum of its lines').
delete from marts.daily_sales
where sales_date in (select sales_date from staging.touched_days);

insert into marts.daily_sales (sales_date, units, orders, revenue)
with
touched as (
    select
        sales_date,
        sales_date::timestamp at time zone 'UTC' as day_start,
        (sales_date + 1)::timestamp at time zone 'UTC' as day_end
    from staging.touched_days
),

day_orders as (
    select
        t.sales_date,
        count(*) as orders,
        sum(o.revenue) as revenue
    from core.orders as o
    inner join touched as t on o.order_date >= t.day_start and o.order_date < t.day_end
    where
        core.counts_in_sales(o.status)
        and o.order_date >= (select min(first_day.day_start) from touched as first_day)
        and o.order_date < (select max(last_day.day_end) from touched as last_day)
    group by t.sales_date
),

day_units as (
    select
        s.sales_date,
        sum(s.units) as units
    from marts.daily_product_sales as s
    inner join touched as t on s.sales_date = t.sales_date
    group by s.sales_date
)

select
    d.sales_date,
    coalesce(u.units, 0),
    d.orders,
    d.revenue
from day_orders as d
left join day_units as u on d.sales_date = u.sales_date;
