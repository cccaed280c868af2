-- Stage 50: refresh the materialized views of marts, if any (the shop's own summaries are tables
-- the publish stages move; 0042 and 0044). A view with a unique index that was populated before
-- is refreshed CONCURRENTLY, so readers are never blocked; any other one plainly.
do $$
declare
    v_view regclass;
    v_concurrently boolean;
begin
    for v_view, v_concurrently in
        select
            c.oid::regclass,
            c.relispopulated and exists (
                select 1
                from pg_index as i
                where i.indrelid = c.oid and i.indisunique and i.indpred is null and i.indexprs is null
            )
        from pg_class as c
        inner join pg_namespace as n on c.relnamespace = n.oid
        where n.nspname = 'marts' and c.relkind = 'm'
        order by 1
    loop
        execute format('refresh materialized view %s%s', case when v_concurrently then 'concurrently ' else '' end, v_view);
    end loop;
end
$$;
