-- Stage 49, first load only, after the marts are filled: build what stage 36 dropped, in
-- reverse order (primary keys, indexes, then foreign keys, each validated by one set-based
-- check of all rows).
do $$
declare
    v_sql text;
begin
    for v_sql in select create_sql from staging.bulk_ddl order by drop_order desc loop
        execute v_sql;
    end loop;
end
$$;
