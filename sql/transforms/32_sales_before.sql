{% from "_partitions.sql" import within_dates with context %}
{% from "_sales_macros.sql" import touched_sales with context %}
-- Stage 32: the touched orders' counted sales before the batch is applied (the marts will
-- move by what changes between this and stage 42), and their customers before.
{{ touched_sales("before") }}

-- The customers of the touched orders before the batch (stage 42 adds those after it) and the
-- delivered customers. A delivered order loaded before has its customer in orders_changed
-- (old_customer_id, stage 31); only the other touched orders, which the batch relines or
-- recategorises without delivering them again, are looked up in core (none in a bench batch:
-- 0.75 -> 0.65 s for this stage, bench/batch_ab.py).
drop table if exists staging.touched_customers;
create unlogged table staging.touched_customers as
select c.old_customer_id as customer_id
from staging.orders_changed as c
where c.old_customer_id is not null
union
select o.customer_id
from staging.touched_order_keys_before as k
inner join core.orders as o
    on
        k.order_id = o.order_id and k.order_date = o.order_date
        and {{ within_dates("o.order_date", "touched_before") }}
where
    not exists (
        select 1 from staging.orders_changed as c
        where c.order_id = k.order_id
    )
union
select customer_id from staging.customers_changed;

analyze staging.touched_customers;
