{% from "_sales_macros.sql" import apply_delta, upsert_delta, months_delta with context %}
-- Stage 44: the daily product mart rolled up per product, moved by the same per-day figures
-- as the daily mart (stages 32, 42 and 43): marts.monthly_product_sales (per calendar month)
-- and marts.product_sales_totals (all time, with the first and last day of sale).
{%- if bulk %}

-- first load: every product-day is new; each month's first and last day of sale come along
-- for the all-time totals below
drop table if exists staging.touched_product_months_after;
create unlogged table staging.touched_product_months_after with (autovacuum_enabled = false) as
select
    date_trunc('month', sales_date)::date as month_start,
    product_id,
    sum(units) as units,
    sum(orders) as orders,
    sum(revenue) as revenue,
    min(sales_date) as first_sale_date,
    max(sales_date) as last_sale_date
from staging.touched_product_days_after
group by date_trunc('month', sales_date)::date, product_id;

{{ apply_delta("monthly_product_sales", ["month_start", "product_id"], "touched_product_months") }}

insert into marts.product_sales_totals (product_id, units, revenue, first_sale_date, last_sale_date)
select
    product_id,
    sum(units),
    sum(revenue),
    min(first_sale_date),
    max(last_sale_date)
from staging.touched_product_months_after
group by product_id
order by product_id;
{%- else %}

-- the per-day difference of stage 43, summed per month
{{ months_delta("touched_product", "product_id") }}

{{ upsert_delta("monthly_product_sales", ["month_start", "product_id"], "touched_product_months_delta") }}

-- all time: units and revenue move by the difference; the first and last day of sale move out
-- to the days the touched orders now sell on, and are looked up again in the daily mart (stage
-- 43 moved it already) for a product the batch took a day of sale from at either end. A product
-- left without a day of sale leaves the table.
drop table if exists staging.touched_product_totals;
create unlogged table staging.touched_product_totals with (autovacuum_enabled = false) as
with
delta as (
    select
        product_id,
        sum(units) as units,
        sum(revenue) as revenue
    from staging.touched_product_months_delta
    group by product_id
),

sold_days as (
    select
        product_id,
        min(sales_date) as first_sale_date,
        max(sales_date) as last_sale_date
    from staging.touched_product_days_after
    group by product_id
),

-- product-days the touched orders no longer sell on (other orders may still)
removed_days as (
    select
        b.product_id,
        b.sales_date
    from staging.touched_product_days_before as b
    where not exists (
        select 1 from staging.touched_product_days_after as a
        where a.product_id = b.product_id and a.sales_date = b.sales_date
    )
),

products as (
    select product_id from delta
    union
    select product_id from sold_days
    union
    select product_id from removed_days
),

lost_a_bound as (
    select distinct t.product_id
    from marts.product_sales_totals as t
    inner join removed_days as r
        on t.product_id = r.product_id and r.sales_date in (t.first_sale_date, t.last_sale_date)
),

bounds_found_again as (
    select
        l.product_id,
        min(x.sales_date) as first_sale_date,
        max(x.sales_date) as last_sale_date
    from lost_a_bound as l
    left join marts.daily_product_sales as x on l.product_id = x.product_id
    group by l.product_id
)

select
    p.product_id,
    coalesce(t.units, 0) + coalesce(d.units, 0) as units,
    coalesce(t.revenue, 0) + coalesce(d.revenue, 0) as revenue,
    case
        when b.product_id is not null then b.first_sale_date
        else least(t.first_sale_date, s.first_sale_date)
    end as first_sale_date,
    case
        when b.product_id is not null then b.last_sale_date
        else greatest(t.last_sale_date, s.last_sale_date)
    end as last_sale_date
from products as p
left join marts.product_sales_totals as t on p.product_id = t.product_id
left join delta as d on p.product_id = d.product_id
left join sold_days as s on p.product_id = s.product_id
left join bounds_found_again as b on p.product_id = b.product_id;

insert into marts.product_sales_totals as t (product_id, units, revenue, first_sale_date, last_sale_date)
select
    product_id,
    units,
    revenue,
    first_sale_date,
    last_sale_date
from staging.touched_product_totals
where first_sale_date is not null
order by product_id
on conflict (product_id) do update
    set
        units = excluded.units,
        revenue = excluded.revenue,
        first_sale_date = excluded.first_sale_date,
        last_sale_date = excluded.last_sale_date
    where
    (t.units, t.revenue, t.first_sale_date, t.last_sale_date)
    is distinct from (excluded.units, excluded.revenue, excluded.first_sale_date, excluded.last_sale_date);

delete from marts.product_sales_totals as t
using staging.touched_product_totals as n
where t.product_id = n.product_id and n.first_sale_date is null;
{%- endif %}
