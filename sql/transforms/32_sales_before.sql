{% from "_partitions.sql" import within_dates with context %}
{% from "_sales_macros.sql" import touched_sales with context %}
-- Stage 32: the touched orders' counted sales before the batch is applied (the marts will
-- move by what changes between this and stage 42), and their customers before.
{{ touched_sales("before") }}

drop table if exists staging.touched_customers;
create unlogged table staging.touched_customers as
select o.customer_id
from staging.touched_order_keys_before as k
inner join core.orders as o
    on
        k.order_id = o.order_id and k.order_date = o.order_date
        and {{ within_dates("o.order_date", "touched_before") }}
union
select customer_id from staging.customers_changed;

analyze staging.touched_customers;
