-- A line's foreign key to its order, declared between twin partitions instead of once between
-- the partitioned tables: each partition of core.order_items references the partition of
-- core.orders that holds the same order_date range (order_items_y2024m03 -> orders_y2024m03,
-- order_items_default -> orders_default). A line carries its order's order_date in the key, so
-- its order can only be in the twin: the rule is the same.
--
-- Why: PostgreSQL checks a key against a partitioned table by planning over every partition,
-- for each new line at commit and for each line partition when a first load validates the key;
-- against the twin it checks one plain table (measured in docs/benchmarks.md).
--
-- core.ensure_order_partitions() creates the twins together and links them; stages 36 and 49
-- of a first load drop and rebuild these constraints with the others.

alter table core.order_items drop constraint order_items_order_fk;

create function core.link_order_item_partitions()
returns integer
language plpgsql
as $$
-- Adds the foreign key order_items_order_fk to every partition of core.order_items that lacks
-- it, referencing its twin partition of core.orders (same name after the table's, same bounds).
-- Returns the number of constraints added. DDL has to be issued one statement per partition;
-- the pairs are found set-wise. A partition without a twin of the same bounds is an error: its
-- lines could not reference their orders.
declare
    v_lines regclass;
    v_orders regclass;
    v_added integer := 0;
begin
    for v_lines, v_orders in
        select
            li.inhrelid::regclass,
            twin.oid::regclass
        from pg_inherits as li
        inner join pg_class as line_part on li.inhrelid = line_part.oid
        left join pg_class as twin
            on
                twin.relname = 'orders' || substr(line_part.relname, length('order_items') + 1)
                and twin.relnamespace = line_part.relnamespace
                and pg_get_expr(twin.relpartbound, twin.oid) = pg_get_expr(line_part.relpartbound, line_part.oid)
                and exists (
                    select 1 from pg_inherits as oi
                    where oi.inhrelid = twin.oid and oi.inhparent = 'core.orders'::regclass
                )
        where
            li.inhparent = 'core.order_items'::regclass
            and not exists (
                select 1 from pg_constraint as k
                where k.conrelid = li.inhrelid and k.conname = 'order_items_order_fk'
            )
        order by 1
    loop
        if v_orders is null then
            raise exception 'partition % of core.order_items has no twin partition of core.orders', v_lines
                using hint = 'create both with core.ensure_order_partitions(), which keeps their bounds equal';
        end if;
        execute format(
            'alter table %s add constraint order_items_order_fk foreign key (order_id, order_date)'
            ' references %s (order_id, order_date) deferrable initially deferred',
            v_lines, v_orders
        );
        v_added := v_added + 1;
    end loop;
    return v_added;
end
$$;
comment on function core.link_order_item_partitions() is
'Add the foreign key order_items_order_fk from each partition of core.order_items that lacks it '
'to its twin partition of core.orders; returns how many were added.';

-- core.ensure_order_partitions (0003) keeps creating the twins, under a name that says so; the
-- function of the old name creates them and then links them.
alter function core.ensure_order_partitions(timestamptz, timestamptz) rename to create_order_partitions;
comment on function core.create_order_partitions(timestamptz, timestamptz) is
'Create the monthly partitions of core.orders and core.order_items that cover [p_from, p_to] '
'(unlinked: call core.ensure_order_partitions).';

create function core.ensure_order_partitions(p_from timestamptz, p_to timestamptz)
returns integer
language plpgsql
as $$
-- Returns the number of partitions created.
declare
    v_created integer;
begin
    v_created := core.create_order_partitions(p_from, p_to);
    perform core.link_order_item_partitions();
    return v_created;
end
$$;
comment on function core.ensure_order_partitions(timestamptz, timestamptz) is
'Create the monthly partitions of core.orders and core.order_items that cover [p_from, p_to], '
'each line partition referencing its twin orders partition.';

-- every existing pair, the default partitions included (validated here: one join per month)
select core.link_order_item_partitions();
