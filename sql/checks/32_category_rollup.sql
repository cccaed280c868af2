-- The category rollup holds in marts.daily_category_sales: for every UTC day and category, its
-- units and revenue = those of its own products (marts.daily_product_sales, by the products'
-- current category) + those of its child categories (the tree of parent_id); its orders (distinct
-- orders of the subtree) lie between the largest part and the sum of the parts; and over the root
-- categories the units and revenue add up to marts.daily_sales.
-- Batch scope: the days the batch touched (the marts are keyed by day first).
-- severity: error
-- scope: batch
{% from "_scope.sql" import on_touched_days with context %}
with
own_products as (
    select
        s.sales_date,
        p.category_id,
        s.units,
        s.orders,
        s.revenue
    from marts.daily_product_sales as s
    inner join core.products as p on s.product_id = p.product_id
    where {{ on_touched_days("s.sales_date") }}
),

children as (
    select
        s.sales_date,
        c.parent_id as category_id,
        s.units,
        s.orders,
        s.revenue
    from marts.daily_category_sales as s
    inner join core.product_categories as c on s.category_id = c.category_id
    where
        c.parent_id is not null
        and {{ on_touched_days("s.sales_date") }}
),

expected as (
    select
        parts.sales_date,
        parts.category_id,
        sum(parts.units) as units,
        max(parts.orders) as min_orders,
        sum(parts.orders) as max_orders,
        sum(parts.revenue) as revenue
    from (
        select * from own_products
        union all
        select * from children
    ) as parts
    group by parts.sales_date, parts.category_id
),

published as (
    select
        s.sales_date,
        s.category_id,
        s.units,
        s.orders,
        s.revenue
    from marts.daily_category_sales as s
    where {{ on_touched_days("s.sales_date") }}
),

roots as (
    select
        p.sales_date,
        sum(p.units) as units,
        sum(p.revenue) as revenue
    from published as p
    inner join core.product_categories as c on p.category_id = c.category_id
    where c.parent_id is null
    group by p.sales_date
),

shop as (
    select
        s.sales_date,
        s.units,
        s.revenue
    from marts.daily_sales as s
    where {{ on_touched_days("s.sales_date") }}
)

select
    coalesce(e.sales_date, p.sales_date) as sales_date,
    coalesce(e.category_id, p.category_id) as category_id,
    e.units as expected_units,
    p.units as published_units,
    e.revenue as expected_revenue,
    p.revenue as published_revenue,
    e.min_orders || '..' || e.max_orders as expected_orders,
    p.orders as published_orders
from expected as e
full join published as p on e.sales_date = p.sales_date and e.category_id = p.category_id
where
    (e.units, e.revenue) is distinct from (p.units, p.revenue)
    or p.orders not between e.min_orders and e.max_orders
union all
select
    coalesce(r.sales_date, s.sales_date) as sales_date,
    null as category_id,
    s.units as expected_units,
    r.units as published_units,
    s.revenue as expected_revenue,
    r.revenue as published_revenue,
    'root categories vs marts.daily_sales' as expected_orders,
    null as published_orders
from roots as r
full join shop as s on r.sales_date = s.sales_date
-- a day whose counted orders have no lines yet has no category rows: 0 on both sides
where (coalesce(r.units, 0), coalesce(r.revenue, 0)) is distinct from (coalesce(s.units, 0), coalesce(s.revenue, 0))
