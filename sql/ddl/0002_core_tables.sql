-- Core tables: what the data contract accepts, typed and normalised.
-- Every row records the batch (etl.runs.run_id) that last wrote it.

create type core.order_status as enum (
    'Pending', 'Processing', 'Shipped', 'In Transit', 'Delivered', 'Cancelled', 'Returned'
);
comment on type core.order_status is
'Order status as listed in the data contract (input is matched case- and space-insensitively).';

create function core.counts_in_sales(p_status core.order_status)
returns boolean
language sql
immutable
parallel safe
as $$
    select p_status not in ('Cancelled', 'Returned')
$$;
comment on function core.counts_in_sales(core.order_status) is
'The contract''s one rule for sales figures: every order counts except Cancelled and Returned ones.';

create table core.product_categories (
    category_id integer primary key,
    name text not null,
    description text,
    parent_id integer,
    created_at timestamptz,
    batch_id bigint not null,
    constraint product_categories_parent_fk foreign key (parent_id)
    references core.product_categories (category_id) deferrable initially deferred,
    constraint product_categories_not_own_parent check (parent_id <> category_id)
);
create index product_categories_parent_idx on core.product_categories (parent_id);
comment on table core.product_categories is 'Product category tree (parent_id null for a root).';
comment on column core.product_categories.category_id is 'Category key from the shop.';
comment on column core.product_categories.name is 'Category name, trimmed.';
comment on column core.product_categories.description is 'Free text, trimmed.';
comment on column core.product_categories.parent_id is 'Parent category; null for a root.';
comment on column core.product_categories.created_at is 'Creation time in the shop (UTC).';
comment on column core.product_categories.batch_id is 'Run that last wrote this row.';

create table core.products (
    product_id integer primary key,
    name text not null,
    description text,
    price numeric(12, 2) not null,
    cost numeric(12, 2),
    category_id integer not null,
    sku text not null,
    inventory_count integer,
    weight numeric,
    created_at timestamptz,
    is_active boolean not null default true,
    batch_id bigint not null,
    constraint products_category_fk foreign key (category_id)
    references core.product_categories (category_id) deferrable initially deferred,
    constraint products_price_not_negative check (price >= 0)
);
create index products_category_idx on core.products (category_id);
-- sku is not unique in the contract (a shared sku is a data-quality warning)
create index products_sku_idx on core.products (sku);
create index products_name_idx on core.products (lower(name) text_pattern_ops);
comment on table core.products is 'Products as last delivered.';
comment on column core.products.product_id is 'Product key from the shop.';
comment on column core.products.name is 'Product name, trimmed.';
comment on column core.products.description is 'Free text, trimmed.';
comment on column core.products.price is 'List price (money, 2 places).';
comment on column core.products.cost is 'Unit cost (money, 2 places).';
comment on column core.products.category_id is 'Category the product belongs to.';
comment on column core.products.sku is 'Stock keeping unit; may be shared (reported as a warning).';
comment on column core.products.inventory_count is 'Units in stock.';
comment on column core.products.weight is 'Weight as delivered.';
comment on column core.products.created_at is 'Creation time in the shop (UTC).';
comment on column core.products.is_active is 'Whether the product is sold (empty in the file: true).';
comment on column core.products.batch_id is 'Run that last wrote this row.';

create table core.customers (
    customer_id integer primary key,
    email text not null,
    first_name text,
    last_name text,
    street_address text,
    city text,
    state text,
    zip_code text,
    country text,
    phone text,
    registration_date timestamptz,
    last_login timestamptz,
    batch_id bigint not null,
    -- deferrable so that two customers may swap addresses within one batch
    constraint customers_email_key unique (email) deferrable initially deferred,
    constraint customers_email_normalised check (email = lower(btrim(email)))
);
comment on table core.customers is 'Customers as last delivered; one email belongs to one customer.';
comment on column core.customers.customer_id is 'Customer key from the shop.';
comment on column core.customers.email is 'Email, trimmed and lower case; unique.';
comment on column core.customers.first_name is 'First name, trimmed.';
comment on column core.customers.last_name is 'Last name, trimmed.';
comment on column core.customers.street_address is 'Street address, trimmed.';
comment on column core.customers.city is 'City, trimmed.';
comment on column core.customers.state is 'State or region, trimmed.';
comment on column core.customers.zip_code is 'Postal code as text (leading zeros kept).';
comment on column core.customers.country is 'Country, trimmed.';
comment on column core.customers.phone is 'Phone number as text.';
comment on column core.customers.registration_date is 'Registration time (UTC).';
comment on column core.customers.last_login is 'Last login time (UTC).';
comment on column core.customers.batch_id is 'Run that last wrote this row.';

-- Orders and their items are range-partitioned by month of order_date, the items
-- carrying their order's date so that both tables prune and join partition-wise.
-- A partitioned table's keys must include the partition key, so the global
-- uniqueness of order_id is kept by core.order_keys.

