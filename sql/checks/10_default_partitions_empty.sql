-- The DEFAULT partitions core.orders_default and core.order_items_default hold no row. Their
-- CHECK (false) makes it so today; this check catches someone dropping that constraint, after
-- which an order of a month without its partition would sink into the catch-all instead of
-- failing the load (and a later partition for that month could no longer be created).
-- Both tables are empty, so reading them whole costs nothing.
-- severity: error
-- scope: table
select
    'core.orders_default' as partition_name,
    o.order_id as row_key,
    o.order_date
from core.orders_default as o
union all
select
    'core.order_items_default' as partition_name,
    i.order_item_id as row_key,
    i.order_date
from core.order_items_default as i
