-- Stage 70: the run summary: per file the records staged, accepted and rejected by reason,
-- and the revenue total after the run (counted orders, as in every sales figure).
with
staged as (
    select
        file_key,
        staged_rows
    from etl.run_files
    where run_id = {{ run_id }}
),

rejected as (
    select
        file_key,
        reason,
        count(*) as n
    from etl.rejects
    where run_id = {{ run_id }}
    group by file_key, reason
),

rejected_by_file as (
    select
        file_key,
        sum(n) as n,
        jsonb_object_agg(reason, n order by reason) as by_reason
    from rejected
    group by file_key
),

per_file as (
    select
        s.file_key,
        jsonb_build_object(
            'rows', s.staged_rows,
            'accepted', s.staged_rows - coalesce(r.n, 0),
            'rejected', coalesce(r.by_reason, '{}'::jsonb)
        ) as counts
    from staged as s
    left join rejected_by_file as r on s.file_key = r.file_key
)

select
    coalesce((select jsonb_object_agg(file_key, counts) from per_file), '{}'::jsonb) as files,
    (select coalesce(sum(revenue), 0) from marts.daily_sales)::text as revenue_total;
