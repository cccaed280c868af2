{% from "_sales_macros.sql" import apply_delta with context %}
-- Stage 45: sales per UTC day and category, rolled up the tree (a category's figures include
-- all its descendants'; an order with lines in two subcategories is one order of the parent).
{{ apply_delta("daily_category_sales", ["sales_date", "category_id"], "touched_category_days") }}
