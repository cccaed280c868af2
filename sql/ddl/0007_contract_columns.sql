-- The data contract's column sets as data, so that the header check, the staging tables and
-- the documentation all read the same list (select * from etl.contract_columns).

create table etl.contract_columns (
    file_key text not null,
    position smallint not null,
    column_name text not null,
    data_type text not null,
    is_required boolean not null,
    primary key (file_key, column_name),
    unique (file_key, position)
);
comment on table etl.contract_columns is 'Columns of each delivered file per the data contract.';
comment on column etl.contract_columns.file_key is 'File (entity) key, e.g. orders for orders.csv.';
comment on column etl.contract_columns.position is 'Position in the shop''s export (header order is free).';
comment on column etl.contract_columns.column_name is 'Header name.';
comment on column etl.contract_columns.data_type is
'Contract type: int, bigint, money, decimal, ts, bool, text, email, status.';
comment on column etl.contract_columns.is_required is 'Required columns must be in the header and non-empty.';

insert into etl.contract_columns (file_key, position, column_name, data_type, is_required) values
('product_categories', 1, 'category_id', 'int', true),
('product_categories', 2, 'name', 'text', true),
('product_categories', 3, 'description', 'text', false),
('product_categories', 4, 'parent_id', 'int', false),
('product_categories', 5, 'created_at', 'ts', false),
('products', 1, 'product_id', 'int', true),
('products', 2, 'name', 'text', true),
('products', 3, 'description', 'text', false),
('products', 4, 'price', 'money', true),
('products', 5, 'cost', 'money', false),
('products', 6, 'category_id', 'int', true),
('products', 7, 'sku', 'text', true),
('products', 8, 'inventory_count', 'int', false),
('products', 9, 'weight', 'decimal', false),
('products', 10, 'created_at', 'ts', false),
('products', 11, 'is_active', 'bool', false),
('customers', 1, 'customer_id', 'int', true),
('customers', 2, 'email', 'email', true),
('customers', 3, 'first_name', 'text', false),
('customers', 4, 'last_name', 'text', false),
('customers', 5, 'street_address', 'text', false),
('customers', 6, 'city', 'text', false),
('customers', 7, 'state', 'text', false),
('customers', 8, 'zip_code', 'text', false),
('customers', 9, 'country', 'text', false),
('customers', 10, 'phone', 'text', false),
('customers', 11, 'registration_date', 'ts', false),
('customers', 12, 'last_login', 'ts', false),
('orders', 1, 'order_id', 'bigint', true),
('orders', 2, 'customer_id', 'int', true),
('orders', 3, 'order_date', 'ts', true),
('orders', 4, 'status', 'status', true),
('orders', 5, 'payment_method', 'text', false),
('orders', 6, 'shipping_address', 'text', false),
('orders', 7, 'shipping_city', 'text', false),
('orders', 8, 'shipping_state', 'text', false),
('orders', 9, 'shipping_zip', 'text', false),
('orders', 10, 'shipping_country', 'text', false),
('orders', 11, 'processing_date', 'ts', false),
('orders', 12, 'shipping_date', 'ts', false),
('orders', 13, 'delivery_date', 'ts', false),
('orders', 14, 'total_amount', 'money', false),
('order_items', 1, 'order_item_id', 'bigint', true),
('order_items', 2, 'order_id', 'bigint', true),
('order_items', 3, 'product_id', 'int', true),
('order_items', 4, 'quantity', 'int', true),
('order_items', 5, 'price', 'money', true),
('order_items', 6, 'discount', 'money', false),
('order_items', 7, 'total', 'money', false);
