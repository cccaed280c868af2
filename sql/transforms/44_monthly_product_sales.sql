{% from "_sales_macros.sql" import apply_delta with context %}
-- Stage 44: sales per calendar month and product move by the same per-day figures as the
-- daily mart (stages 32 and 42), summed per month, so marts.monthly_product_sales stays the
-- daily mart summed per month.
{%- for when in ("before", "after") %}

drop table if exists staging.touched_product_months_{{ when }};
create unlogged table staging.touched_product_months_{{ when }} with (autovacuum_enabled = false) as
select
    date_trunc('month', sales_date)::date as month_start,
    product_id,
    sum(units) as units,
    sum(orders) as orders,
    sum(revenue) as revenue
from staging.touched_product_days_{{ when }}
group by date_trunc('month', sales_date)::date, product_id;
{%- endfor %}

{{ apply_delta("monthly_product_sales", ["month_start", "product_id"], "touched_product_months") }}
