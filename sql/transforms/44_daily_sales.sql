-- Stage 44: shop-wide sales per UTC day for the touched days: counted orders, their units
-- and revenue (an order's revenue is the sum of its lines').
delete from marts.daily_sales
where sales_date in (select sales_date from staging.touched_days);

insert into marts.daily_sales (sales_date, units, orders, revenue)
with
day_orders as (
    select
        (o.order_date at time zone 'UTC')::date as sales_date,
        count(*) as orders,
        sum(o.revenue) as revenue
    from core.orders as o
    where
        core.counts_in_sales(o.status)
        and o.order_date >= (select min(sales_date) from staging.touched_days)::timestamp at time zone 'UTC'
        and o.order_date < (select max(sales_date) + 1 from staging.touched_days)::timestamp at time zone 'UTC'
    group by 1
),

day_units as (
    select sales_date, sum(units) as units
    from marts.daily_product_sales
    where sales_date in (select sales_date from staging.touched_days)
    group by sales_date
)

select d.sales_date, coalesce(u.units, 0), d.orders, d.revenue
from day_orders as d
left join day_units as u on d.sales_date = u.sales_date
where d.sales_date in (select sales_date from staging.touched_days);
