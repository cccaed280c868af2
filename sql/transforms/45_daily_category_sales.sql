{% from "_sales_macros.sql" import apply_delta, upsert_delta, months_delta with context %}
-- Stage 45: sales per UTC day and category, rolled up the tree (a category's figures include
-- all its descendants'; an order with lines in two subcategories is one order of the parent),
-- and the same per calendar month (marts.monthly_category_sales, orders summed per day as
-- order_lines), moved by the same per-day figures.
{{ apply_delta("daily_category_sales", ["sales_date", "category_id"], "touched_category_days") }}
{%- if bulk %}

-- first load: every category-day is new
insert into marts.monthly_category_sales (month_start, category_id, units, order_lines, revenue)
select
    date_trunc('month', sales_date)::date as month_start,
    category_id,
    sum(units) as units,
    sum(orders) as order_lines,
    sum(revenue) as revenue
from staging.touched_category_days_after
group by date_trunc('month', sales_date)::date, category_id
order by month_start, category_id;
{%- else %}

-- the per-day difference above, summed per month
{{ months_delta("touched_category", "category_id") }}

{{ upsert_delta(
    "monthly_category_sales", ["month_start", "category_id"], "touched_category_months_delta", orders="order_lines"
) }}
{%- endif %}
