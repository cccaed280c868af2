{% from "_partitions.sql" import within_dates with context %}
{% from "_macros.sql" import core_statistics_targets with context %}
-- Stage 31: what this batch changes, before anything is changed. For each entity, the
-- accepted rows that are new or differ from the loaded version (a row that arrives again
-- unchanged is left alone, so a re-delivery changes nothing); and the orders whose sales
-- figures may move: changed orders, orders that gain or lose a line, and orders with lines
-- of products whose category (or whose category's place in the tree) changes.
drop table if exists staging.product_categories_changed;
create unlogged table staging.product_categories_changed as
select
    n.*,
    k.category_id is null as is_new,
    k.parent_id as old_parent_id
from staging.product_categories_valid as n
left join core.product_categories as k on n.category_id = k.category_id
where
    k.category_id is null
    or (k.name, k.description, k.parent_id, k.created_at)
    is distinct from (n.name, n.description, n.parent_id, n.created_at);

drop table if exists staging.customers_changed;
create unlogged table staging.customers_changed as
select n.*
from staging.customers_valid as n
left join core.customers as k on n.customer_id = k.customer_id
where
    k.customer_id is null
    or (
        k.email, k.first_name, k.last_name, k.street_address, k.city, k.state, k.zip_code,
        k.country, k.phone, k.registration_date, k.last_login
    ) is distinct from (
        n.email, n.first_name, n.last_name, n.street_address, n.city, n.state, n.zip_code,
        n.country, n.phone, n.registration_date, n.last_login
    );

drop table if exists staging.products_changed;
create unlogged table staging.products_changed as
select
    n.*,
    k.category_id as old_category_id
from staging.products_valid as n
left join core.products as k on n.product_id = k.product_id
where
    k.product_id is null
    or (
        k.name, k.description, k.price, k.cost, k.category_id, k.sku, k.inventory_count,
        k.weight, k.created_at, k.is_active
    ) is distinct from (
        n.name, n.description, n.price, n.cost, n.category_id, n.sku, n.inventory_count,
        n.weight, n.created_at, n.is_active
    );

{%- if bulk %}
-- A first load: there is no loaded order or line, so every accepted row is new and the
-- valid tables are the changed ones. They are renamed (with their unique index), not copied
-- (25M rows); the columns of an earlier version are null, as a batch's new rows have them.
drop table if exists staging.orders_changed;
alter table staging.orders_valid rename to orders_changed;
alter index staging.orders_valid_key rename to orders_changed_order_id_idx;
alter table staging.orders_changed
add column old_order_date timestamptz,
add column old_customer_id integer,
add column old_status core.order_status,
add column old_revenue numeric(14, 2);

drop table if exists staging.order_items_changed;
alter table staging.order_items_valid rename to order_items_changed;
alter index staging.order_items_valid_key rename to order_items_changed_order_item_id_idx;
alter table staging.order_items_changed
add column old_order_id bigint,
add column old_order_date timestamptz;
{%- else %}
-- The keys of the delivered orders and lines loaded before, looked up once: their dates say
-- which monthly partitions the comparisons below read.
drop table if exists staging.orders_known;
create unlogged table staging.orders_known as
select
    k.order_id,
    k.order_date
from staging.orders_valid as n
inner join core.order_keys as k on n.order_id = k.order_id;
analyze staging.orders_known;

drop table if exists staging.order_items_known;
create unlogged table staging.order_items_known as
select
    k.order_item_id,
    k.order_id,
    k.order_date
from staging.order_items_valid as n
inner join core.order_item_keys as k on n.order_item_id = k.order_item_id;
analyze staging.order_items_known;

drop table if exists staging.orders_changed;
create unlogged table staging.orders_changed as
select
    n.*,
    o.order_date as old_order_date,
    o.customer_id as old_customer_id,
    o.status as old_status,
    o.revenue as old_revenue
from staging.orders_valid as n
left join staging.orders_known as k on n.order_id = k.order_id
left join core.orders as o
    on
        k.order_id = o.order_id and k.order_date = o.order_date
        and {{ within_dates("o.order_date", "delivered_orders") }}
where
    k.order_id is null
    or (
        o.customer_id, o.order_date, o.status, o.payment_method, o.shipping_address, o.shipping_city,
        o.shipping_state, o.shipping_zip, o.shipping_country, o.processing_date, o.shipping_date,
        o.delivery_date, o.total_amount
    ) is distinct from (
        n.customer_id, n.order_date, n.status, n.payment_method, n.shipping_address, n.shipping_city,
        n.shipping_state, n.shipping_zip, n.shipping_country, n.processing_date, n.shipping_date,
        n.delivery_date, n.total_amount
    );
create unique index on staging.orders_changed (order_id);
{{ core_statistics_targets("orders_changed", "orders") }};

drop table if exists staging.order_items_changed;
create unlogged table staging.order_items_changed as
select
    n.*,
    k.order_id as old_order_id,
    k.order_date as old_order_date
from staging.order_items_valid as n
left join staging.order_items_known as k on n.order_item_id = k.order_item_id
left join core.order_items as i
    on
        k.order_item_id = i.order_item_id and k.order_date = i.order_date
        and {{ within_dates("i.order_date", "delivered_lines") }}
where
    k.order_item_id is null
    or (i.order_id, i.order_date, i.product_id, i.quantity, i.price, i.discount, i.total)
    is distinct from (n.order_id, n.order_date, n.product_id, n.quantity, n.price, n.discount, n.total);
create unique index on staging.order_items_changed (order_item_id);
{{ core_statistics_targets("order_items_changed", "order_items") }};
{%- endif %}

-- The orders a new or changed line belongs to, or leaves: their revenue is summed from their
-- lines again (stage 37; an order none of whose lines changes keeps its revenue). None in a first
-- load: every order is new there, and its revenue is summed from its lines anyway.
drop table if exists staging.relined_orders;
create unlogged table staging.relined_orders as
{%- if bulk %}
select null::bigint as order_id
where false;
{%- else %}
select order_id from staging.order_items_changed
union
select old_order_id from staging.order_items_changed
where old_order_id is not null;
{%- endif %}

-- Categories whose subtree moves (a new parent): every product below them changes ancestors.
drop table if exists staging.recategorised_products;
create unlogged table staging.recategorised_products as
select product_id
from staging.products_changed
where old_category_id <> category_id
union
select p.product_id
from staging.product_categories_changed as c
inner join marts.category_closure as cc on c.category_id = cc.ancestor_id
inner join core.products as p on cc.descendant_id = p.category_id
where not c.is_new and c.old_parent_id is distinct from c.parent_id;

drop table if exists staging.touched_orders;
create unlogged table staging.touched_orders as
{%- if bulk %}
-- (a first load: every line belongs to an accepted order, orphans were rejected)
select
    order_id,
    true as moves_sales
from staging.orders_changed;
{%- else %}
-- moves_sales: false for an order whose sales figures cannot move, so stages 32 and 42 leave it
-- out of their sums: a loaded order that keeps its day, its customer and whether it counts in
-- sales (a new status between two counted ones, the commonest change), none of whose lines
-- changes or changes category. Its days and customer stay touched (the checks read them).
select
    order_id,
    bool_or(moves_sales) as moves_sales
from (
    select
        order_id,
        (
            old_order_date is null
            or (old_order_date, old_customer_id, core.counts_in_sales(old_status))
            is distinct from (order_date, customer_id, core.counts_in_sales(status))
        ) as moves_sales
    from staging.orders_changed
    union all
    select
        order_id,
        true as moves_sales
    from staging.relined_orders
    union all
    select
        i.order_id,
        true as moves_sales
    from core.order_items as i
    inner join staging.recategorised_products as r on i.product_id = r.product_id
) as t
group by order_id;
{%- endif %}
create unique index on staging.touched_orders (order_id);

-- planner statistics for what later stages join with core (autovacuum never sees these tables)
analyze staging.product_categories_changed;
analyze staging.customers_changed;
analyze staging.products_changed;
analyze staging.orders_changed;
analyze staging.order_items_changed;
analyze staging.relined_orders;
analyze staging.touched_orders;
