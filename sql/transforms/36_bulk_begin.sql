-- Stage 36, first load only (core.order_keys empty): instead of maintaining the indexes of
-- core.orders and core.order_items and checking their foreign keys row by row for millions of
-- rows, drop them here and build them once in stage 40, each from the catalog's own
-- definition, so the schema afterwards is exactly the migrated one. Inside the publish
-- transaction: a failure restores them with everything else.

-- check the foreign keys of the rows upserted so far now: ALTER TABLE refuses to run while
-- deferred checks are pending
set constraints all immediate;

drop table if exists staging.bulk_ddl;
create unlogged table staging.bulk_ddl as
with
tables as (
    select unnest(array['core.orders'::regclass, 'core.order_items'::regclass]) as relid
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
        and (c.conrelid in (select t.relid from tables as t) or c.confrelid in (select t.relid from tables as t))
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
    v_sql text;
begin
    for v_sql in select drop_sql from staging.bulk_ddl order by drop_order loop
        execute v_sql;
    end loop;
end
$$;
