-- Planner statistics of core.orders and core.order_items only for the columns that queries
-- filter, join, group or sort on; none for the shipping, payment and tracking columns of the
-- orders nor for the quantity, price, discount and total of the lines, which the pipeline and
-- the API only read and add up (revenue keeps its statistics: revenue_not_negative filters it).
--
-- Why: ANALYZE sorts a 30,000-row sample per column, and the orders' text columns cost the most.
-- At full size `analyze core.orders` took 8.3-9.3 s and 3.5-3.7 s without these columns, `analyze
-- core.order_items` 6.6 s and 2.6 s; one month partition of the orders 250 ms and 75 ms, which
-- a batch pays for every month it touched (docs/benchmarks.md).
--
-- A partition created later does not inherit its parent's targets (PostgreSQL copies no
-- per-column statistics target into CREATE TABLE ... PARTITION OF), so
-- core.ensure_order_partitions() now gives each new partition its parent's.

alter table core.orders
alter column payment_method set statistics 0,
alter column shipping_address set statistics 0,
alter column shipping_city set statistics 0,
alter column shipping_state set statistics 0,
alter column shipping_zip set statistics 0,
alter column shipping_country set statistics 0,
alter column processing_date set statistics 0,
alter column shipping_date set statistics 0,
alter column delivery_date set statistics 0;

alter table core.order_items
alter column quantity set statistics 0,
alter column price set statistics 0,
alter column discount set statistics 0,
alter column total set statistics 0;

create function core.copy_partition_statistics_targets()
returns integer
language plpgsql
as $$
-- Sets the per-column statistics target of every partition of core.orders and core.order_items
-- to its parent's where the two differ (the parent's is set, the partition's is not the same).
-- Returns the number of columns changed. DDL has to be issued one statement per column; the
-- columns themselves are found set-wise.
declare
    v_partition regclass;
    v_column name;
    v_target integer;
    v_changed integer := 0;
begin
    for v_partition, v_column, v_target in
        select
            i.inhrelid::regclass,
            pa.attname,
            coalesce(pa.attstattarget, -1)::integer
        from pg_inherits as i
        inner join pg_attribute as pa on i.inhparent = pa.attrelid
        inner join pg_attribute as ca on i.inhrelid = ca.attrelid and pa.attname = ca.attname
        where
            i.inhparent in ('core.orders'::regclass, 'core.order_items'::regclass)
            and pa.attnum > 0
            and not pa.attisdropped
            and coalesce(pa.attstattarget, -1) >= 0
            and coalesce(ca.attstattarget, -1) <> coalesce(pa.attstattarget, -1)
        order by 1, 2
    loop
        execute format('alter table only %s alter column %I set statistics %s', v_partition, v_column, v_target);
        v_changed := v_changed + 1;
    end loop;
    return v_changed;
end
$$;
comment on function core.copy_partition_statistics_targets() is
'Give every partition of core.orders and core.order_items the per-column statistics targets its '
'parent sets; returns how many columns changed.';

create or replace function core.ensure_order_partitions(p_from timestamptz, p_to timestamptz)
returns integer
language plpgsql
as $$
-- Returns the number of partitions created.
declare
    v_created integer;
begin
    v_created := core.create_order_partitions(p_from, p_to);
    perform core.link_order_item_partitions();
    if v_created > 0 then
        perform core.copy_partition_statistics_targets();
    end if;
    return v_created;
end
$$;
comment on function core.ensure_order_partitions(timestamptz, timestamptz) is
'Create the monthly partitions of core.orders and core.order_items that cover [p_from, p_to], '
'each line partition referencing its twin orders partition, with their parents'' statistics targets.';
