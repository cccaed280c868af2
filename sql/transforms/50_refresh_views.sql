-- Stage 50: refresh the summary materialized view. CONCURRENTLY, so readers are never
-- blocked; only the very first refresh (a view never populated) cannot be concurrent.
refresh materialized view {{ "" if first_refresh else "concurrently " }}marts.monthly_category_sales;
