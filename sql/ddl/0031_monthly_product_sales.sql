-- Sales per calendar month and product: what marts.daily_product_sales holds, summed per
-- month. productSales and topProductsByCategory over a period read it for the whole months
-- inside the period (a year is ~12 rows per product instead of ~365 / 11 rows per day at
-- full size), and the daily mart only for the days at the ends. The load moves it by the
-- same per-day deltas as the daily mart (stage monthly_product_sales), so it always equals
-- the daily mart summed per month, to the cent. Filled here once from the daily mart, so
-- a database migrated after its loads gets it too.

create table marts.monthly_product_sales (
    month_start date not null,
    product_id integer not null,
    units bigint not null,
    orders integer not null,
    revenue numeric(16, 2) not null,
    primary key (month_start, product_id),
    constraint monthly_product_sales_month_start_check check (
        month_start = date_trunc('month', month_start)::date
    )
);
comment on table marts.monthly_product_sales is
'Sales per calendar month (UTC days) and product, counted orders only: marts.daily_product_sales summed per month.';
comment on column marts.monthly_product_sales.month_start is 'First day of the month.';
comment on column marts.monthly_product_sales.product_id is 'Product sold.';
comment on column marts.monthly_product_sales.units is 'Sum of quantity.';
comment on column marts.monthly_product_sales.orders is
'Sum over its days of the distinct orders with a line of this product (an order has one day).';
comment on column marts.monthly_product_sales.revenue is 'Sum of line revenue (price * quantity - discount).';

insert into marts.monthly_product_sales (month_start, product_id, units, orders, revenue)
select
    date_trunc('month', d.sales_date)::date as month_start,
    d.product_id,
    sum(d.units) as units,
    sum(d.orders) as orders,
    sum(d.revenue) as revenue
from marts.daily_product_sales as d
group by date_trunc('month', d.sales_date)::date, d.product_id
order by month_start, d.product_id;

analyze marts.monthly_product_sales;
