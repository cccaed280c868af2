-- Root fields over the pipeline's own bookkeeping, for the dashboard and monitoring:
-- pipelineRuns (the last load runs with their files and rejected rows per file and reason)
-- and checkResults (the latest result of each data-quality check). Read-only views of etl.*;
-- rejected rows are counted, never shown (their raw text may hold personal data).

create function api.pipeline_runs(p_first integer default 10)
returns jsonb
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
-- The newest runs first. Counts come from etl.run_files and etl.rejects (index run_id,
-- file_key, reason), so a run that failed before its summary was written shows them too.
declare
    v_first integer := coalesce(p_first, 10);
    v_result jsonb;
begin
    if v_first < 1 or v_first > 100 then
        perform api_internal.invalid(format('first must be between 1 and 100 (got %s)', v_first));
    end if;

    with runs as (
        select
            r.run_id,
            r.folder,
            r.status,
            r.stage,
            r.is_full_load,
            r.started_at,
            r.finished_at,
            r.error
        from etl.runs as r
        order by r.run_id desc
        limit v_first
    ),

    rejected as (
        select
            j.run_id,
            j.file_key,
            j.reason,
            count(*) as n
        from etl.rejects as j
        where j.run_id in (select runs.run_id from runs)
        group by j.run_id, j.file_key, j.reason
    ),

    files as (
        select
            f.run_id,
            jsonb_agg(
                jsonb_build_object(
                    'fileKey', f.file_key,
                    'fileName', f.file_name,
                    'stagedRows', f.staged_rows,
                    'rejectedRows', coalesce((
                        select sum(x.n) from rejected as x
                        where x.run_id = f.run_id and x.file_key = f.file_key
                    ), 0)
                ) order by f.file_key
            ) as files,
            sum(f.staged_rows) as staged_rows
        from etl.run_files as f
        where f.run_id in (select runs.run_id from runs)
        group by f.run_id
    ),

    reasons as (
        select
            x.run_id,
            jsonb_agg(
                jsonb_build_object('fileKey', x.file_key, 'reason', x.reason, 'rows', x.n)
                order by x.file_key, x.reason
            ) as rejects,
            sum(x.n) as rejected_rows
        from rejected as x
        group by x.run_id
    )

    select coalesce(
        jsonb_agg(
            jsonb_build_object(
                'runId', r.run_id,
                'folder', r.folder,
                'status', upper(r.status),
                'stage', r.stage,
                'isFullLoad', r.is_full_load,
                'startedAt', api_internal.iso_time(r.started_at),
                'finishedAt', api_internal.iso_time(r.finished_at),
                'error', r.error,
                'stagedRows', coalesce(f.staged_rows, 0),
                'rejectedRows', coalesce(x.rejected_rows, 0),
                'files', coalesce(f.files, '[]'::jsonb),
                'rejects', coalesce(x.rejects, '[]'::jsonb)
            ) order by r.run_id desc
        ),
        '[]'::jsonb
    )
    into v_result
    from runs as r
    left join files as f on r.run_id = f.run_id
    left join reasons as x on r.run_id = x.run_id;
    return v_result;
end
$$;
comment on function api.pipeline_runs(integer) is
'The last load runs (newest first) with status, times, files and rejected rows per file and reason.';

create function api.check_results()
returns jsonb
language plpgsql
stable
security definer
set search_path = pg_catalog, pg_temp
as $$
-- plpgsql, not sql: etl.latest_check_results comes with a later migration (0040), and a
-- plpgsql body is resolved when it runs, not when it is created.
begin
    return (
        select coalesce(
            jsonb_agg(
                jsonb_build_object(
                    'checkName', c.check_name,
                    'severity', upper(c.severity),
                    'scope', upper(c.scope),
                    'status', upper(c.status),
                    'violatingRows', c.violating_rows,
                    'runId', c.run_id,
                    'checkedAt', api_internal.iso_time(c.checked_at),
                    'durationMs', c.duration_ms,
                    'error', c.error,
                    'needsAttention', c.needs_attention
                ) order by c.needs_attention desc, c.severity asc, c.check_name asc
            ),
            '[]'::jsonb
        )
        from etl.latest_check_results as c
    );
end
$$;
comment on function api.check_results() is
'The latest result of each data-quality check: failing ones first (severity error before warn), then by name.';

-- Who may call what (new functions are executable by PUBLIC until revoked).
revoke all on all functions in schema api from public;
revoke all on all functions in schema api_internal from public;
grant execute on all functions in schema api to shopetl_api;
