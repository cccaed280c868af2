-- No revenue is negative or NULL, in core (order lines, orders) or in the marts (daily sales
-- per day, product and category; customer lifetime value). Line revenue is price * quantity -
-- discount with 0 <= discount <= price * quantity, so every figure built from it is >= 0.
-- Batch scope: the touched orders and their lines in the months the batch touched, the touched
-- days of the daily marts, the touched customers.
-- severity: error
-- scope: batch
{% from "_scope.sql" import month_ranges, in_range, touched, on_touched_days with context %}
with
months as (
    {{ month_ranges() }}
),

core_figures as (
    select r.*
    from months as m
    cross join lateral (
        select
            'core.orders' as relation,
            o.order_id::text as row_key,
            o.revenue
        from core.orders as o
        where {{ in_range("o") }} and {{ touched("o") }} and (o.revenue is null or o.revenue < 0)
        union all
        select
            'core.order_items' as relation,
            i.order_item_id::text as row_key,
            i.revenue
        from core.order_items as i
        where {{ in_range("i") }} and {{ touched("i") }} and (i.revenue is null or i.revenue < 0)
    ) as r
),

mart_figures as (
    select
        'marts.daily_sales' as relation,
        s.sales_date::text as row_key,
        s.revenue
    from marts.daily_sales as s
    where {{ on_touched_days("s.sales_date") }}
    union all
    select
        'marts.daily_product_sales' as relation,
        s.sales_date || ' product ' || s.product_id as row_key,
        s.revenue
    from marts.daily_product_sales as s
    where {{ on_touched_days("s.sales_date") }}
    union all
    select
        'marts.daily_category_sales' as relation,
        s.sales_date || ' category ' || s.category_id as row_key,
        s.revenue
    from marts.daily_category_sales as s
    where {{ on_touched_days("s.sales_date") }}
    union all
    select
        'marts.customer_lifetime' as relation,
        l.customer_id::text as row_key,
        l.lifetime_value as revenue
    from marts.customer_lifetime as l
    {% if not whole %}
    where l.customer_id in (select c.customer_id from staging.touched_customers as c)
    {% endif %}
)

select
    f.relation,
    f.row_key,
    f.revenue
from (
    select * from core_figures
    union all
    select * from mart_figures
) as f
where f.revenue is null or f.revenue < 0
