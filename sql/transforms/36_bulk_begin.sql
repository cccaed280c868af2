-- Stage 36, first load only (core.order_keys empty): instead of maintaining the indexes of
-- the order tables, their key tables and the big daily and monthly marts, and checking
-- foreign keys row by row for millions of rows, drop them here and build them once in stage
-- 49, each from the catalog's own definition, so the schema afterwards is exactly the
-- migrated one. Then truncate those tables (they are empty): a table truncated in this
-- transaction gets a new file, and on a server with wal_level = minimal (the embedded one)
-- everything written to it until commit skips the WAL and is synced at commit instead.
-- Inside the publish transaction: a failure restores all of it.

-- check the foreign keys of the rows upserted so far now: ALTER TABLE refuses to run while
-- deferred checks are pending
set constraints all immediate;

-- the tables a first load writes without keys, indexes or WAL (all empty then)
drop table if exists staging.bulk_tables;
create unlogged table staging.bulk_tables as
select
    unnest(array[
        'core.orders'::regclass, 'core.order_items'::regclass,
        'core.order_keys'::regclass, 'core.order_item_keys'::regclass,
        'marts.daily_product_sales'::regclass, 'marts.monthly_product_sales'::regclass,
        'marts.daily_category_sales'::regclass
    ]) as relid;

drop table if exists staging.bulk_ddl;
create unlogged table staging.bulk_ddl as
with
tables as (
    select relid from staging.bulk_tables
),

-- and their partitions, whose own foreign keys (a line partition's to its twin orders
-- partition, migration 0041) go and come back with the rest
tables_and_partitions as (
    select t.relid from tables as t
    union all
    select i.inhrelid from pg_inherits as i
    where i.inhparent in (select t.relid from tables as t)
),

foreign_keys as (
    select
        1 as drop_order,
        format('alter table %s drop constraint %I', c.conrelid::regclass, c.conname) as drop_sql,
        format('alter table %s add constraint %I %s', c.conrelid::regclass, c.conname, pg_get_constraintdef(c.oid))
            as create_sql
    from pg_constraint as c
    where
        c.contype = 'f' and c.conparentid = 0
        and (
            c.conrelid in (select t.relid from tables_and_partitions as t)
            or c.confrelid in (select t.relid from tables_and_partitions as t)
        )
),

secondary_indexes as (
    select
        2 as drop_order,
        format('drop index %s', i.indexrelid::regclass) as drop_sql,
        -- a partitioned table's index definition reads "ON ONLY": build it on every partition
        replace(pg_get_indexdef(i.indexrelid), ' ON ONLY ', ' ON ') as create_sql
    from pg_index as i
    where
        i.indrelid in (select t.relid from tables as t)
        and not exists (
            select 1 from pg_constraint as k
            where k.conindid = i.indexrelid
        )
),

primary_keys as (
    select
        3 as drop_order,
        format('alter table %s drop constraint %I', c.conrelid::regclass, c.conname) as drop_sql,
        format('alter table %s add constraint %I %s', c.conrelid::regclass, c.conname, pg_get_constraintdef(c.oid))
            as create_sql
    from pg_constraint as c
    where c.contype = 'p' and c.conrelid in (select t.relid from tables as t)
)

select * from foreign_keys
union all
select * from secondary_indexes
union all
select * from primary_keys;

do $$
declare
    v_table regclass;
    v_found boolean;
    v_sql text;
begin
    -- a first load finds these empty (no order key, so no order, line or counted sale)
    for v_table in select relid from staging.bulk_tables loop
        execute format('select exists (select 1 from %s)', v_table) into v_found;
        if v_found then
            raise exception 'first load: core.order_keys is empty but the order tables or daily marts are not'
                using detail = format('%s holds rows', v_table), hint = 'the database is inconsistent: run shopetl check';
        end if;
    end loop;
    for v_sql in select drop_sql from staging.bulk_ddl order by drop_order loop
        execute v_sql;
    end loop;
    execute (select 'truncate ' || string_agg(relid::text, ', ') from staging.bulk_tables);
end
$$;
