{% from "_partitions.sql" import within_dates with context %}
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

insert into staging.touched_customers (customer_id)
select o.customer_id
from staging.touched_order_keys_after as k
inner join core.orders as o
    on
        k.order_id = o.order_id and k.order_date = o.order_date
        and {{ within_dates("o.order_date", "touched_after") }}
except
select customer_id from staging.touched_customers;

analyze staging.touched_days;
analyze staging.touched_customers;
