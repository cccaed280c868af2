-- Derived data. Tables filled incrementally by the transforms (only the days, products,
-- categories and customers a batch touches are recomputed); small materialized views on
-- top are refreshed CONCURRENTLY so that readers are never blocked.

create table marts.dim_date (
    date_day date primary key,
    year smallint not null,
    quarter smallint not null,
    month smallint not null,
    day_of_month smallint not null,
    iso_year smallint not null,
    iso_week smallint not null,
    iso_day_of_week smallint not null,
    week_start date not null,
    month_start date not null,
    quarter_start date not null,
    year_start date not null,
    is_weekend boolean not null
);
comment on table marts.dim_date is 'One row per calendar day over the range of the data (UTC days).';
comment on column marts.dim_date.date_day is 'The day.';
comment on column marts.dim_date.year is 'Calendar year.';
comment on column marts.dim_date.quarter is 'Calendar quarter 1-4.';
comment on column marts.dim_date.month is 'Month 1-12.';
comment on column marts.dim_date.day_of_month is 'Day of the month 1-31.';
comment on column marts.dim_date.iso_year is 'ISO-8601 week-numbering year.';
comment on column marts.dim_date.iso_week is 'ISO-8601 week 1-53.';
comment on column marts.dim_date.iso_day_of_week is 'ISO day of week, Monday = 1.';
comment on column marts.dim_date.week_start is 'Monday of the ISO week.';
comment on column marts.dim_date.month_start is 'First day of the month.';
comment on column marts.dim_date.quarter_start is 'First day of the quarter.';
comment on column marts.dim_date.year_start is 'First day of the year.';
comment on column marts.dim_date.is_weekend is 'Saturday or Sunday.';

-- The category tree flattened: every (ancestor, descendant) pair including (c, c).
create table marts.category_closure (
    ancestor_id integer not null,
    descendant_id integer not null,
    depth integer not null,
    primary key (ancestor_id, descendant_id)
);
create index category_closure_descendant_idx on marts.category_closure (descendant_id);
comment on table marts.category_closure is
'Transitive closure of the category tree: a category''s sales include all its descendants''.';
comment on column marts.category_closure.ancestor_id is 'The category whose subtree this is.';
comment on column marts.category_closure.descendant_id is 'A category in that subtree (itself included).';
comment on column marts.category_closure.depth is 'Levels between them (0 for the category itself).';

create table marts.daily_product_sales (
    sales_date date not null,
    product_id integer not null,
    units bigint not null,
    orders integer not null,
    revenue numeric(16, 2) not null,
    primary key (sales_date, product_id)
);
create index daily_product_sales_product_idx on marts.daily_product_sales (product_id, sales_date);
comment on table marts.daily_product_sales is
'Sales per UTC day and product, counted orders only (not Cancelled/Returned).';
comment on column marts.daily_product_sales.sales_date is 'UTC day of order_date.';
comment on column marts.daily_product_sales.product_id is 'Product sold.';
comment on column marts.daily_product_sales.units is 'Sum of quantity.';
comment on column marts.daily_product_sales.orders is 'Distinct orders with a line of this product.';
comment on column marts.daily_product_sales.revenue is 'Sum of line revenue (price * quantity - discount).';

create table marts.daily_category_sales (
    sales_date date not null,
    category_id integer not null,
    units bigint not null,
    orders integer not null,
    revenue numeric(16, 2) not null,
    primary key (sales_date, category_id)
);
create index daily_category_sales_category_idx on marts.daily_category_sales (category_id, sales_date);
comment on table marts.daily_category_sales is
'Sales per UTC day and category, rolled up the tree: a category includes all its descendants.';
comment on column marts.daily_category_sales.sales_date is 'UTC day of order_date.';
comment on column marts.daily_category_sales.category_id is 'Category (its whole subtree).';
comment on column marts.daily_category_sales.units is 'Sum of quantity in the subtree.';
comment on column marts.daily_category_sales.orders is 'Distinct orders with a line in the subtree.';
comment on column marts.daily_category_sales.revenue is 'Sum of line revenue in the subtree.';

create table marts.daily_sales (
    sales_date date primary key,
    units bigint not null,
    orders integer not null,
    revenue numeric(16, 2) not null
);
comment on table marts.daily_sales is 'Shop-wide sales per UTC day, counted orders only.';
comment on column marts.daily_sales.sales_date is 'UTC day of order_date.';
comment on column marts.daily_sales.units is 'Units sold.';
comment on column marts.daily_sales.orders is 'Counted orders placed that day.';
comment on column marts.daily_sales.revenue is 'Revenue of the counted orders.';

create table marts.customer_lifetime (
    customer_id integer primary key,
    lifetime_value numeric(16, 2) not null,
    order_count integer not null,
    first_order_at timestamptz,
    last_order_at timestamptz,
    average_order_value numeric(16, 2)
);
create index customer_lifetime_value_idx on marts.customer_lifetime (lifetime_value desc, customer_id);
comment on table marts.customer_lifetime is
'Derived attributes per customer over counted orders (customers without one have lifetime_value 0).';
comment on column marts.customer_lifetime.customer_id is 'The customer.';
comment on column marts.customer_lifetime.lifetime_value is 'Sum of the revenue of counted orders.';
comment on column marts.customer_lifetime.order_count is 'Number of counted orders.';
comment on column marts.customer_lifetime.first_order_at is 'order_date of the first counted order.';
comment on column marts.customer_lifetime.last_order_at is 'order_date of the last counted order.';
comment on column marts.customer_lifetime.average_order_value is 'lifetime_value / order_count (2 places).';

-- Small, whole-table summaries as materialized views, refreshed concurrently after each batch.
create materialized view marts.monthly_category_sales as
select
    date_trunc('month', sales_date)::date as month_start,
    category_id,
    sum(units)::bigint as units,
    sum(orders)::bigint as order_lines,
    sum(revenue) as revenue
from marts.daily_category_sales
group by date_trunc('month', sales_date), category_id
with no data;
create unique index monthly_category_sales_key on marts.monthly_category_sales (month_start, category_id);
comment on materialized view marts.monthly_category_sales is
'Revenue and units per month and category (subtree); orders are summed per day, not distinct per month.';

create materialized view marts.product_sales_totals as
select
    product_id,
    sum(units)::bigint as units,
    sum(revenue) as revenue,
    min(sales_date) as first_sale_date,
    max(sales_date) as last_sale_date
from marts.daily_product_sales
group by product_id
with no data;
create unique index product_sales_totals_key on marts.product_sales_totals (product_id);
create index product_sales_totals_revenue_idx on marts.product_sales_totals (revenue desc, product_id);
comment on materialized view marts.product_sales_totals is 'All-time units and revenue per product.';
