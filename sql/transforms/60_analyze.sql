-- Stage 60: fresh planner statistics for what the batch changed. The catalog and customer
-- tables, the key tables and the marts are analyzed when the batch changed a tenth of their
-- rows or more, or they never had statistics (a first load); smaller changes add up until
-- autovacuum analyzes the table by the same rule (autovacuum_analyze_scale_factor 0.1), as it
-- does for any table. Of the orders and their lines, the monthly partitions the batch touched
-- (staging.touched_days, stage 42). The partitioned tables' own statistics, sampled across
-- every month, are taken again (with every partition) when the batch changed a tenth of their
-- rows or more, or they never had any (a first load): a small batch does not read all the
-- months it did not touch.
-- The rows a stage changed are counted in the staging table it wrote them from; for the monthly
-- product mart that is touched_product_months_after in a first load and
-- touched_product_months_delta in a batch (which writes no *_after table: counting the first
-- load's, left behind, analyzed the mart again after every batch).
do $$
declare
    v_table regclass;
begin
    for v_table in
        select t.relid
        from (
            values
            ('core.product_categories'::regclass, (select count(*) from staging.product_categories_changed)),
            ('core.products'::regclass, (select count(*) from staging.products_changed)),
            ('core.customers'::regclass, (select count(*) from staging.customers_changed)),
            ('core.order_keys'::regclass, (select count(*) from staging.orders_changed)),
            ('core.order_item_keys'::regclass, (select count(*) from staging.order_items_changed)),
            ('marts.daily_product_sales'::regclass, (select count(*) from staging.touched_product_days_after)),
            (
                'marts.monthly_product_sales'::regclass,
                (select count(*) from staging.{{ "touched_product_months_after" if bulk else "touched_product_months_delta" }})
            ),
            ('marts.daily_category_sales'::regclass, (select count(*) from staging.touched_category_days_after)),
            ('marts.daily_sales'::regclass, (select count(*) from staging.touched_days)),
            ('marts.customer_lifetime'::regclass, (select count(*) from staging.touched_customers)),
            ('marts.category_closure'::regclass, (select count(*) from staging.product_categories_changed)),
            ('marts.dim_date'::regclass, (select count(*) from staging.touched_days))
        ) as t (relid, changed)
        inner join pg_class as c on t.relid = c.oid
        where c.reltuples < 0 or t.changed * 10 >= c.reltuples
    loop
        execute format('analyze %s', v_table);
    end loop;
end
$$;

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
