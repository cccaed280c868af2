-- Results of the data-quality checks (sql/checks): one row per check per execution, written by
-- `shopetl check` and by `shopetl load` before it publishes a batch; the view
-- etl.latest_check_results is what monitoring polls.

create table etl.check_results (
    result_id bigint generated always as identity primary key,
    run_id bigint references etl.runs (run_id),
    check_name text not null,
    severity text not null,
    scope text not null,
    status text not null,
    violating_rows bigint,
    sample jsonb,
    error text,
    duration_ms bigint not null,
    checked_at timestamptz not null default pg_catalog.clock_timestamp(),
    constraint check_results_severity_known check (severity in ('error', 'warn')),
    constraint check_results_scope_known check (scope in ('batch', 'all')),
    constraint check_results_status_known check (status in ('pass', 'fail', 'error')),
    constraint check_results_rows_known check ((status = 'error') = (violating_rows is null))
);
create index check_results_name_idx on etl.check_results (check_name, checked_at desc, result_id desc);
create index check_results_run_idx on etl.check_results (run_id) where run_id is not null;
comment on table etl.check_results is
'Every execution of every data-quality check (sql/checks/NN_name.sql): status, violating rows, a sample.';
comment on column etl.check_results.result_id is 'Order of the results.';
comment on column etl.check_results.run_id is
'The load run (batch) the check judged; null for `shopetl check` run on demand without --run.';
comment on column etl.check_results.check_name is 'Check name: the file name without NN_ and .sql.';
comment on column etl.check_results.severity is
'error: a failure stops the batch before it is published (and `shopetl check` exits 1); warn: reported only.';
comment on column etl.check_results.scope is
'What the check read: batch (only what the run''s batch touched) or all (whole tables).';
comment on column etl.check_results.status is
'pass (no violating row), fail (violating rows) or error (the check itself could not run: see error).';
comment on column etl.check_results.violating_rows is 'Number of rows the check returned; null when status is error.';
comment on column etl.check_results.sample is 'Up to 20 of the violating rows as a JSON array of objects.';
comment on column etl.check_results.error is 'Error message when the check could not run.';
comment on column etl.check_results.duration_ms is 'Wall time of the check in milliseconds.';
comment on column etl.check_results.checked_at is 'When the check finished.';

create view etl.latest_check_results as
select distinct on (r.check_name)
    r.check_name,
    r.severity,
    r.status,
    r.violating_rows,
    r.scope,
    r.run_id,
    r.checked_at,
    r.duration_ms,
    r.sample,
    r.error,
    r.status <> 'pass' as needs_attention,
    r.result_id
from etl.check_results as r
order by r.check_name asc, r.checked_at desc, r.result_id desc;
comment on view etl.latest_check_results is
'The latest result of each check, for monitoring: alert on needs_attention (severity error first).';
comment on column etl.latest_check_results.check_name is 'Check name (sql/checks/NN_<name>.sql).';
comment on column etl.latest_check_results.severity is 'error or warn.';
comment on column etl.latest_check_results.status is 'pass, fail or error.';
comment on column etl.latest_check_results.violating_rows is 'Rows the check returned (null on error).';
comment on column etl.latest_check_results.scope is 'batch or all: what the check read.';
comment on column etl.latest_check_results.run_id is 'Run judged (null for an on-demand check).';
comment on column etl.latest_check_results.checked_at is 'When the check finished.';
comment on column etl.latest_check_results.duration_ms is 'Wall time in milliseconds.';
comment on column etl.latest_check_results.sample is 'Up to 20 violating rows.';
comment on column etl.latest_check_results.error is 'Error text when the check could not run.';
comment on column etl.latest_check_results.needs_attention is 'Whether the latest result is fail or error.';
comment on column etl.latest_check_results.result_id is 'The row of etl.check_results shown.';
