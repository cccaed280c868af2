-- Stage 60: fresh planner statistics for what the batch changed.
analyze core.product_categories;
analyze core.products;
analyze core.customers;
analyze core.order_keys;
analyze core.order_item_keys;
analyze core.orders;
analyze core.order_items;
analyze marts.daily_product_sales;
analyze marts.monthly_product_sales;
analyze marts.daily_category_sales;
analyze marts.daily_sales;
analyze marts.customer_lifetime;
