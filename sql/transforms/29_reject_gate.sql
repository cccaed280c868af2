-- Stage 29: the reject threshold. Lists the files of this run whose rejected share exceeds
-- the threshold; any row here stops the batch before it touches the core tables.
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
        count(*) as rejected_rows
    from etl.rejects
    where run_id = {{ run_id }}
    group by file_key
)

select
    s.file_key,
    s.staged_rows,
    coalesce(r.rejected_rows, 0) as rejected_rows,
    round(coalesce(r.rejected_rows, 0)::numeric / nullif(s.staged_rows, 0), 4) as rejected_share
from staged as s
left join rejected as r on s.file_key = r.file_key
where coalesce(r.rejected_rows, 0) > {{ threshold | lit }} * s.staged_rows
order by s.file_key;
