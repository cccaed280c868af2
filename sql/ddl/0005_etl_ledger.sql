-- The pipeline's own bookkeeping: runs (one per `shopetl load`, its id is the batch id),
-- the files each run took, the stages it ran, and every rejected row.

create table etl.runs (
    run_id bigint generated always as identity primary key,
    folder text not null,
    started_at timestamptz not null default now(),
    finished_at timestamptz,
    status text not null default 'running',
    stage text,
    is_full_load boolean not null default false,
    orchestrated_by text not null default 'cli',
    summary jsonb,
    error text,
    constraint runs_status_known check (status in ('running', 'ok', 'failed', 'refused')),
    constraint runs_orchestrated_by_known check (orchestrated_by in ('cli', 'steps'))
);
comment on table etl.runs is 'One row per load run; run_id is the batch id stamped on rows it wrote.';
comment on column etl.runs.run_id is 'Run and batch id (later batches win over earlier ones).';
comment on column etl.runs.folder is 'Delivery folder the run loaded.';
comment on column etl.runs.started_at is 'When the run started (also the reference for out-of-range order dates).';
comment on column etl.runs.finished_at is 'When the run ended.';
comment on column etl.runs.status is 'running, ok (applied), failed or refused (input refused whole).';
comment on column etl.runs.stage is 'Last stage the run reached.';
comment on column etl.runs.is_full_load is 'Whether the run took the first-load fast path.';
comment on column etl.runs.orchestrated_by is
'cli: one process ran every step (shopetl load); steps: each step in its own process (Flyte).';
comment on column etl.runs.summary is 'The run summary printed by `shopetl load --json`.';
comment on column etl.runs.error is 'Error text of a failed or refused run.';

create table etl.run_files (
    run_id bigint not null references etl.runs (run_id),
    file_key text not null,
    file_name text not null,
    size_bytes bigint not null,
    sha256 text,
    header text[] not null,
    staged_rows bigint,
    physical_lines bigint,
    primary key (run_id, file_key)
);
comment on table etl.run_files is 'The files a run took, with their size, checksum and header.';
comment on column etl.run_files.run_id is 'The run.';
comment on column etl.run_files.file_key is 'Entity key: product_categories, products, customers, orders, order_items.';
comment on column etl.run_files.file_name is 'File name as found in the folder.';
comment on column etl.run_files.size_bytes is 'File size in bytes (compressed size for .gz).';
comment on column etl.run_files.sha256 is 'sha256 of the file as delivered.';
comment on column etl.run_files.header is 'Column names of the header line, in file order.';
comment on column etl.run_files.staged_rows is 'Records staged (parsed and malformed).';
comment on column etl.run_files.physical_lines is 'Physical lines in the file, header included.';

create table etl.run_stages (
    run_id bigint not null references etl.runs (run_id),
    stage text not null,
    started_at timestamptz not null,
    duration_ms bigint not null,
    row_count bigint,
    primary key (run_id, stage)
);
comment on table etl.run_stages is 'Duration and affected rows of each stage of each run.';
comment on column etl.run_stages.run_id is 'The run.';
comment on column etl.run_stages.stage is 'Stage name (the SQL file under sql/transforms, or stage:<file>).';
comment on column etl.run_stages.started_at is 'When the stage started.';
comment on column etl.run_stages.duration_ms is 'Wall time of the stage in milliseconds.';
comment on column etl.run_stages.row_count is 'Rows the stage reported (inserted/updated), where meaningful.';

create table etl.rejects (
    run_id bigint not null,
    file_key text not null,
    file_name text not null,
    line_no bigint not null,
    reason text not null,
    detail text,
    raw text,
    constraint rejects_reason_known check (reason in (
        'malformed', 'missing_required', 'bad_type', 'out_of_range', 'bad_value',
        'inconsistent', 'orphan', 'duplicate'
    ))
);
create index rejects_run_idx on etl.rejects (run_id, file_key, reason);
comment on table etl.rejects is 'Every rejected row with its batch, file, physical line, raw text and reason.';
comment on column etl.rejects.run_id is 'Run (batch) that delivered the row.';
comment on column etl.rejects.file_key is 'Entity key of the file.';
comment on column etl.rejects.file_name is 'File name as delivered.';
comment on column etl.rejects.line_no is 'Physical line where the record starts (header = line 1).';
comment on column etl.rejects.reason is 'Reason code of the data contract.';
comment on column etl.rejects.detail is 'Which field and rule, for people.';
comment on column etl.rejects.raw is 'The record as delivered (CSV text).';
