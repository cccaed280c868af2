{% from "_sales_macros.sql" import touched_sales with context %}
-- Stage 42: the touched orders' counted sales after the batch (see stage 32), and the days
-- and customers the batch touched.
{{ touched_sales("after") }}

drop table if exists staging.touched_days;
create unlogged table staging.touched_days as
select (k.order_date at time zone 'UTC')::date as sales_date
from staging.touched_order_keys_after as k
union
select sales_date from staging.touched_days_before;

-- ... and their customers after it: a delivered order's is in orders_changed, and a touched order
-- not delivered again keeps its customer, already there from stage 32 (1.49 -> 1.29 s for this
-- stage, bench/batch_ab.py, against a lookup of every touched order in core)
insert into staging.touched_customers (customer_id)
select customer_id from staging.orders_changed
except
select customer_id from staging.touched_customers;

analyze staging.touched_days;
analyze staging.touched_customers;
