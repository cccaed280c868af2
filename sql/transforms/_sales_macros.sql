{% from "_partitions.sql" import within_dates with context %}
{#- The counted sales of the touched orders, as the core tables stand when the macro runs;
    stage 32 takes them before the batch is applied and stage 42 after, and the marts move by
    the difference. The touched orders are disjoint from all others, so their distinct-order
    counts add up. -#}
{% macro touched_sales(when) -%}
-- the touched orders' keys as they stand now, looked up once
drop table if exists staging.touched_order_keys_{{ when }};
create unlogged table staging.touched_order_keys_{{ when }} as
select
    t.order_id,
    k.order_date,
    t.moves_sales
from staging.touched_orders as t
{%- if bulk %}
inner join core.order_keys as k on t.order_id = k.order_id;
{%- else %}
-- one primary-key lookup per touched order (offset 0: never a scan of the whole key table; the
-- planner hashed all 5M keys for a bench batch's 108k orders, 0.7-1.0 s against 0.13 s)
cross join lateral (
    select ok.order_date
    from core.order_keys as ok
    where ok.order_id = t.order_id
    offset 0  -- noqa: AM09
) as k;
{%- endif %}
analyze staging.touched_order_keys_{{ when }};

-- the touched orders that count, one row each (customer lifetime values move by these)
drop table if exists staging.touched_counted_orders_{{ when }};
create unlogged table staging.touched_counted_orders_{{ when }} with (autovacuum_enabled = false) as
select
    o.order_id,
    o.customer_id,
    o.order_date,
    o.revenue
{%- if bulk %}
-- a first load touches every order: no need to go through the touched list
from core.orders as o
where core.counts_in_sales(o.status);
{%- else %}
from staging.touched_order_keys_{{ when }} as k
inner join core.orders as o
    on
        k.order_id = o.order_id and k.order_date = o.order_date
        and {{ within_dates("o.order_date", "touched_" ~ when) }}
-- an order whose figures cannot move (stage 31) would add the same before and after
where k.moves_sales and core.counts_in_sales(o.status);
{%- endif %}
analyze staging.touched_counted_orders_{{ when }};

-- their lines (their products' categories are looked up where the category figures need them,
-- in one hash join: here the planner, blind to the date bounds, probed the products' key once
-- per line). A batch looks each order's lines up by its order_id in the one partition of its
-- order_date (pruned at run time, offset 0: never a hash of every line of the touched months,
-- 1.3-1.5M lines for a bench batch's 13k-48k orders: 0.19 and 0.12 s less, docs/benchmarks.md)
drop table if exists staging.touched_lines_{{ when }};
create unlogged table staging.touched_lines_{{ when }} with (autovacuum_enabled = false) as
select
    o.order_id,
    (o.order_date at time zone 'UTC')::date as sales_date,
    i.product_id,
    i.quantity,
    i.revenue
from staging.touched_counted_orders_{{ when }} as o
{%- if bulk %}
inner join core.order_items as i on o.order_id = i.order_id and o.order_date = i.order_date;
{%- else %}
cross join lateral (
    select
        x.product_id,
        x.quantity,
        x.revenue
    from core.order_items as x
    where x.order_id = o.order_id and x.order_date = o.order_date
    offset 0  -- noqa: AM09
) as i;
{%- endif %}

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
-- an order with two lines of one product counts once: count(distinct) over input sorted by
-- (day, product, order) is one sort (at full size ten times faster than hashing every
-- (day, product, order) group and then every (day, product) group)
select
    sales_date,
    product_id,
    sum(quantity) as units,
    count(distinct order_id) as orders,
    sum(revenue) as revenue
from staging.touched_lines_{{ when }}
group by sales_date, product_id;

drop table if exists staging.touched_category_days_{{ when }};
create unlogged table staging.touched_category_days_{{ when }} as
-- A category's figures include its descendants'. Units and revenue add up the tree; an order
-- counts once in a category however many of its lines lie below it. Instead of listing every
-- (order, ancestor) pair (2.5 per line at full size), count with marks: list each order's lines
-- in depth-first order of their categories, put +1 on each line's category and -1 on the
-- lowest common ancestor of each two neighbouring lines (-1 then +1 on the same category when
-- they share it). The lines of an order below category C are neighbours in that order, their
-- neighbouring pairs all meet inside C's subtree and the pairs at its edges meet above it: so
-- the marks inside C's subtree add up to 1 for each order with a line below C, 0 otherwise.
with
-- depth-first (pre-)order: sorting categories by their root-to-category path lists each
-- subtree in one run, the category first
category_order as (
    select
        descendant_id as category_id,
        row_number() over (order by array_agg(ancestor_id order by depth desc)) as position
    from marts.category_closure
    group by descendant_id
),

-- the lowest common ancestor of two categories (none across two trees)
common_ancestor as (
    select distinct on (x.descendant_id, y.descendant_id)
        x.descendant_id as category_a,
        y.descendant_id as category_b,
        x.ancestor_id
    from marts.category_closure as x
    inner join marts.category_closure as y on x.ancestor_id = y.ancestor_id
    order by x.descendant_id, y.descendant_id, x.depth
),

ordered_lines as (
    select
        l.sales_date,
        p.category_id,
        l.quantity,
        l.revenue,
        lag(p.category_id) over (partition by l.order_id order by co.position) as previous_category_id
    from staging.touched_lines_{{ when }} as l
    inner join core.products as p on l.product_id = p.product_id
    inner join category_order as co on p.category_id = co.category_id
),

marks as (
    select
        sales_date,
        category_id,
        sum(quantity) as units,
        count(*) as marks,
        sum(revenue) as revenue
    from ordered_lines
    group by sales_date, category_id
    union all
    select
        ol.sales_date,
        ca.ancestor_id as category_id,
        0 as units,
        -count(*) as marks,
        0 as revenue
    from ordered_lines as ol
    inner join common_ancestor as ca
        on ol.previous_category_id = ca.category_a and ol.category_id = ca.category_b
    group by ol.sales_date, ca.ancestor_id
)

select
    m.sales_date,
    cc.ancestor_id as category_id,
    sum(m.units) as units,
    sum(m.marks)::bigint as orders,
    sum(m.revenue) as revenue
from marks as m
inner join marts.category_closure as cc on m.category_id = cc.descendant_id
group by m.sales_date, cc.ancestor_id
having sum(m.marks) > 0;

-- planner statistics for the stages that join these with the marts
analyze staging.touched_lines_{{ when }};
analyze staging.touched_product_days_{{ when }};
analyze staging.touched_category_days_{{ when }};
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
-- the difference per key, kept as staging.{{ source }}_delta (the rollups of later stages sum it)
drop table if exists staging.{{ source }}_delta;
create unlogged table staging.{{ source }}_delta with (autovacuum_enabled = false) as
select
    {{ keys | join(", ") }},
    sum(units) as units,
    sum(orders) as orders,
    sum(revenue) as revenue
from (
    select {{ keys | join(", ") }}, units, orders, revenue from staging.{{ source }}_after
    union all
    select {{ keys | join(", ") }}, -units, -orders, -revenue from staging.{{ source }}_before
) as delta
group by {{ keys | join(", ") }}
having sum(units) <> 0 or sum(orders) <> 0 or sum(revenue) <> 0;

{{ upsert_delta(mart, keys, source ~ "_delta") }}
{%- endif %}
{%- endmacro %}

{#- Add staging.<delta> (keys, units, orders, revenue) to a mart whose orders column is named
    `orders` (order_lines in marts.monthly_category_sales); rows left without an order
    disappear. -#}
{% macro upsert_delta(mart, keys, delta, orders="orders") -%}
-- A row the batch takes its last order from is deleted, not first updated to zeros (a new
-- version and index entries) and then deleted. Only a row the batch took orders from can be
-- left with none: no row is kept at 0 orders between batches, and a key new to the mart gains
-- orders. The other rows are added to (or inserted), in key order as the first load inserts:
-- each leaf page of the primary key is reached once (measured in docs/benchmarks.md).
with
gone as (
    delete from marts.{{ mart }} as m
    using staging.{{ delta }} as d
    where
    {%- for k in keys %}
        m.{{ k }} = d.{{ k }} and
    {%- endfor %}
        d.orders < 0
        and m.{{ orders }} + d.orders = 0
    returning {% for k in keys %}m.{{ k }}{{ ", " if not loop.last }}{% endfor %}
)

insert into marts.{{ mart }} as m ({{ keys | join(", ") }}, units, {{ orders }}, revenue)
select {% for k in keys %}d.{{ k }}, {% endfor %}d.units, d.orders, d.revenue
from staging.{{ delta }} as d
where not exists (
    select 1 from gone as g
    where
    {%- for k in keys %}
        g.{{ k }} = d.{{ k }}{{ " and" if not loop.last }}
    {%- endfor %}
)
order by {% for k in keys %}d.{{ k }}{{ ", " if not loop.last }}{% endfor %}
on conflict ({{ keys | join(", ") }}) do update
    set
        units = m.units + excluded.units,
        {{ orders }} = m.{{ orders }} + excluded.{{ orders }},
        revenue = m.revenue + excluded.revenue;
{%- endmacro %}

{#- The per-day difference staging.<touched>_days_delta (apply_delta) summed per calendar month
    into staging.<touched>_months_delta, keyed by month_start and `key`. -#}
{% macro months_delta(touched, key) -%}
drop table if exists staging.{{ touched }}_months_delta;
create unlogged table staging.{{ touched }}_months_delta with (autovacuum_enabled = false) as
select
    date_trunc('month', sales_date)::date as month_start,
    {{ key }},
    sum(units) as units,
    sum(orders) as orders,
    sum(revenue) as revenue
from staging.{{ touched }}_days_delta
group by date_trunc('month', sales_date)::date, {{ key }}
having sum(units) <> 0 or sum(orders) <> 0 or sum(revenue) <> 0;
{%- endmacro %}
