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
            format('%I.%I', v.schemaname, v.matviewname)::regclass,
            v.ispopulated and exists (
                select 1
                from pg_index as i
                where
                    i.indrelid = format('%I.%I', v.schemaname, v.matviewname)::regclass
                    and i.indisunique and i.indpred is null and i.indexprs is null
            )
        from pg_matviews as v
        where v.schemaname = 'marts'
        order by 1
    loop
        execute format('refresh materialized view %s%s', case when v_concurrently then 'concurrently ' else '' end, v_view);
    end loop;
end
$$;
