-- Stage 60: fresh planner statistics for what the batch changed: the catalog and customer
-- tables, the key tables and the marts; of the orders and their lines, the monthly
-- partitions the batch touched (staging.touched_days, stage 42). The partitioned tables' own
-- statistics, sampled across every month, are taken again (with every partition) when the
-- batch changed a tenth of their rows or more, or they never had any (a first load): a small
-- batch does not read all the months it did not touch.
analyze core.product_categories;
analyze core.products;
analyze core.customers;
analyze core.order_keys;
analyze core.order_item_keys;
analyze marts.daily_product_sales;
analyze marts.monthly_product_sales;
analyze marts.daily_category_sales;
analyze marts.daily_sales;
analyze marts.customer_lifetime;

do $$
declare
    v_whole boolean;
    v_table text;
begin
    select
        p.reltuples < 0 or (select count(*) from staging.orders_changed) * 10 >= p.reltuples
        or (select count(*) from staging.order_items_changed) * 10 >= i.reltuples
    into v_whole
    from pg_class as p, pg_class as i
    where p.oid = 'core.orders'::regclass and i.oid = 'core.order_items'::regclass;
    if v_whole then
        analyze core.orders;
        analyze core.order_items;
        return;
    end if;
    for v_table in
        select format('core.%I', core.partition_name(t.name, m.month_start))
        from (values ('orders'), ('order_items')) as t (name)
        cross join (
            select distinct date_trunc('month', d.sales_date)::date as month_start
            from staging.touched_days as d
        ) as m
        where to_regclass(format('core.%I', core.partition_name(t.name, m.month_start))) is not null
    loop
        execute format('analyze %s', v_table);
    end loop;
end
$$;
