{#- The counted sales of the touched orders, as the core tables stand when the macro runs;
    stage 32 takes them before the batch is applied and stage 42 after, and the marts move by
    the difference. The touched orders are disjoint from all others, so their distinct-order
    counts add up. -#}
{% macro touched_sales(when) -%}
drop table if exists staging.touched_lines_{{ when }};
create unlogged table staging.touched_lines_{{ when }} with (autovacuum_enabled = false) as
select
    o.order_id,
    (o.order_date at time zone 'UTC')::date as sales_date,
    i.product_id,
    p.category_id,
    i.quantity,
    i.revenue
{%- if bulk %}
-- a first load touches every order: no need to go through the touched list
from core.orders as o
{%- else %}
from staging.touched_orders as t
inner join core.order_keys as k on t.order_id = k.order_id
inner join core.orders as o on k.order_id = o.order_id and k.order_date = o.order_date
{%- endif %}
inner join core.order_items as i on o.order_id = i.order_id and o.order_date = i.order_date
inner join core.products as p on i.product_id = p.product_id
where core.counts_in_sales(o.status);

-- the touched orders that count, one row each (customer lifetime values move by these)
drop table if exists staging.touched_counted_orders_{{ when }};
create unlogged table staging.touched_counted_orders_{{ when }} with (autovacuum_enabled = false) as
select
    o.order_id,
    o.customer_id,
    o.order_date,
    o.revenue
{%- if bulk %}
from core.orders as o
{%- else %}
from staging.touched_orders as t
inner join core.order_keys as k on t.order_id = k.order_id
inner join core.orders as o on k.order_id = o.order_id and k.order_date = o.order_date
{%- endif %}
where core.counts_in_sales(o.status);

drop table if exists staging.touched_days_{{ when }};
create unlogged table staging.touched_days_{{ when }} as
with
counted_orders as (
    select
        (o.order_date at time zone 'UTC')::date as sales_date,
        count(*) as orders,
        sum(o.revenue) as revenue
    from staging.touched_counted_orders_{{ when }} as o
    group by (o.order_date at time zone 'UTC')::date
),

units as (
    select
        sales_date,
        sum(quantity) as units
    from staging.touched_lines_{{ when }}
    group by sales_date
)

select
    c.sales_date,
    coalesce(u.units, 0) as units,
    c.orders,
    c.revenue
from counted_orders as c
left join units as u on c.sales_date = u.sales_date;

drop table if exists staging.touched_product_days_{{ when }};
create unlogged table staging.touched_product_days_{{ when }} as
select
    sales_date,
    product_id,
    sum(units) as units,
    count(*) as orders,
    sum(revenue) as revenue
from (
    -- one row per (order, product): hashing twice is cheaper than sorting for count(distinct)
    select
        sales_date,
        product_id,
        order_id,
        sum(quantity) as units,
        sum(revenue) as revenue
    from staging.touched_lines_{{ when }}
    group by sales_date, product_id, order_id
) as order_products
group by sales_date, product_id;

drop table if exists staging.touched_category_days_{{ when }};
create unlogged table staging.touched_category_days_{{ when }} as
with
order_leaves as (
    select
        sales_date,
        order_id,
        category_id,
        sum(quantity) as units,
        sum(revenue) as revenue
    from staging.touched_lines_{{ when }}
    group by sales_date, order_id, category_id
),

order_ancestors as (
    select
        l.sales_date,
        l.order_id,
        cc.ancestor_id as category_id,
        sum(l.units) as units,
        sum(l.revenue) as revenue
    from order_leaves as l
    inner join marts.category_closure as cc on l.category_id = cc.descendant_id
    group by l.sales_date, l.order_id, cc.ancestor_id
)

select
    sales_date,
    category_id,
    sum(units) as units,
    count(*) as orders,
    sum(revenue) as revenue
from order_ancestors
group by sales_date, category_id;
{%- endmacro %}

{#- Move one mart by (after - before); rows left without an order disappear. -#}
{% macro apply_delta(mart, keys, source) -%}
{%- if bulk %}
-- first load: the mart is empty and "before" is empty, so the delta is the "after" itself
-- (in key order, so the primary key index is appended to rather than split at random)
insert into marts.{{ mart }} ({{ keys | join(", ") }}, units, orders, revenue)
select {{ keys | join(", ") }}, units, orders, revenue
from staging.{{ source }}_after
order by {{ keys | join(", ") }};
{%- else %}
insert into marts.{{ mart }} as m ({{ keys | join(", ") }}, units, orders, revenue)
select
    {{ keys | join(", ") }},
    sum(units),
    sum(orders),
    sum(revenue)
from (
    select {{ keys | join(", ") }}, units, orders, revenue from staging.{{ source }}_after
    union all
    select {{ keys | join(", ") }}, -units, -orders, -revenue from staging.{{ source }}_before
) as delta
group by {{ keys | join(", ") }}
having sum(units) <> 0 or sum(orders) <> 0 or sum(revenue) <> 0
on conflict ({{ keys | join(", ") }}) do update
    set
        units = m.units + excluded.units,
        orders = m.orders + excluded.orders,
        revenue = m.revenue + excluded.revenue;

delete from marts.{{ mart }} as m
using (
    select {{ keys | join(", ") }} from staging.{{ source }}_before
    union
    select {{ keys | join(", ") }} from staging.{{ source }}_after
) as touched
where
{%- for k in keys %}
    m.{{ k }} = touched.{{ k }}{{ " and" if not loop.last }}
{%- endfor %}
    and m.orders = 0;
{%- endif %}
{%- endmacro %}
