-- The pipeline runs: the last successful load (status ok; the run being checked counts while it
-- is running) ended no more than last_run_max_hours (default 26) ago. No successful run at all
-- also warns. Reads etl.runs (one row per load).
-- severity: warn
-- scope: table
with
last_success as (
    select max(coalesce(r.finished_at, now())) as ended_at
    from etl.runs as r
    where r.status = 'ok' or (r.run_id = {{ run_id | lit }} and r.status = 'running')
)

select
    l.ended_at as last_success_at,
    now() - l.ended_at as age,
    {{ last_run_max_hours | lit }} as last_run_max_hours
from last_success as l
where l.ended_at is null or l.ended_at < now() - interval '1 hour' * {{ last_run_max_hours | lit }}
