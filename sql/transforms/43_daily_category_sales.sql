-- Stage 43: sales per UTC day and category, rolled up the tree: a category's figures include
-- those of all its descendants. Units and revenue add up from the daily product sales; the
-- order count does not (an order with lines in two subcategories is one order of the parent),
-- so it is counted from the distinct (order, ancestor) pairs of the order lines.
delete from marts.daily_category_sales
where sales_date in (select sales_date from staging.touched_category_days);

insert into marts.daily_category_sales (sales_date, category_id, units, orders, revenue)
with
days as (
    select
        sales_date,
        sales_date::timestamp at time zone 'UTC' as day_start,
        (sales_date + 1)::timestamp at time zone 'UTC' as day_end
    from staging.touched_category_days
),

product_days as (
    select
        s.sales_date,
        cc.ancestor_id as category_id,
        sum(s.units) as units,
        sum(s.revenue) as revenue
    from marts.daily_product_sales as s
    inner join core.products as p on s.product_id = p.product_id
    inner join marts.category_closure as cc on p.category_id = cc.descendant_id
    where s.sales_date in (select touched.sales_date from days as touched)
    group by s.sales_date, cc.ancestor_id
),

order_categories as (
    select distinct
        d.sales_date,
        i.order_id,
        p.category_id
    from core.order_items as i
    inner join core.orders as o on i.order_id = o.order_id and i.order_date = o.order_date
    inner join core.products as p on i.product_id = p.product_id
    inner join days as d on i.order_date >= d.day_start and i.order_date < d.day_end
    where
        core.counts_in_sales(o.status)
        and i.order_date >= (select min(first_day.day_start) from days as first_day)
        and i.order_date < (select max(last_day.day_end) from days as last_day)
),

order_counts as (
    select
        oc.sales_date,
        cc.ancestor_id as category_id,
        count(distinct oc.order_id) as orders
    from order_categories as oc
    inner join marts.category_closure as cc on oc.category_id = cc.descendant_id
    group by oc.sales_date, cc.ancestor_id
)

select
    pd.sales_date,
    pd.category_id,
    pd.units,
    coalesce(oc.orders, 0) as orders,
    pd.revenue
from product_days as pd
left join order_counts as oc on pd.sales_date = oc.sales_date and pd.category_id = oc.category_id;
