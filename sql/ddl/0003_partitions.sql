-- Monthly partitions of core.orders and core.order_items.
-- The DEFAULT partitions exist only to fail loudly: their CHECK (false) makes any row
-- that no monthly partition accepts an error instead of a silent catch-all.
-- The pipeline calls core.ensure_order_partitions() for the batch's months before inserting.

create table core.orders_default partition of core.orders default;
alter table core.orders_default add constraint orders_default_must_stay_empty check (false) no inherit;
comment on table core.orders_default is
'Catch-all partition that must stay empty (CHECK false): a missing month is an error, never a silent sink.';

create table core.order_items_default partition of core.order_items default;
alter table core.order_items_default
add constraint order_items_default_must_stay_empty check (false) no inherit;
comment on table core.order_items_default is
'Catch-all partition that must stay empty (CHECK false): a missing month is an error, never a silent sink.';

create function core.partition_name(p_table text, p_month date)
returns text
language sql
immutable
as $$
    select p_table || '_' || to_char(p_month, '"y"YYYY"m"MM')
$$;
comment on function core.partition_name(text, date) is
'Name of the monthly partition of core.<p_table> holding p_month, e.g. orders_y2024m03.';

create function core.ensure_order_partitions(p_from timestamptz, p_to timestamptz)
returns integer
language plpgsql
as $$
-- Creates the missing monthly partitions of core.orders and core.order_items covering
-- [p_from, p_to] (UTC months). Returns the number of partitions created. DDL has to be
-- issued one statement per partition; the months themselves are computed set-wise.
declare
    v_month date;
    v_created integer := 0;
    v_table text;
begin
    if p_from is null or p_to is null then
        return 0;
    end if;
    for v_month, v_table in
        select m::date, t.name
        from generate_series(
            date_trunc('month', p_from at time zone 'UTC'),
            date_trunc('month', p_to at time zone 'UTC'),
            interval '1 month'
        ) as m
        cross join (values ('orders'), ('order_items')) as t (name)
        where to_regclass(format('core.%I', core.partition_name(t.name, m::date))) is null
        order by 1, 2
    loop
        execute format(
            'create table core.%I partition of core.%I for values from (%L) to (%L)',
            core.partition_name(v_table, v_month),
            v_table,
            (v_month::timestamp at time zone 'UTC'),
            ((v_month + interval '1 month')::timestamp at time zone 'UTC')
        );
        v_created := v_created + 1;
    end loop;
    return v_created;
end
$$;
comment on function core.ensure_order_partitions(timestamptz, timestamptz) is
'Create the monthly partitions of core.orders and core.order_items that cover [p_from, p_to].';

create view core.order_partitions as
select
    parent.relname as parent_table,
    child.relname as partition_name,
    pg_get_expr(child.relpartbound, child.oid) as bounds,
    child.reltuples::bigint as estimated_rows
from pg_inherits as i
inner join pg_class as parent on i.inhparent = parent.oid
inner join pg_class as child on i.inhrelid = child.oid
inner join pg_namespace as n on parent.relnamespace = n.oid
where n.nspname = 'core' and parent.relname in ('orders', 'order_items');
comment on view core.order_partitions is 'The partitions of core.orders and core.order_items with their bounds.';