create table core.order_keys (
    order_id bigint primary key,
    order_date timestamptz not null
);
comment on table core.order_keys is
'One row per order: makes order_id unique across partitions and finds an order''s partition.';
comment on column core.order_keys.order_id is 'Order key from the shop.';
comment on column core.order_keys.order_date is 'The order''s current order_date (its partition key).';

create table core.order_item_keys (
    order_item_id bigint primary key,
    order_id bigint not null,
    order_date timestamptz not null
);
comment on table core.order_item_keys is
'One row per order line: makes order_item_id unique across partitions and finds its partition.';
comment on column core.order_item_keys.order_item_id is 'Order line key from the shop.';
comment on column core.order_item_keys.order_id is 'Order the line currently belongs to.';
comment on column core.order_item_keys.order_date is 'The line''s current order_date (its partition key).';

create table core.orders (
    order_id bigint not null,
    customer_id integer not null,
    order_date timestamptz not null,
    status core.order_status not null,
    payment_method text,
    shipping_address text,
    shipping_city text,
    shipping_state text,
    shipping_zip text,
    shipping_country text,
    processing_date timestamptz,
    shipping_date timestamptz,
    delivery_date timestamptz,
    total_amount numeric(14, 2),
    revenue numeric(14, 2) not null default 0,
    batch_id bigint not null,
    constraint orders_pkey primary key (order_id, order_date),
    constraint orders_customer_fk foreign key (customer_id)
    references core.customers (customer_id) deferrable initially deferred,
    constraint orders_date_in_range check (order_date >= '2000-01-01 00:00:00+00')
) partition by range (order_date);
create index orders_customer_idx on core.orders (customer_id, order_date);
comment on table core.orders is 'Orders, partitioned by month of order_date (UTC).';
comment on column core.orders.order_id is 'Order key from the shop.';
comment on column core.orders.customer_id is 'Customer who placed the order.';
comment on column core.orders.order_date is 'When the order was placed (UTC); its UTC day is the sales day.';
comment on column core.orders.status is 'Canonical status; Cancelled and Returned do not count in sales.';
comment on column core.orders.payment_method is 'Payment method, trimmed.';
comment on column core.orders.shipping_address is 'Shipping street address, trimmed.';
comment on column core.orders.shipping_city is 'Shipping city, trimmed.';
comment on column core.orders.shipping_state is 'Shipping state, trimmed.';
comment on column core.orders.shipping_zip is 'Shipping postal code.';
comment on column core.orders.shipping_country is 'Shipping country, trimmed.';
comment on column core.orders.processing_date is 'When processing started (UTC).';
comment on column core.orders.shipping_date is 'When shipped (UTC).';
comment on column core.orders.delivery_date is 'When delivered (UTC).';
comment on column core.orders.total_amount is
'Total as delivered; only cross-checked (a mismatch with revenue is a warning).';
comment on column core.orders.revenue is 'Sum of the revenue of the order''s lines (computed).';
comment on column core.orders.batch_id is 'Run that last wrote this row.';

create table core.order_items (
    order_item_id bigint not null,
    order_id bigint not null,
    order_date timestamptz not null,
    product_id integer not null,
    quantity integer not null,
    price numeric(12, 2) not null,
    discount numeric(12, 2) not null default 0,
    total numeric(14, 2),
    revenue numeric(14, 2) generated always as (price * quantity - discount) stored,
    batch_id bigint not null,
    constraint order_items_pkey primary key (order_item_id, order_date),
    constraint order_items_order_fk foreign key (order_id, order_date)
    references core.orders (order_id, order_date) deferrable initially deferred,
    constraint order_items_product_fk foreign key (product_id)
    references core.products (product_id) deferrable initially deferred,
    constraint order_items_quantity_positive check (quantity > 0),
    constraint order_items_price_not_negative check (price >= 0),
    constraint order_items_discount_in_range check (discount >= 0 and discount <= price * quantity)
) partition by range (order_date);
create index order_items_order_idx on core.order_items (order_id);
comment on table core.order_items is 'Order lines, co-partitioned with core.orders by order_date.';
comment on column core.order_items.order_item_id is 'Order line key from the shop.';
comment on column core.order_items.order_id is 'Order the line belongs to.';
comment on column core.order_items.order_date is 'The order''s order_date, carried for co-partitioning.';
comment on column core.order_items.product_id is 'Product sold.';
comment on column core.order_items.quantity is 'Units sold (> 0).';
comment on column core.order_items.price is 'Unit price (>= 0).';
comment on column core.order_items.discount is 'Discount on the line (0 when empty; at most price * quantity).';
comment on column core.order_items.total is 'Line total as delivered; only cross-checked.';
comment on column core.order_items.revenue is 'Line revenue = price * quantity - discount.';
comment on column core.order_items.batch_id is 'Run that last wrote this row.';
