-- Nothing of a delivered file is lost or counted twice. Per file of the run,
-- staged = accepted + rejected, where staged is etl.run_files.staged_rows (the records the stager
-- took, parsed or malformed) and rejected its rows in etl.rejects; the check makes "accepted"
-- mean something by tying each term to what exists:
--   * staged = the records in staging.<file> + the malformed rejects (which never reach it);
--   * each reject names its own line, inside the file (2 .. etl.run_files.physical_lines);
--   * the rows the batch changed (staging.<file>_changed: accepted, new or different) are at most
--     the accepted records, and every one of them is in core stamped with this batch.
-- Batch scope: the run's staging tables (they hold the latest run, also after it ended).
-- Scope all: the ledger of every run with a summary (etl.runs.summary, etl.run_files and
-- etl.rejects agree on rows, accepted, and rejected per reason).
-- severity: error
-- scope: batch
{#- The rows of staging.<key>_changed, and how many of them are not in core with this batch.
    For the partitioned tables the join is bounded by the batch's order dates, so that only the
    partitions between them are read (pruned at run time). -#}
{% macro published(key, core_table, join_condition) -%}
select
        {{ key | lit }} as file_key,
        count(*) as changed_rows,
        count(*) filter (where k.batch_id is null) as unpublished_rows
    from staging.{{ key }}_changed as c
    left join {{ core_table }} as k on {{ join_condition }} and k.batch_id = {{ run_id | lit }}
{%- endmacro %}
{% if scope == 'batch' -%}
{% if bulk -%}
-- A first load changed every row of core: its changed rows and core's meet best in one merge
-- of the two primary-key orders (no hash of 20 million core lines, no sort).
-- set: enable_hashjoin = off
-- set: enable_sort = off
-- set: max_parallel_workers_per_gather = 0
{% endif -%}
with
files as (
    select
        f.file_key,
        f.staged_rows,
        f.physical_lines
    from etl.run_files as f
    where f.run_id = {{ run_id | lit }}
),

rejected as (
    select
        r.file_key,
        count(*) as rejected_rows,
        count(*) filter (where r.reason = 'malformed') as malformed_rows,
        count(distinct r.line_no) as rejected_lines,
        count(*) filter (where r.line_no not between 2 and f.physical_lines) as stray_rejects
    from etl.rejects as r
    inner join files as f on r.file_key = f.file_key
    where r.run_id = {{ run_id | lit }}
    group by r.file_key
),

parsed as (
    select
        'product_categories' as file_key,
        count(*) as parsed_rows
    from staging.product_categories
    union all
    select
        'products' as file_key,
        count(*) as parsed_rows
    from staging.products
    union all
    select
        'customers' as file_key,
        count(*) as parsed_rows
    from staging.customers
    union all
    select
        'orders' as file_key,
        count(*) as parsed_rows
    from staging.orders
    union all
    select
        'order_items' as file_key,
        count(*) as parsed_rows
    from staging.order_items
),

published as (
    {{ published("product_categories", "core.product_categories", "c.category_id = k.category_id") }}
    union all
    {{ published("products", "core.products", "c.product_id = k.product_id") }}
    union all
    {{ published("customers", "core.customers", "c.customer_id = k.customer_id") }}
    union all
    {{ published("orders", "core.orders", "c.order_id = k.order_id and c.order_date = k.order_date
        and k.order_date between (select min(x.order_date) from staging.orders_changed as x)
        and (select max(x.order_date) from staging.orders_changed as x)") }}
    union all
    {{ published("order_items", "core.order_items", "c.order_item_id = k.order_item_id and c.order_date = k.order_date
        and k.order_date between (select min(x.order_date) from staging.order_items_changed as x)
        and (select max(x.order_date) from staging.order_items_changed as x)") }}
),

counted as (
    select
        f.file_key,
        f.staged_rows,
        p.parsed_rows,
        coalesce(r.malformed_rows, 0) as malformed_rows,
        coalesce(r.rejected_rows, 0) as rejected_rows,
        f.staged_rows - coalesce(r.rejected_rows, 0) as accepted_rows,
        coalesce(r.rejected_lines, 0) as rejected_lines,
        coalesce(r.stray_rejects, 0) as stray_rejects,
        pub.changed_rows,
        pub.unpublished_rows
    from files as f
    inner join parsed as p on f.file_key = p.file_key
    inner join published as pub on f.file_key = pub.file_key
    left join rejected as r on f.file_key = r.file_key
)

select
    file_key,
    staged_rows,
    parsed_rows,
    malformed_rows,
    rejected_rows,
    accepted_rows,
    changed_rows,
    unpublished_rows,
    case
        when coalesce(staged_rows, -1) <> parsed_rows + malformed_rows
            then 'staged_rows is not the records in staging plus the malformed ones'
        when rejected_lines <> rejected_rows then 'a line is rejected twice'
        when stray_rejects > 0 then 'a reject names a line outside the file'
        when changed_rows > accepted_rows then 'more rows changed than were accepted'
        else 'changed rows missing from core (or not stamped with this batch)'
    end as problem
from counted
where
    coalesce(staged_rows, -1) <> parsed_rows + malformed_rows
    or rejected_lines <> rejected_rows
    or stray_rejects > 0
    or changed_rows > accepted_rows
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
