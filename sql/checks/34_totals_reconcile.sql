-- The overall totals agree: the units, counted orders and revenue summed over marts.daily_sales
-- equal those of the root categories of marts.daily_category_sales (units, revenue), of
-- marts.customer_lifetime (orders, revenue) and of marts.product_sales_totals (units, revenue);
-- with scope all also marts.daily_product_sales and marts.monthly_product_sales (units, revenue)
-- and the counted orders of core themselves.
-- Batch scope: the marts against one another only (small: one row per day, per root category and
-- day, per customer, per product); core is tied to them per touched day and customer by the
-- reconcile checks.
-- severity: error
-- scope: batch
with
reference as (
    select
        coalesce(sum(s.units), 0) as units,
        coalesce(sum(s.orders), 0) as orders,
        coalesce(sum(s.revenue), 0) as revenue
    from marts.daily_sales as s
),

totals as (
    select
        'marts.daily_category_sales (root categories)' as source,
        coalesce(sum(s.units), 0) as units,
        null::numeric as orders,
        coalesce(sum(s.revenue), 0) as revenue
    from marts.daily_category_sales as s
    inner join core.product_categories as c on s.category_id = c.category_id
    where c.parent_id is null
    union all
    select
        'marts.customer_lifetime' as source,
        null::numeric as units,
        coalesce(sum(l.order_count), 0) as orders,
        coalesce(sum(l.lifetime_value), 0) as revenue
    from marts.customer_lifetime as l
    union all
    select
        'marts.product_sales_totals' as source,
        coalesce(sum(t.units), 0) as units,
        null::numeric as orders,
        coalesce(sum(t.revenue), 0) as revenue
    from marts.product_sales_totals as t
    {% if scope != 'batch' %}
    union all
    select
        'marts.daily_product_sales' as source,
        coalesce(sum(s.units), 0) as units,
        null::numeric as orders,
        coalesce(sum(s.revenue), 0) as revenue
    from marts.daily_product_sales as s
    union all
    select
        'marts.monthly_product_sales' as source,
        coalesce(sum(s.units), 0) as units,
        null::numeric as orders,
        coalesce(sum(s.revenue), 0) as revenue
    from marts.monthly_product_sales as s
    union all
    select
        'core.orders (counted)' as source,
        (
            select coalesce(sum(i.quantity), 0)
            from core.orders as counted
            inner join core.order_items as i on counted.order_id = i.order_id and counted.order_date = i.order_date
            where core.counts_in_sales(counted.status)
        ) as units,
        count(*) as orders,
        coalesce(sum(o.revenue), 0) as revenue
    from core.orders as o
    where core.counts_in_sales(o.status)
    {% endif %}
)

select
    t.source,
    r.units as daily_sales_units,
    t.units,
    r.orders as daily_sales_orders,
    t.orders,
    r.revenue as daily_sales_revenue,
    t.revenue
from totals as t
cross join reference as r
where t.units <> r.units or t.orders <> r.orders or t.revenue <> r.revenue
