-- Stage 70: the run summary: per file the records staged, accepted and rejected by reason,
-- and the revenue total after the run (counted orders, as in every sales figure).
with
staged as (
    select file_key, staged_rows
    from etl.run_files
    where run_id = {{ run_id }}
),

rejected as (
    select file_key, reason, count(*) as n
    from etl.rejects
    where run_id = {{ run_id }}
    group by file_key, reason
),

per_file as (
    select
        s.file_key,
        jsonb_build_object(
            'rows', s.staged_rows,
            'accepted', s.staged_rows - coalesce((select sum(n) from rejected as r where r.file_key = s.file_key), 0),
            'rejected', coalesce(
                (select jsonb_object_agg(reason, n order by reason) from rejected as r where r.file_key = s.file_key),
                '{}'::jsonb
            )
        ) as counts
    from staged as s
)

select
    coalesce((select jsonb_object_agg(file_key, counts) from per_file), '{}'::jsonb) as files,
    (select coalesce(sum(revenue), 0) from marts.daily_sales)::text as revenue_total;
