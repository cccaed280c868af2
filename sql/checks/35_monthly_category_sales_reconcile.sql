-- marts.monthly_category_sales agrees with marts.daily_category_sales: per calendar month and
-- category, units, order_lines and revenue are the sums of that category's days in the month; a
-- month with a category-day has a row, a month without has none. (category_rollup ties the
-- days themselves to core.)
-- Batch scope: the months of the days the batch touched (staging.touched_days), read from the
-- daily mart along its primary key from the first of them on.
-- severity: error
-- scope: batch
with
{% if not whole -%}
months as (
    select distinct date_trunc('month', d.sales_date)::date as month_start
    from staging.touched_days as d
),

{% endif -%}
expected as (
    select
        date_trunc('month', d.sales_date)::date as month_start,
        d.category_id,
        sum(d.units) as units,
        sum(d.orders) as order_lines,
        sum(d.revenue) as revenue
    from marts.daily_category_sales as d
    {% if not whole %}
    where
        d.sales_date >= (select min(m.month_start) from months as m)
        and date_trunc('month', d.sales_date)::date in (select m.month_start from months as m)
    {% endif %}
    group by date_trunc('month', d.sales_date)::date, d.category_id
),

published as (
    select
        p.month_start,
        p.category_id,
        p.units,
        p.order_lines,
        p.revenue
    from marts.monthly_category_sales as p
    {% if not whole %}
    where p.month_start in (select m.month_start from months as m)
    {% endif %}
)

select
    coalesce(e.month_start, p.month_start) as month_start,
    coalesce(e.category_id, p.category_id) as category_id,
    e.units as expected_units,
    p.units as published_units,
    e.order_lines as expected_order_lines,
    p.order_lines as published_order_lines,
    e.revenue as expected_revenue,
    p.revenue as published_revenue
from expected as e
full join published as p on e.month_start = p.month_start and e.category_id = p.category_id
where (e.units, e.order_lines, e.revenue) is distinct from (p.units, p.order_lines, p.revenue)
