-- Nothing of a delivered file is lost or counted twice: per file of the run,
--   staged = accepted + rejected, where
--   staged   = etl.run_files.staged_rows (records the stager took: parsed and malformed),
--   rejected = its rows of etl.rejects (malformed ones never reach staging.<file>; the others
--              each name one staged record by its line number),
--   accepted = the staged records of staging.<file> no reject names;
-- and every accepted record's key is in core after the publish (the accepted record or a later
-- line with the same key won). A reject naming no staged line, or two rejects of one line,
-- break the first equation; a lost row breaks the second.
-- Batch scope: the run's own staging tables (they hold the latest run, also after it ended).
-- Scope all: the ledger of every run that has a summary (etl.runs.summary, etl.run_files and
-- etl.rejects agree on rows, accepted and rejected per reason).
-- severity: error
-- scope: batch
{#- The records of staging.<key>: how many, how many no reject names, and how many of those
    have no key in core. -#}
{% macro staged_file(key, key_column, core_table) -%}
select
        {{ key | lit }} as file_key,
        count(*) as parsed_rows,
        count(*) filter (where r.line_no is null) as accepted_rows,
        count(*) filter (where r.line_no is null and k.{{ key_column }} is null) as unpublished_rows
    from staging.{{ key }} as s
    left join etl.rejects as r
        on
            r.run_id = {{ run_id | lit }}
            and r.file_key = {{ key | lit }}
            and r.reason <> 'malformed'
            and coalesce(s.line_no, s.rec_no + 1) = r.line_no
    left join {{ core_table }} as k
        on
            k.{{ key_column }} = case
                when staging.is_bigint(staging.clean(s.{{ key_column }}))
                    then staging.to_int(staging.clean(s.{{ key_column }}))
            end
{%- endmacro %}
{% if scope == 'batch' -%}
with
files as (
    select
        f.file_key,
        f.staged_rows
    from etl.run_files as f
    where f.run_id = {{ run_id | lit }}
),

rejected as (
    select
        r.file_key,
        count(*) as rejected_rows,
        count(*) filter (where r.reason = 'malformed') as malformed_rows
    from etl.rejects as r
    where r.run_id = {{ run_id | lit }}
    group by r.file_key
),

staged as (
    {{ staged_file("product_categories", "category_id", "core.product_categories") }}
    union all
    {{ staged_file("products", "product_id", "core.products") }}
    union all
    {{ staged_file("customers", "customer_id", "core.customers") }}
    union all
    {{ staged_file("orders", "order_id", "core.order_keys") }}
    union all
    {{ staged_file("order_items", "order_item_id", "core.order_item_keys") }}
),

counted as (
    select
        f.file_key,
        f.staged_rows,
        s.parsed_rows,
        coalesce(r.malformed_rows, 0) as malformed_rows,
        s.accepted_rows,
        coalesce(r.rejected_rows, 0) as rejected_rows,
        s.unpublished_rows
    from files as f
    inner join staged as s on f.file_key = s.file_key
    left join rejected as r on f.file_key = r.file_key
)

select
    file_key,
    staged_rows,
    parsed_rows,
    malformed_rows,
    accepted_rows,
    rejected_rows,
    unpublished_rows,
    case
        when coalesce(staged_rows, -1) <> parsed_rows + malformed_rows
            then 'staged_rows is not the records in staging plus the malformed ones'
        when staged_rows <> accepted_rows + rejected_rows
            then 'staged is not accepted + rejected (a reject names no staged line, or one line twice)'
        else 'accepted records whose key is not in core'
    end as problem
from counted
where
    coalesce(staged_rows, -1) <> parsed_rows + malformed_rows
    or staged_rows <> accepted_rows + rejected_rows
    or unpublished_rows > 0
{%- else -%}
with
files as (
    select
        f.run_id,
        f.file_key,
        f.staged_rows,
        runs.summary -> 'files' -> f.file_key as summary
    from etl.run_files as f
    inner join etl.runs as runs on f.run_id = runs.run_id
    where runs.summary is not null
),

rejected as (
    select
        r.run_id,
        r.file_key,
        count(*) as rejected_rows,
        count(distinct r.line_no) as rejected_lines,
        jsonb_object_agg(r.reason, r.n) as by_reason
    from (
        select
            run_id,
            file_key,
            reason,
            line_no,
            count(*) over (partition by run_id, file_key, reason) as n
        from etl.rejects
    ) as r
    group by r.run_id, r.file_key
),

summed as (
    select
        f.run_id,
        f.file_key,
        f.staged_rows,
        (f.summary ->> 'rows')::bigint as summary_rows,
        (f.summary ->> 'accepted')::bigint as summary_accepted,
        coalesce(f.summary -> 'rejected', '{}'::jsonb) as summary_rejected,
        coalesce(r.rejected_rows, 0) as rejected_rows,
        coalesce(r.rejected_lines, 0) as rejected_lines,
        coalesce(r.by_reason, '{}'::jsonb) as rejected_by_reason
    from files as f
    left join rejected as r on f.run_id = r.run_id and f.file_key = r.file_key
)

select
    run_id,
    file_key,
    staged_rows,
    summary_rows,
    summary_accepted,
    rejected_rows,
    summary_rejected,
    rejected_by_reason,
    case
        when coalesce(summary_rows, -1) <> coalesce(staged_rows, -1)
            then 'the summary''s rows are not etl.run_files.staged_rows'
        when summary_accepted + rejected_rows <> staged_rows then 'staged is not accepted + rejected'
        when rejected_lines <> rejected_rows then 'a line is rejected twice'
        else 'rejects per reason differ from the summary'
    end as problem
from summed
where
    summary_rows is distinct from staged_rows
    or (summary_accepted + rejected_rows) is distinct from staged_rows
    or rejected_lines <> rejected_rows
    or summary_rejected <> rejected_by_reason
{%- endif %}
