-- Stage 30: partition maintenance before anything is inserted: the monthly partitions of
-- core.orders and core.order_items for every month this batch's orders fall in.
select core.ensure_order_partitions(min(order_date), max(order_date)) as partitions_created
from staging.orders_valid;
