{% from "_sales_macros.sql" import apply_delta with context %}
-- Stage 43: sales per UTC day and product move by what the batch changed (counted orders
-- only; line revenue = price * quantity - discount).
{{ apply_delta("daily_product_sales", ["sales_date", "product_id"], "touched_product_days") }}
