-- Stage 42: sales per UTC day and product, recomputed for the days this batch touched.
-- Counted orders only (core.counts_in_sales); line revenue = price * quantity - discount.
delete from marts.daily_product_sales
where sales_date in (select sales_date from staging.touched_days);

insert into marts.daily_product_sales (sales_date, product_id, units, orders, revenue)
with
days as (
    select
        sales_date,
        sales_date::timestamp at time zone 'UTC' as day_start,
        (sales_date + 1)::timestamp at time zone 'UTC' as day_end
    from staging.touched_days
),

lines as (
    select
        d.sales_date,
        i.product_id,
        i.order_id,
        i.quantity,
        i.revenue
    from core.order_items as i
    inner join core.orders as o on i.order_id = o.order_id and i.order_date = o.order_date
    inner join days as d on i.order_date >= d.day_start and i.order_date < d.day_end
    where
        core.counts_in_sales(o.status)
        and i.order_date >= (select min(first_day.day_start) from days as first_day)
        and i.order_date < (select max(last_day.day_end) from days as last_day)
)

select
    sales_date,
    product_id,
    sum(quantity) as units,
    count(distinct order_id) as orders,
    sum(revenue) as revenue
from lines
group by sales_date, product_id;
