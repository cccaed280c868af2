{% from "_sales_macros.sql" import touched_sales with context %}
-- Stage 32: the touched orders' counted sales before the batch is applied (the marts will
-- move by what changes between this and stage 42), and their customers before.
{{ touched_sales("before") }}

drop table if exists staging.touched_customers;
create unlogged table staging.touched_customers as
select o.customer_id
from staging.touched_orders as t
inner join core.order_keys as k on t.order_id = k.order_id
inner join core.orders as o on k.order_id = o.order_id and k.order_date = o.order_date
union
select customer_id from staging.customers_changed;
