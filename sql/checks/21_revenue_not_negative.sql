-- No revenue is negative or NULL, in core (order lines, orders) or in the marts (daily sales
-- per day, product and category; customer lifetime value). Line revenue is price * quantity -
-- discount with 0 <= discount <= price * quantity, so every figure built from it is >= 0.
-- Batch scope: the orders, days and customers the batch touched.
-- severity: error
-- scope: batch
with
{%- if scope == 'batch' %}
scoped_orders as (
    select
        o.order_id,
        o.order_date,
        o.revenue
    from (select distinct order_id from staging.touched_orders) as t
    inner join core.order_keys as k on t.order_id = k.order_id
    inner join core.orders as o on k.order_id = o.order_id and k.order_date = o.order_date
),

scoped_lines as (
    select
        i.order_item_id,
        i.revenue
    from scoped_orders as o
    inner join core.order_items as i on o.order_id = i.order_id and o.order_date = i.order_date
),

scoped_days as (
    select distinct sales_date from staging.touched_days
),

scoped_customers as (
    select distinct customer_id from staging.touched_customers
),
{%- else %}
scoped_orders as (
    select
        o.order_id,
        o.order_date,
        o.revenue
    from core.orders as o
),

scoped_lines as (
    select
        i.order_item_id,
        i.revenue
    from core.order_items as i
),

scoped_days as (
    select sales_date from marts.daily_sales
    union
    select sales_date from marts.daily_product_sales
    union
    select sales_date from marts.daily_category_sales
),

scoped_customers as (
    select customer_id from marts.customer_lifetime
),
{%- endif %}

figures as (
    select
        'core.order_items' as relation,
        order_item_id::text as row_key,
        revenue
    from scoped_lines
    union all
    select
        'core.orders' as relation,
        order_id::text as row_key,
        revenue
    from scoped_orders
    union all
    select
        'marts.daily_sales' as relation,
        s.sales_date::text as row_key,
        s.revenue
    from marts.daily_sales as s
    where s.sales_date in (select d.sales_date from scoped_days as d)
    union all
    select
        'marts.daily_product_sales' as relation,
        s.sales_date || ' product ' || s.product_id as row_key,
        s.revenue
    from marts.daily_product_sales as s
    where s.sales_date in (select d.sales_date from scoped_days as d)
    union all
    select
        'marts.daily_category_sales' as relation,
        s.sales_date || ' category ' || s.category_id as row_key,
        s.revenue
    from marts.daily_category_sales as s
    where s.sales_date in (select d.sales_date from scoped_days as d)
    union all
    select
        'marts.customer_lifetime' as relation,
        l.customer_id::text as row_key,
        l.lifetime_value as revenue
    from marts.customer_lifetime as l
    where l.customer_id in (select c.customer_id from scoped_customers as c)
)

select
    relation,
    row_key,
    revenue
from figures
where revenue is null or revenue < 0
