-- marts.monthly_category_sales becomes a table that stage 45 moves with the daily category mart,
-- inside the batch's transaction, instead of a materialized view refreshed after it (the path
-- marts.product_sales_totals took in 0042).
--
-- Why: REFRESH ... CONCURRENTLY summed all 638k category-days again and compared the result with
-- the view's 21k rows after every batch, 0.4-0.6 s at full size however small the batch
-- (docs/benchmarks.md). A batch moves the category-days of its orders only, and their months
-- move by the same per-day difference. The figures are those of the view: the daily category
-- mart summed per calendar month, orders summed per day as order_lines.
--
-- The table starts with the daily mart's sums (what a refresh would give, populated or not).
-- Stage 50 still refreshes whatever materialized views marts holds; the shop ships none now.

create table marts.monthly_category_sales_table (
    month_start date not null,
    category_id integer not null,
    units bigint not null,
    order_lines bigint not null,
    revenue numeric(18, 2) not null,
    primary key (month_start, category_id),
    constraint monthly_category_sales_month_start_check check (
        month_start = date_trunc('month', month_start)::date
    )
);

insert into marts.monthly_category_sales_table (month_start, category_id, units, order_lines, revenue)
select
    date_trunc('month', d.sales_date)::date as month_start,
    d.category_id,
    sum(d.units) as units,
    sum(d.orders) as order_lines,
    sum(d.revenue) as revenue
from marts.daily_category_sales as d
group by date_trunc('month', d.sales_date)::date, d.category_id
order by month_start, d.category_id;

drop materialized view marts.monthly_category_sales;
alter table marts.monthly_category_sales_table rename to monthly_category_sales;
alter index marts.monthly_category_sales_table_pkey rename to monthly_category_sales_pkey;
analyze marts.monthly_category_sales;

comment on table marts.monthly_category_sales is
'Sales per calendar month (UTC days) and category (its whole subtree): marts.daily_category_sales '
'summed per month (stage 45 keeps it).';
comment on column marts.monthly_category_sales.month_start is 'First day of the month.';
comment on column marts.monthly_category_sales.category_id is 'Category (its whole subtree).';
comment on column marts.monthly_category_sales.units is 'Sum of quantity in the subtree.';
comment on column marts.monthly_category_sales.order_lines is
'Sum over its days of the distinct orders with a line in the subtree (not distinct per month).';
comment on column marts.monthly_category_sales.revenue is 'Sum of line revenue in the subtree.';
