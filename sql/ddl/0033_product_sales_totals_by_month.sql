-- marts.product_sales_totals, refreshed after every batch, re-aggregated the whole daily
-- product mart (14M rows at full size, 5 s per refresh); the monthly product mart holds the
-- same sums in a fifth of the rows, and a product's first and last day of sale are looked up
-- in the daily mart inside its first and last month only. Same columns, same figures.
drop materialized view marts.product_sales_totals;

create materialized view marts.product_sales_totals as
with
months as (
    select
        product_id,
        sum(units)::bigint as units,
        sum(revenue) as revenue,
        min(month_start) as first_month,
        max(month_start) as last_month
    from marts.monthly_product_sales
    group by product_id
)

select
    m.product_id,
    m.units,
    m.revenue,
    (
        select min(d.sales_date)
        from marts.daily_product_sales as d
        where
            d.product_id = m.product_id
            and d.sales_date >= m.first_month and d.sales_date < (m.first_month + interval '1 month')::date
    ) as first_sale_date,
    (
        select max(d.sales_date)
        from marts.daily_product_sales as d
        where
            d.product_id = m.product_id
            and d.sales_date >= m.last_month and d.sales_date < (m.last_month + interval '1 month')::date
    ) as last_sale_date
from months as m
with no data;

create unique index product_sales_totals_key on marts.product_sales_totals (product_id);
create index product_sales_totals_revenue_idx on marts.product_sales_totals (revenue desc, product_id);
comment on materialized view marts.product_sales_totals is
'All-time units and revenue per product (from marts.monthly_product_sales), first and last day of sale.';

-- as before: unpopulated until the first load refreshes it, unless sales were loaded already
do $$
begin
    if exists (select 1 from marts.monthly_product_sales) then
        refresh materialized view marts.product_sales_totals;
    end if;
end
$$;
