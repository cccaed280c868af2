-- marts.product_sales_totals becomes a table that stage 44 moves with the other product marts,
-- inside the batch's transaction, instead of a materialized view refreshed after it.
--
-- Why: REFRESH ... CONCURRENTLY recomputed every product's totals after each batch, 2.3-2.5 s
-- at full size however small the batch, most of it looking up 100k first and last days of sale
-- (docs/benchmarks.md). A batch touches the products of its lines only, and their totals move by
-- the same per-day difference as the daily and monthly marts; a first or last day of sale is
-- looked up again only for a product that lost a day of sale at that end. The figures are those
-- of the view: units and revenue summed over all time, first and last day of sale.
--
-- The table starts with the view's rows, refreshed first if a run ended before refreshing it.
-- api.product_sales and api.top_products_by_category read it for all time when pg_class says it
-- is populated, which a table always is.

create table marts.product_sales_totals_table (
    product_id integer primary key,
    units bigint not null,
    revenue numeric(18, 2) not null,
    first_sale_date date not null,
    last_sale_date date not null,
    check (first_sale_date <= last_sale_date)
);

do $$
begin
    if exists (select 1 from marts.monthly_product_sales) then
        refresh materialized view marts.product_sales_totals;
        insert into marts.product_sales_totals_table (product_id, units, revenue, first_sale_date, last_sale_date)
        select product_id, units, revenue, first_sale_date, last_sale_date
        from marts.product_sales_totals
        order by product_id;
    end if;
end
$$;

drop materialized view marts.product_sales_totals;
alter table marts.product_sales_totals_table rename to product_sales_totals;
alter index marts.product_sales_totals_table_pkey rename to product_sales_totals_pkey;
create index product_sales_totals_revenue_idx on marts.product_sales_totals (revenue desc, product_id);

comment on table marts.product_sales_totals is
'All-time sales per product: the daily product mart summed over all time (stage 44 keeps it).';
comment on column marts.product_sales_totals.product_id is 'Product sold.';
comment on column marts.product_sales_totals.units is 'Sum of quantity over all time.';
comment on column marts.product_sales_totals.revenue is
'Sum of line revenue (price * quantity - discount) over all time.';
comment on column marts.product_sales_totals.first_sale_date is 'First UTC day with a counted sale.';
comment on column marts.product_sales_totals.last_sale_date is 'Last UTC day with a counted sale.';
