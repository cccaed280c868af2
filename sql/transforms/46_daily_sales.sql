{% from "_sales_macros.sql" import apply_delta with context %}
-- Stage 46: shop-wide sales per UTC day: counted orders, their units and revenue.
{{ apply_delta("daily_sales", ["sales_date"], "touched_days") }}
