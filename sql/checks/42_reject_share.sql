-- Files of the run whose rejected share exceeds the warning level (warn_reject_share, default
-- 1%): lower than the load's own threshold (which refuses the batch), so that a rising share of
-- bad rows is seen before it stops the pipeline.
-- The run is run_id, or without one the latest run that took files. Reads that run's ledger rows.
-- severity: warn
-- scope: batch
with
judged_run as (
    select coalesce({{ run_id | lit }}::bigint, (select max(f.run_id) from etl.run_files as f)) as run_id
),

rejected as (
    select
        r.file_key,
        count(*) as rejected_rows
    from etl.rejects as r
    where r.run_id = (select j.run_id from judged_run as j)
    group by r.file_key
)

select
    f.run_id,
    f.file_key,
    f.staged_rows,
    coalesce(r.rejected_rows, 0) as rejected_rows,
    round(coalesce(r.rejected_rows, 0)::numeric / nullif(f.staged_rows, 0), 4) as rejected_share,
    {{ warn_reject_share | lit }} as warn_share
from etl.run_files as f
left join rejected as r on f.file_key = r.file_key
where
    f.run_id = (select j.run_id from judged_run as j)
    and coalesce(r.rejected_rows, 0) > {{ warn_reject_share | lit }} * f.staged_rows
